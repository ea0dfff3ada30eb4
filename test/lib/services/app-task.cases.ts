import { listenerPriority } from '../../../lib/edge/load-balancer';
import type { StageFixture } from '../../stage-fixture';

type Resource = { Type: string; Properties: Record<string, any> };

/**
 * Listener priorities and ECS Exec per tier, from the synthesized App stacks; registered by
 * test/lib/stages.test.ts. What AppTask and the services do with given props (health checks,
 * scratch and SSM agent volumes) is tested in test/lib/services/*.test.ts.
 */
export function appTaskCases(f: StageFixture): void {
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  const resources = (id: string, type: string) =>
    Object.entries((f.template(id, 'app').toJSON() as { Resources: Record<string, Resource> }).Resources).filter(
      ([, r]) => r.Type === type,
    );

  test.each(ALL)('%s: every listener rule’s priority is its host’s hash, whatever the order of services', (id) => {
    const rules = resources(id, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [, rule] of rules) {
      const host = rule.Properties.Conditions[0].HostHeaderConfig.Values[0] as string;
      expect([host, rule.Properties.Priority]).toEqual([host, listenerPriority(host)]);
    }
  });

  describe('ECS Exec is a per-tier switch', () => {
    test.each(ALL)('%s: on where the tier says, with a KMS key and an encrypted session log; off otherwise', (id) => {
      const on = f.config(id).deployment.execEnabled;
      const services = resources(id, 'AWS::ECS::Service');
      expect(services.length).toBeGreaterThan(0);
      for (const [, service] of services) expect(service.Properties.EnableExecuteCommand ?? false).toBe(on);

      const [[, cluster]] = resources(id, 'AWS::ECS::Cluster');
      const exec = cluster.Properties.Configuration?.ExecuteCommandConfiguration;
      const policies = JSON.stringify(resources(id, 'AWS::IAM::Policy').map(([, p]) => p.Properties.PolicyDocument));
      if (!on) {
        expect(exec).toBeUndefined();
        expect(policies).not.toContain('ssmmessages:');
        return;
      }
      expect(exec).toEqual(
        expect.objectContaining({
          KmsKeyId: expect.anything(),
          Logging: 'OVERRIDE',
          LogConfiguration: expect.objectContaining({ CloudWatchEncryptionEnabled: true }),
        }),
      );
      const logGroup = exec.LogConfiguration.CloudWatchLogGroupName.Ref as string;
      const [, group] = resources(id, 'AWS::Logs::LogGroup').find(([lid]) => lid === logGroup)!;
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ExecKey/), 'Arn'] });
      expect(policies).toContain('ssmmessages:');
    });

    test('prod is off unless turned on', () => {
      expect(f.config('Csl-Prod').deployment.execEnabled).toBe(false);
      expect(f.config('Shipment-Prod').deployment.execEnabled).toBe(false);
    });
  });
}
