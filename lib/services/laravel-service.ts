import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  LARAVEL_HEALTH_PATH,
  laravelMajor,
  type DeploymentConfig,
  type ImageConfig,
  type ScalingConfig,
  type ServiceConfig,
} from '../../config';
import { pascal } from '../../config/names';
import type { StageData } from '../data/stage-data';
import { migrationBootstrap, withBootstrap } from '../data/rds/app-users';
import { importSecret, type AppSecretRefs } from './app-secrets';
import { laravelWiring, type LaravelStageSettings } from './laravel-environment';
import type { Wiring } from './wiring';
import { AppTask, type AppContainerOptions } from './app-task';
import { BlueGreenDeployment } from '../deployment/blue-green';
import { hookBudgetMinutes } from '../../config/deployment-budget';
import { Migrations, type MigratedDatabase } from '../deployment/migrations';
import type { LoadBalancer } from '../edge/load-balancer';
import type { SecurityGroupLookup } from '../network/service-security-groups';
import { addWebService, awaitCapacityProviders, fargateCapacity } from './web-service';

/** Where Laravel lives in the image. */
const APP_ROOT = '/var/www/html';
/** What Laravel writes at run time: writable volumes under a read-only root. */
export const LARAVEL_SCRATCH = [`${APP_ROOT}/storage`, `${APP_ROOT}/bootstrap/cache`, '/tmp'];
/** What the nginx sidecar writes at run time: writable volumes under a read-only root. */
export const NGINX_SCRATCH = ['/var/cache/nginx', '/var/run', '/tmp'];
/** Fargate kills a container at most 120 s after SIGTERM. */
const MAX_STOP_TIMEOUT = 120;

/** Properties of {@link LaravelService}. */
export interface LaravelServiceProps {
  /** The Laravel image's key in config (`api`): names its `APP_KEY` secret and the errors. */
  readonly imageName: string;
  /** The Laravel image whose services this construct runs. */
  readonly image: ImageConfig;
  /**
   * The services that run this image, by config name, in config order; `{host:…}` references
   * in their environment already expanded.
   */
  readonly services: Readonly<Record<string, ServiceConfig>>;
  /** The host name of each of those services that has one (its web service). */
  readonly hosts: Readonly<Record<string, string>>;
  /** What every Laravel container of the stage is told alike (tier, proxies, cookies, hosts). */
  readonly laravel: LaravelStageSettings;
  /** The stage's deployment settings: blue/green, migrations, snapshots, ECS Exec. */
  readonly deployment: DeploymentConfig;
  /** How the stage's services scale (and whether on Fargate Spot). */
  readonly scaling: ScalingConfig;
  /** Name prefix of the stage's pre-deploy snapshots, e.g. `predeploy-csl-prod`. */
  readonly snapshotPrefix: string;
  /** The cluster the services run in. */
  readonly cluster: ecs.ICluster;
  /** The stage's data layer: endpoints, secrets, buckets. */
  readonly data: StageData;
  /** Security groups per service, admitted to the stores they use. */
  readonly securityGroups: SecurityGroupLookup;
  /** The load balancer web services register with. */
  readonly loadBalancer: LoadBalancer;
  /** Repository of the application image. */
  readonly repository: ecr.IRepository;
  /**
   * Repository of the nginx sidecar image, when the image uses one.
   *
   * @default - none; required when the image has `nginxSidecar`
   */
  readonly nginxRepository?: ecr.IRepository;
  /** Image tag to run. */
  readonly imageTag: string;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** The VPC, for the smoke test and the migration task. */
  readonly vpc: ec2.IVpc;
  /**
   * The MySQL primary, snapshotted before migrations.
   *
   * @default - no snapshot (a system without MySQL)
   */
  readonly database?: rds.IDatabaseInstance;
  /** What happens to log groups when they leave the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * One Laravel image and everything that runs it: the web service (nginx + PHP-FPM in one task,
 * or one container when the image serves HTTP itself), the queue workers, exactly one
 * scheduler, and a task definition for one-off commands such as migrations.
 *
 * The scheduler is a one-task service running `schedule:work` rather than an EventBridge
 * schedule of `schedule:run`: it keeps the seeds' minute-by-minute cron semantics without a
 * cold start per minute, and its deployment settings (0 % minimum, 100 % maximum) mean a deploy
 * stops the old scheduler before starting the new one, so two never run at once.
 */
export class LaravelService extends Construct {
  /** Services by config name. */
  public readonly services: Record<string, ecs.FargateService> = {};
  /** Task definitions by config name. */
  public readonly tasks: Record<string, AppTask> = {};
  /** The one-off task for `php artisan migrate --force` and friends. */
  public readonly migrationTask: AppTask;
  /** Blue/green delivery of the web service. */
  public readonly blueGreen?: BlueGreenDeployment;
  /** Snapshot and migrations before each web deployment. */
  public readonly migrations?: Migrations;
  private readonly cluster: ecs.ICluster;
  private readonly execEnabled: boolean;
  private readonly spot: boolean;
  /** The application image, which every container but the sidecar runs. */
  private readonly appImage: ecs.ContainerImage;

