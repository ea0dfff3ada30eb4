import { Template } from 'aws-cdk-lib/assertions';
import { stateMachines } from '../../asl';
import type { StageFixture } from '../../stage-fixture';

/** Template tests of blueGreenCases; registered by test/lib/stages.test.ts. */
export function blueGreenCases(f: StageFixture): void {
  const get = (id: string) => ({ config: f.config(id), t: f.template(id, 'app') });
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
  const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];

  const CONFIG_NAMES: Record<string, string> = {
    'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
    'canary-10-5': 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    'linear-10-1': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  };

  describe('Fargate Spot (scaling.spot)', () => {
    test.each(ALL)(
      '%s: services run where the tier says; on Spot each waits for the cluster’s capacity providers and every AppSpec repeats the strategy',
      (id) => {
        const { t, config } = get(id);
        const services = resources(t, 'AWS::ECS::Service');
        expect(services.length).toBe(Object.keys(config.services).length);
        const [association] = resources(t, 'AWS::ECS::ClusterCapacityProviderAssociations');
        if (!config.scaling.spot) {
          // LaunchType is create-only (AWS::ECS::Service): on-demand tiers keep the launch type.
          for (const [, s] of services)
            expect([s.Properties.LaunchType, s.Properties.CapacityProviderStrategy]).toEqual(['FARGATE', undefined]);
          expect(association).toBeUndefined();
          return;
        }
        // ECS refuses a strategy naming a provider the cluster is not associated with.
        expect(association[1].Properties.CapacityProviders).toEqual(expect.arrayContaining(['FARGATE_SPOT']));
        for (const [sid, s] of services) {
          expect([sid, s.Properties.LaunchType, s.Properties.CapacityProviderStrategy]).toEqual([
            sid,
            undefined,
            [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
          ]);
          expect([sid, s.DependsOn]).toEqual([sid, expect.arrayContaining([association[0]])]);
        }
        // CodeDeploy drops a strategy its AppSpec does not name (aws/containers-roadmap#1752).
        const deployments = resources(t, 'Custom::EcsDeployment');
        expect(deployments).toHaveLength(Object.values(config.services).filter((s) => s.host).length);
        for (const [did, d] of deployments) {
          const appSpec =
            JSON.parse(JSON.stringify(d.Properties)).appSpecContent?.content ?? JSON.stringify(d.Properties);
          expect([did, String(appSpec)]).toEqual([
            did,
            expect.stringContaining(
              '"CapacityProviderStrategy\\":[{\\"CapacityProvider\\":\\"FARGATE_SPOT\\",\\"Weight\\":1}]',
            ),
          ]);
        }
      },
    );
  });

  describe('deployment groups', () => {
    // What a deployment group does with its settings: test/lib/deployment/blue-green.test.ts.
    test.each(ALL)('%s: one blue/green deployment group per web service, with the tier’s shifting and wait', (id) => {
      const { t, config } = get(id);
      const groups = resources(t, 'AWS::CodeDeploy::DeploymentGroup');
      const webServices = Object.values(config.services).filter((s) => s.host);
      expect(groups).toHaveLength(webServices.length);
      for (const [, group] of groups) {
        expect(group.Properties.DeploymentConfigName).toBe(CONFIG_NAMES[config.deployment.trafficShifting]);
        expect(group.Properties.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess).toEqual({
          Action: 'TERMINATE',
          TerminationWaitTimeInMinutes: config.deployment.terminationWaitMinutes,
        });
      }
    });

    test('shifts traffic all at once in dev, canary in staging, linearly in prod', () => {
      expect(['Csl-Dev', 'Csl-Staging', 'Csl-Prod'].map((id) => get(id).config.deployment.trafficShifting)).toEqual([
        'all-at-once',
        'canary-10-5',
        'linear-10-1',
      ]);
    });

    test('keeps blue long enough to roll back in staging and prod', () => {
      for (const id of ['Csl-Staging', 'Csl-Prod', 'Shipment-Staging', 'Shipment-Prod']) {
        expect(get(id).config.deployment.terminationWaitMinutes).toBeGreaterThanOrEqual(15);
      }
    });

    test('alarm thresholds follow the tier', () => {
      const threshold = (id: string, name: string) =>
        resources(get(id).t, 'AWS::CloudWatch::Alarm').find(([logicalId]) => logicalId.startsWith(name))![1].Properties;
      expect(threshold('Csl-Prod', 'ApiApiBlueGreenTarget5xx').Threshold).toBe(5);
      expect(threshold('Csl-Dev', 'ApiApiBlueGreenTarget5xx').Threshold).toBe(20);
      expect(threshold('Csl-Prod', 'ApiApiBlueGreenLatency').Threshold).toBe(1.5);
    });
  });

  describe('cdk deploy starts the deployment', () => {
    // What a deployment does with its settings, hooks and provider: blue-green.test.ts.
    test.each(ALL)('%s: a deployment per web service, shifting as the tier says', (id) => {
      const { t, config } = get(id);
      const deployments = resources(t, 'Custom::EcsDeployment');
      expect(deployments).toHaveLength(Object.values(config.services).filter((s) => s.host).length);
      for (const [, deployment] of deployments) {
        expect(deployment.Properties.deploymentConfigName).toBe(CONFIG_NAMES[config.deployment.trafficShifting]);
      }
    });
  });

  describe('migrations', () => {
    // The state machine's steps, logging and grants for given props: migrations.test.ts; how
    // LaravelService wires it: test/lib/services/laravel-service.test.ts.
    test.each(ALL)('%s: the migrations snapshot the stage’s databases first and prune afterwards', (id) => {
      const machines = stateMachines(get(id).t.toJSON()).filter(([lid]) => lid.includes('MigrationsStateMachine'));
      expect(machines.length).toBeGreaterThan(0);
      for (const [lid, definition] of machines) {
        expect([lid, definition.StartAt]).toEqual([lid, 'StartSnapshot']);
        expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['CheckSnapshot', 'PruneSnapshots']));
      }
    });

    test('the runner runs the migrations with the web service’s security group, within the tier’s timeout', () => {
      const { t, config } = get('Csl-Prod');
      const [, runner] = resources(t, 'AWS::Lambda::Function').find(([lid]) => lid.startsWith('ApiMigrationsRunner'))!;
      // The task runs with the web service's security group, which the data stores admit.
      expect(JSON.stringify(runner.Properties.Environment.Variables.SECURITY_GROUPS)).toContain(
        'ServiceSecurityGroupsApi',
      );
      expect(runner.Properties.Environment.Variables.TIMEOUT_SECONDS).toBe(
        String(config.deployment.migrationTimeoutMinutes * 60),
      );
    });

    test('the snapshot function manages only this stage’s pre-deploy snapshots, kept as the tier says', () => {
      const { t } = get('Shipment-Prod');
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('WebMigrationsSnapshotsServiceRoleDefaultPolicy'),
      )!;
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text).toContain('arn:aws:rds:us-east-1:666666666666:snapshot:predeploy-shipment-prod-*');
      const [, fn] = resources(t, 'AWS::Lambda::Function').find(([lid]) => lid.startsWith('WebMigrationsSnapshots'))!;
      expect(fn.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ RETENTION_DAYS: '30', KEEP_SNAPSHOTS: '20' }),
      );
      expect(JSON.stringify(fn.Properties.Environment.Variables.DB_INSTANCES)).toContain(
        '\\"prefix\\":\\"predeploy-shipment-prod\\"',
      );
    });

    test('PostgreSQL is snapshotted too where the image’s migrations touch it', () => {
      const instances = (id: string, prefix: string) => {
        const [, fn] = resources(get(id).t, 'AWS::Lambda::Function').find(([lid]) =>
          lid.startsWith(`${prefix}MigrationsSnapshots`),
        )!;
        return JSON.stringify(fn.Properties.Environment.Variables.DB_INSTANCES);
      };
      // csl's api uses MySQL and PostgreSQL; shipment's web only MySQL.
      expect(instances('Csl-Prod', 'Api')).toContain('predeploy-csl-prod-postgres');
      expect(instances('Csl-Prod', 'Api')).toMatch(/Mysql.*Postgres/);
      expect(instances('Shipment-Prod', 'Web')).not.toContain('postgres');
    });
  });

  describe('smoke test', () => {
    // Port, network and paths for given props: blue-green.test.ts and nextjs-service.test.ts.
    test('requests green’s health path as the service’s host in the stage’s domain', () => {
      const { t } = get('Csl-Staging');
      const [, fn] = resources(t, 'AWS::Lambda::Function').find(([lid]) =>
        lid.startsWith('CertificationBlueGreenSmokeTest'),
      )!;
      expect(fn.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ HOST: 'certification.staging.cfpcsl.com', PATHS: '["/"]' }),
      );
    });

    test('the test listener admits only the smoke tests', () => {
      const { t } = get('Csl-Prod');
      const rules = resources(t, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.FromPort === 8443);
      expect(rules).toHaveLength(3);
      for (const [, rule] of rules) {
        expect(rule.Properties.SourceSecurityGroupId).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/BlueGreenSmokeTestSecurityGroup/), 'GroupId'],
        });
      }
      const albGroup = resources(t, 'AWS::EC2::SecurityGroup').find(([lid]) =>
        lid.startsWith('LoadBalancerSecurityGroup'),
      )!;
      // Production traffic: 443 from CloudFront's prefix list only (test/lib/stacks/edge-network.cases.ts).
      expect(albGroup[1].Properties.SecurityGroupIngress).toBeUndefined();
      const other = resources(t, 'AWS::EC2::SecurityGroupIngress').filter(
        ([, r]) => JSON.stringify(r.Properties.GroupId).includes(albGroup[0]) && r.Properties.FromPort !== 8443,
      );
      expect(other.map(([, r]) => r.Properties.FromPort)).toEqual([443]);
    });
  });
}
