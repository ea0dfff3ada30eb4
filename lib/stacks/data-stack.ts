import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';
import { AppBuckets } from '../constructs/buckets';
import { ExternalDatabase } from '../constructs/external-database';
import { MysqlDatabase } from '../constructs/mysql';
import { PostgresDatabase } from '../constructs/postgres';
import { RabbitmqBroker } from '../constructs/rabbitmq';
import { RedisCache } from '../constructs/redis';
import type { ServiceSecurityGroups } from '../constructs/service-security-groups';
import { pascal } from '../names';
import { acknowledge, acknowledgeLogRetentionFunction } from '../nag';
import { removalPolicyFor } from '../removal';
import { StageStack, type StageStackProps } from './stage-stack';

/** Properties of {@link DataStack}. */
export interface DataStackProps extends StageStackProps {
  /** The stage's VPC. */
  readonly vpc: ec2.IVpc;
  /** The services' security groups; each store admits those of the services that use it. */
  readonly serviceSecurityGroups: ServiceSecurityGroups;
}

/**
 * Everything of one stage that holds data: databases, cache, broker, buckets, keys, secrets.
 * Termination-protected where the tier protects deletion; the app stack can be destroyed and
 * recreated without touching it. Construct ids here are a contract: they make the logical ids
 * of stateful resources, which the tests pin.
 */
export class DataStack extends StageStack {
  /** The customer-managed key that encrypts the stage's data at rest. */
  public readonly key: kms.Key;
  /** MySQL primary and read replicas, when the system has MySQL. */
  public readonly mysql?: MysqlDatabase;
  /** PostgreSQL, when the system has it. */
  public readonly postgres?: PostgresDatabase;
  /** The Redis/Valkey replication group, when the system has one. */
  public readonly redis?: RedisCache;
  /** The RabbitMQ broker, when the system has one. */
  public readonly rabbitmq?: RabbitmqBroker;
  /** Uploads, static assets and logs. */
  public readonly buckets: AppBuckets;
  /** External databases by config key (`dolibarr`). */
  public readonly externalDatabases: Record<string, ExternalDatabase> = {};

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.removal.deletionProtection });
    const { config, vpc } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;
    const keep = removalPolicyFor(config);
    const snapshot = removalPolicyFor(config, true);

    this.key = new kms.Key(this, 'DataKey', {
      description: `${config.system} ${config.stage}: encryption at rest of databases, cache, secrets and uploads`,
      enableKeyRotation: true,
      removalPolicy: keep,
    });

    if (config.mysql) {
      this.mysql = new MysqlDatabase(this, 'Mysql', {
        vpc,
        encryptionKey: this.key,
        databaseName: config.mysql.databaseName,
        engineVersion: config.mysql.engineVersion,
        instanceType: config.mysql.instanceType,
        port: config.mysql.port,
        multiAz: config.mysql.multiAz,
        readReplicas: config.mysql.readReplicas,
        allocatedStorageGiB: config.mysql.allocatedStorageGiB,
        maxAllocatedStorageGiB: config.mysql.maxAllocatedStorageGiB,
        backupRetention: Duration.days(config.mysql.backupRetentionDays),
        deletionProtection: config.removal.deletionProtection,
        removalPolicy: snapshot,
        logRetention: retention,
      });
      if (!config.mysql.multiAz) acknowledgeSingleAz(this.mysql.primary, config);
    }

    if (config.postgres) {
      this.postgres = new PostgresDatabase(this, 'Postgres', {
        vpc,
        encryptionKey: this.key,
        databaseName: config.postgres.databaseName,
        engineVersion: config.postgres.engineVersion,
        instanceType: config.postgres.instanceType,
        port: config.postgres.port,
        multiAz: config.postgres.multiAz,
        allocatedStorageGiB: config.postgres.allocatedStorageGiB,
        maxAllocatedStorageGiB: config.postgres.maxAllocatedStorageGiB,
        backupRetention: Duration.days(config.postgres.backupRetentionDays),
        deletionProtection: config.removal.deletionProtection,
        removalPolicy: snapshot,
        logRetention: retention,
      });
      if (!config.postgres.multiAz) acknowledgeSingleAz(this.postgres.primary, config);
    }

    if (config.redis) {
      this.redis = new RedisCache(this, 'Redis', {
        vpc,
        encryptionKey: this.key,
        engine: config.redis.engine,
        engineVersion: config.redis.engineVersion,
        nodeType: config.redis.nodeType,
        clusterMode: config.redis.clusterMode,
        shards: config.redis.shards,
        replicasPerShard: config.redis.replicasPerShard,
        automaticFailover: config.redis.automaticFailover,
        snapshotRetentionDays: config.redis.snapshotRetentionDays,
        removalPolicy: snapshot,
        logRetention: retention,
      });
      if (!config.redis.automaticFailover) {
        acknowledge(
          this.redis.replicationGroup,
          'AwsSolutions-AEC4',
          `The ${config.stage} tier runs one cache node to save cost; prod config requires automatic failover across zones.`,
        );
      }
    }

    if (config.rabbitmq) {
      this.rabbitmq = new RabbitmqBroker(this, 'Rabbitmq', {
        vpc,
        encryptionKey: this.key,
        engineVersion: config.rabbitmq.engineVersion,
        instanceType: config.rabbitmq.instanceType,
        deploymentMode: config.rabbitmq.deploymentMode,
        removalPolicy: keep,
      });
    }

    this.buckets = new AppBuckets(this, 'Buckets', {
      encryptionKey: this.key,
      noncurrentVersionDays: config.buckets.noncurrentVersionDays,
      accessLogRetentionDays: config.buckets.accessLogRetentionDays,
      removalPolicy: keep,
    });

    for (const [name, db] of Object.entries(config.externalDatabases)) {
      this.externalDatabases[name] = new ExternalDatabase(this, `External${pascal(name)}`, db);
    }

    this.admitServices(config, props.serviceSecurityGroups);
    acknowledgeLogRetentionFunction(this);
  }

  /** Opens each store to exactly the services whose config lists it in `uses`. */
  private admitServices(config: ResolvedConfig, groups: ServiceSecurityGroups): void {
    const stores: Record<string, { allowFrom(peer: ec2.IConnectable, description: string): void } | undefined> = {
      mysql: this.mysql,
      postgres: this.postgres,
      redis: this.redis,
      rabbitmq: this.rabbitmq,
    };
    for (const [service, settings] of Object.entries(config.services)) {
      const group = groups.of(service);
      for (const use of settings.uses) {
        const store = stores[use];
        if (store) store.allowFrom(group, `${service} service`);
        this.externalDatabases[use]?.allowFrom(group, service);
      }
    }
  }
}

function acknowledgeSingleAz(instance: Construct, config: ResolvedConfig): void {
  acknowledge(
    instance,
    'AwsSolutions-RDS3',
    `The ${config.stage} tier runs a single-AZ instance to save cost; config rejects a prod database without Multi-AZ.`,
  );
}
