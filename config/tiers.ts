import type { ResolvedConfig, ServiceConfig, ServiceKind, TierName } from './schema';

/** Sizing a tier gives every service of one kind. */
export type ServiceSizing = Pick<ServiceConfig, 'cpu' | 'memoryMiB' | 'minTasks' | 'maxTasks'>;

/**
 * Defaults a stage tier gives every system. A system overrides any of them per stage in its
 * file under `systems/`; data-store defaults apply only to the stores a system declares.
 */
export interface Tier {
  readonly removal: ResolvedConfig['removal'];
  readonly logRetentionDays: number;
  readonly network: Omit<ResolvedConfig['network'], 'cidr'>;
  readonly deployment: ResolvedConfig['deployment'];
  readonly scaling: ResolvedConfig['scaling'];
  readonly cdn: ResolvedConfig['cdn'];
  readonly monitoring: ResolvedConfig['monitoring'];
  readonly backup: ResolvedConfig['backup'];
  readonly buckets: ResolvedConfig['buckets'];
  readonly mysql: Omit<NonNullable<ResolvedConfig['mysql']>, 'databaseName'>;
  readonly postgres: Omit<NonNullable<ResolvedConfig['postgres']>, 'databaseName'>;
  readonly redis: Omit<NonNullable<ResolvedConfig['redis']>, 'clusterMode' | 'engine' | 'engineVersion'>;
  readonly rabbitmq: Omit<NonNullable<ResolvedConfig['rabbitmq']>, 'vhost'>;
  readonly services: Record<ServiceKind, ServiceSizing>;
}

/**
 * MySQL 8.4 LTS, the newest minor aws-cdk-lib 2.276 names (`MysqlEngineVersion.VER_8_4_10`).
 * 8.0 left RDS standard support on 31 July 2026.
 */
const MYSQL_VERSION = '8.4.10';
const POSTGRES_VERSION = '15.15';
const RABBITMQ_VERSION = '3.13';

/**
 * The three tiers. `dev` is cheap and disposable; `prod` is highly available and keeps its data.
 * `cdn.cutover` is on only in dev: staging and prod take their DNS names after the data copy
 * (docs/migration-guide.md, "Cutting DNS over").
 *
 * A stage takes the tier of its name, or the one its `tier` names (a `qa` stage reuses `staging`).
 */
