import { Duration, type Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { DeploymentConfig } from '../../../config';
import type { BlueGreenService } from '../../../lib/deployment/blue-green';
import { LoadBalancer } from '../../../lib/edge/load-balancer';
import { bareStack, testVpc } from '../../helpers';

/** Deployment settings as a prod tier has them; each test overrides what it is about. */
export const DEPLOYMENT: DeploymentConfig = {
  trafficShifting: 'linear-10-1',
  terminationWaitMinutes: 60,
  deregistrationDelaySeconds: 30,
  timeoutMinutes: 55,
  migrationTimeoutMinutes: 20,
  snapshotTimeoutMinutes: 15,
  snapshotsKept: 20,
  execEnabled: false,
  snapshotRetentionDays: 30,
  alarms: { target5xxPerMinute: 5, latencyP95Ms: 1500 },
};

/** A bare stack with a VPC, a cluster and the stage's internal load balancer. */
export interface BareStage {
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly loadBalancer: LoadBalancer;
}

/** A bare stack with what a service stands on: VPC, cluster and load balancer for `hosts`. */
export function bareStage(hosts: string[] = ['web.example.com'], options: { spot?: boolean } = {}): BareStage {
  const stack = bareStack();
  const vpc = testVpc(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: options.spot });
  const loadBalancer = new LoadBalancer(stack, 'LoadBalancer', {
    vpc,
    hosts,
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.com',
    }),
    accessLogBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs'),
  });
  return { stack, vpc, cluster, loadBalancer };
}

/** A service a blue/green deployment can deploy, built with plain CDK on a {@link bareStage}. */
export interface BareWebService extends BareStage {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly web: BlueGreenService;
}

/**
 * A Fargate service `Web` on `web.example.com` with the `CODE_DEPLOY` controller, registered
 * with the blue target group of the load balancer.
 */
export function bareWebService(
  options: { capacityProviderStrategies?: ecs.CapacityProviderStrategy[] } = {},
): BareWebService {
  const stage = bareStage();
  const { stack, cluster, loadBalancer } = stage;
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { cpu: 256, memoryLimitMiB: 512 });
  taskDefinition.addContainer('App', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest'),
    portMappings: [{ containerPort: 8080 }],
  });
  const service = new ecs.FargateService(stack, 'Service', {
    cluster,
    taskDefinition,
    deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
    minHealthyPercent: 100,
    capacityProviderStrategies: options.capacityProviderStrategies,
  });
  const targets = loadBalancer.addTarget({
    name: 'Web',
    host: 'web.example.com',
    port: 8080,
    healthCheckPath: '/up',
    deregistrationDelay: Duration.seconds(30),
  });
  targets.blue.addTarget(service.loadBalancerTarget({ containerName: 'App', containerPort: 8080 }));
  return {
    ...stage,
    taskDefinition,
    web: {
      service,
      targets,
      containerName: 'App',
      containerPort: 8080,
      capacityProviderStrategies: options.capacityProviderStrategies,
    },
  };
}
