import { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeploymentConfig, ImageConfig, ScalingConfig, ServiceConfig } from '../../config';
import { NEXTJS_PORT, nextjsWiring } from './nextjs-environment';
import { AppTask } from './app-task';
import { BlueGreenDeployment } from '../deployment/blue-green';
import type { LoadBalancer } from '../edge/load-balancer';
import type { SecurityGroupLookup } from '../network/service-security-groups';
import { addWebService } from './web-service';

/** What the Next.js server writes at run time (writable under a read-only root). */
export const NEXTJS_SCRATCH = ['/app/.next/cache', '/tmp'];

/** Properties of {@link NextjsService}. */
export interface NextjsServiceProps {
  /** The service's name in config (`certification`): names its target groups and security group. */
  readonly name: string;
  /** The service, a `nextjs` one; `{host:…}` references in its environment already expanded. */
  readonly service: ServiceConfig;
  /** The image it runs: its user and whether its root file system is read-only. */
  readonly image: ImageConfig;
  /** The service's host name. */
  readonly host: string;
  /**
   * The host name of the stage's Laravel API, which the server calls (`API_BASE_URL`).
   *
   * @default - no `API_BASE_URL`
   */
  readonly apiHost?: string;
  /** The stage's deployment settings: blue/green, ECS Exec, deregistration delay. */
  readonly deployment: DeploymentConfig;
  /** How the stage's services scale. */
  readonly scaling: ScalingConfig;
  /** The cluster it runs in. */
  readonly cluster: ecs.ICluster;
  /** Security groups per service. */
  readonly securityGroups: SecurityGroupLookup;
  /** The load balancer it registers with. */
  readonly loadBalancer: LoadBalancer;
  /** Repository of its image. */
  readonly repository: ecr.IRepository;
  /** Image tag to run. */
  readonly imageTag: string;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** The VPC, for the smoke test. */
  readonly vpc: ec2.IVpc;
  /** What happens to the log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * A Next.js front end: the Next.js server on its port (3000), behind the load balancer on its
 * host, scaling between the tier's bounds. Read-only root file system with `.next/cache` and
 * `/tmp` writable.
 */
export class NextjsService extends Construct {
  /** The Fargate service. */
  public readonly service: ecs.FargateService;
  /** Its task definition. */
  public readonly task: AppTask;
  /** Blue/green delivery. */
  public readonly blueGreen: BlueGreenDeployment;

  constructor(scope: Construct, id: string, props: NextjsServiceProps) {
    super(scope, id);
    const { service, image, host } = props;
    if (service.kind !== 'nextjs') {
      throw new Error(`NextjsService: '${props.name}' is a ${service.kind} service, not a Next.js one`);
    }
    const port = service.port ?? NEXTJS_PORT;
    const health = service.healthCheckPath ?? '/';
    this.task = new AppTask(this, 'Task', {
      cpu: service.cpu,
      memoryMiB: service.memoryMiB,
      app: {
        image: ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag),
        command: service.command,
        port,
        user: image.user,
        readonlyRootFilesystem: image.readonlyRootFilesystem,
        scratchPaths: image.readonlyRootFilesystem ? NEXTJS_SCRATCH : [],
        healthCheck: `node -e "require('http').get('http://127.0.0.1:${port}${health}',r=>process.exit(r.statusCode<500?0:1)).on('error',()=>process.exit(1))"`,
      },
      wiring: nextjsWiring(this, { service, host, apiHost: props.apiHost }),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.task.taskDefinition.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const web = addWebService(this, 'Service', {
      cluster: props.cluster,
      task: this.task,
      securityGroup: props.securityGroups.of(props.name),
      loadBalancer: props.loadBalancer,
      name: props.name,
      host,
      // The load balancer sends traffic to the port the server listens on.
      service: { ...service, port },
      config: { deployment: props.deployment, scaling: props.scaling },
    });
    this.service = web.service;
    this.blueGreen = new BlueGreenDeployment(this, 'BlueGreen', {
      web,
      taskDefinition: this.task.taskDefinition,
      loadBalancer: props.loadBalancer,
      host,
      smokePaths: [health, ...(service.smokePaths ?? [])],
      deployment: props.deployment,
      vpc: props.vpc,
      logRetention: props.logRetention,
    });
  }
}