export const TIERS: Record<TierName, Tier> = {
  dev: {
    removal: { policy: 'destroy', deletionProtection: false },
    logRetentionDays: 14,
    // A NAT instance instead of a gateway: about 7 USD a month instead of 38 (npm run cost).
    network: { natGateways: 1, nat: 'instance', interfaceEndpoints: [], flowLogRetentionDays: 14 },
    deployment: {
      trafficShifting: 'all-at-once',
      terminationWaitMinutes: 5,
      deregistrationDelaySeconds: 10,
      timeoutMinutes: 40,
      migrationTimeoutMinutes: 15,
      snapshotTimeoutMinutes: 10,
      snapshotRetentionDays: 3,
      snapshotsKept: 5,
      execEnabled: true,
      alarms: { target5xxPerMinute: 20, latencyP95Ms: 3000 },
    },
    buckets: { noncurrentVersionDays: 7, accessLogRetentionDays: 30 },
    // Fargate Spot: a third of the on-demand price; an interrupted dev task is restarted by ECS.
    scaling: { cpuTargetPercent: 70, requestsPerTarget: 1000, messagesPerWorker: 100, spot: true },
    cdn: { staticPaths: [], rateLimitPerIp: 2000, cutover: true, maxBodyBytes: 65_536, bodyLimits: [] },
    monitoring: {
      ecsCpuPercent: 90,
      ecsMemoryPercent: 90,
      rdsCpuPercent: 90,
      rdsFreeStoragePercent: 10,
      rdsConnections: 60,
      replicaLagSeconds: 300,
      cacheMemoryPercent: 90,
      cacheCpuPercent: 90,
      brokerMemoryPercent: 80,
      queueDepth: 5000,
      cloudFront5xxPercent: 10,
    },
    backup: { retentionDays: 7 },
    mysql: {
      engineVersion: MYSQL_VERSION,
      instanceType: 't4g.micro',
      multiAz: false,
      readReplicas: 0,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      backupRetentionDays: 1,
      port: 3306,
    },
    postgres: {
      engineVersion: POSTGRES_VERSION,
      instanceType: 't4g.micro',
      multiAz: false,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      backupRetentionDays: 1,
      port: 5432,
    },
    redis: {
      nodeType: 'cache.t4g.micro',
      shards: 1,
      replicasPerShard: 0,
      automaticFailover: false,
      snapshotRetentionDays: 1,
    },
    rabbitmq: { engineVersion: RABBITMQ_VERSION, instanceType: 'mq.t3.micro', deploymentMode: 'SINGLE_INSTANCE' },
    services: {
      // 0.25 vCPU / 0.5 GB: enough for nginx + PHP-FPM at dev traffic, and keeps shipment dev under $150 a month.
      'laravel-web': { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
      'laravel-worker': { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
      'laravel-scheduler': { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 1 },
      nextjs: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
    },
  },
  staging: {
    removal: { policy: 'snapshot', deletionProtection: true },
    logRetentionDays: 30,
    network: {
      natGateways: 1,
      nat: 'gateway',
      interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'],
      flowLogRetentionDays: 30,
    },
    deployment: {
      trafficShifting: 'canary-10-5',
      terminationWaitMinutes: 15,
      deregistrationDelaySeconds: 15,
      // Worst case 10 + 3 + 20 + 5 + 2 + 5 + 1 = 46 min of CloudFormation's 60.
      timeoutMinutes: 50,
      migrationTimeoutMinutes: 20,
      snapshotTimeoutMinutes: 10,
      snapshotRetentionDays: 7,
      snapshotsKept: 10,
      execEnabled: true,
      alarms: { target5xxPerMinute: 10, latencyP95Ms: 2000 },
    },
    buckets: { noncurrentVersionDays: 30, accessLogRetentionDays: 90 },
    scaling: { cpuTargetPercent: 60, requestsPerTarget: 1000, messagesPerWorker: 100, spot: false },
    cdn: { staticPaths: [], rateLimitPerIp: 2000, cutover: false, maxBodyBytes: 65_536, bodyLimits: [] },
    monitoring: {
      ecsCpuPercent: 85,
      ecsMemoryPercent: 85,
      rdsCpuPercent: 85,
      rdsFreeStoragePercent: 10,
      rdsConnections: 120,
      replicaLagSeconds: 120,
      cacheMemoryPercent: 85,
      cacheCpuPercent: 85,
      brokerMemoryPercent: 70,
      queueDepth: 2000,
      cloudFront5xxPercent: 5,
    },
    backup: { retentionDays: 14 },
    mysql: {
      engineVersion: MYSQL_VERSION,
      instanceType: 't4g.small',
      multiAz: false,
      readReplicas: 1,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      backupRetentionDays: 7,
      port: 3306,
    },
    postgres: {
      engineVersion: POSTGRES_VERSION,
      instanceType: 't4g.small',
      multiAz: false,
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      backupRetentionDays: 7,
      port: 5432,
    },
    redis: {
      nodeType: 'cache.t4g.small',
      shards: 1,
      replicasPerShard: 1,
      automaticFailover: true,
      snapshotRetentionDays: 3,
    },
    rabbitmq: { engineVersion: RABBITMQ_VERSION, instanceType: 'mq.m5.large', deploymentMode: 'SINGLE_INSTANCE' },
    services: {
      'laravel-web': { cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 4 },
      'laravel-worker': { cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 3 },
      'laravel-scheduler': { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 1 },
      nextjs: { cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 3 },
    },
  },
  prod: {
    removal: { policy: 'snapshot', deletionProtection: true },
    logRetentionDays: 365,
    network: {
      natGateways: 'one-per-az',
      nat: 'gateway',
      interfaceEndpoints: ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sts', 'kms'],
      flowLogRetentionDays: 365,
    },
    deployment: {
      trafficShifting: 'linear-10-1',
      terminationWaitMinutes: 60,
      deregistrationDelaySeconds: 30,
      // Worst case 12 + 3 + 20 + 5 + 2 + 10 + 1 = 53 min of CloudFormation's 60; `cdk deploy`
      // returns once traffic is shifted and does not wait out the 60-minute termination wait.
      timeoutMinutes: 55,
      migrationTimeoutMinutes: 20,
      snapshotTimeoutMinutes: 12,
      snapshotRetentionDays: 30,
      snapshotsKept: 20,
      // Break-glass only: turn on per system in config, deploy, and off again.
      execEnabled: false,
      alarms: { target5xxPerMinute: 5, latencyP95Ms: 1500 },
    },
    buckets: { noncurrentVersionDays: 90, accessLogRetentionDays: 365 },
    scaling: { cpuTargetPercent: 60, requestsPerTarget: 500, messagesPerWorker: 50, spot: false },
    cdn: { staticPaths: [], rateLimitPerIp: 2000, cutover: false, maxBodyBytes: 65_536, bodyLimits: [] },
    monitoring: {
      ecsCpuPercent: 80,
      ecsMemoryPercent: 80,
      rdsCpuPercent: 80,
      rdsFreeStoragePercent: 15,
      rdsConnections: 500,
      replicaLagSeconds: 30,
      cacheMemoryPercent: 80,
      cacheCpuPercent: 75,
      brokerMemoryPercent: 60,
      queueDepth: 1000,
      cloudFront5xxPercent: 2,
    },
    backup: { retentionDays: 35 },
    mysql: {
      engineVersion: MYSQL_VERSION,
      instanceType: 'm7g.large',
      multiAz: true,
      readReplicas: 1,
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 500,
      backupRetentionDays: 14,
      port: 3306,
    },
    postgres: {
      engineVersion: POSTGRES_VERSION,
      instanceType: 'm7g.large',
      multiAz: true,
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 250,
      backupRetentionDays: 14,
      port: 5432,
    },
    redis: {
      nodeType: 'cache.m7g.large',
      shards: 1,
      replicasPerShard: 1,
      automaticFailover: true,
      snapshotRetentionDays: 7,
    },
    rabbitmq: { engineVersion: RABBITMQ_VERSION, instanceType: 'mq.m5.large', deploymentMode: 'CLUSTER_MULTI_AZ' },
    services: {
      'laravel-web': { cpu: 1024, memoryMiB: 2048, minTasks: 2, maxTasks: 10 },
      'laravel-worker': { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 6 },
      'laravel-scheduler': { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 1 },
      nextjs: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 6 },
    },
  },
};

/**
 * What a service of each kind gets when its system file says nothing else. A Laravel web
 * service's health path depends on its image's Laravel major, so the loader fills it in
 * from `LARAVEL_HEALTH_PATH`.
 */
export const KIND_DEFAULTS: Record<ServiceKind, Partial<ServiceConfig>> = {
  'laravel-web': { port: 80, environment: {}, uses: [] },
  'laravel-worker': {
    command: ['php', 'artisan', 'queue:work', '--sleep=3', '--tries=3', '--max-time=3600'],
    jobTimeoutSeconds: 90,
    environment: {},
    uses: [],
  },
  'laravel-scheduler': { command: ['php', 'artisan', 'schedule:work'], environment: {}, uses: [] },
  nextjs: { port: 3000, healthCheckPath: '/', environment: {}, uses: [] },
};
