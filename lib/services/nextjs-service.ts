import { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';
import { nextjsWiring } from './wiring';
import { AppTask } from './app-task';
import { BlueGreenDeployment } from '../deployment/blue-green';
import type { LoadBalancer } from '../edge/load-balancer';
import type { SecurityGroupLookup } from '../network/service-security-groups';
import { addWebService } from './web-service';
import { serviceHost } from '../../config/names';

/** What the Next.js server writes at run time (writable under a read-only root). */
export const NEXTJS_SCRATCH = ['/app/.next/cache', '/tmp'];

/** Properties of {@link NextjsService}. */
export interface NextjsServiceProps {
  /** The stage's validated configuration. */
  readonly config: ResolvedConfig;
  /** The service (config key) this construct runs. */
  readonly service: string;
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
    const { config } = props;
    const service = config.services[props.service];
    if (!service || service.kind !== 'nextjs') {
      throw new Error(`NextjsService: '${props.service}' is not a Next.js service of ${config.system}`);
    }
    const image = config.images[service.image];
    const port = service.port ?? 3000;
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
      wiring: nextjsWiring(config, props.service, this),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.task.taskDefinition.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const host = serviceHost(config, props.service);
    const web = addWebService(this, 'Service', {
      cluster: props.cluster,
      task: this.task,
      securityGroup: props.securityGroups.of(props.service),
      loadBalancer: props.loadBalancer,
      name: props.service,
      host,
      service,
      config,
    });
    this.service = web.service;
    this.blueGreen = new BlueGreenDeployment(this, 'BlueGreen', {
      web,
      taskDefinition: this.task.taskDefinition,
      loadBalancer: props.loadBalancer,
      host,
      smokePaths: [health, ...(service.smokePaths ?? [])],
      deployment: config.deployment,
      vpc: props.vpc,
      logRetention: props.logRetention,
    });
  }
}
