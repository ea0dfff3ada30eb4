import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { ResolvedConfig, ServiceConfig } from '../../config';
import { pascal } from '../names';
import type { AppTask } from './app-task';
import type { LoadBalancer } from './load-balancer';

/** What {@link addWebService} needs. */
export interface WebServiceOptions {
  readonly cluster: ecs.ICluster;
  readonly task: AppTask;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly loadBalancer: LoadBalancer;
  readonly name: string;
  readonly host: string;
  readonly service: ServiceConfig;
  readonly config: Pick<ResolvedConfig, 'deployment' | 'scaling'>;
}

/**
 * A Fargate service that takes traffic for one host: rolling deploys with the circuit breaker,
 * registered with its own target group behind the load balancer, scaling between the tier's
 * bounds on CPU and on requests per task.
 */
export function addWebService(scope: Construct, id: string, o: WebServiceOptions): ecs.FargateService {
  const port = o.service.port ?? 80;
  const service = new ecs.FargateService(scope, id, {
    cluster: o.cluster,
    taskDefinition: o.task.taskDefinition,
    securityGroups: [o.securityGroup],
    assignPublicIp: false,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { enable: true, rollback: true },
    healthCheckGracePeriod: Duration.seconds(60),
    enableExecuteCommand: true,
    propagateTags: ecs.PropagatedTagSource.SERVICE,
  });
  const targetGroup = o.loadBalancer.addTarget({
    name: pascal(o.name),
    host: o.host,
    port,
    healthCheckPath: o.service.healthCheckPath ?? '/',
    deregistrationDelay: Duration.seconds(o.config.deployment.deregistrationDelaySeconds),
  });
  targetGroup.addTarget(service.loadBalancerTarget({ containerName: o.task.web.containerName, containerPort: port }));

  const scaling = service.autoScaleTaskCount({ minCapacity: o.service.minTasks, maxCapacity: o.service.maxTasks });
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: o.config.scaling.cpuTargetPercent });
  scaling.scaleOnRequestCount('Requests', {
    requestsPerTarget: o.config.scaling.requestsPerTarget,
    targetGroup,
  });
  return service;
}
