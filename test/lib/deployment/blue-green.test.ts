import { FileSystem, type Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { DeploymentConfig } from '../../../config';
import { BlueGreenDeployment, type BlueGreenDeploymentProps } from '../../../lib/deployment/blue-green';
import { HandlerFunction } from '../../../lib/deployment/handler-function';
import { handlerBundleDir } from '../../../lib/deployment/handlers';
import { bareWebService, DEPLOYMENT } from './bare-web-service';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

/** CodeDeploy's predefined configuration for each `trafficShifting` value. */
const CONFIG_NAMES: Record<DeploymentConfig['trafficShifting'], string> = {
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
  'canary-10-5': 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  'linear-10-1': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
};

interface Options {
  readonly deployment?: Partial<DeploymentConfig>;
  /** Give a BeforeInstall hook (a function `BeforeInstallHook`). */
  readonly beforeInstall?: boolean;
  readonly capacityProviderStrategies?: ecs.CapacityProviderStrategy[];
  readonly smokePaths?: string[];
}

/** A BlueGreenDeployment `BlueGreen` of a bare web service, and what it was given. */
function build(options: Options = {}) {
  const bare = bareWebService({ capacityProviderStrategies: options.capacityProviderStrategies });
  const { stack } = bare;
  const given: { deploymentGroupArn?: string } = {};
  const props: BlueGreenDeploymentProps = {
    web: bare.web,
    taskDefinition: bare.taskDefinition,
    loadBalancer: bare.loadBalancer,
    host: 'web.example.com',
    smokePaths: options.smokePaths ?? ['/up'],
    deployment: { ...DEPLOYMENT, ...options.deployment },
    vpc: bare.vpc,
    logRetention: 30,
    beforeInstall: options.beforeInstall
      ? (deploymentGroupArn) => {
          given.deploymentGroupArn = deploymentGroupArn;
          return new HandlerFunction(stack, 'BeforeInstallHook', {
            handler: 'deployment-hook',
            description: 'BeforeInstall',
            environment: {},
            logRetention: 30,
          });
        }
      : undefined,
  };
  const blueGreen = new BlueGreenDeployment(stack, 'BlueGreen', props);
  return { ...bare, blueGreen, given, template: Template.fromStack(stack) };
}

const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
const only = (t: Template, type: string): Resource => {
  const found = resources(t, type);
  expect(found).toHaveLength(1);
  return found[0][1];
};
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** Shifting and timeout of the variants, each different from DEPLOYMENT's. */
const CANARY = { trafficShifting: 'canary-10-5', timeoutMinutes: 10 } as const;
const SPOT: ecs.CapacityProviderStrategy[] = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];

