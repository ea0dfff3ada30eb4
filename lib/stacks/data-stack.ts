import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { MysqlConfig, PostgresConfig, RabbitmqConfig, RedisConfig, ResolvedConfig } from '../../config';
import { AppBuckets } from '../data/buckets';
import { DatabaseBackups } from '../data/backups';
import { ExternalDatabase } from '../data/external-database';
import { MysqlDatabase } from '../data/rds/mysql';
import { MysqlAuditLog } from '../data/rds/mysql-audit-log';
import { PostgresDatabase } from '../data/rds/postgres';
import { RabbitmqBroker } from '../data/rabbitmq';
import { RedisCache } from '../data/redis';
import type { ServiceSecurityGroups } from '../network/service-security-groups';
import { assetPublisherRoleName, drKeyAlias, pascal } from '../../config/names';
import { acknowledge, acknowledgeLogRetentionFunction } from '../shared/nag';
import { removalPolicyFor } from '../shared/removal';
import type { StageData } from '../data/stage-data';
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
export class DataStack extends StageStack implements StageData {
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
  /** AWS Backup of the databases, when the system has any. */
  public readonly backups?: DatabaseBackups;
  /** Read, write and delete on the uploads bucket, for the task roles of services that use it. */
  public readonly uploadsAccess: iam.ManagedPolicy;
  /** Laravel `APP_KEY` per Laravel image: losing it loses every encrypted value, so it is data. */
  public readonly appKeys: Record<string, secretsmanager.Secret> = {};

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.removal.deletionProtection });
    this.addStackDependency(Stack.of(props.vpc));
    const { config, vpc } = props;
    this.key = new kms.Key(this, 'DataKey', {
      description: `${config.system} ${config.stage}: encryption at rest of databases, cache, secrets and uploads`,
      enableKeyRotation: true,
      removalPolicy: removalPolicyFor(config),
    });
    if (config.mysql) this.mysql = this.createMysql(vpc, config.mysql);
    if (config.postgres) this.postgres = this.createPostgres(vpc, config.postgres);
    if (config.redis) this.redis = this.createRedis(vpc, config.redis);
    if (config.rabbitmq) this.rabbitmq = this.createRabbitmq(vpc, config.rabbitmq);
    this.backups = this.createBackups();
    this.buckets = new AppBuckets(this, 'Buckets', {
      encryptionKey: this.key,
      noncurrentVersionDays: config.buckets.noncurrentVersionDays,
      accessLogRetentionDays: config.buckets.accessLogRetentionDays,
      removalPolicy: removalPolicyFor(config),
    });
    this.uploadsAccess = this.createUploadsAccess();
    for (const [name, db] of Object.entries(config.externalDatabases)) {
      this.externalDatabases[name] = new ExternalDatabase(this, `External${pascal(name)}`, db);
    }
    this.admitAssetPublisher(config);
    for (const [name, image] of Object.entries(config.images)) {
      if (image.runtime === 'laravel') this.appKeys[name] = this.createAppKey(name);
    }
    this.admitServices(config, props.serviceSecurityGroups);
    acknowledgeLogRetentionFunction(this);
  }

  /** What every RDS database of the stage shares: the key, the tier's protection and removal, its log retention. */
  private rdsDefaults(vpc: ec2.IVpc) {
    return {
      vpc,
      encryptionKey: this.key,
      deletionProtection: this.config.removal.deletionProtection,
      removalPolicy: removalPolicyFor(this.config, true),
      logRetention: this.config.logRetentionDays as logs.RetentionDays,
    };
  }

  /** The MySQL primary and replicas; in prod, its audit log too. */
  private createMysql(vpc: ec2.IVpc, mysql: MysqlConfig): MysqlDatabase {
    const database = new MysqlDatabase(this, 'Mysql', {
      ...this.rdsDefaults(vpc),
      databaseName: mysql.databaseName,
      engineVersion: mysql.engineVersion,
      engineLifecycleSupport: mysql.engineLifecycleSupport as rds.EngineLifecycleSupport | undefined,
      instanceType: mysql.instanceType,
      port: mysql.port,
      multiAz: mysql.multiAz,
      readReplicas: mysql.readReplicas,
      allocatedStorageGiB: mysql.allocatedStorageGiB,
      maxAllocatedStorageGiB: mysql.maxAllocatedStorageGiB,
      backupRetention: Duration.days(mysql.backupRetentionDays),
    });
    if (!mysql.multiAz) acknowledgeSingleAz(database.primary, this.config);
    if (this.config.tier === 'prod') {
      new MysqlAuditLog(this, 'MysqlAudit', {
        instance: database.primary,
        engineVersion: mysql.engineVersion,
        logRetention: this.config.logRetentionDays as logs.RetentionDays,
      });
    }
    return database;
  }

  /** The PostgreSQL instance (csl's sales data). */
  private createPostgres(vpc: ec2.IVpc, postgres: PostgresConfig): PostgresDatabase {
    const database = new PostgresDatabase(this, 'Postgres', {
      ...this.rdsDefaults(vpc),
      databaseName: postgres.databaseName,
      engineVersion: postgres.engineVersion,
      instanceType: postgres.instanceType,
      port: postgres.port,
      multiAz: postgres.multiAz,
      allocatedStorageGiB: postgres.allocatedStorageGiB,
      maxAllocatedStorageGiB: postgres.maxAllocatedStorageGiB,
      backupRetention: Duration.days(postgres.backupRetentionDays),
    });
    if (!postgres.multiAz) acknowledgeSingleAz(database.primary, this.config);
    return database;
  }

  /** The Valkey/Redis replication group. */
  private createRedis(vpc: ec2.IVpc, redis: RedisConfig): RedisCache {
    const cache = new RedisCache(this, 'Redis', {
      vpc,
      encryptionKey: this.key,
      engine: redis.engine,
      engineVersion: redis.engineVersion,
      nodeType: redis.nodeType,
      clusterMode: redis.clusterMode,
      shards: redis.shards,
      replicasPerShard: redis.replicasPerShard,
      automaticFailover: redis.automaticFailover,
      snapshotRetentionDays: redis.snapshotRetentionDays,
      removalPolicy: removalPolicyFor(this.config, true),
      logRetention: this.config.logRetentionDays as logs.RetentionDays,
    });
    if (!redis.automaticFailover) {
      acknowledge(
        cache.replicationGroup,
        'AwsSolutions-AEC4',
        `The ${this.config.stage} tier runs one cache node to save cost; prod config requires automatic failover across zones.`,
      );
    }
    return cache;
  }

  /** The Amazon MQ for RabbitMQ broker. */
  private createRabbitmq(vpc: ec2.IVpc, rabbitmq: RabbitmqConfig): RabbitmqBroker {
    return new RabbitmqBroker(this, 'Rabbitmq', {
      vpc,
      encryptionKey: this.key,
      engineVersion: rabbitmq.engineVersion,
      instanceType: rabbitmq.instanceType,
      deploymentMode: rabbitmq.deploymentMode,
      brokerName: rabbitmq.brokerName ?? `${this.config.system}-${this.config.stage}`,
      removalPolicy: removalPolicyFor(this.config),
    });
  }

  /** AWS Backup of the databases, copied to the DR vault where config asks; none without a database. */
  private createBackups(): DatabaseBackups | undefined {
    const databases = [this.mysql?.primary, this.postgres?.primary].filter((d) => d !== undefined);
    if (databases.length === 0) return undefined;
    const copy = this.config.backup.crossRegionCopy;
    return new DatabaseBackups(this, 'Backups', {
      databases,
      retention: Duration.days(this.config.backup.retentionDays),
      encryptionKey: this.key,
      copyTo: copy && { ...copy, keyAlias: drKeyAlias(this.config) },
      // Kept in every tier, dev too: DeleteBackupVault refuses a vault that holds recovery points
      // ("A vault can be deleted only if it is empty", AWS Backup API reference), so a DESTROY
      // vault would fail `cdk destroy` after the first nightly backup. The left-over vault and
      // its points expire with the plan's retention (docs/edge-and-network.md, teardown).
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Laravel's s3 disk on the uploads bucket. A managed policy here, rather than grants on each
   * task role, keeps the statements next to the bucket and key they name, so the app stack
   * never writes into this stack's policies.
   */
  private createUploadsAccess(): iam.ManagedPolicy {
    const uploads = this.buckets.uploads;
    const policy = new iam.ManagedPolicy(this, 'UploadsAccess', {
      description: `${this.config.system} ${this.config.stage}: Laravel's s3 disk on the uploads bucket`,
      statements: [
        new iam.PolicyStatement({
          actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [uploads.bucketArn],
        }),
        new iam.PolicyStatement({
          actions: [
            's3:GetObject',
            's3:GetObjectVersion',
            's3:PutObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          resources: [uploads.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
        }),
      ],
    });
    acknowledge(
      policy,
      `AwsSolutions-IAM5[Resource::<${this.getLogicalId(uploads.node.defaultChild as CfnResource)}.Arn>/*]`,
      'Laravel stores user files under keys it chooses at run time; access is limited to this one bucket.',
    );
    return policy;
  }

  /** The Laravel `APP_KEY` of one image: 32 characters, an AES-256 key for Laravel's default cipher. */
  private createAppKey(image: string): secretsmanager.Secret {
    const appKey = new secretsmanager.Secret(this, `${pascal(image)}AppKey`, {
      description: `${this.config.system} ${this.config.stage}: Laravel APP_KEY of the ${image} image`,
      encryptionKey: this.key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 32,
        excludePunctuation: true,
      },
      removalPolicy: removalPolicyFor(this.config),
    });
    acknowledge(
      appKey,
      'AwsSolutions-SMG4',
      'Rotating APP_KEY makes every encrypted value and session unreadable; Laravel rotates it by hand with APP_PREVIOUS_KEYS.',
    );
    return appKey;
  }

  /**
   * The pipeline's Deploy step (in the tooling account) uploads each image's static files under
   * the CDN's static paths before the services deploy. It does so as a role of this account
   * that it assumes (name fixed by {@link assetPublisherRoleName}; ARN also in the
   * `AssetPublisherRoleArn` output), not through the bucket policy: S3 keeps one policy per
   * bucket, and that policy lives in the origin-access stack, which is deployed after the edge
   * stack — too late for the first deploy's upload. A same-account role needs only its identity
   * policy when no bucket-policy statement denies it (IAM user guide, "Policy evaluation logic":
   * within one account an allow in either the identity or the resource policy suffices).
   */
  private admitAssetPublisher(config: ResolvedConfig): void {
    const assets = this.buckets.assets;
    new CfnOutput(this, 'AssetsBucketName', {
      value: assets.bucketName,
      description: 'Where the pipeline publishes static assets (/_next/static, /build, ...)',
    });
    if (!config.toolingAccount) return;
    const prefixes = config.cdn.staticPaths.map((p) => p.replace(/^\//, '').replace(/\/?\*$/, ''));
    if (prefixes.length === 0) return;
    const publisher = new iam.Role(this, 'AssetPublisher', {
      roleName: assetPublisherRoleName(config.system, config.stage),
      description: `${config.system} ${config.stage}: the tooling account's pipeline uploads static assets`,
      assumedBy: new iam.AccountPrincipal(config.toolingAccount).withConditions({
        ArnLike: {
          'aws:PrincipalArn': `arn:aws:iam::${config.toolingAccount}:role/${pascal(config.system)}-Pipeline-*`,
        },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    // Put only: a deploy never deletes or overwrites history (the bucket is versioned).
    publisher.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: prefixes.map((prefix) => assets.arnForObjects(`${prefix}/*`)),
      }),
    );
    const bucketId = this.getLogicalId(assets.node.defaultChild as CfnResource);
    for (const prefix of prefixes) {
      acknowledge(
        publisher,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`,
        'Static files are named by each build (hashed); the role may put objects under the CDN static prefixes only.',
      );
    }
    new CfnOutput(this, 'AssetPublisherRoleArn', {
      value: publisher.roleArn,
      description: 'The role the pipeline assumes to publish static assets',
    });
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
