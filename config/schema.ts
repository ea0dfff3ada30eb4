import { z } from 'zod';

/**
 * The schema of one resolved (system, stage) configuration.
 *
 * A resolved configuration is what the stage tier, the system file and the system's per-stage
 * overrides add up to (see `loader.ts`). It is validated once, here, and every construct below
 * `lib/` trusts it. Objects are strict: an unknown key is an error, so a misspelling never
 * silently falls back to a default.
 */

/** Stage names; each is also the name of a tier in `tiers.ts`. */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
/** One of `dev`, `staging`, `prod`. */
export type StageName = (typeof STAGE_NAMES)[number];

/** The kinds of service a system can run. */
export const SERVICE_KINDS = ['laravel-web', 'laravel-worker', 'laravel-scheduler', 'nextjs'] as const;
/** One of {@link SERVICE_KINDS}. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Built-in data stores a service can use; external databases are used by their config key. */
export const DATA_STORES = ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads'] as const;

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
/** Environment variable names that must never carry a literal value. */
const SECRET_LIKE_KEY = /(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|ACCESS_KEY)/;

/**
 * Checks an IPv4 CIDR block such as `10.20.0.0/16`.
 *
 * @returns an error message, or undefined when the block is valid
 */
export function cidrProblem(value: string, minPrefix = 8, maxPrefix = 32): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return `'${value}' is not an IPv4 CIDR block (write it like '10.20.0.0/16')`;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) return `'${value}' has an octet above 255`;
  if (prefix < minPrefix || prefix > maxPrefix) {
    return `'${value}' has prefix /${prefix}; use a prefix between /${minPrefix} and /${maxPrefix}`;
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    const base = address - (address % size);
    const dotted = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.');
    return `'${value}' has host bits set (did you mean '${dotted}/${prefix}'?)`;
  }
  return undefined;
}

const cidr = (minPrefix: number, maxPrefix: number) =>
  z.string().superRefine((value, ctx) => {
    const problem = cidrProblem(value, minPrefix, maxPrefix);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const positiveInt = z.number().int().positive();

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const logRetentionDays = z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
  error: (iss) =>
    `${String(iss.input)} is not a CloudWatch Logs retention; pick one of ${LOG_RETENTION_DAYS.join(', ')}`,
});

/** A reference to an existing Secrets Manager secret: by name or by full ARN, never by value. */
export const secretRefSchema = z.union(
  [
    z.strictObject({ secretName: z.string().min(1) }),
    z.strictObject({ secretArn: z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN') }),
  ],
  { error: "give either { secretName: '...' } or { secretArn: 'arn:aws:secretsmanager:...' }" },
);

const removalSchema = z.strictObject({
  /** What CloudFormation does with stateful resources when they leave the template. */
  policy: z.enum(['destroy', 'snapshot', 'retain']),
  /** Deletion protection on databases, load balancers and the data stack. */
  deletionProtection: z.boolean(),
});

const networkSchema = z.strictObject({
  /** The VPC's IPv4 range; /16 to /20 leaves room for three subnet tiers in three AZs. */
  cidr: cidr(16, 20),
  /** NAT gateways: 1 is cheap; `'one-per-az'` survives the loss of a zone. */
  natGateways: z.union([z.number().int().min(1), z.literal('one-per-az')], {
    error: "must be a whole number of at least 1 or 'one-per-az'",
  }),
  /** Interface endpoints by service name (`ecr.api`, `ecr.dkr`, `logs`, `secretsmanager`, ...). */
  interfaceEndpoints: z.array(z.enum(['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sts', 'kms', 'ssm', 'ecs'])),
  /** Days to keep VPC flow logs. */
  flowLogRetentionDays: logRetentionDays,
});

const mysqlSchema = z.strictObject({
  databaseName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, 'must start with a letter and hold letters, digits or _'),
  /**
   * Full engine version, e.g. `8.4.8`; a bare major (`8.4`) is rejected by CloudFormation
   * validation. 8.0 only with `engineLifecycleSupport` (see {@link checkRules}).
   */
  engineVersion: z
    .string()
    .regex(/^8\.(0|4)\.\d+$/, "must be a full MySQL 8.4 (or 8.0) version such as '8.4.10' (not '8.4')"),
  /**
   * RDS Extended Support enrolment (`EngineLifecycleSupport`). Required, as
   * `open-source-rds-extended-support`, for MySQL 8.0: past standard support it runs only in
   * paid Extended Support, billed per vCPU-hour on top of the instance.
   */
  engineLifecycleSupport: z
    .enum(['open-source-rds-extended-support', 'open-source-rds-extended-support-disabled'])
    .optional(),
  instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, "must be an instance type without 'db.', e.g. 't4g.medium'"),
  multiAz: z.boolean(),
  readReplicas: z.number().int().min(0).max(5),
  allocatedStorageGiB: z.number().int().min(20),
  maxAllocatedStorageGiB: z.number().int().min(20),
  backupRetentionDays: z.number().int().min(1).max(35),
  port: z.number().int().min(1150).max(65535),
});

