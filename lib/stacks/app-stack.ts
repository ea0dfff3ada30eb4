import { CfnParameter, CfnRule, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CredentialRefresh, type RefreshedService } from '../deployment/credential-refresh';
import { LaravelService } from '../services/laravel-service';
import { acknowledge, acknowledgeAwsCustomResourceProvider, nagResource } from '../shared/nag';
import { LoadBalancer } from '../edge/load-balancer';
import { Monitoring, type MonitoredDatabase, type MonitoredService } from '../observability/monitoring';
import { StageBudget } from '../observability/stage-budget';
import { NextjsService, type NextjsServiceProps } from '../services/nextjs-service';
import type { ServiceSecurityGroups } from '../network/service-security-groups';
import type { ResolvedConfig, ServiceConfig } from '../../config';
import { buildableImages, expandHosts, pascal, serviceHost, stageHosts } from '../../config/names';
import type { LaravelStageSettings } from '../services/laravel-environment';
import { removalPolicyFor } from '../shared/removal';
import { type DataStack } from './data-stack';
import { StageStack, type StageStackProps } from './stage-stack';
import { allowCloudWatchLogs } from '../observability/logs-key';
import { ImageRepositories } from '../pipeline/image-repositories';

/** The tag of an image nobody chose: synthesizes, never deploys (see `refuseDeployWithoutTag`). */
export const NO_IMAGE_TAG = 'no-image-tag-given';

/** Properties of {@link AppStack}. */
export interface AppStackProps extends StageStackProps {
  /** The stage's VPC. */
  readonly vpc: ec2.IVpc;
  /** The services' security groups. */
  readonly serviceSecurityGroups: ServiceSecurityGroups;
  /** The stage's data layer. */
  readonly data: DataStack;
}

/**
 * The stateless part of one stage: the cluster, every service, the load balancer. Safe to
 * destroy and recreate; everything it needs to keep lives in the data stack.
 */
