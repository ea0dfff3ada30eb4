import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { CredentialRefresh, type RefreshedService } from '../constructs/credential-refresh';
import { LaravelService } from '../constructs/laravel-service';
import { LoadBalancer } from '../constructs/load-balancer';
import { Monitoring, type MonitoredDatabase, type MonitoredService } from '../constructs/monitoring';
import { NextjsService } from '../constructs/nextjs-service';
import type { ServiceSecurityGroups } from '../constructs/service-security-groups';
import { pascal } from '../names';
import { removalPolicyFor } from '../removal';
import { stageHosts } from '../wiring';
import type { DataStack } from './data-stack';
import { StageStack, type StageStackProps } from './stage-stack';

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
    const { config, data } = props;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const logRemovalPolicy = removalPolicyFor(config);
    const tagOf = (image: string) => config.images[image].tag ?? config.deployment.imageTag;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });

    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.hostedZoneId,
      zoneName: config.domainName,
    });
    this.loadBalancer = new LoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcCidr: config.network.cidr,
      hosts: stageHosts(config),
      hostedZone,
      accessLogBucket: data.buckets.logs,
      deletionProtection: config.removal.deletionProtection,
    });

    const securityGroups = props.serviceSecurityGroups.importedInto(this);
    for (const [name, image] of Object.entries(config.images)) {
      if (image.runtime !== 'laravel') continue;
      this.laravel[name] = new LaravelService(this, pascal(name), {
        config,
        image: name,
        cluster: this.cluster,
        data,
        securityGroups,
        loadBalancer: this.loadBalancer,
        repository: data.images.of(name),
        nginxRepository: image.nginxSidecar ? data.images.of(`${name}-nginx`) : undefined,
        imageTag: tagOf(name),
        logRetention,
        logRemovalPolicy,
        vpc: props.vpc,
        database: data.mysql?.primary,
      });
    }
    for (const [name, service] of Object.entries(config.services)) {
      if (service.kind !== 'nextjs') continue;
      this.nextjs[name] = new NextjsService(this, pascal(name), {
        config,
        service: name,
        cluster: this.cluster,
        securityGroups,
        loadBalancer: this.loadBalancer,
        repository: data.images.of(service.image),
        imageTag: tagOf(service.image),
        logRetention,
        logRemovalPolicy,
        vpc: props.vpc,
      });
    }

    const services: MonitoredService[] = [];
    let schedulerLogs: logs.ILogGroup | undefined;
    for (const laravel of Object.values(this.laravel)) {
      for (const [name, service] of Object.entries(laravel.services)) {
        const web = laravel.blueGreen?.web.service === service ? laravel.blueGreen : undefined;
        services.push({ name, service, targets: web?.web.targets, alarms: web?.alarms });
        if (config.services[name].kind === 'laravel-scheduler') schedulerLogs = laravel.tasks[name].logGroup;
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
    const databases: MonitoredDatabase[] = [];
    if (data.mysql && config.mysql) {
      databases.push({
        name: 'mysql',
        instance: data.mysql.primary,
        allocatedStorageGiB: config.mysql.allocatedStorageGiB,
      });
      data.mysql.replicas.forEach((replica, i) =>
        databases.push({
          name: `mysql-replica-${i + 1}`,
          instance: replica,
          allocatedStorageGiB: config.mysql!.allocatedStorageGiB,
          replica: true,
        }),
      );
    }
    if (data.postgres && config.postgres) {
      databases.push({
        name: 'postgres',
        instance: data.postgres.primary,
        allocatedStorageGiB: config.postgres.allocatedStorageGiB,
      });
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      config,
      cluster: this.cluster,
      services,
      databases,
      redis: data.redis,
      rabbitmq: data.rabbitmq,
      schedulerLogs,
    });
    this.addCredentialRefresh(data, logRetention);
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
    new CredentialRefresh(this, 'CredentialRefresh', { secrets, services: refreshed, logRetention });
  }
}