  constructor(scope: Construct, id: string, props: LaravelServiceProps) {
    super(scope, id);
    const { image } = props;
    if (image.runtime !== 'laravel') {
      throw new Error(`LaravelService: '${props.imageName}' is a ${image.runtime} image, not a Laravel one`);
    }
    if (image.nginxSidecar && !props.nginxRepository) {
      throw new Error(`LaravelService: image '${props.imageName}' uses an nginx sidecar; pass nginxRepository`);
    }
    const members = Object.entries(props.services);
    // One-off commands run with the web service's wiring, so they see what the app sees.
    const web = members.find(([, s]) => s.kind === 'laravel-web') ?? members[0];
    if (!web) throw new Error(`LaravelService: image '${props.imageName}' has no service`);
    this.cluster = props.cluster;
    this.execEnabled = props.deployment.execEnabled;
    this.spot = props.scaling.spot;
    this.appImage = ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag);

    this.migrationTask = this.createMigrationTask(props, web[0], web[1]);
    const background: ecs.FargateService[] = [];
    for (const [name, service] of members) {
      const securityGroup = props.securityGroups.of(name);
      if (service.kind === 'laravel-web') {
        const delivery = this.addWebService(props, name, service, securityGroup);
        this.blueGreen = delivery.blueGreen;
        this.migrations = delivery.migrations;
      } else if (service.kind === 'laravel-worker') {
        background.push(this.addWorker(props, name, service, securityGroup));
      } else if (service.kind === 'laravel-scheduler') {
        background.push(this.addScheduler(props, name, service, securityGroup));
      }
    }
    // Workers and the scheduler roll (circuit breaker, rollback) after the web deployment
    // succeeds, so they never run code whose migrations have not run.
    if (this.blueGreen) for (const service of background) service.node.addDependency(this.blueGreen.deployment);
  }