export class AppStack extends StageStack {
  /** The stage's ECS cluster. */
  public readonly cluster: ecs.Cluster;
  /** The internal application load balancer. */
  public readonly loadBalancer: LoadBalancer;
  /** Laravel images and their services, by image key. */
  public readonly laravel: Record<string, LaravelService> = {};
  /** Next.js services, by service key. */
  public readonly nextjs: Record<string, NextjsService> = {};
  /** Alarms, alert topic and dashboard of the stage. */
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    this.addStackDependency(Stack.of(props.vpc));
    this.addStackDependency(props.data);
    const { config } = props;
    const untagged = Object.keys(config.images).some((image) => imageTagOf(config, image) === NO_IMAGE_TAG);
    if (untagged) this.refuseDeployWithoutTag();
    this.cluster = this.createCluster(props);
    this.loadBalancer = this.createLoadBalancer(props);
    const shared = this.sharedServiceProps(props);
    this.addLaravelServices(props, shared);
    this.addNextjsServices(props, shared);
    this.monitoring = this.createMonitoring(props);
    if (config.budgetUsd !== undefined) {
      new StageBudget(this, 'Budget', { monthlyUsd: config.budgetUsd, topic: this.monitoring.topic });
    }
    this.addCredentialRefresh(props.data, logRetentionOf(config));
    if (!untagged) this.requirePushedImages(config);
  }

  /** The stage's cluster: Container Insights, Spot capacity where the tier runs on Spot, Exec logging where on. */
  private createCluster(props: AppStackProps): ecs.Cluster {
    const { config } = props;
    return new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      // FARGATE and FARGATE_SPOT, for stages whose services run on Spot (scaling.spot).
      enableFargateCapacityProviders: config.scaling.spot,
      executeCommandConfiguration: config.deployment.execEnabled
        ? this.execSessionLogging(logRetentionOf(config), removalPolicyFor(config))
        : undefined,
    });
  }

  /** The internal load balancer with a certificate for every host of the stage. */
  private createLoadBalancer(props: AppStackProps): LoadBalancer {
    const { config } = props;
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.hostedZoneId,
      zoneName: config.domainName,
    });
    return new LoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      hosts: stageHosts(config),
      hostedZone,
      accessLogBucket: props.data.buckets.logs,
      deletionProtection: config.removal.deletionProtection,
    });
  }

  /** What every service construct of the stage is given alike. */
  private sharedServiceProps(props: AppStackProps): SharedServiceProps {
    return {
      cluster: this.cluster,
      securityGroups: props.serviceSecurityGroups.importedInto(this),
      loadBalancer: this.loadBalancer,
      logRetention: logRetentionOf(props.config),
      logRemovalPolicy: removalPolicyFor(props.config),
      vpc: props.vpc,
    };
  }

  /** One {@link LaravelService} per Laravel image, with the services that run it. */
  private addLaravelServices(props: AppStackProps, shared: SharedServiceProps): void {
    const { config, data } = props;
    const expanded = expandedServices(config);
    const hosts = serviceHosts(config);
    for (const [name, image] of Object.entries(config.images)) {
      if (image.runtime !== 'laravel') continue;
      this.laravel[name] = new LaravelService(this, pascal(name), {
        imageName: name,
        image,
        services: Object.fromEntries(Object.entries(expanded).filter(([, s]) => s.image === name)),
        hosts,
        laravel: laravelStageSettings(config),
        deployment: config.deployment,
        scaling: config.scaling,
        snapshotPrefix: `predeploy-${config.system}-${config.stage}`,
        data,
        repository: this.registryRepository(config, name),
        nginxRepository: image.nginxSidecar ? this.registryRepository(config, `${name}-nginx`) : undefined,
        imageTag: imageTagOf(config, name),
        database: data.mysql?.primary,
        ...shared,
      });
    }
  }

  /** One {@link NextjsService} per Next.js service. */
  private addNextjsServices(props: AppStackProps, shared: SharedServiceProps): void {
    const { config } = props;
    const expanded = expandedServices(config);
    const hosts = serviceHosts(config);
    for (const [name, service] of Object.entries(config.services)) {
      if (service.kind !== 'nextjs') continue;
      this.nextjs[name] = new NextjsService(this, pascal(name), {
        name,
        service: expanded[name],
        image: config.images[service.image],
        host: hosts[name],
        apiHost: laravelApiHost(config),
        deployment: config.deployment,
        scaling: config.scaling,
        repository: this.registryRepository(config, service.image),
        imageTag: imageTagOf(config, service.image),
        ...shared,
      });
    }
  }

  /** Alarms, alert topic and dashboard over the stage's services and data stores. */
  private createMonitoring(props: AppStackProps): Monitoring {
    const { config, data } = props;
    return new Monitoring(this, 'Monitoring', {
      stageName: `${config.system} ${config.stage}`,
      metricNamespace: `${pascal(config.system)}/${pascal(config.stage)}`,
      thresholds: config.monitoring,
      alertEmails: config.alertEmails,
      cluster: this.cluster,
      services: this.monitoredServices(),
      databases: monitoredDatabases(props),
      redis: data.redis,
      rabbitmq: data.rabbitmq,
      schedulerLogs: this.schedulerLogs(),
      backups: data.backups && { copies: config.backup.crossRegionCopy !== undefined },
    });
  }

  /** Every service of the stage, with the target groups and rollback alarms of the web ones. */
  private monitoredServices(): MonitoredService[] {
    const services: MonitoredService[] = [];
    for (const laravel of Object.values(this.laravel)) {
      for (const [name, service] of Object.entries(laravel.services)) {
        const web = laravel.blueGreen?.web.service === service ? laravel.blueGreen : undefined;
        services.push({ name, service, targets: web?.web.targets, alarms: web?.alarms });
      }
    }
    for (const [name, next] of Object.entries(this.nextjs)) {
      services.push({
        name,
        service: next.service,
        targets: next.blueGreen.web.targets,
        alarms: next.blueGreen.alarms,
      });
    }
    return services;
  }

  /** The log group of the stage's scheduler (the last one, should there be several). */
  private schedulerLogs(): logs.ILogGroup | undefined {
    let schedulerLogs: logs.ILogGroup | undefined;
    for (const laravel of Object.values(this.laravel)) {
      for (const name of Object.keys(laravel.services)) {
        if (this.config.services[name].kind === 'laravel-scheduler') schedulerLogs = laravel.tasks[name].logGroup;
      }
    }
    return schedulerLogs;
  }

  /**
   * Before any task definition changes, asks the registry whether each image tag this deploy
   * names exists (`ecr:DescribeImages`, ImageNotFoundException otherwise): a mistyped
   * `-c imageTag=` fails the stack update at once and rolls it back, instead of rolling services
   * to an image no one pushed and waiting on tasks that never start.
   */
  private requirePushedImages(config: AppStackProps['config']): void {
    const checks: Construct[] = [];
    for (const image of buildableImages(config)) {
      const key = image.endsWith('-nginx') ? image.slice(0, -'-nginx'.length) : image;
      const repository = this.registryRepository(config, image);
      const tag = imageTagOf(config, key);
      const call: cr.AwsSdkCall = {
        service: 'ECR',
        action: 'describeImages',
        region: config.toolingRegion,
        parameters: {
          registryId: config.toolingAccount,
          repositoryName: repository.repositoryName,
          imageIds: [{ imageTag: tag }],
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${repository.repositoryName}:${tag}`),
      };
      checks.push(
        new cr.AwsCustomResource(this, `ImagePushed${pascal(image)}`, {
          onCreate: call,
          onUpdate: call,
          policy: cr.AwsCustomResourcePolicy.fromStatements([
            new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: [repository.repositoryArn] }),
          ]),
          installLatestAwsSdk: false,
        }),
      );
    }
    for (const child of this.node.findAll()) {
      if (child instanceof ecs.TaskDefinition) for (const check of checks) child.node.addDependency(check);
    }
    acknowledgeAwsCustomResourceProvider(this);
  }

  /**
   * An image repository of the system's registry (tooling account, pipeline region, stack
   * `<System>-Registry`); the task execution roles get pull rights on it, and its policy admits
   * this account.
   */
  private registryRepository(config: AppStackProps['config'], image: string): ecr.IRepository {
    if (!config.toolingAccount || !config.toolingRegion) {
      throw new Error(`${config.system}.pipeline: account and region are required; the image registry lives there`);
    }
    return ImageRepositories.fromRegistry(this, image, {
      account: config.toolingAccount,
      region: config.toolingRegion,
      namePrefix: config.system,
    });
  }

  /**
   * Without `-c imageTag=<pushed tag>` the stage still synthesizes (tests, `npm run synth`), but
   * CloudFormation refuses the change set: a rule over a parameter fails before any resource
   * changes (CloudFormation user guide, "Rules"), so no service is rolled to an image that was
   * never pushed.
   */
  private refuseDeployWithoutTag(): void {
    const given = new CfnParameter(this, 'ImageTagGiven', {
      type: 'String',
      default: 'no',
      description: 'Set by nothing: this stack was synthesized without -c imageTag=<tag>.',
    });
    new CfnRule(this, 'ImageTagRequired', {
      assertions: [
        {
          assert: Fn.conditionEquals(given.valueAsString, 'yes'),
          assertDescription:
            'No image tag was given: deploy with -c imageTag=<a commit tag in the registry> (the pipeline does); see docs/first-deploy.md.',
        },
      ],
    });
  }

  /** New tasks for every service that logs in to a database, after its app user's secret rotates. */
  private addCredentialRefresh(data: DataStack, logRetention: logs.RetentionDays): void {
    const secrets = [data.mysql?.appSecret, data.postgres?.appSecret].filter((s) => s !== undefined);
    const refreshed: RefreshedService[] = [];
    for (const laravel of Object.values(this.laravel)) {
      for (const [name, service] of Object.entries(laravel.services)) {
        if (!this.config.services[name].uses.some((use) => use === 'mysql' || use === 'postgres')) continue;
        const web = laravel.blueGreen?.web.service === service ? laravel.blueGreen : undefined;
        refreshed.push({ service, deploymentGroup: web?.deploymentGroup });
      }
    }
    if (secrets.length === 0 || refreshed.length === 0) return;
    new CredentialRefresh(this, 'CredentialRefresh', {
      secrets,
      services: refreshed,
      logRetention,
      alarmTopic: this.monitoring.topic,
    });
  }

  /**
   * Where ECS Exec is on: sessions encrypted with a key of the stage's own, and every command
   * and its output logged to a log group encrypted with it (ECS developer guide, "Monitor
   * Amazon ECS containers with ECS Exec": executeCommandConfiguration with kmsKeyId and
   * logConfiguration).
   */
  private execSessionLogging(retention: logs.RetentionDays, removalPolicy: RemovalPolicy) {
    const kmsKey = new kms.Key(this, 'ExecKey', {
      description: `${this.node.path}: ECS Exec sessions and their log`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch Logs encrypts the session log with the key (CloudWatch Logs user guide,
    // "Encrypt log data in CloudWatch Logs using AWS KMS": key policy for logs.<region>).
    // The pattern is the one the stages were deployed with (`log-group/*`).
    allowCloudWatchLogs(kmsKey, this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*' }));
    const logGroup = new logs.LogGroup(this, 'ExecSessions', { encryptionKey: kmsKey, retention, removalPolicy });
    acknowledge(
      this,
      `AwsSolutions-IAM5[Resource::${nagResource(this, `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:${logGroup.logGroupName}:*`)}]`,
      'ECS grants the task roles of services with Exec writes to the session log’s streams, which are named per session.',
    );
    return {
      kmsKey,
      logging: ecs.ExecuteCommandLogging.OVERRIDE,
      logConfiguration: { cloudWatchLogGroup: logGroup, cloudWatchEncryptionEnabled: true },
    };
  }
}

/** What every service construct of a stage is given alike. */
type SharedServiceProps = Pick<
  NextjsServiceProps,
  'cluster' | 'securityGroups' | 'loadBalancer' | 'logRetention' | 'logRemovalPolicy' | 'vpc'
>;

/** The tag an image runs: its own, else the stage's, else {@link NO_IMAGE_TAG}. */
function imageTagOf(config: ResolvedConfig, image: string): string {
  return config.images[image].tag ?? config.deployment.imageTag ?? NO_IMAGE_TAG;
}

/** The stage's log retention. */
function logRetentionOf(config: ResolvedConfig): logs.RetentionDays {
  return config.logRetentionDays as logs.RetentionDays;
}

/** The stage's databases with their allocated storage, for the storage alarms: primaries and replicas. */
function monitoredDatabases(props: AppStackProps): MonitoredDatabase[] {
  const { config, data } = props;
  const databases: MonitoredDatabase[] = [];
  if (data.mysql && config.mysql) {
    const allocatedStorageGiB = config.mysql.allocatedStorageGiB;
    databases.push({ name: 'mysql', instance: data.mysql.primary, allocatedStorageGiB });
    data.mysql.replicas.forEach((replica, i) =>
      databases.push({ name: `mysql-replica-${i + 1}`, instance: replica, allocatedStorageGiB, replica: true }),
    );
  }
  if (data.postgres && config.postgres) {
    databases.push({
      name: 'postgres',
      instance: data.postgres.primary,
      allocatedStorageGiB: config.postgres.allocatedStorageGiB,
    });
  }
  return databases;
}

/** `APP_ENV` per tier. */
const APP_ENV: Record<ResolvedConfig['tier'], string> = { dev: 'development', staging: 'staging', prod: 'production' };

/** What every Laravel container of a stage is told alike, from its tier, network, domain and front ends. */
function laravelStageSettings(config: ResolvedConfig): LaravelStageSettings {
  return {
    appEnv: APP_ENV[config.tier],
    debug: config.tier === 'dev',
    logLevel: config.tier === 'prod' ? 'info' : 'debug',
    trustedProxies: config.network.cidr,
    sessionDomain: `.${config.domainName}`,
    sessionCookie: `${config.system}_${config.stage}_session`.replace(/-/g, '_'),
    // The stage's Next.js front ends call its Laravel API from another host.
    frontEndHosts: Object.entries(config.services)
      .filter(([, s]) => s.kind === 'nextjs' && s.host !== undefined)
      .map(([name]) => serviceHost(config, name)),
    rabbitmqVhost: config.rabbitmq?.vhost,
  };
}

/** The host name of the stage's Laravel API: one per stage is what the seeds have. */
function laravelApiHost(config: ResolvedConfig): string | undefined {
  const apis = Object.keys(config.services).filter((name) => config.services[name].kind === 'laravel-web');
  return apis.length === 1 ? serviceHost(config, apis[0]) : undefined;
}

/** The full host name of every service that has one, by service name. */
function serviceHosts(config: ResolvedConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.services)
      .filter(([, s]) => s.host !== undefined)
      .map(([name]) => [name, serviceHost(config, name)]),
  );
}

/** The stage's services with `{host:<service>}` in their environment replaced by that host name. */
function expandedServices(config: ResolvedConfig): Record<string, ServiceConfig> {
  return Object.fromEntries(
    Object.entries(config.services).map(([name, service]) => [
      name,
      {
        ...service,
        environment: Object.fromEntries(
          Object.entries(service.environment).map(([key, value]) => [key, expandHosts(config, value)]),
        ),
      },
    ]),
  );
}