const postgresSchema = z.strictObject({
  databaseName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, 'must start with a letter and hold letters, digits or _'),
  /** Full engine version, e.g. `15.10`. */
  engineVersion: z.string().regex(/^15\.\d+$/, "must be a full PostgreSQL 15 version such as '15.10'"),
  instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, "must be an instance type without 'db.', e.g. 't4g.medium'"),
  multiAz: z.boolean(),
  allocatedStorageGiB: z.number().int().min(20),
  maxAllocatedStorageGiB: z.number().int().min(20),
  backupRetentionDays: z.number().int().min(1).max(35),
  port: z.number().int().min(1150).max(65535),
});

const redisSchema = z.strictObject({
  engine: z.enum(['valkey', 'redis']),
  engineVersion: z.string().regex(/^\d+\.\d+$/, "must be 'major.minor', e.g. '7.2' or '8.0'"),
  nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be a cache node type such as 'cache.t4g.small'"),
  /** Cluster mode (sharding). ShipmentApp asks for a Redis cluster. */
  clusterMode: z.boolean(),
  /** Node groups (shards) when cluster mode is on; must be 1 otherwise. */
  shards: positiveInt,
  /** Replicas per shard; at least one is needed for automatic failover. */
  replicasPerShard: z.number().int().min(0).max(5),
  automaticFailover: z.boolean(),
  snapshotRetentionDays: z.number().int().min(0).max(35),
});

const rabbitmqSchema = z.strictObject({
  /** Full engine version, e.g. `3.13`. */
  engineVersion: z.string().regex(/^3\.\d+(\.\d+)?$/, "must be a RabbitMQ 3 version such as '3.13'"),
  instanceType: z
    .string()
    .regex(/^mq\.[a-z0-9]+\.[a-z0-9]+$/, "must be a broker instance type such as 'mq.m7g.medium'"),
  deploymentMode: z.enum(['SINGLE_INSTANCE', 'CLUSTER_MULTI_AZ']),
  /** The virtual host Laravel connects to. */
  vhost: z.string().min(1),
});

const bucketsSchema = z.strictObject({
  /** Days to keep noncurrent object versions in the uploads bucket. */
  noncurrentVersionDays: positiveInt,
  /** Days to keep access logs. */
  accessLogRetentionDays: positiveInt,
});

const externalDatabaseSchema = z.strictObject({
  engine: z.enum(['mysql', 'postgres']),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1),
  /** Address range of the host, for the one egress rule that reaches it. */
  cidr: cidr(8, 32),
  /** Existing secret with `username` and `password` keys of a read-only user. */
  credentials: secretRefSchema,
  /** Laravel variable prefix, e.g. `DOLIBARR_DB` gives `DOLIBARR_DB_HOST`, ... */
  envPrefix: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "must be upper case, e.g. 'DOLIBARR_DB'"),
  password: z
    .never({
      error:
        'plaintext passwords are not allowed; store the read-only credentials in Secrets Manager and set credentials: { secretName: "..." }',
    })
    .optional(),
  username: z
    .never({ error: 'the username comes from the credentials secret; remove it here and keep it in the secret' })
    .optional(),
});