  /**
   * The task definition for one-off commands, with the web service's wiring. Its first step
   * creates the app's own database users (lib/data/rds/app-users.ts). Old revisions stay
   * registered, so a rollback (or a hand-run of an older migration task) always finds the
   * definition it needs.
   */
  private createMigrationTask(props: LaravelServiceProps, webName: string, web: ServiceConfig): AppTask {
    const webWiring = this.wiring(props, webName);
    const users = migrationBootstrap(web.uses, props.data, (secret, field) =>
      ecs.Secret.fromSecretsManager(importSecret(this, secret), field),
    );
    const migrate = props.image.migrateCommand ?? ['php', 'artisan', 'migrate', '--force'];
    const task = new AppTask(this, 'MigrationTask', {
      cpu: web.cpu,
      memoryMiB: web.memoryMiB,
      app: this.appContainer(props, users.targets.length > 0 ? withBootstrap(migrate) : migrate),
      wiring: {
        ...webWiring,
        environment: { ...webWiring.environment, ...users.environment },
        secrets: { ...webWiring.secrets, ...users.secrets },
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    task.taskDefinition.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return task;
  }

  /**
   * The web service behind the load balancer, deployed blue/green with the migrations as its
   * BeforeInstall hook.
   */
  private addWebService(
    props: LaravelServiceProps,
    name: string,
    service: ServiceConfig,
    securityGroup: ec2.ISecurityGroup,
  ): { blueGreen: BlueGreenDeployment; migrations?: Migrations } {
    // The loader fills this in per Laravel major; the fallback only serves hand-built configs.
    const health = service.healthCheckPath ?? LARAVEL_HEALTH_PATH[laravelMajor(props.image)];
    const containers = this.webContainers(props, service, health);
    const task = this.createTask(props, name, containers.app, containers.sidecar);
    task.taskDefinition.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const host = this.hostOf(props, name);
    const webService = addWebService(this, pascal(name), {
      cluster: props.cluster,
      task,
      securityGroup,
      loadBalancer: props.loadBalancer,
      name,
      host,
      // The target groups check the same path as the container.
      service: { ...service, healthCheckPath: health },
      config: { deployment: props.deployment, scaling: props.scaling },
    });
    this.services[name] = webService.service;
    let migrations: Migrations | undefined;
    const blueGreen = new BlueGreenDeployment(this, `${pascal(name)}BlueGreen`, {
      web: webService,
      taskDefinition: task.taskDefinition,
      loadBalancer: props.loadBalancer,
      host,
      smokePaths: [health, ...(service.smokePaths ?? [])],
      deployment: props.deployment,
      vpc: props.vpc,
      logRetention: props.logRetention,
      beforeInstall: (deploymentGroupArn) => {
        migrations = this.createMigrations(props, service, securityGroup, deploymentGroupArn);
        return migrations.hook;
      },
    });
    return { blueGreen, migrations };
  }

  /**
   * The web task's containers: PHP-FPM behind an nginx sidecar that serves HTTP, or one
   * container when the image serves HTTP itself. Each checks its own health.
   */
  private webContainers(
    props: LaravelServiceProps,
    service: ServiceConfig,
    health: string,
  ): { app: AppContainerOptions; sidecar?: AppContainerOptions } {
    const port = service.port ?? 80;
    const { image } = props;
    if (!image.nginxSidecar) {
      return {
        app: {
          ...this.appContainer(props, service.command),
          port,
          healthCheck: `php -r 'exit(@file_get_contents("http://127.0.0.1:${port}${health}") === false ? 1 : 0);'`,
        },
      };
    }
    return {
      app: {
        ...this.appContainer(props, service.command),
        // PHP-FPM answers FastCGI on 9000; the check proves the pool accepts connections.
        healthCheck: `php -r 'exit(@fsockopen("127.0.0.1", 9000) ? 0 : 1);'`,
      },
      sidecar: {
        image: ecs.ContainerImage.fromEcrRepository(props.nginxRepository!, props.imageTag),
        port,
        readonlyRootFilesystem: image.readonlyRootFilesystem,
        scratchPaths: image.readonlyRootFilesystem ? NGINX_SCRATCH : [],
        // curl, not wget: the official nginx images install curl (Debian:
        // `apt-get install ... gettext-base curl`; Alpine: `apk add curl`) and the Debian
        // one has no wget (nginxinc/docker-nginx, mainline/debian/Dockerfile).
        healthCheck: `curl -fsS -o /dev/null http://127.0.0.1:${port}${health} || exit 1`,
      },
    };
  }

  /** Snapshot and migrations before each deployment of the web service, reporting to its group. */
  private createMigrations(
    props: LaravelServiceProps,
    service: ServiceConfig,
    securityGroup: ec2.ISecurityGroup,
    deploymentGroupArn: string,
  ): Migrations {
    const { deployment } = props;
    return new Migrations(this, 'Migrations', {
      cluster: props.cluster,
      task: this.migrationTask,
      securityGroup,
      vpc: props.vpc,
      databases: migratedDatabases(props.image.migrates ?? service.uses, {
        mysql: props.database,
        postgres: props.data.postgres?.primary,
      }),
      snapshotPrefix: props.snapshotPrefix,
      snapshotRetentionDays: deployment.snapshotRetentionDays,
      snapshotsKept: deployment.snapshotsKept,
      timeout: Duration.minutes(deployment.migrationTimeoutMinutes),
      budget: Duration.minutes(hookBudgetMinutes(deployment)),
      deploymentGroupArn,
      logRetention: props.logRetention,
    });
  }

  /**
   * A queue worker, scaled on queue depth where it reads RabbitMQ, else on CPU. It finishes the
   * job in hand after SIGTERM: its stop timeout covers the job timeout.
   */
  private addWorker(
    props: LaravelServiceProps,
    name: string,
    service: ServiceConfig,
    securityGroup: ec2.ISecurityGroup,
  ): ecs.FargateService {
    const timeout = service.jobTimeoutSeconds ?? 90;
    const command = [...(service.command ?? []), `--timeout=${timeout}`];
    const stopTimeout = Duration.seconds(Math.min(timeout + 10, MAX_STOP_TIMEOUT));
    const task = this.createTask(props, name, this.appContainer(props, command, stopTimeout));
    const fargate = this.backgroundService(name, task, securityGroup, { min: 100, max: 200 });
    const scaling = fargate.autoScaleTaskCount({ minCapacity: service.minTasks, maxCapacity: service.maxTasks });
    if (service.uses.includes('rabbitmq') && props.data.rabbitmq) {
      scaleOnQueueDepth(scaling, props.data.rabbitmq.broker.brokerName, props.scaling.messagesPerWorker);
    } else {
      scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: props.scaling.cpuTargetPercent });
    }
    return fargate;
  }

  /** Exactly one scheduler: one task, which a deploy stops before it starts the new one. */
  private addScheduler(
    props: LaravelServiceProps,
    name: string,
    service: ServiceConfig,
    securityGroup: ec2.ISecurityGroup,
  ): ecs.FargateService {
    const task = this.createTask(props, name, this.appContainer(props, service.command));
    const fargate = this.backgroundService(name, task, securityGroup, { min: 0, max: 100 });
    (fargate.node.defaultChild as ecs.CfnService).desiredCount = 1;
    return fargate;
  }

  /** The task definition of one service, with its wiring, sized as config says. */
  private createTask(
    props: LaravelServiceProps,
    name: string,
    app: AppContainerOptions,
    sidecar?: AppContainerOptions,
  ): AppTask {
    const service = props.services[name];
    const task = new AppTask(this, `${pascal(name)}Task`, {
      cpu: service.cpu,
      memoryMiB: service.memoryMiB,
      app,
      sidecar,
      wiring: this.wiring(props, name),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.tasks[name] = task;
    return task;
  }

  /** The application container running `command`, non-root and read-only as the image allows. */
  private appContainer(props: LaravelServiceProps, command?: string[], stopTimeout?: Duration): AppContainerOptions {
    const { image } = props;
    return {
      image: this.appImage,
      command,
      user: image.user,
      readonlyRootFilesystem: image.readonlyRootFilesystem,
      scratchPaths: image.readonlyRootFilesystem ? LARAVEL_SCRATCH : [],
      stopTimeout,
    };
  }

  /**
   * The wiring of one service's container: every service of the image gets the secrets any of
   * them declares, and the web service's URL as `APP_URL`.
   */
  private wiring(props: LaravelServiceProps, name: string): Wiring {
    const services = Object.entries(props.services);
    const web = services.find(([, s]) => s.kind === 'laravel-web');
    return laravelWiring(this, {
      serviceName: name,
      service: props.services[name],
      imageName: props.imageName,
      laravelVersion: laravelMajor(props.image),
      appSecrets: services.reduce<AppSecretRefs>((all, [, s]) => ({ ...all, ...s.secrets }), {}),
      appUrl: web && `https://${this.hostOf(props, web[0])}`,
      stage: props.laravel,
      data: props.data,
    });
  }

  /** The host name of a service of the image, which must have one. */
  private hostOf(props: LaravelServiceProps, name: string): string {
    const host = props.hosts[name];
    if (host === undefined) throw new Error(`LaravelService: service '${name}' of '${props.imageName}' has no host`);
    return host;
  }

  private backgroundService(
    name: string,
    task: AppTask,
    securityGroup: ec2.ISecurityGroup,
    healthy: { min: number; max: number },
  ): ecs.FargateService {
    const service = new ecs.FargateService(this, pascal(name), {
      cluster: this.cluster,
      taskDefinition: task.taskDefinition,
      securityGroups: [securityGroup],
      assignPublicIp: false,
      minHealthyPercent: healthy.min,
      maxHealthyPercent: healthy.max,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: this.execEnabled,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      capacityProviderStrategies: fargateCapacity(this.spot),
    });
    if (this.spot) awaitCapacityProviders(service, this.cluster);
    if (this.execEnabled) task.enableExec();
    this.services[name] = service;
    return service;
  }
}

/** Queue depth is what a worker pool is for; CPU says little about a waiting worker. */
function scaleOnQueueDepth(scaling: ecs.ScalableTaskCount, brokerName: string, messagesPerWorker: number): void {
  const depth = new cloudwatch.Metric({
    namespace: 'AWS/AmazonMQ',
    metricName: 'MessageCount',
    dimensionsMap: { Broker: brokerName },
    statistic: 'Maximum',
    period: Duration.minutes(1),
  });
  scaling.scaleOnMetric('QueueDepth', {
    metric: new cloudwatch.MathExpression({
      expression: `depth / ${messagesPerWorker}`,
      usingMetrics: { depth },
      period: Duration.minutes(1),
      label: 'Workers needed',
    }),
    scalingSteps: [
      { upper: 0, change: -1 },
      { lower: 1, change: +1 },
      { lower: 3, change: +3 },
    ],
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    cooldown: Duration.minutes(2),
  });
}

/**
 * The databases an image's migrations touch, in snapshot order (MySQL first, so its snapshots
 * keep their names): the image's `migrates`, else the stores its web service `uses`.
 */
function migratedDatabases(
  stores: readonly string[],
  instances: Record<'mysql' | 'postgres', rds.IDatabaseInstance | undefined>,
): MigratedDatabase[] {
  return (['mysql', 'postgres'] as const).flatMap((key) => {
    const instance = instances[key];
    return stores.includes(key) && instance ? [{ key, instance }] : [];
  });
}
