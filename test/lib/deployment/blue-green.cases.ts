import { handlerBundleDir } from '../../../lib/deployment/handlers';
import { FileSystem } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { StageFixture } from '../../stage-fixture';

/** Template tests of blueGreenCases; registered by test/lib/stages.test.ts. */
export function blueGreenCases(f: StageFixture): void {
  const get = (id: string) => ({ config: f.config(id), t: f.template(id, 'app') });
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
  const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];

  /** The statements of Csl-Prod's migration runner policy. */
  const runnerStatements = () => {
    const [, policy] = resources(get('Csl-Prod').t, 'AWS::IAM::Policy').find(([lid]) =>
      lid.startsWith('ApiMigrationsRunnerServiceRoleDefaultPolicy'),
    )!;
    return policy.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
  };

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
    test.each(ALL)('%s: one blue/green deployment group per web service, with the tier’s shifting and wait', (id) => {
      const { t, config } = get(id);
      const groups = resources(t, 'AWS::CodeDeploy::DeploymentGroup');
      const webServices = Object.values(config.services).filter((s) => s.host);
      expect(groups).toHaveLength(webServices.length);
      for (const [, group] of groups) {
        expect(group.Properties).toEqual(
          expect.objectContaining({
            DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
            DeploymentConfigName: CONFIG_NAMES[config.deployment.trafficShifting],
            AutoRollbackConfiguration: {
              Enabled: true,
              Events: expect.arrayContaining([
                'DEPLOYMENT_FAILURE',
                'DEPLOYMENT_STOP_ON_REQUEST',
                'DEPLOYMENT_STOP_ON_ALARM',
              ]),
            },
          }),
        );
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

    test('moves production traffic on the 443 listener and test traffic on the 8443 listener', () => {
      const { t } = get('Shipment-Prod');
      const [[, group]] = resources(t, 'AWS::CodeDeploy::DeploymentGroup');
      const [pair] = group.Properties.LoadBalancerInfo.TargetGroupPairInfoList;
      expect(pair.TargetGroups.map((g: { Name: { 'Fn::GetAtt': string[] } }) => g.Name['Fn::GetAtt'][0])).toEqual([
        expect.stringMatching(/^LoadBalancerWebBlue/),
        expect.stringMatching(/^LoadBalancerWebGreen/),
      ]);
      expect(pair.ProdTrafficRoute.ListenerArns).toEqual([{ Ref: expect.stringMatching(/^LoadBalancerHttps/) }]);
      expect(pair.TestTrafficRoute.ListenerArns).toEqual([{ Ref: expect.stringMatching(/^LoadBalancerTest/) }]);
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8443, Protocol: 'HTTPS' });
    });

    test('rolls back on alarms that belong to the service: 5xx, unhealthy hosts, latency', () => {
      const { t } = get('Csl-Prod');
      for (const [logicalId, group] of resources(t, 'AWS::CodeDeploy::DeploymentGroup')) {
        const service = logicalId.replace(/BlueGreenDeploymentGroup.*/, '');
        const alarms = group.Properties.AlarmConfiguration.Alarms.map((a: { Name: { Ref: string } }) => a.Name.Ref);
        expect(alarms).toHaveLength(3);
        expect(alarms.map((a: string) => a.replace(/[0-9A-F]{8}$/, ''))).toEqual([
          `${service}BlueGreenTarget5xx`,
          `${service}BlueGreenUnhealthyHosts`,
          `${service}BlueGreenLatency`,
        ]);
        expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
      }
    });

    test('alarm thresholds follow the tier', () => {
      const threshold = (id: string, name: string) =>
        resources(get(id).t, 'AWS::CloudWatch::Alarm').find(([logicalId]) => logicalId.startsWith(name))![1].Properties;
      expect(threshold('Csl-Prod', 'ApiApiBlueGreenTarget5xx').Threshold).toBe(5);
      expect(threshold('Csl-Dev', 'ApiApiBlueGreenTarget5xx').Threshold).toBe(20);
      expect(threshold('Csl-Prod', 'ApiApiBlueGreenLatency').Threshold).toBe(1.5);
      const fiveXx = threshold('Csl-Prod', 'ApiApiBlueGreenTarget5xx');
      const metrics = fiveXx.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);
      expect(
        metrics.map((m: { MetricStat: { Metric: { MetricName: string } } }) => m.MetricStat.Metric.MetricName),
      ).toEqual(['HTTPCode_Target_5XX_Count', 'HTTPCode_Target_5XX_Count']);
    });
  });

  describe('cdk deploy starts the deployment', () => {
    test.each(ALL)('%s: a deployment per web service, of its current task definition, waited for', (id) => {
      const { t, config } = get(id);
      const deployments = resources(t, 'Custom::EcsDeployment');
      expect(deployments).toHaveLength(Object.values(config.services).filter((s) => s.host).length);
      for (const [, deployment] of deployments) {
        expect(deployment.Properties.deploymentConfigName).toBe(CONFIG_NAMES[config.deployment.trafficShifting]);
        expect(deployment.Properties.autoRollbackConfigurationEnabled).toBe('true');
        const appspec = JSON.stringify(deployment.Properties.revisionAppSpecContent);
        expect(appspec).toMatch(/TaskDefinition.*\{"Ref":"\w+Task[0-9A-F]{8}"\}/);
      }
      // The completion check is asynchronous: a waiter state machine, not one long Lambda call.
      expect(
        resources(t, 'AWS::StepFunctions::StateMachine').filter(([lid]) => lid.includes('waiterstatemachine')),
      ).toHaveLength(deployments.length);
    });

    test('wires BeforeInstall to the migrations and AfterAllowTestTraffic to the smoke test', () => {
      const { t } = get('Csl-Prod');
      const appspec = (prefix: string) =>
        JSON.stringify(
          resources(t, 'Custom::EcsDeployment').find(([lid]) => lid.startsWith(prefix))![1].Properties
            .revisionAppSpecContent,
        );
      expect(appspec('ApiApiBlueGreen')).toMatch(/BeforeInstall.{0,40}ApiMigrationsHook[0-9A-F]{8}/);
      expect(appspec('ApiApiBlueGreen')).toMatch(/AfterAllowTestTraffic.*ApiApiBlueGreenSmokeTest/);
      expect(appspec('CertificationBlueGreen')).not.toMatch(/BeforeInstall/);
      expect(appspec('CertificationBlueGreen')).toMatch(/AfterAllowTestTraffic.*CertificationBlueGreenSmokeTest/);
    });

    test('CodeDeploy may invoke exactly the hooks of its deployment group', () => {
      const { t } = get('Csl-Prod');
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('ApiApiBlueGreenDeploymentGroupServiceRole'),
      )!;
      const invoked = policy.Properties.PolicyDocument.Statement.filter(
        (s: { Action: string }) => s.Action === 'lambda:InvokeFunction',
      )
        .flatMap((s: { Resource: unknown[] }) => s.Resource)
        .map((r: unknown) => JSON.stringify(r));
      expect(invoked.every((r: string) => /ApiApiBlueGreenSmokeTest|ApiMigrationsHook/.test(r))).toBe(true);
      expect(invoked.length).toBeGreaterThanOrEqual(2);
    });

    test.each(ALL)(
      '%s: the deployment waiter may list and read deployment targets on any resource (the actions have no resource type)',
      (id) => {
        // Service Authorization Reference, "Actions defined by AWS CodeDeploy":
        // ListDeploymentTargets and BatchGetDeploymentTargets list no resource type, so a
        // statement that names a deployment-group ARN never matches and the call is denied.
        const { t } = get(id);
        const policies = resources(t, 'AWS::IAM::Policy').filter(([lid]) =>
          lid.includes('DeploymentProviderIsCompleteLambdaServiceRoleDefaultPolicy'),
        );
        expect(policies.length).toBeGreaterThan(0);
        for (const [, policy] of policies) {
          const statements = policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[];
          const targets = statements.filter((s) => JSON.stringify(s.Action).includes('DeploymentTargets'));
          expect(targets).toEqual([
            expect.objectContaining({
              Action: expect.arrayContaining([
                'codedeploy:BatchGetDeploymentTargets',
                'codedeploy:ListDeploymentTargets',
              ]),
              Resource: '*',
            }),
          ]);
        }
      },
    );

    test.each(ALL)(
      '%s: the deployment starts only after CodeDeploy’s role may invoke the hooks (DependsOn its policy)',
      (id) => {
        const { t } = get(id);
        const deployments = resources(t, 'Custom::EcsDeployment');
        expect(deployments.length).toBeGreaterThan(0);
        for (const [lid, deployment] of deployments) {
          const prefix = lid.replace(/DeploymentGroupDeployment[0-9A-F]{8}$/, '');
          expect(deployment.DependsOn).toEqual(
            expect.arrayContaining([
              expect.stringMatching(new RegExp(`^${prefix}DeploymentGroupServiceRoleDefaultPolicy[0-9A-F]{8}$`)),
            ]),
          );
        }
      },
    );

    test('workers and the scheduler roll only after the web deployment succeeded', () => {
      const { t } = get('Shipment-Prod');
      const background = resources(t, 'AWS::ECS::Service').filter(([lid]) => /Worker|Scheduler/.test(lid));
      expect(background).toHaveLength(2);
      for (const [, service] of background) {
        expect(service.DependsOn).toEqual(
          expect.arrayContaining([expect.stringMatching(/^WebWebBlueGreenDeploymentGroupDeployment[0-9A-F]{8}$/)]),
        );
      }
    });

    test.each(ALL)('%s: cdk deploy waits at most 55 minutes, and only until traffic is fully shifted', (id) => {
      const { t } = get(id);
      // The provider's waiter retries the is-complete step; its attempts bound the wait.
      const waiters = resources(t, 'AWS::StepFunctions::StateMachine').filter(([lid]) =>
        lid.includes('waiterstatemachine'),
      );
      expect(waiters.length).toBeGreaterThan(0);
      for (const [, machine] of waiters) {
        const text = JSON.stringify(machine.Properties.DefinitionString);
        const interval = Number(/IntervalSeconds\\":(\d+)/.exec(text)![1]);
        const attempts = Number(/MaxAttempts\\":(\d+)/.exec(text)![1]);
        expect(interval * attempts).toBeLessThanOrEqual(55 * 60);
      }
      // The is-complete step runs lambda/deployment-waiter, not the construct's own handler.
      const waiterKey = `${FileSystem.fingerprint(handlerBundleDir('deployment-waiter'))}.zip`;
      const completes = resources(t, 'AWS::Lambda::Function').filter(([lid]) =>
        lid.includes('DeploymentProviderIsCompleteLambda'),
      );
      expect(completes.length).toBeGreaterThan(0);
      for (const [, fn] of completes) expect(fn.Properties.Code.S3Key).toBe(waiterKey);
    });

    test('the deployment provider runs on a current Node.js runtime', () => {
      const runtimes = resources(get('Csl-Prod').t, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.Runtime);
      expect(runtimes.filter((r) => r === 'nodejs20.x' || r === 'nodejs18.x')).toEqual([]);
    });
  });

  describe('migrations', () => {
    test.each(ALL)('%s: snapshot, migrate, prune and report, driven by a state machine', (id) => {
      const { t } = get(id);
      const [[, machine]] = resources(t, 'AWS::StepFunctions::StateMachine').filter(([lid]) =>
        lid.includes('MigrationsStateMachine'),
      );
      const definition = JSON.stringify(machine.Properties.DefinitionString);
      for (const state of [
        'StartSnapshot',
        'CheckSnapshot',
        'StartMigration',
        'CheckMigration',
        'PruneSnapshots',
        'ReportSucceeded',
        'ReportFailed',
      ]) {
        expect(definition).toContain(`\\"${state}\\"`);
      }
      expect(definition).toContain('putLifecycleEventHookExecutionStatus');
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.Properties.LoggingConfiguration.Level).toBe('ALL');
    });

    test('the runner runs the new migration task definition with the web service’s network, within the tier’s timeout', () => {
      const { t } = get('Csl-Prod');
      const [, runner] = resources(t, 'AWS::Lambda::Function').find(([lid]) => lid.startsWith('ApiMigrationsRunner'))!;
      // The task runs with the web service's security group, which the data stores admit.
      expect(JSON.stringify(runner.Properties.Environment.Variables.SECURITY_GROUPS)).toContain(
        'ServiceSecurityGroupsApi',
      );
      expect(runner.Properties.Environment.Variables).toEqual(
        expect.objectContaining({
          TASK_DEFINITION: { Ref: expect.stringMatching(/^ApiMigrationTask/) },
          CONTAINER_NAME: 'App',
          TIMEOUT_SECONDS: String(get('Csl-Prod').config.deployment.migrationTimeoutMinutes * 60),
          CLUSTER: { 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'Arn'] },
        }),
      );
    });

    test('the runner may run only the migration task definition, in this cluster, and pass only its roles', () => {
      const statements = runnerStatements();
      const find = (action: string) => statements.find((s) => ([] as string[]).concat(s.Action).includes(action))!;
      expect(find('ecs:RunTask').Resource).toEqual(
        expect.stringMatching(/:task-definition\/CslProdAppApiMigrationTask[0-9A-F]+:\*$/),
      );
      expect(find('ecs:RunTask').Condition).toEqual({
        ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'Arn'] } },
      });
      const passed = (find('iam:PassRole').Resource as { 'Fn::GetAtt': string[] }[])
        .map((r) => r['Fn::GetAtt'][0])
        .sort();
      expect(passed).toEqual([
        expect.stringMatching(/^ApiMigrationTaskExecutionRole/),
        expect.stringMatching(/^ApiMigrationTaskTaskRole/),
      ]);
      expect(statements.some((s) => ([] as string[]).concat(s.Action).includes('ecs:*'))).toBe(false);
    });

    test('RunTask with propagated tags is also authorised as ecs:TagResource on ecs:CreateAction = RunTask (ECS guide: tag resources on creation)', () => {
      const statements = runnerStatements();
      const tagging = statements.filter((s) => ([] as string[]).concat(s.Action).includes('ecs:TagResource'));
      expect(tagging).toHaveLength(1);
      expect(tagging[0].Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    });

    test('the snapshot function may snapshot the primary and manage only this stage’s pre-deploy snapshots', () => {
      const { t } = get('Shipment-Prod');
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('WebMigrationsSnapshotsServiceRoleDefaultPolicy'),
      )!;
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text).toContain('arn:aws:rds:us-east-1:666666666666:snapshot:predeploy-shipment-prod-*');
      expect(text).toContain('rds:DeleteDBSnapshot');
      expect(text).not.toContain('"rds:*"');
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

    test('the hook may start only its state machine and report only to its deployment group', () => {
      const { t } = get('Csl-Dev');
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('ApiMigrationsHookServiceRoleDefaultPolicy'),
      )!;
      const statements = policy.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[];
      expect(statements.find((s) => s.Action === 'states:StartExecution')!.Resource).toEqual({
        Ref: expect.stringMatching(/^ApiMigrationsStateMachine/),
      });
      expect(
        JSON.stringify(
          statements.find((s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus')!.Resource,
        ),
      ).toMatch(/deploymentgroup:.*ApiApiBlueGreenApplication.*ApiApiBlueGreenDeploymentGroup/);
    });
  });

  describe('smoke test', () => {
    test('requests green’s health path through the 8443 test listener, as the service’s host', () => {
      const { t } = get('Csl-Staging');
      const [, fn] = resources(t, 'AWS::Lambda::Function').find(([lid]) =>
        lid.startsWith('CertificationBlueGreenSmokeTest'),
      )!;
      expect(fn.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ PORT: '8443', HOST: 'certification.staging.cfpcsl.com', PATHS: '["/"]' }),
      );
      expect(fn.Properties.VpcConfig).toBeDefined();
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
      // Production traffic: 443 from CloudFront's prefix list only (issue 12, edge-network.cases.ts).
      expect(albGroup[1].Properties.SecurityGroupIngress).toBeUndefined();
      const other = resources(t, 'AWS::EC2::SecurityGroupIngress').filter(
        ([, r]) => JSON.stringify(r.Properties.GroupId).includes(albGroup[0]) && r.Properties.FromPort !== 8443,
      );
      expect(other.map(([, r]) => r.Properties.FromPort)).toEqual([443]);
    });
  });
}
