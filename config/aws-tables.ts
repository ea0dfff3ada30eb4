/**
 * Values AWS constrains, kept in one place so config can reject what AWS would refuse at deploy
 * time, and say what it accepts instead. Checked against AWS's pages on 2026-11-25; when AWS
 * adds a region, class or version, add it here (and nothing else needs to change).
 *
 * Sources:
 * - Regions: the region list of aws-cdk-lib 2.276's `region-info` (commercial partition).
 *   Zone letters: the per-region zone names of the AWS "Regions and Availability Zones" page;
 *   letters map to physical zones per account, so the table allows every letter a region has.
 * - Fargate: "Task CPU and memory" in the Amazon ECS developer guide (task-cpu-memory-error.html).
 * - RDS PostgreSQL 15: the minor versions aws-cdk-lib 2.276 knows (`PostgresEngineVersion`),
 *   from 15.10 on; older 15.x minors are past RDS's standard support on the release calendar.
 * - RDS MySQL 8.4 and 8.0: the minor versions aws-cdk-lib 2.276 knows (`MysqlEngineVersion`)
 *   and does not mark "no longer supported by Amazon RDS" (8.4.5 to 8.4.10, 8.0.42 to 8.0.46),
 *   as the RDS user guide's "Supported MySQL minor versions on Amazon RDS" lists them; checked
 *   on 2026-12-03.
 * - ElastiCache: "Supported engines and versions" (engine-versions.html): Valkey 7.2–9.1,
 *   Redis OSS 6.2–7.1.
 * - Amazon MQ: "Managing Amazon MQ for RabbitMQ engine versions": 3.13 on mq.t3, mq.m5 and
 *   mq.m7g; 4.2 on mq.m7g only. mq.t3.micro runs single-instance brokers only ("Broker instance
 *   types").
 * - Instance classes: the RDS "DB instance classes" and ElastiCache "Supported node types" pages,
 *   current generations only (families and sizes below).
 * - RabbitMQ memory high watermarks: the Amazon MQ developer guide, "Amazon MQ for RabbitMQ
 *   instance types" and "Memory and disk alarms" (moved here from the broker alarms).
 * - Limits: the CloudWatch user guide, "Limits that apply to alarms based on metric math
 *   expressions" (at most 10 metrics, a hard limit); the ElastiCache user guide, "Working with
 *   shards in ElastiCache" (90 nodes per cluster by default, one to six nodes per shard); the
 *   CodePipeline user guide, "Valid input and output artifacts for each action type" (a
 *   CodeBuild action takes 1 to 5 input artifacts). Checked on 2026-12-03.
 */

/** Availability-zone letters per commercial region. */
export const REGION_ZONES: Readonly<Record<string, string>> = {
  'af-south-1': 'abc',
  'ap-east-1': 'abc',
  'ap-east-2': 'abc',
  'ap-northeast-1': 'acd',
  'ap-northeast-2': 'abcd',
  'ap-northeast-3': 'abc',
  'ap-south-1': 'abc',
  'ap-south-2': 'abc',
  'ap-southeast-1': 'abc',
  'ap-southeast-2': 'abc',
  'ap-southeast-3': 'abc',
  'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc',
  'ap-southeast-6': 'abc',
  'ap-southeast-7': 'abc',
  'ca-central-1': 'abd',
  'ca-west-1': 'abc',
  'eu-central-1': 'abc',
  'eu-central-2': 'abc',
  'eu-north-1': 'abc',
  'eu-south-1': 'abc',
  'eu-south-2': 'abc',
  'eu-west-1': 'abc',
  'eu-west-2': 'abc',
  'eu-west-3': 'abc',
  'il-central-1': 'abc',
  'me-central-1': 'abc',
  'me-south-1': 'abc',
  'mx-central-1': 'abc',
  'sa-east-1': 'abc',
  'us-east-1': 'abcdef',
  'us-east-2': 'abc',
  'us-west-1': 'abc',
  'us-west-2': 'abcd',
};

/** Every region this app may deploy to. */
export const REGIONS: readonly string[] = Object.keys(REGION_ZONES);

/** Fargate task CPU units and the memory sizes (MiB) each allows. */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
};

/** RDS for PostgreSQL 15 minor versions offered for new instances. */
export const POSTGRES_VERSIONS: readonly string[] = ['15.10', '15.12', '15.13', '15.14', '15.15', '15.16', '15.17'];