const serviceSchema = z.strictObject({
  kind: z.enum(SERVICE_KINDS),
  /** The image (ECR repository key under `images`) this service runs. */
  image: z.string().regex(NAME, 'must be a lower-case image key from images'),
  /** Container port the load balancer sends traffic to. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Health-check path of the web container. */
  healthCheckPath: z.string().startsWith('/').optional(),
  /** Host name: a label (`api`, under the stage's domain) or a full name inside the stage's domain. */
  host: z.string().optional(),
  /** Web services: paths the smoke test requests on green, after the health path. */
  smokePaths: z.array(z.string().startsWith('/')).optional(),
  /** Command override, e.g. `['php', 'artisan', 'queue:work']`. */
  command: z.array(z.string()).optional(),
  /** Plain environment; never passwords (those come from `uses` and secrets). */
  environment: z.record(z.string().regex(ENV_KEY, 'must be an upper-case variable name'), z.string()),
  /** Data stores and external databases this service connects to. */
  uses: z.array(z.string()),
  /** Workers: seconds a job may run (`queue:work --timeout`); the task gets 10 more to stop. */
  jobTimeoutSeconds: z.number().int().min(1).max(110).optional(),
  cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]),
  memoryMiB: positiveInt,
  minTasks: z.number().int().min(0),
  maxTasks: positiveInt,
});

const imageSchema = z.strictObject({
  /** The application repository that builds this image, as `owner/name`. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be 'owner/name'"),
  /** Laravel (PHP-FPM) or Next.js. */
  runtime: z.enum(['laravel', 'nextjs']),
  /** The PHP version the image is built on (Laravel only). */
  phpVersion: z.enum(['8.1', '8.2', '8.3', '8.4']).optional(),
  /**
   * Laravel only: the image runs PHP-FPM alone and an nginx sidecar (image `<key>-nginx`, built
   * from the same repository) serves HTTP; false when the image serves HTTP itself.
   */
  nginxSidecar: z.boolean().optional(),
  /** User the application container runs as (non-root where the image allows). */
  user: z
    .string()
    .regex(/^[\w-]+(:[\w-]+)?$/, "must be 'user' or 'uid:gid'")
    .optional(),
  /** Laravel only: the one-off command a deploy runs before traffic moves. */
  migrateCommand: z.array(z.string()).min(1).optional(),
  /** Run with a read-only root file system; scratch volumes cover what the app writes. */
  readonlyRootFilesystem: z.boolean(),
  /** Image tag; the deploy's `imageTag` context wins over it, and it wins over the tier's. */
  tag: z
    .string()
    .regex(/^[\w][\w.-]{0,127}$/, 'must be a valid image tag')
    .optional(),
});

const scalingSchema = z.strictObject({
  /** Average CPU utilisation (%) every service scales to. */
  cpuTargetPercent: z.number().int().min(10).max(95),
  /** Requests per task per minute a web service scales to. */
  requestsPerTarget: positiveInt,
  /** Queued messages per worker task that a worker scales to (Amazon MQ only). */
  messagesPerWorker: positiveInt,
});

