import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';

/** Properties of {@link RedisCache}. */
export interface RedisCacheProps {
  /** The VPC; nodes go in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Key that encrypts data at rest and the AUTH token secret. */
  readonly encryptionKey: kms.IKey;
  /** `valkey` or `redis` (Redis OSS). */
  readonly engine: 'valkey' | 'redis';
  /** `major.minor`, e.g. `8.0` for Valkey or `7.1` for Redis OSS. */
  readonly engineVersion: string;
  /** Node type, e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /**
   * Cluster mode (sharding): clients connect to the configuration endpoint.
   *
   * @default false
   */
  readonly clusterMode?: boolean;
  /**
   * Shards (node groups); more than one only with cluster mode (config validates it).
   *
   * @default 1
   */
  readonly shards?: number;
  /**
   * Replicas per shard.
   *
   * @default 1
   */
  readonly replicasPerShard?: number;
  /**
   * Promote a replica when the primary fails; also places replicas in other zones (Multi-AZ).
   * Needs a replica per shard, and cluster mode needs it on (config validates both).
   *
   * @default true
   */
  readonly automaticFailover?: boolean;
  /**
   * Days of daily snapshots to keep; 0 turns them off.
   *
   * @default 7
   */
  readonly snapshotRetentionDays?: number;
  /**
   * What happens to the cache when it leaves the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the slow log.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * An ElastiCache replication group for Laravel's cache, sessions and queues: TLS required,
 * encrypted at rest with the data key, an AUTH token generated in Secrets Manager, automatic
 * failover across zones when asked, daily snapshots and the slow log in CloudWatch.
 */
export class RedisCache extends Construct implements ec2.IConnectable {
  /** The replication group. */
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The AUTH token, under the JSON key `token`. */
  public readonly authToken: secretsmanager.Secret;
  /** The group the nodes share. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access to the cache. */
  public readonly connections: ec2.Connections;
  /** The port clients connect to. */
  public readonly port = 6379;
  /** Whether clients must speak the cluster protocol. */
  public readonly clusterMode: boolean;
  /** Shards (node groups): 1 without cluster mode. */
  public readonly shards: number;
  /** Replicas per shard. */
  public readonly replicasPerShard: number;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    this.clusterMode = props.clusterMode ?? false;
    this.shards = props.shards ?? 1;
    this.replicasPerShard = props.replicasPerShard ?? 1;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const supportRemoval = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: admits only the services that use this cache`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(this.port),
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `${this.node.path}: isolated subnets`,
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    subnetGroup.applyRemovalPolicy(supportRemoval);
    this.authToken = this.createAuthToken(props.encryptionKey, supportRemoval);
    const slowLog = new logs.LogGroup(this, 'SlowLog', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: supportRemoval,
    });
    this.replicationGroup = this.createReplicationGroup(props, subnetGroup, slowLog);
    this.replicationGroup.applyRemovalPolicy(removalPolicy);
    if (this.clusterMode) {
      // A new shard count reshards online (slots move, data and endpoint stay); without this
      // policy CloudFormation replaces the replication group with a new, empty one. Replicas
      // per shard have no such policy: ReplicasPerNodeGroup is replace-on-update.
      this.replicationGroup.cfnOptions.updatePolicy = { useOnlineResharding: true };
    }
    acknowledge(
      this.replicationGroup,
      'AwsSolutions-AEC5',
      'Laravel and phpredis expect 6379; the security group admits only the app services, so a non-default port would add no protection.',
    );
  }

  /** The AUTH token clients send (`REDIS_PASSWORD`), generated in Secrets Manager. */
  private createAuthToken(key: kms.IKey, removalPolicy: RemovalPolicy): secretsmanager.Secret {
    const token = new secretsmanager.Secret(this, 'AuthToken', {
      description: `${this.node.path}: AUTH token (REDIS_PASSWORD)`,
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        // AUTH tokens allow printable ASCII except a few; letters and digits are always safe.
        excludePunctuation: true,
        passwordLength: 64,
      },
      removalPolicy,
    });
    acknowledge(
      token,
      'AwsSolutions-SMG4',
      'ElastiCache has no managed rotation for AUTH tokens; rotate with ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE) as described in the README.',
    );
    return token;
  }

  /**
   * The replication group: TLS required, encrypted at rest with the data key, AUTH, the slow
   * log in CloudWatch. Config guarantees what ElastiCache requires of the shape: shards only in
   * cluster mode, a replica per shard for automatic failover, failover in cluster mode.
   */
  private createReplicationGroup(
    props: RedisCacheProps,
    subnetGroup: elasticache.CfnSubnetGroup,
    slowLog: logs.ILogGroup,
  ): elasticache.CfnReplicationGroup {
    const automaticFailover = props.automaticFailover ?? true;
    const family = `${props.engine}${props.engineVersion.split('.')[0]}`;
    return new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: `${this.node.path} (${props.engine} ${props.engineVersion})`,
      engine: props.engine,
      engineVersion: props.engineVersion,
      cacheNodeType: props.nodeType,
      cacheParameterGroupName: `default.${family}${this.clusterMode ? '.cluster.on' : ''}`,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      port: this.port,
      clusterMode: this.clusterMode ? 'enabled' : 'disabled',
      ...(this.clusterMode
        ? { numNodeGroups: this.shards, replicasPerNodeGroup: this.replicasPerShard }
        : { numCacheClusters: 1 + this.replicasPerShard }),
      automaticFailoverEnabled: automaticFailover,
      multiAzEnabled: automaticFailover,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: props.encryptionKey.keyArn,
      authToken: this.authToken.secretValueFromJson('token').unsafeUnwrap(),
      snapshotRetentionLimit: props.snapshotRetentionDays ?? 7,
      snapshotWindow: '02:00-03:00',
      preferredMaintenanceWindow: 'sun:04:00-sun:05:00',
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          logFormat: 'json',
          logType: 'slow-log',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLog.logGroupName } },
        },
      ],
    });
  }

  /** The host clients connect to: the configuration endpoint in cluster mode, else the primary. */
  public get endpoint(): string {
    return this.clusterMode
      ? this.replicationGroup.attrConfigurationEndPointAddress
      : this.replicationGroup.attrPrimaryEndPointAddress;
  }

  /**
   * The ids of the group's nodes (the `CacheClusterId` dimension of their metrics):
   * `<group>-001`, `-002`, … without cluster mode, `<group>-0001-001`, … per shard with it, as
   * ElastiCache names them.
   */
  public nodeIds(): string[] {
    const group = this.replicationGroup.ref;
    const perShard = this.replicasPerShard + 1;
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    if (!this.clusterMode) return Array.from({ length: perShard }, (_, i) => `${group}-${pad(i + 1, 3)}`);
    return Array.from({ length: this.shards }, (_, shard) =>
      Array.from({ length: perShard }, (__, node) => `${group}-${pad(shard + 1, 4)}-${pad(node + 1, 3)}`),
    ).flat();
  }

  /** Admits a consumer (a service's security group) on the cache port, and only that. */
  public allowFrom(peer: ec2.IConnectable, description: string): void {
    this.connections.allowDefaultPortFrom(peer, description);
  }
}
