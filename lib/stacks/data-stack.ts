import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';
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
        engineLifecycleSupport: config.mysql.engineLifecycleSupport as rds.EngineLifecycleSupport | undefined,
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
      if (config.tier === 'prod') {
        new MysqlAuditLog(this, 'MysqlAudit', {
          instance: this.mysql.primary,
          engineVersion: config.mysql.engineVersion,
          logRetention: retention,
        });
      }
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
        brokerName: config.rabbitmq.brokerName ?? `${config.system}-${config.stage}`,
        removalPolicy: keep,
      });
    }

    const databases = [this.mysql?.primary, this.postgres?.primary].filter((d) => d !== undefined);
    if (databases.length > 0) {
      this.backups = new DatabaseBackups(this, 'Backups', {
        databases,
        retention: Duration.days(config.backup.retentionDays),
        encryptionKey: this.key,
        copyTo: config.backup.crossRegionCopy && { ...config.backup.crossRegionCopy, keyAlias: drKeyAlias(config) },
        // Kept in every tier, dev too: DeleteBackupVault refuses a vault that holds recovery points
        // ("A vault can be deleted only if it is empty", AWS Backup API reference), so a DESTROY
        // vault would fail `cdk destroy` after the first nightly backup. The left-over vault and
        // its points expire with the plan's retention (docs/edge-and-network.md, teardown).
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }

    this.buckets = new AppBuckets(this, 'Buckets', {
      encryptionKey: this.key,
      noncurrentVersionDays: config.buckets.noncurrentVersionDays,
      accessLogRetentionDays: config.buckets.accessLogRetentionDays,
      removalPolicy: keep,
    });

    // A managed policy here, rather than grants on each task role, keeps the statements next to
    // the bucket and key they name, so the app stack never writes into this stack's policies.
    const uploads = this.buckets.uploads;
    this.uploadsAccess = new iam.ManagedPolicy(this, 'UploadsAccess', {
      description: `${config.system} ${config.stage}: Laravel's s3 disk on the uploads bucket`,
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
      this.uploadsAccess,
      `AwsSolutions-IAM5[Resource::<${this.getLogicalId(uploads.node.defaultChild as CfnResource)}.Arn>/*]`,
      'Laravel stores user files under keys it chooses at run time; access is limited to this one bucket.',
    );

    for (const [name, db] of Object.entries(config.externalDatabases)) {
      this.externalDatabases[name] = new ExternalDatabase(this, `External${pascal(name)}`, db);
    }

    this.admitAssetPublisher(config);

    for (const [name, image] of Object.entries(config.images)) {
      if (image.runtime !== 'laravel') continue;
      const appKey = new secretsmanager.Secret(this, `${pascal(name)}AppKey`, {
        description: `${config.system} ${config.stage}: Laravel APP_KEY of the ${name} image`,
        encryptionKey: this.key,
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'key',
          // 32 characters make an AES-256 key for Laravel's default cipher.
          passwordLength: 32,
          excludePunctuation: true,
        },
        removalPolicy: keep,
      });
      acknowledge(
        appKey,
        'AwsSolutions-SMG4',
        'Rotating APP_KEY makes every encrypted value and session unreadable; Laravel rotates it by hand with APP_PREVIOUS_KEYS.',
      );
      this.appKeys[name] = appKey;
    }

    this.admitServices(config, props.serviceSecurityGroups);
    acknowledgeLogRetentionFunction(this);
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
