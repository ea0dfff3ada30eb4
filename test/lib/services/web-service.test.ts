import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { ScalingConfig, ServiceConfig } from '../../../config';
import { AppTask } from '../../../lib/services/app-task';
import { addWebService, fargateCapacity, type WebService } from '../../../lib/services/web-service';
import { bareStage, DEPLOYMENT } from '../deployment/bare-web-service';

const SCALING: ScalingConfig = { cpuTargetPercent: 60, requestsPerTarget: 500, messagesPerWorker: 100, spot: false };
const SERVICE: ServiceConfig = {
  kind: 'nextjs',
  image: 'shop',
  port: 3000,
  environment: {},
  uses: [],
  cpu: 512,
  memoryMiB: 1024,
  minTasks: 2,
  maxTasks: 6,
};

/** `addWebService(stack, 'Shop', ...)` for shop.example.com on a bare stage, and its task. */
function build(options: { spot?: boolean; exec?: boolean; service?: Partial<ServiceConfig> } = {}) {
  const stage = bareStage(['shop.example.com'], { spot: options.spot });
  const { stack, vpc, cluster, loadBalancer } = stage;
  const task = new AppTask(stack, 'ShopTask', {
    cpu: 512,
    memoryMiB: 1024,
    app: {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      port: { ...SERVICE, ...options.service }.port ?? 80,
      readonlyRootFilesystem: true,
      scratchPaths: ['/tmp'],
    },
    wiring: { environment: {}, secrets: {}, grant: () => undefined, grantExecution: () => undefined },
    logRetention: 30,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  });
  const web: WebService = addWebService(stack, 'Shop', {
    cluster,
    task,
    securityGroup: new ec2.SecurityGroup(stack, 'ShopSecurityGroup', { vpc }),
    loadBalancer,
    name: 'shop',
    host: 'shop.example.com',
    service: { ...SERVICE, ...options.service },
    config: {
      deployment: { ...DEPLOYMENT, execEnabled: options.exec ?? false },
      scaling: { ...SCALING, spot: options.spot ?? false },
    },
  });
  return { ...stage, web, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
const only = (t: Template, type: string): [string, Resource] => {
  const found = Object.entries(t.findResources(type)) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0];
};

describe('addWebService', () => {
  // On demand without Exec, and on Spot with Exec and config's defaults for port and health path.
  let onDemand: ReturnType<typeof build>;
  let spot: ReturnType<typeof build>;
  beforeAll(() => {
    onDemand = build({ service: { healthCheckPath: '/healthz' } });
    spot = build({ spot: true, exec: true, service: { port: undefined, healthCheckPath: undefined } });
  });

  test('a private Fargate service deployed by CodeDeploy, keeping full capacity when ECS replaces a task', () => {
    const [, service] = only(onDemand.template, 'AWS::ECS::Service');
    expect(service.Properties).toEqual(
      expect.objectContaining({
        DeploymentController: { Type: 'CODE_DEPLOY' },
        DeploymentConfiguration: expect.objectContaining({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
        HealthCheckGracePeriodSeconds: 60,
        PropagateTags: 'SERVICE',
        EnableExecuteCommand: false,
        LaunchType: 'FARGATE',
      }),
    );
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(service.Properties.CapacityProviderStrategy).toBeUndefined();
  });

  test('registers the web container with the blue target group of its host, health-checked and drained as configured', () => {
    const [, service] = only(onDemand.template, 'AWS::ECS::Service');
    expect(service.Properties.LoadBalancers).toEqual([
      {
        ContainerName: 'App',
        ContainerPort: 3000,
        TargetGroupArn: { Ref: expect.stringMatching(/^LoadBalancerShopBlue/) },
      },
    ]);
    onDemand.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 3000,
      HealthCheckPath: '/healthz',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: String(DEPLOYMENT.deregistrationDelaySeconds) },
      ]),
    });
    expect(onDemand.web).toEqual(expect.objectContaining({ containerName: 'App', containerPort: 3000 }));
  });

  test('without a port or health path in config: port 80, health path /', () => {
    spot.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 80, HealthCheckPath: '/' });
    expect(spot.web.containerPort).toBe(80);
  });

  test('scales between the service’s bounds on CPU and on requests per task over both target groups', () => {
    const t = onDemand.template;
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 6 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: SCALING.cpuTargetPercent,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
      (a.Properties.Metrics ?? []).some((m: { Expression?: string }) =>
        m.Expression?.includes('(FILL(blue, 0) + FILL(green, 0)) / MAX([FILL(tasks, 1), 1])'),
      ),
    );
    // Out above the requests per target, in below half of it.
    expect(alarms.map((a) => a.Properties.Threshold).sort((a, b) => a - b)).toEqual([250, 500]);
    const metrics = JSON.stringify(alarms[0].Properties.Metrics);
    expect(metrics).toMatch(/LoadBalancerShopBlue.*LoadBalancerShopGreen/);
    expect(metrics).toContain('RunningTaskCount');
  });

  test('on Spot: the strategy, waiting for the cluster’s capacity providers, and the same strategy for CodeDeploy', () => {
    const [, service] = only(spot.template, 'AWS::ECS::Service');
    const [association] = only(spot.template, 'AWS::ECS::ClusterCapacityProviderAssociations');
    expect(service.Properties.LaunchType).toBeUndefined();
    expect(service.Properties.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(service.DependsOn).toEqual(expect.arrayContaining([association]));
    expect(spot.web.capacityProviderStrategies).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(onDemand.web.capacityProviderStrategies).toBeUndefined();
  });

  test('with Exec on: the service allows it and the task gets writable SSM agent paths', () => {
    const [, service] = only(spot.template, 'AWS::ECS::Service');
    expect(service.Properties.EnableExecuteCommand).toBe(true);
    const [, task] = only(spot.template, 'AWS::ECS::TaskDefinition');
    const paths = task.Properties.ContainerDefinitions[0].MountPoints.map(
      (m: { ContainerPath: string }) => m.ContainerPath,
    );
    expect(paths).toEqual(expect.arrayContaining(['/var/lib/amazon/ssm', '/var/log/amazon/ssm']));
    const [, plain] = only(onDemand.template, 'AWS::ECS::TaskDefinition');
    expect(JSON.stringify(plain.Properties.ContainerDefinitions)).not.toContain('/var/lib/amazon/ssm');
  });
});

describe('fargateCapacity', () => {
  test('every task on Fargate Spot, or the FARGATE launch type', () => {
    expect(fargateCapacity(true)).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(fargateCapacity(false)).toBeUndefined();
  });
});
