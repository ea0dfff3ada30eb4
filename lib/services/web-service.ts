import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { DeploymentConfig, ScalingConfig, ServiceConfig } from '../../config';
import { pascal } from '../../config/names';
import type { AppTask } from './app-task';
import type { LoadBalancer } from '../edge/load-balancer';
import type { BlueGreenService } from '../deployment/blue-green';

/** What {@link addWebService} needs. */
export interface WebServiceOptions {
  /** The cluster the service runs in. */
  readonly cluster: ecs.ICluster;
  /** Its task: the web container (the sidecar when there is one) takes the traffic. */
  readonly task: AppTask;
  /** The security group its tasks run with. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The load balancer whose target groups it registers with. */
  readonly loadBalancer: LoadBalancer;
  /** The service's name in config: names its target groups. */
  readonly name: string;
  /** The host name the load balancer routes to it. */
  readonly host: string;
  /** The service: port (default 80), health path (default `/`) and task bounds. */
  readonly service: ServiceConfig;
  /** The stage's deployment (Exec, deregistration delay) and scaling settings. */
  readonly config: { readonly deployment: DeploymentConfig; readonly scaling: ScalingConfig };
}

/**
 * A web service and the target groups CodeDeploy moves its traffic between: what a
 * {@link BlueGreenDeployment} deploys.
 */
export interface WebService extends BlueGreenService {
  /** The Fargate service. */
  readonly service: ecs.FargateService;
}

/**
 * Where a stage's services run: every task on Fargate Spot (config `scaling.spot`) through the
 * cluster's capacity providers, else (undefined) the `FARGATE` launch type.
 */
export function fargateCapacity(spot: boolean): ecs.CapacityProviderStrategy[] | undefined {
  return spot ? SPOT : undefined;
}

/**
 * Makes a service with a capacity provider strategy wait for the cluster's capacity provider
 * association: without it ECS refuses the strategy ("The specified capacity provider strategy
 * cannot contain a capacity provider that is not associated with the cluster").
 */
export function awaitCapacityProviders(service: ecs.FargateService, cluster: ecs.ICluster): void {
  service.node.addDependency(cluster);
}

/** Every task on Fargate Spot. */
const SPOT: ecs.CapacityProviderStrategy[] = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];

/**
 * A Fargate service that takes traffic for one host, deployed blue/green by CodeDeploy (the
 * `CODE_DEPLOY` controller; see {@link BlueGreenDeployment}), registered with its blue target
 * group, scaling between the tier's bounds on CPU and on requests per task, counted over both
 * target groups since either may be the live one.
 */
export function addWebService(scope: Construct, id: string, o: WebServiceOptions): WebService {
  const port = o.service.port ?? 80;
  const capacityProviderStrategies = fargateCapacity(o.config.scaling.spot);
  const service = new ecs.FargateService(scope, id, {
    cluster: o.cluster,
    taskDefinition: o.task.taskDefinition,
    securityGroups: [o.securityGroup],
    assignPublicIp: false,
    deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
    capacityProviderStrategies,
    // Keep full capacity when ECS replaces an unhealthy task between deployments.
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    healthCheckGracePeriod: Duration.seconds(60),
    // Break-glass shell access: a per-tier switch, off in prod unless turned on.
    enableExecuteCommand: o.config.deployment.execEnabled,
    propagateTags: ecs.PropagatedTagSource.SERVICE,
  });
  if (capacityProviderStrategies) awaitCapacityProviders(service, o.cluster);
  if (o.config.deployment.execEnabled) o.task.enableExec();
  const targets = o.loadBalancer.addTarget({
    name: pascal(o.name),
    host: o.host,
    port,
    healthCheckPath: o.service.healthCheckPath ?? '/',
    deregistrationDelay: Duration.seconds(o.config.deployment.deregistrationDelaySeconds),
  });
  const containerName = o.task.web.containerName;
  targets.blue.addTarget(service.loadBalancerTarget({ containerName, containerPort: port }));

  const scaling = service.autoScaleTaskCount({ minCapacity: o.service.minTasks, maxCapacity: o.service.maxTasks });
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: o.config.scaling.cpuTargetPercent });
  const perTarget = o.config.scaling.requestsPerTarget;
  const tasks = new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName: 'RunningTaskCount',
    dimensionsMap: { ClusterName: o.cluster.clusterName, ServiceName: service.serviceName },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
  scaling.scaleOnMetric('Requests', {
    metric: new cloudwatch.MathExpression({
      expression: '(FILL(blue, 0) + FILL(green, 0)) / MAX([FILL(tasks, 1), 1])',
      usingMetrics: { blue: requestsPerMinute(targets.blue), green: requestsPerMinute(targets.green), tasks },
      period: Duration.minutes(1),
      label: 'Requests per task per minute',
    }),
    scalingSteps: [
      { upper: perTarget / 2, change: -1 },
      { lower: perTarget, change: +1 },
      { lower: perTarget * 2, change: +3 },
    ],
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    cooldown: Duration.minutes(2),
  });
  return { service, targets, containerName, containerPort: port, capacityProviderStrategies };
}

/** The requests a target group received per minute. */
function requestsPerMinute(group: elbv2.IApplicationTargetGroup): cloudwatch.IMetric {
  return group.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' });
}