const cdnSchema = z.strictObject({
  /** Path patterns served from the static-assets bucket instead of the load balancer. */
  staticPaths: z.array(z.string().regex(/^\/[\w\-./*]*$/, "must be a path pattern such as '/build/*'")),
  /** Requests per five minutes from one IP before the web ACL blocks it. */
  rateLimitPerIp: z.number().int().min(10).max(2_000_000_000),
});

const monitoringSchema = z.strictObject({
  /** Service CPU above this (%) for 5 minutes alarms. */
  ecsCpuPercent: z.number().min(1).max(100),
  /** Service memory above this (%) for 5 minutes alarms. */
  ecsMemoryPercent: z.number().min(1).max(100),
  /** Database CPU above this (%) for 10 minutes alarms. */
  rdsCpuPercent: z.number().min(1).max(100),
  /** Free database storage below this share of the allocation (%) alarms. */
  rdsFreeStoragePercent: z.number().min(1).max(50),
  /** More database connections than this alarm. */
  rdsConnections: positiveInt,
  /** Read-replica lag above this many seconds alarms. */
  replicaLagSeconds: positiveInt,
  /** Cache memory above this (%) alarms. */
  cacheMemoryPercent: z.number().min(1).max(100),
  /** Cache engine CPU above this (%) alarms. */
  cacheCpuPercent: z.number().min(1).max(100),
  /** Broker memory above this share of its limit (%) alarms. */
  brokerMemoryPercent: z.number().min(1).max(100),
  /** More queued messages than this alarm. */
  queueDepth: positiveInt,
  /** CloudFront 5xx error rate above this (%) alarms. */
  cloudFront5xxPercent: z.number().min(0.1).max(100),
});

const backupSchema = z.strictObject({
  /** Days AWS Backup keeps the daily database backups. */
  retentionDays: z.number().int().min(1).max(36500),
  /** A copy of every backup in a vault of another region, for disaster recovery. */
  crossRegionCopy: z
    .strictObject({
      region: z.string().regex(REGION, "must be a region such as 'eu-central-1'"),
      /** An existing vault in that region (see README). */
      vaultName: z.string().regex(/^[a-zA-Z0-9\-_]{2,50}$/, 'must be a backup vault name'),
    })
    .optional(),
});

const deploymentSchema = z.strictObject({
  /** How CodeDeploy shifts traffic to green. */
  trafficShifting: z.enum(['all-at-once', 'canary-10-5', 'linear-10-1']),
  /** Minutes blue is kept after a successful shift, so a rollback is instant. */
  terminationWaitMinutes: z.number().int().min(0).max(2880),
  /** Seconds the load balancer drains a deregistered task. */
  deregistrationDelaySeconds: z.number().int().min(0).max(3600),
  /** Image tag every service runs unless the deploy passes another. */
  imageTag: z.string().regex(/^[\w][\w.-]{0,127}$/, 'must be a valid image tag'),
  /** Longest a blue/green deployment may take before `cdk deploy` fails and rolls back. */
  timeoutMinutes: z.number().int().min(10).max(360),
  /** Longest the migrations of a deployment may run before they are stopped. */
  migrationTimeoutMinutes: z.number().int().min(1).max(55),
  /** Days a pre-migration snapshot of the MySQL primary is kept. */
  snapshotRetentionDays: z.number().int().min(1).max(365),
  /** Thresholds of the alarms that roll a deployment back. */
  alarms: z.strictObject({
    /** Target 5xx responses per minute, blue and green together. */
    target5xxPerMinute: positiveInt,
    /** p95 target response time, in milliseconds. */
    latencyP95Ms: positiveInt,
  }),
});

const stageSchema = z.strictObject({
  account: z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id'),
  region: z.string().regex(REGION, "must be a region such as 'eu-west-1'"),
  /** Availability zones, named so synth never looks them up. */
  availabilityZones: z.array(z.string()).min(2, 'give at least two availability zones').max(3),
  /** The stage's domain; every public host lives under it. */
  domainName: z.string().regex(DOMAIN, "must be a lower-case domain such as 'dev.example.com'"),
  /** The Route 53 hosted zone that holds `domainName`. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/, "must be a Route 53 zone id such as 'Z0123456789ABCDEFGHIJ'"),
  alertEmails: z.array(z.email()),
  /** The tooling account whose pipeline pushes images to and deploys this stage. */
  toolingAccount: z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id').optional(),
  removal: removalSchema,
  logRetentionDays,
  network: networkSchema,
  deployment: deploymentSchema,
  scaling: scalingSchema,
  cdn: cdnSchema,
  monitoring: monitoringSchema,
  backup: backupSchema,
  mysql: mysqlSchema.optional(),
  postgres: postgresSchema.optional(),
  redis: redisSchema.optional(),
  rabbitmq: rabbitmqSchema.optional(),
  buckets: bucketsSchema,
  externalDatabases: z.record(z.string().regex(NAME, 'must be a lower-case name'), externalDatabaseSchema),
});

/** Everything about one system in one stage. */
export const resolvedConfigSchema = z
  .strictObject({
    system: z.string().regex(NAME, 'must be a lower-case name'),
    stage: z.enum(STAGE_NAMES),
    /** Shown on the cost-allocation tag `CostCenter`. */
    costCenter: z.string().min(1),
    images: z.record(z.string().regex(NAME, 'must be a lower-case name'), imageSchema),
    services: z.record(z.string().regex(NAME, 'must be a lower-case name'), serviceSchema),
  })
  .extend(stageSchema.shape)
  .superRefine((config, ctx) => checkRules(config, ctx));

/** Where a system's pipeline runs and what it watches. */
export const pipelineSchema = z.strictObject({
  /** The tooling account the pipeline runs in. */
  account: z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id'),
  region: z.string().regex(REGION, "must be a region such as 'eu-west-1'"),
  /** The CodeConnections (CodeStar) connection to the Git host. */
  connectionArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
      'must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)',
    ),
  /** This infrastructure repository, as `owner/name`. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be 'owner/name'"),
  /** The branch whose pushes run the pipeline. */
  branch: z.literal('main', { error: "the pipeline deploys pushes to 'main' only (set branch: 'main')" }),
});

/** A validated pipeline configuration. */
export type PipelineConfig = z.infer<typeof pipelineSchema>;

/** A validated (system, stage) configuration. */
export type ResolvedConfig = z.infer<typeof resolvedConfigSchema>;
/** One service of a resolved configuration. */
export type ServiceConfig = ResolvedConfig['services'][string];
/** The MySQL settings of a resolved configuration. */
export type MysqlConfig = NonNullable<ResolvedConfig['mysql']>;
/** The PostgreSQL settings of a resolved configuration. */
export type PostgresConfig = NonNullable<ResolvedConfig['postgres']>;
/** The Redis settings of a resolved configuration. */
export type RedisConfig = NonNullable<ResolvedConfig['redis']>;
/** The RabbitMQ settings of a resolved configuration. */
export type RabbitmqConfig = NonNullable<ResolvedConfig['rabbitmq']>;
/** One external database of a resolved configuration. */
export type ExternalDatabaseConfig = ResolvedConfig['externalDatabases'][string];

type Ctx = z.RefinementCtx<ResolvedConfig>;

/** Rules that span fields; each issue names its path and the fix. */
function checkRules(c: ResolvedConfig, ctx: Ctx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  c.availabilityZones.forEach((az, i) => {
    if (!new RegExp(`^${c.region}[a-z]$`).test(az)) {
      issue(['availabilityZones', i], `'${az}' is not a zone of region ${c.region} (use e.g. '${c.region}a')`);
    }
  });
  if (new Set(c.availabilityZones).size !== c.availabilityZones.length) {
    issue(['availabilityZones'], 'lists a zone twice; name each zone once');
  }
  const nat = natGatewayCount(c);
  if (nat > c.availabilityZones.length) {
    issue(
      ['network', 'natGateways'],
      `${nat} NAT gateways for ${c.availabilityZones.length} zones; use at most one per zone`,
    );
  }

  if (c.stage === 'prod') {
    if (c.mysql && !c.mysql.multiAz) issue(['mysql', 'multiAz'], 'prod requires Multi-AZ (set multiAz: true)');
    if (c.postgres && !c.postgres.multiAz) issue(['postgres', 'multiAz'], 'prod requires Multi-AZ (set multiAz: true)');
    if (c.redis && !c.redis.automaticFailover) {
      issue(['redis', 'automaticFailover'], 'prod requires automatic failover (set automaticFailover: true)');
    }
    if (c.rabbitmq && c.rabbitmq.deploymentMode !== 'CLUSTER_MULTI_AZ') {
      issue(['rabbitmq', 'deploymentMode'], "prod requires a Multi-AZ broker (set deploymentMode: 'CLUSTER_MULTI_AZ')");
    }
    if (c.removal.policy === 'destroy') {
      issue(['removal', 'policy'], "prod must keep its data (set policy: 'snapshot' or 'retain')");
    }
    if (!c.removal.deletionProtection) {
      issue(['removal', 'deletionProtection'], 'prod requires deletion protection (set deletionProtection: true)');
    }
    if (nat < c.availabilityZones.length) {
      issue(['network', 'natGateways'], "prod needs one NAT gateway per zone (set natGateways: 'one-per-az')");
    }
  }
  if (c.backup.crossRegionCopy && c.backup.crossRegionCopy.region === c.region) {
    issue(
      ['backup', 'crossRegionCopy', 'region'],
      `copies must go to another region than ${c.region} (pick one such as 'eu-central-1')`,
    );
  }
  // RDS standard support of MySQL 8.0 ended 31 July 2026: a new 8.0 instance runs only in paid
  // Extended Support, so that cost must be chosen in config, not inherited silently.
  if (
    c.mysql?.engineVersion.startsWith('8.0.') &&
    c.mysql.engineLifecycleSupport !== 'open-source-rds-extended-support'
  ) {
    issue(
      ['mysql', 'engineVersion'],
      `${c.mysql.engineVersion} is past RDS standard support (31 July 2026) and runs only in paid Extended Support; ` +
        "use 8.4 (e.g. '8.4.10') or set engineLifecycleSupport: 'open-source-rds-extended-support'",
    );
  }
  if (c.stage !== 'dev' && c.mysql && c.mysql.readReplicas < 1) {
    issue(['mysql', 'readReplicas'], `${c.stage} needs at least one read replica (set readReplicas: 1)`);
  }

  for (const [key, store] of [
    ['mysql', c.mysql],
    ['postgres', c.postgres],
  ] as const) {
    if (store && store.maxAllocatedStorageGiB < store.allocatedStorageGiB) {
      issue(
        [key, 'maxAllocatedStorageGiB'],
        `${store.maxAllocatedStorageGiB} is below allocatedStorageGiB ${store.allocatedStorageGiB}; raise it or lower allocatedStorageGiB`,
      );
    }
  }
  if (c.redis) {
    if (!c.redis.clusterMode && c.redis.shards !== 1) {
      issue(['redis', 'shards'], 'shards only apply in cluster mode (set shards: 1 or clusterMode: true)');
    }
    if (c.redis.automaticFailover && c.redis.replicasPerShard < 1) {
      issue(['redis', 'replicasPerShard'], 'automatic failover needs a replica (set replicasPerShard: 1 or more)');
    }
    if (c.redis.clusterMode && !c.redis.automaticFailover) {
      issue(['redis', 'automaticFailover'], 'cluster mode requires automatic failover (set automaticFailover: true)');
    }
  }

  for (const [key, image] of Object.entries(c.images)) {
    if (
      image.runtime !== 'laravel' &&
      (image.nginxSidecar !== undefined || image.phpVersion !== undefined || image.migrateCommand !== undefined)
    ) {
      issue(['images', key], 'nginxSidecar, phpVersion and migrateCommand apply to Laravel images only; remove them');
    }
    if (image.nginxSidecar && c.images[`${key}-nginx`]) {
      issue(['images', `${key}-nginx`], `the nginx sidecar image of '${key}' is implied; remove this entry`);
    }
  }

  checkServices(c, issue);
}

function checkServices(c: ResolvedConfig, issue: (path: (string | number)[], message: string) => void): void {
  const available = new Set<string>(Object.keys(c.externalDatabases));
  if (c.mysql) available.add('mysql');
  if (c.postgres) available.add('postgres');
  if (c.redis) available.add('redis');
  if (c.rabbitmq) available.add('rabbitmq');
  available.add('uploads');

  const hosts = new Map<string, string>();
  const schedulers = new Map<string, string>();
  for (const [name, s] of Object.entries(c.services)) {
    const path = ['services', name];
    const image = c.images[s.image];
    if (!image) {
      issue(
        [...path, 'image'],
        `'${s.image}' is not an image of this system (use one of: ${Object.keys(c.images).join(', ')})`,
      );
    } else if ((s.kind === 'nextjs') !== (image.runtime === 'nextjs')) {
      issue([...path, 'image'], `a ${s.kind} service cannot run the ${image.runtime} image '${s.image}'`);
    }
    if (s.jobTimeoutSeconds !== undefined && s.kind !== 'laravel-worker') {
      issue([...path, 'jobTimeoutSeconds'], `only workers have a job timeout; remove it from this ${s.kind} service`);
    }
    const isWeb = s.kind === 'laravel-web' || s.kind === 'nextjs';
    if (s.smokePaths !== undefined && !isWeb) {
      issue([...path, 'smokePaths'], `a ${s.kind} service takes no traffic to smoke-test; remove smokePaths`);
    }
    if (isWeb && !s.host) issue([...path, 'host'], `a ${s.kind} service needs a host (e.g. host: '${name}')`);
    if (!isWeb && s.host) issue([...path, 'host'], `a ${s.kind} service takes no traffic; remove host`);
    if (s.host) {
      const fqdn = resolveHost(s.host, c.domainName);
      if (fqdn === undefined) {
        issue(
          [...path, 'host'],
          `'${s.host}' is outside the stage's domain '${c.domainName}' (use a label such as '${name}' or a name ending in '.${c.domainName}')`,
        );
      } else if (hosts.has(fqdn)) {
        issue(
          [...path, 'host'],
          `'${fqdn}' is already the host of service '${hosts.get(fqdn)}'; give each service its own host`,
        );
      } else {
        hosts.set(fqdn, name);
      }
    }
    if (s.kind === 'laravel-scheduler') {
      const other = schedulers.get(s.image);
      if (other) issue([...path, 'kind'], `image '${s.image}' already has the scheduler '${other}'; run exactly one`);
      schedulers.set(s.image, name);
      if (s.minTasks > 1 || s.maxTasks !== 1) {
        issue([...path, 'maxTasks'], 'the scheduler runs exactly one task (set minTasks: 1 and maxTasks: 1)');
      }
    }
    if (s.minTasks > s.maxTasks) {
      issue(
        [...path, 'minTasks'],
        `minTasks ${s.minTasks} is above maxTasks ${s.maxTasks}; lower minTasks or raise maxTasks`,
      );
    }
    s.uses.forEach((store, i) => {
      if (!available.has(store)) {
        issue(
          [...path, 'uses', i],
          `'${store}' is not a data store of this system (available: ${[...available].sort().join(', ')})`,
        );
      }
    });
    for (const [key, value] of Object.entries(s.environment)) {
      for (const [, target] of value.matchAll(/\{host:([^}]*)\}/g)) {
        if (!c.services[target]?.host) {
          issue(
            [...path, 'environment', key],
            `{host:${target}} names no service with a host (use one of: ${Object.keys(c.services)
              .filter((n) => c.services[n].host)
              .join(', ')})`,
          );
        }
      }
      if (SECRET_LIKE_KEY.test(key)) {
        issue(
          [...path, 'environment', key],
          'looks like a secret; plain environment values end up in the template (pass it through Secrets Manager instead)',
        );
      }
    }
  }
}

/** How many NAT gateways a configuration asks for. */
export function natGatewayCount(c: Pick<ResolvedConfig, 'network' | 'availabilityZones'>): number {
  return c.network.natGateways === 'one-per-az' ? c.availabilityZones.length : c.network.natGateways;
}

/**
 * The full host name a service's `host` setting means in a stage's domain.
 *
 * @returns the fully qualified name, or undefined when it lies outside the domain
 */
export function resolveHost(host: string, domainName: string): string | undefined {
  if (LABEL.test(host)) return `${host}.${domainName}`;
  if (host === domainName || host.endsWith(`.${domainName}`)) return host;
  return undefined;
}