/** RDS for MySQL 8.4 and 8.0 minor versions offered for new instances, oldest first. */
export const MYSQL_VERSIONS: readonly string[] = [
  ...[5, 6, 7, 8, 9, 10].map((minor) => `8.4.${minor}`),
  ...[42, 43, 44, 45, 46].map((minor) => `8.0.${minor}`),
];

/** ElastiCache engine versions (`major.minor`) per engine. */
export const CACHE_VERSIONS: Readonly<Record<'valkey' | 'redis', readonly string[]>> = {
  valkey: ['7.2', '8.0', '8.1', '8.2', '9.0', '9.1'],
  redis: ['6.2', '7.0', '7.1'],
};

/** Amazon MQ for RabbitMQ versions and the instance families each runs on. */
export const RABBITMQ_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '3.13': ['t3', 'm5', 'm7g'],
  '4.2': ['m7g'],
};

/** Amazon MQ broker instance types. */
export const MQ_INSTANCE_TYPES: readonly string[] = [
  'mq.t3.micro',
  ...['large', 'xlarge', '2xlarge', '4xlarge'].map((s) => `mq.m5.${s}`),
  ...['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map((s) => `mq.m7g.${s}`),
];

/**
 * The memory high watermark of one RabbitMQ node, in GiB, by broker instance type: absolute
 * values for `mq.m7g`, 40 % of the instance's memory (8, 16, 32, 64 GiB) for `mq.m5`.
 * `mq.t3.micro` runs single-instance brokers only and needs no per-node alarm. A Multi-AZ
 * cluster's per-node memory alarm needs its type in this table.
 */
export const RABBITMQ_MEMORY_HIGH_WATERMARK_GIB: Readonly<Record<string, number>> = {
  'mq.m7g.medium': 1.8,
  'mq.m7g.large': 4.3,
  'mq.m7g.xlarge': 9.3,
  'mq.m7g.2xlarge': 19.3,
  'mq.m7g.4xlarge': 39.4,
  'mq.m7g.8xlarge': 79.7,
  'mq.m7g.12xlarge': 119.8,
  'mq.m7g.16xlarge': 160.1,
  'mq.m5.large': 0.4 * 8,
  'mq.m5.xlarge': 0.4 * 16,
  'mq.m5.2xlarge': 0.4 * 32,
  'mq.m5.4xlarge': 0.4 * 64,
};

/** The most metrics one CloudWatch alarm on a metric math expression may reference (a hard limit). */
export const CLOUDWATCH_ALARM_MAX_METRICS = 10;

/** ElastiCache's default quota of nodes per Valkey or Redis OSS cluster. */
export const ELASTICACHE_MAX_NODES_PER_CLUSTER = 90;

/**
 * The most nodes a cache may have: its alarms take the worst node in one math expression of
 * every node (`shards × (replicasPerShard + 1)`), so CloudWatch's limit binds long before
 * ElastiCache's quota.
 */
export const CACHE_ALARM_MAX_NODES = Math.min(CLOUDWATCH_ALARM_MAX_METRICS, ELASTICACHE_MAX_NODES_PER_CLUSTER);

/** The most input artifacts a CodePipeline (CodeBuild) action takes. */
export const CODEPIPELINE_MAX_INPUT_ARTIFACTS = 5;

/**
 * The most images a system's pipeline builds: its deploy action takes this repository and one
 * static-files artifact per image.
 */
export const PIPELINE_MAX_IMAGES = CODEPIPELINE_MAX_INPUT_ARTIFACTS - 1;

const BURSTABLE = ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];
const GENERAL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];

/** RDS DB instance classes without the `db.` prefix (`t4g.micro`, `m7g.large`, ...). */
export const RDS_INSTANCE_CLASSES: readonly string[] = [
  ...['t3', 't4g'].flatMap((f) => BURSTABLE.map((s) => `${f}.${s}`)),
  ...['m5', 'm6g', 'm6i', 'm7g', 'm7i', 'm8g', 'r5', 'r6g', 'r6i', 'r7g', 'r7i', 'r8g'].flatMap((f) =>
    GENERAL.map((s) => `${f}.${s}`),
  ),
];

/** ElastiCache node types (`cache.t4g.micro`, ...). */
export const CACHE_NODE_TYPES: readonly string[] = [
  ...['t3', 't4g'].flatMap((f) => ['micro', 'small', 'medium'].map((s) => `cache.${f}.${s}`)),
  ...['m5', 'm6g', 'm7g', 'r6g', 'r7g'].flatMap((f) => GENERAL.map((s) => `cache.${f}.${s}`)),
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export { closestName } from './closest';