describe('BlueGreenDeployment', () => {
  // Three syntheses: the one most tests read (a BeforeInstall hook, DEPLOYMENT's prod-like
  // settings), one without a hook, on Spot, shifting all at once with two smoke paths, and one
  // shifting canary with a short timeout.
  let built: ReturnType<typeof build>;
  let t: Template;
  let plain: Template;
  let canary: Template;
  beforeAll(() => {
    built = build({ beforeInstall: true });
    t = built.template;
    plain = build({
      deployment: { trafficShifting: 'all-at-once' },
      capacityProviderStrategies: SPOT,
      smokePaths: ['/up', '/api/ping'],
    }).template;
    canary = build({ deployment: CANARY }).template;
  });
  const variant = (shifting: string) => ({ 'all-at-once': plain, 'canary-10-5': canary, 'linear-10-1': t })[shifting]!;
  const appSpec = () => JSON.stringify(only(t, 'Custom::EcsDeployment').Properties.revisionAppSpecContent);

  describe('deployment group', () => {
    test('is blue/green with traffic control and rolls back on failure, on stop and on alarm', () => {
      t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
        DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: Match.arrayWith(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']),
        },
      });
    });

    test('keeps blue for the termination wait it is given', () => {
      const group = only(t, 'AWS::CodeDeploy::DeploymentGroup');
      expect(group.Properties.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess).toEqual({
        Action: 'TERMINATE',
        TerminationWaitTimeInMinutes: DEPLOYMENT.terminationWaitMinutes,
      });
    });

    test.each(Object.entries(CONFIG_NAMES))(
      'shifts traffic as %s says, in the group and in the deployment (%s)',
      (shifting, name) => {
        const other = variant(shifting);
        expect(only(other, 'AWS::CodeDeploy::DeploymentGroup').Properties.DeploymentConfigName).toBe(name);
        expect(only(other, 'Custom::EcsDeployment').Properties.deploymentConfigName).toBe(name);
      },
    );

    test('moves production traffic on the 443 listener and test traffic on the 8443 listener', () => {
      const [pair] = only(t, 'AWS::CodeDeploy::DeploymentGroup').Properties.LoadBalancerInfo.TargetGroupPairInfoList;
      expect(pair.TargetGroups.map((g: { Name: { 'Fn::GetAtt': string[] } }) => g.Name['Fn::GetAtt'][0])).toEqual([
        expect.stringMatching(/^LoadBalancerWebBlue/),
        expect.stringMatching(/^LoadBalancerWebGreen/),
      ]);
      expect(pair.ProdTrafficRoute.ListenerArns).toEqual([{ Ref: expect.stringMatching(/^LoadBalancerHttps/) }]);
      expect(pair.TestTrafficRoute.ListenerArns).toEqual([{ Ref: expect.stringMatching(/^LoadBalancerTest/) }]);
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8443, Protocol: 'HTTPS' });
    });

    test('rolls back on alarms that belong to the service: 5xx, unhealthy hosts, latency', () => {
      const group = only(t, 'AWS::CodeDeploy::DeploymentGroup');
      const alarms = group.Properties.AlarmConfiguration.Alarms.map((a: { Name: { Ref: string } }) => a.Name.Ref);
      expect(alarms).toEqual(built.blueGreen.alarms.map((a) => logicalId(built.stack, a)));
      expect(alarms.map((a: string) => a.replace(/[0-9A-F]{8}$/, ''))).toEqual([
        'BlueGreenTarget5xx',
        'BlueGreenUnhealthyHosts',
        'BlueGreenLatency',
      ]);
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
    });

    test('the alarms count over both target groups, at the given thresholds (latency in seconds)', () => {
      const alarm = (prefix: string) =>
        resources(t, 'AWS::CloudWatch::Alarm').find(([lid]) => lid.startsWith(prefix))![1].Properties;
      expect(alarm('BlueGreenTarget5xx').Threshold).toBe(DEPLOYMENT.alarms.target5xxPerMinute);
      expect(alarm('BlueGreenLatency').Threshold).toBe(DEPLOYMENT.alarms.latencyP95Ms / 1000);
      const metrics = alarm('BlueGreenTarget5xx').Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);
      expect(
        metrics.map((m: { MetricStat: { Metric: { MetricName: string } } }) => m.MetricStat.Metric.MetricName),
      ).toEqual(['HTTPCode_Target_5XX_Count', 'HTTPCode_Target_5XX_Count']);
      const groups = JSON.stringify(metrics.map((m: { MetricStat: { Metric: unknown } }) => m.MetricStat.Metric));
      expect(groups).toMatch(/LoadBalancerWebBlue.*LoadBalancerWebGreen/);
    });
  });

  describe('cdk deploy starts the deployment', () => {
    test('of the given task definition, with automatic rollback', () => {
      const deployment = only(t, 'Custom::EcsDeployment');
      expect(deployment.Properties.autoRollbackConfigurationEnabled).toBe('true');
      expect(appSpec()).toContain(JSON.stringify({ Ref: logicalId(built.stack, built.taskDefinition) }));
      expect(appSpec()).toMatch(/\\"ContainerName\\":\\"App\\",\\"ContainerPort\\":8080/);
      // The completion check is asynchronous: a waiter state machine, not one long Lambda call.
      expect(
        resources(t, 'AWS::StepFunctions::StateMachine').filter(([lid]) => lid.includes('waiterstatemachine')),
      ).toHaveLength(1);
    });

    test('wires BeforeInstall to the given hook, which learns its deployment group, and AfterAllowTestTraffic to the smoke test', () => {
      expect(appSpec()).toMatch(/BeforeInstall.{0,40}BeforeInstallHook[0-9A-F]{8}/);
      expect(appSpec()).toMatch(/AfterAllowTestTraffic.*BlueGreenSmokeTest/);
      expect(built.given.deploymentGroupArn).toBe(built.blueGreen.deploymentGroup.deploymentGroupArn);
      const without = JSON.stringify(only(plain, 'Custom::EcsDeployment').Properties.revisionAppSpecContent);
      expect(without).not.toMatch(/BeforeInstall/);
      expect(without).toMatch(/AfterAllowTestTraffic.*BlueGreenSmokeTest/);
    });

    test('CodeDeploy may invoke exactly the hooks of its deployment group', () => {
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('BlueGreenDeploymentGroupServiceRole'),
      )!;
      const invoked = policy.Properties.PolicyDocument.Statement.filter(
        (s: { Action: string }) => s.Action === 'lambda:InvokeFunction',
      )
        .flatMap((s: { Resource: unknown[] }) => s.Resource)
        .map((r: unknown) => JSON.stringify(r));
      expect(invoked.every((r: string) => /BlueGreenSmokeTest|BeforeInstallHook/.test(r))).toBe(true);
      expect(invoked.some((r: string) => r.includes('BlueGreenSmokeTest'))).toBe(true);
      expect(invoked.some((r: string) => r.includes('BeforeInstallHook'))).toBe(true);
    });

    test('the deployment waiter may list and read deployment targets on any resource (the actions have no resource type)', () => {
      // Service Authorization Reference, "Actions defined by AWS CodeDeploy":
      // ListDeploymentTargets and BatchGetDeploymentTargets list no resource type, so a
      // statement that names a deployment-group ARN never matches and the call is denied.
      const policies = resources(t, 'AWS::IAM::Policy').filter(([lid]) =>
        lid.includes('DeploymentProviderIsCompleteLambdaServiceRoleDefaultPolicy'),
      );
      expect(policies).toHaveLength(1);
      const statements = policies[0][1].Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[];
      expect(statements.filter((s) => JSON.stringify(s.Action).includes('DeploymentTargets'))).toEqual([
        expect.objectContaining({
          Action: expect.arrayContaining(['codedeploy:BatchGetDeploymentTargets', 'codedeploy:ListDeploymentTargets']),
          Resource: '*',
        }),
      ]);
    });

    test('the deployment starts only after CodeDeploy’s role may invoke the hooks (DependsOn its policy and the hooks)', () => {
      const deployment = only(t, 'Custom::EcsDeployment');
      expect(deployment.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^BlueGreenDeploymentGroupServiceRoleDefaultPolicy[0-9A-F]{8}$/),
          expect.stringMatching(/^BlueGreenSmokeTest[0-9A-F]{8}$/),
          expect.stringMatching(/^BeforeInstallHook[0-9A-F]{8}$/),
        ]),
      );
    });

    test.each([10, 55])(
      'with a %i-minute timeout, cdk deploy waits at most that long, and only until traffic is fully shifted',
      (minutes) => {
        const template = minutes === DEPLOYMENT.timeoutMinutes ? t : canary;
        // The provider's waiter retries the is-complete step; its attempts bound the wait.
        const waiters = resources(template, 'AWS::StepFunctions::StateMachine').filter(([lid]) =>
          lid.includes('waiterstatemachine'),
        );
        expect(waiters).toHaveLength(1);
        const text = JSON.stringify(waiters[0][1].Properties.DefinitionString);
        const interval = Number(/IntervalSeconds\\":(\d+)/.exec(text)![1]);
        const attempts = Number(/MaxAttempts\\":(\d+)/.exec(text)![1]);
        expect(interval * attempts).toBeLessThanOrEqual(minutes * 60);
        // The is-complete step runs lambda/deployment-waiter, not the construct's own handler.
        const waiterKey = `${FileSystem.fingerprint(handlerBundleDir('deployment-waiter'))}.zip`;
        const completes = resources(template, 'AWS::Lambda::Function').filter(([lid]) =>
          lid.includes('DeploymentProviderIsCompleteLambda'),
        );
        expect(completes).toHaveLength(1);
        expect(completes[0][1].Properties.Code.S3Key).toBe(waiterKey);
      },
    );

    test('refuses a timeout longer than CloudFormation waits for a custom resource', () => {
      expect(() => build({ deployment: { timeoutMinutes: 56 } })).toThrow(/deployment.timeoutMinutes 56 is above 55/);
    });

    test('the deployment provider runs on a current Node.js runtime', () => {
      const runtimes = resources(t, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.Runtime);
      expect(runtimes.length).toBeGreaterThan(2);
      expect(runtimes.filter((r) => r === 'nodejs20.x' || r === 'nodejs18.x')).toEqual([]);
    });
  });

  describe('capacity provider strategy', () => {
    test('every AppSpec repeats the service’s strategy, which CodeDeploy drops otherwise (aws/containers-roadmap#1752)', () => {
      const text = JSON.stringify(only(plain, 'Custom::EcsDeployment').Properties);
      expect(text).toContain(
        '\\"CapacityProviderStrategy\\":[{\\"CapacityProvider\\":\\"FARGATE_SPOT\\",\\"Weight\\":1}]',
      );
    });

    test('a service on the FARGATE launch type gets no strategy in its AppSpec', () => {
      expect(appSpec()).not.toContain('CapacityProviderStrategy');
    });
  });

  describe('smoke test', () => {
    test('requests the given paths through the 8443 test listener as the service’s host, from the VPC', () => {
      const lb = new Capture();
      plain.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: { LOAD_BALANCER: lb, PORT: '8443', HOST: 'web.example.com', PATHS: '["/up","/api/ping"]' },
        },
        VpcConfig: Match.objectLike({
          SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^BlueGreenSmokeTestSecurityGroup'), 'GroupId'] }],
        }),
      });
      expect(lb.asObject()).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LoadBalancer/), 'DNSName'] });
    });

    test('its security group may send only HTTPS, and the test listener admits it', () => {
      const [groupId, group] = resources(t, 'AWS::EC2::SecurityGroup').find(([lid]) =>
        lid.startsWith('BlueGreenSmokeTestSecurityGroup'),
      )!;
      expect(group.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
      ]);
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 8443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] },
      });
    });

    test('each hook may report its outcome to this deployment group only', () => {
      const [, policy] = resources(t, 'AWS::IAM::Policy').find(([lid]) =>
        lid.startsWith('BlueGreenSmokeTestServiceRoleDefaultPolicy'),
      )!;
      const reports = (policy.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]).filter(
        (s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus',
      );
      expect(reports).toHaveLength(1);
      expect(JSON.stringify(reports[0].Resource)).toMatch(
        /deploymentgroup:.*BlueGreenApplication.*BlueGreenDeploymentGroup/,
      );
    });
  });
});
