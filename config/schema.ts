import { z } from 'zod';
import { deploymentBudgetIssues, MAX_DEPLOY_MINUTES } from './deployment-budget';
import {
  CACHE_NODE_TYPES,
  CACHE_VERSIONS,
  closestName,
  FARGATE_MEMORY,
  MQ_INSTANCE_TYPES,
  POSTGRES_VERSIONS,
  RABBITMQ_VERSIONS,
  RDS_INSTANCE_CLASSES,
  REGION_ZONES,
  REGIONS,
} from './aws-tables';
import { natGatewayCount, resolveHost } from './names';

/**
 * The schema of one resolved (system, stage) configuration.
 *
 * A resolved configuration is what the stage tier, the system file and the system's per-stage
 * overrides add up to (see `loader.ts`). It is validated once, here, and every construct below
 * `lib/` trusts it. Objects are strict: an unknown key is an error, so a misspelling never
 * silently falls back to a default.
 */

/**
 * The stages every system has, in pipeline order; each is also the name of a tier in `tiers.ts`.
 * A system may add stages of its own (`qa`), each reusing a tier (see README, "A new stage").
 */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
/** A stage name: `dev`, `staging`, `prod`, or one a system file adds. */
export type StageName = string;
/** The tiers a stage can take its defaults and rules from; each has an entry in `tiers.ts`. */
export const TIER_NAMES = ['dev', 'staging', 'prod'] as const;
/** One of {@link TIER_NAMES}. */
export type TierName = (typeof TIER_NAMES)[number];

/** The kinds of service a system can run. */
export const SERVICE_KINDS = ['laravel-web', 'laravel-worker', 'laravel-scheduler', 'nextjs'] as const;
/** One of {@link SERVICE_KINDS}. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Built-in data stores a service can use; external databases are used by their config key. */
export const DATA_STORES = ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads'] as const;

const ACCOUNT = /^\d{12}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
/**
 * Environment variable names that must never carry a literal value: passwords (`*_PASS`,
 * `*_PASSWD`), keys (`*_KEY`, except `NEXT_PUBLIC_*`, which Next.js ships to browsers anyway),
 * tokens, credentials and connection strings (`DSN`, which carry the password).
 */
const SECRET_LIKE_KEY =
  /(PASSWORD|PASSWD|(^|_)PASS($|_)|(^|_)PWD($|_)|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|(^|_)DSN($|_)|(^|_)KEY($|_)|_KEY$)/;
/** A URL with `user:password@` in it. */
const URL_WITH_PASSWORD = /:\/\/[^/\s:@]+:[^/\s@]+@/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;

/** Laravel majors the wiring knows the variable names of. */
export const LARAVEL_VERSIONS = [10, 11, 12] as const;
/** One of {@link LARAVEL_VERSIONS}. */
export type LaravelVersion = (typeof LARAVEL_VERSIONS)[number];

/**
 * The Laravel major an image runs: config's `laravelVersion`, else the newest its PHP allows
 * for the seeds (PHP 8.1 stops at Laravel 10: laravel/laravel 11.x requires `"php": "^8.2"`).
 */
export function laravelMajor(image: { phpVersion?: string; laravelVersion?: LaravelVersion }): LaravelVersion {
  return image.laravelVersion ?? (image.phpVersion === '8.1' ? 10 : 11);
}

/**
 * The health path a Laravel web service gets when config names none. Laravel 11 added the
 * `/up` route (`withRouting(health: '/up')` in laravel/laravel 11.x `bootstrap/app.php`);
 * Laravel 10 has no such route, so the image contract asks the app to serve `/health`.
 */
export const LARAVEL_HEALTH_PATH: Record<LaravelVersion, string> = { 10: '/health', 11: '/up', 12: '/up' };

/**
 * The cache-store variable a Laravel major reads: `CACHE_DRIVER` in laravel/laravel 10.x
 * `config/cache.php`, `CACHE_STORE` from 11.x on.
 */
export function cacheVariable(major: LaravelVersion): 'CACHE_DRIVER' | 'CACHE_STORE' {
  return major === 10 ? 'CACHE_DRIVER' : 'CACHE_STORE';
}

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

/**
 * The most of a request body WAF inspects behind CloudFront: 16 KB by default, up to 64 KB
 * through the web ACL's AssociationConfig (CloudFormation `RequestBodyAssociatedResourceTypeConfig`).
 */
export const WAF_MAX_BODY_INSPECTION_BYTES = 65_536;

/** One of a table's values; the message names the nearest one when the value looks like a typo. */
const oneOf = (what: string, table: readonly string[], example: string) =>
  z.string().superRefine((value, ctx) => {
    if (table.includes(value)) return;
    const guess = closestName(value, table);
    ctx.addIssue({
      code: 'custom',
      message: guess
        ? `'${value}' is not ${what} (did you mean '${guess}'?)`
        : `'${value}' is not ${what} (e.g. '${example}'; the list is in config/aws-tables.ts)`,
    });
  });

const region = oneOf('an AWS region', REGIONS, 'eu-west-1');

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

/**
 * An application secret (mail password, payment or OAuth key) from an existing Secrets Manager
 * secret, by name or ARN, optionally one JSON key of it. `keyArn` names the customer-managed
 * KMS key that encrypts it, when there is one; without it the execution role may decrypt with
 * any key of the account, but only through Secrets Manager and only for this secret.
 */
export const appSecretSchema = z.union(
  [
    z.strictObject({
      secretName: z.string().min(1),
      jsonKey: z.string().min(1).optional(),
      keyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
    }),
    z.strictObject({
      secretArn: z.string().regex(SECRET_ARN, 'must be a Secrets Manager secret ARN'),
      jsonKey: z.string().min(1).optional(),
      keyArn: z.string().regex(KMS_KEY_ARN, 'must be a KMS key ARN').optional(),
    }),
  ],
  {
    error: (iss) =>
      typeof iss.input === 'string'
        ? "plaintext secret values are not allowed; store the value in Secrets Manager and write { secretName: '...', jsonKey?: '...' }"
        : "give { secretName: '...' } or { secretArn: 'arn:aws:secretsmanager:...' }, optionally with jsonKey and keyArn",
  },
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
  /**
   * What does the NAT: `'gateway'` (managed NAT gateways, about 33 USD a month each before
   * traffic) or `'instance'` (one t4g.nano NAT instance per `natGateways`, about 7 USD a month;
   * not highly available, and replaced on the first deploy after Amazon Linux publishes a new
   * AMI: the routes move once the new one has signalled, dropping connections in flight). Prod
   * needs gateways.
   */
  nat: z.enum(['gateway', 'instance']),
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
  instanceType: oneOf("an RDS instance class (write it without 'db.')", RDS_INSTANCE_CLASSES, 't4g.medium'),
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
  /** Full engine version, e.g. `15.15`, one RDS offers (`aws-tables.ts`). */
  engineVersion: oneOf('a PostgreSQL 15 version RDS offers', POSTGRES_VERSIONS, POSTGRES_VERSIONS.at(-1)!),
  instanceType: oneOf("an RDS instance class (write it without 'db.')", RDS_INSTANCE_CLASSES, 't4g.medium'),
  multiAz: z.boolean(),
  allocatedStorageGiB: z.number().int().min(20),
  maxAllocatedStorageGiB: z.number().int().min(20),
  backupRetentionDays: z.number().int().min(1).max(35),
  port: z.number().int().min(1150).max(65535),
});

const redisSchema = z.strictObject({
  engine: z.enum(['valkey', 'redis']),
  engineVersion: z.string().regex(/^\d+\.\d+$/, "must be 'major.minor', e.g. '7.2' or '8.0'"),
  nodeType: oneOf('an ElastiCache node type', CACHE_NODE_TYPES, 'cache.t4g.small'),
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
  /**
   * The broker's name: unique per account and region, shown in the console and the metrics'
   * `Broker` dimension. Changing it replaces the broker (a new, empty one), so a deployed stage
   * pins the name it was created with.
   *
   * @default - `<system>-<stage>`
   */
  brokerName: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,50}$/, 'must be 1-50 letters, digits, - or _ (Amazon MQ broker name)')
    .optional(),
  /** `major.minor`, e.g. `3.13`; Amazon MQ applies patches itself. */
  engineVersion: oneOf('a RabbitMQ version Amazon MQ offers', Object.keys(RABBITMQ_VERSIONS), '3.13'),
  instanceType: oneOf('an Amazon MQ broker instance type', MQ_INSTANCE_TYPES, 'mq.m7g.medium'),
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

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4 = z.string().regex(IPV4, "must be an IPv4 address such as '10.200.0.10'");

/** How packets from the VPC's private subnets reach an external database's range. */
const externalRouteSchema = z.discriminatedUnion(
  'kind',
  [
    /** A transit gateway shared with this account (RAM share accepted): attach the VPC, route the range to it. */
    z.strictObject({
      kind: z.literal('transit-gateway'),
      transitGatewayId: z
        .string()
        .regex(/^tgw-[0-9a-f]{8,17}$/, "must be a transit gateway id such as 'tgw-0123456789abcdef0'"),
    }),
    /** An accepted VPC peering connection to the database's VPC: route the range over it. */
    z.strictObject({
      kind: z.literal('peering'),
      peeringConnectionId: z
        .string()
        .regex(/^pcx-[0-9a-f]{8,17}$/, "must be a peering connection id such as 'pcx-0123456789abcdef0'"),
    }),
    /** A site-to-site VPN to the database's network: a virtual private gateway, a static route to the range. */
    z.strictObject({
      kind: z.literal('vpn'),
      /** Public IP of the customer gateway (the on-premises VPN device). */
      customerGatewayIp: ipv4,
      /** BGP ASN of the customer gateway. @default 65000 */
      customerGatewayAsn: z.number().int().min(1).max(4294967294).optional(),
    }),
  ],
  { error: "give route: { kind: 'transit-gateway' | 'peering' | 'vpn', ... }" },
);

/** How tasks in the VPC resolve an external database's host name. */
const externalDnsSchema = z.discriminatedUnion(
  'kind',
  [
    /** A private hosted zone named exactly like the host, with an A record to this address. */
    z.strictObject({ kind: z.literal('private-zone'), address: ipv4 }),
    /** A Route 53 Resolver outbound endpoint that forwards queries for the host to these DNS servers. */
    z.strictObject({ kind: z.literal('resolver'), targetIps: z.array(ipv4).min(1).max(6) }),
    /** The host is in public DNS (it may still resolve to a private address). */
    z.strictObject({ kind: z.literal('public') }),
  ],
  { error: "give dns: { kind: 'private-zone', address } | { kind: 'resolver', targetIps } | { kind: 'public' }" },
);

const externalDatabaseSchema = z.strictObject({
  engine: z.enum(['mysql', 'postgres']),
  /** Host name or IPv4 address the services connect to. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1),
  /** Address range of the host, for the one egress rule that reaches it. */
  cidr: cidr(8, 32),
  /** Existing secret with `username` and `password` keys of a read-only user. */
  credentials: secretRefSchema,
  /** How the VPC reaches `cidr`; an egress rule alone routes nothing. */
  route: externalRouteSchema,
  /**
   * How the VPC resolves `host`; required unless `host` is an IPv4 address.
   *
   * @default - none: only valid when `host` is an address
   */
  dns: externalDnsSchema.optional(),
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
  /** The app's own secrets (mail, payment, OAuth), by variable name, from existing Secrets Manager secrets. */
  secrets: z.record(z.string().regex(ENV_KEY, 'must be an upper-case variable name'), appSecretSchema).optional(),
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
   * The Laravel major the image runs (Laravel only); it picks the variable names and the
   * default health path.
   *
   * @default - 10 on PHP 8.1, 11 otherwise ({@link laravelMajor})
   */
  laravelVersion: z
    .union(
      LARAVEL_VERSIONS.map((v) => z.literal(v)),
      { error: 'must be 10, 11 or 12' },
    )
    .optional(),
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
  /**
   * Laravel only: the databases its migrations change, each snapshotted before they run.
   * Defaults to the databases its web service `uses`.
   */
  migrates: z.array(z.enum(['mysql', 'postgres'])).optional(),
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
  /**
   * Run every service on Fargate Spot, about a third of the on-demand price. Spot tasks may be
   * stopped at two minutes' notice (SIGTERM, then SIGKILL after the container's stop timeout) and
   * are not replaced by on-demand tasks when Spot has no capacity (Amazon ECS developer guide,
   * "Fargate capacity providers"). Not allowed in prod. Changing it on a deployed stage replaces
   * its ECS services (see docs/operations-over-time.md).
   */
  spot: z.boolean(),
});

const cdnSchema = z.strictObject({
  /** Path patterns served from the static-assets bucket instead of the load balancer. */
  staticPaths: z.array(z.string().regex(/^\/[\w\-./*]*$/, "must be a path pattern such as '/build/*'")),
  /** Requests per five minutes from one IP before the web ACL blocks it. */
  rateLimitPerIp: z.number().int().min(10).max(2_000_000_000),
  /**
   * Whether the stage's host names point at CloudFront (the edge stack owns their A/AAAA
   * records). Off until the data is copied; turning it on moves the traffic (docs/migration-guide.md).
   */
  cutover: z.boolean(),
  /**
   * Largest request body (bytes) the web ACL lets through on paths without their own limit.
   * WAF sees at most 64 KB of a CloudFront request body, so larger limits are per path.
   */
  maxBodyBytes: z
    .number()
    .int()
    .min(1)
    .max(WAF_MAX_BODY_INSPECTION_BYTES, {
      error: `WAF inspects at most ${WAF_MAX_BODY_INSPECTION_BYTES} bytes of a CloudFront request body; give larger limits per path in bodyLimits`,
    }),
  /**
   * Body limits of paths that take larger bodies (uploads): requests under `pathPrefix` may
   * carry up to `maxBodyBytes`. A limit above 64 KB exempts the path from the edge's size check
   * (WAF cannot measure past 64 KB); the application's own limit applies there.
   */
  bodyLimits: z
    .array(
      z.strictObject({
        pathPrefix: z.string().regex(/^\/[\w\-./]*$/, "must be a path prefix such as '/api/uploads'"),
        maxBodyBytes: positiveInt,
      }),
    )
    .max(10, 'at most 10 per-path body limits (each is a web ACL rule)'),
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
      region,
      /**
       * The vault the stage's DR stack creates in that region (own key, deletion blocked, locked
       * for the retention); the name is what a restore runbook uses.
       */
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
  /**
   * Image tag every service runs unless the deploy passes another. No default: a deploy names
   * the tag it pushed (`-c imageTag=<commit>`); without one the stage synthesizes but refuses to
   * deploy (see docs/first-deploy.md).
   */
  imageTag: z
    .string()
    .regex(/^[\w][\w.-]{0,127}$/, 'must be a valid image tag')
    .optional(),
  /**
   * Longest `cdk deploy` waits for a blue/green deployment (until traffic is fully shifted)
   * before it fails and rolls back; at most 55, see `config/deployment-budget.ts`.
   */
  timeoutMinutes: z
    .number()
    .int()
    .min(10)
    .max(MAX_DEPLOY_MINUTES, {
      error: `CloudFormation waits at most 60 min for a custom resource; set at most ${MAX_DEPLOY_MINUTES}`,
    }),
  /** Longest the migrations of a deployment may run before they are stopped. */
  migrationTimeoutMinutes: z.number().int().min(1).max(45),
  /** Longest the pre-migration snapshots may take to become available. */
  snapshotTimeoutMinutes: z.number().int().min(1).max(30),
  /** Most pre-migration snapshots kept per database (RDS allows 100 manual snapshots per region by default). */
  snapshotsKept: z.number().int().min(1).max(50),
  /**
   * ECS Exec into this stage's tasks (break-glass shell, `artisan tinker`): adds writable SSM
   * agent paths, a KMS key and an encrypted session log. Off in prod unless turned on.
   */
  execEnabled: z.boolean(),
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
  region,
  /** Availability zones, named so synth never looks them up. */
  availabilityZones: z.array(z.string()).min(2, 'give at least two availability zones').max(3),
  /** The stage's domain; every public host lives under it. */
  domainName: z.string().regex(DOMAIN, "must be a lower-case domain such as 'dev.example.com'"),
  /** The Route 53 hosted zone that holds `domainName`. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/, "must be a Route 53 zone id such as 'Z0123456789ABCDEFGHIJ'"),
  alertEmails: z.array(z.email()),
  /**
   * Monthly budget in USD. Synth fails when the stage's estimate (`npm run cost`) is above it,
   * and AWS Budgets alerts the stage's alert topic at 80 % (forecast) and 100 % (actual).
   */
  budgetUsd: z.number().positive().optional(),
  /** The tooling account whose pipeline pushes images to and deploys this stage. */
  toolingAccount: z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id').optional(),
  /** The region of the tooling account's image registry (the pipeline's region). */
  toolingRegion: region.optional(),
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
    stage: z.string().regex(NAME, 'must be a lower-case name'),
    /** The tier whose defaults and rules the stage takes (`tiers.ts`). */
    tier: z.enum(TIER_NAMES),
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
  region,
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
  /**
   * The order the pipeline deploys the system's stages in: `dev` first, `prod` last, every stage
   * of the system once.
   *
   * @default ['dev', 'staging', 'prod']
   */
  order: z.array(z.string().regex(NAME, 'must be a stage name')).optional(),
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
/** The alarm thresholds of a stage. */
export type MonitoringConfig = ResolvedConfig['monitoring'];
/** How a stage deploys: traffic shifting, waits, timeouts, rollback alarms. */
export type DeploymentConfig = ResolvedConfig['deployment'];
/** How a stage's services scale. */
export type ScalingConfig = ResolvedConfig['scaling'];
/** One image of a resolved configuration. */
export type ImageConfig = ResolvedConfig['images'][string];
/** The edge settings of a stage. */
export type CdnConfig = ResolvedConfig['cdn'];
/** The network settings of a stage. */
export type NetworkConfig = ResolvedConfig['network'];
/** What happens to a stage's stateful resources when they leave the template. */
export type RemovalConfig = ResolvedConfig['removal'];
/** One external database of a resolved configuration. */
export type ExternalDatabaseConfig = ResolvedConfig['externalDatabases'][string];

type Ctx = z.RefinementCtx<ResolvedConfig>;

/** Rules that span fields; each issue names its path and the fix. */
function checkRules(c: ResolvedConfig, ctx: Ctx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  // An unknown region is reported on `region` alone; its zones would only repeat the mistake.
  const letters = REGION_ZONES[c.region] ?? '';
  c.availabilityZones.forEach((az, i) => {
    if (!letters) return;
    const letter = az.slice(c.region.length);
    if (!az.startsWith(c.region) || letter.length !== 1 || !letters.includes(letter)) {
      issue(
        ['availabilityZones', i],
        `'${az}' is not a zone of region ${c.region} (use one of ${[...letters].map((l) => `'${c.region}${l}'`).join(', ')})`,
      );
    }
  });
  if (new Set(c.availabilityZones).size !== c.availabilityZones.length) {
    issue(['availabilityZones'], 'lists a zone twice; name each zone once');
  }
  for (const [path, message] of deploymentBudgetIssues(c.deployment)) issue(path, message);
  for (const [key, image] of Object.entries(c.images)) {
    image.migrates?.forEach((store, i) => {
      if (!c[store])
        issue(['images', key, 'migrates', i], `this stage has no ${store} to snapshot (remove '${store}')`);
    });
  }
  const nat = natGatewayCount(c);
  if (nat > c.availabilityZones.length) {
    issue(
      ['network', 'natGateways'],
      `${nat} NAT gateways for ${c.availabilityZones.length} zones; use at most one per zone`,
    );
  }

  if (c.tier === 'prod') {
    if (c.alertEmails.length === 0) {
      issue(['alertEmails'], "prod needs someone to receive its alarms (add an address, e.g. ['oncall@example.com'])");
    }
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
    if (c.network.nat !== 'gateway') {
      issue(
        ['network', 'nat'],
        "prod needs managed NAT gateways; a NAT instance is a single point of failure (set nat: 'gateway')",
      );
    }
    if (c.scaling.spot) {
      issue(
        ['scaling', 'spot'],
        'prod runs on on-demand Fargate: Spot stops tasks at two minutes notice with no on-demand fallback (set spot: false)',
      );
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
  if (c.tier !== 'dev' && c.mysql && c.mysql.readReplicas < 1) {
    issue(['mysql', 'readReplicas'], `${c.stage} needs at least one read replica (set readReplicas: 1)`);
  }
  checkAwsTables(c, issue);

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
      (image.nginxSidecar !== undefined ||
        image.phpVersion !== undefined ||
        image.migrateCommand !== undefined ||
        image.laravelVersion !== undefined)
    ) {
      issue(
        ['images', key],
        'nginxSidecar, phpVersion, laravelVersion and migrateCommand apply to Laravel images only; remove them',
      );
    }
    if (image.runtime === 'laravel' && image.phpVersion === '8.1' && laravelMajor(image) > 10) {
      issue(
        ['images', key, 'laravelVersion'],
        `Laravel ${laravelMajor(image)} requires PHP 8.2 or later (set laravelVersion: 10 or phpVersion: '8.2')`,
      );
    }
    if (image.nginxSidecar && c.images[`${key}-nginx`]) {
      issue(['images', `${key}-nginx`], `the nginx sidecar image of '${key}' is implied; remove this entry`);
    }
  }

  checkServices(c, issue);
  checkEdge(c, issue);
  checkExternalDatabases(c, issue);
}

type Issue = (path: (string | number)[], message: string) => void;

function checkEdge(c: ResolvedConfig, issue: Issue): void {
  const seen = new Set<string>();
  c.cdn.bodyLimits.forEach((limit, i) => {
    if (seen.has(limit.pathPrefix)) {
      issue(
        ['cdn', 'bodyLimits', i, 'pathPrefix'],
        `'${limit.pathPrefix}' is listed twice; give each prefix one limit`,
      );
    }
    seen.add(limit.pathPrefix);
  });
}

/** The first and last address of an IPv4 block, as numbers. */
function cidrRange(block: string): [number, number] {
  const [address, prefix] = block.split('/');
  const start = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
}

/** Whether an IPv4 address lies in a block. */
export function cidrContains(block: string, ip: string): boolean {
  const [start, end] = cidrRange(block);
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n >= start && n <= end;
}

const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * An external database must be reachable and resolvable from the VPC: its range outside the
 * VPC's (else the route would shadow the VPC), the host an address in that range or a name the
 * `dns` setting resolves, and every address config gives (zone record, resolver targets) inside
 * the routed range, since nothing else is routed.
 */
function checkExternalDatabases(c: ResolvedConfig, issue: Issue): void {
  for (const [name, db] of Object.entries(c.externalDatabases)) {
    const path = ['externalDatabases', name];
    if (cidrProblem(db.cidr) !== undefined) continue;
    // A range inside the VPC is reported once, by checkRules.
    const isAddress = IPV4_LITERAL.test(db.host);
    if (isAddress) {
      if (!cidrContains(db.cidr, db.host)) {
        issue(
          [...path, 'host'],
          `${db.host} is outside cidr ${db.cidr}, the only range routed to it (fix host or cidr)`,
        );
      }
      if (db.dns) issue([...path, 'dns'], `host is an address; remove dns (there is no name to resolve)`);
      continue;
    }
    if (!db.dns) {
      issue(
        [...path, 'dns'],
        `nothing in the VPC resolves '${db.host}' (set dns: { kind: 'private-zone', address } or { kind: 'resolver', targetIps }, or give the address as host)`,
      );
      continue;
    }
    const addresses =
      db.dns.kind === 'private-zone'
        ? [[['dns', 'address'], db.dns.address] as const]
        : db.dns.kind === 'resolver'
          ? db.dns.targetIps.map((ip, i) => [['dns', 'targetIps', i], ip] as const)
          : [];
    for (const [where, ip] of addresses) {
      if (!cidrContains(db.cidr, ip)) {
        issue(
          [...path, ...where],
          `${ip} is outside cidr ${db.cidr}, the only range routed from the VPC (fix it or widen cidr)`,
        );
      }
    }
  }
}

/** Combinations AWS refuses, from the tables in `aws-tables.ts`. */
function checkAwsTables(c: ResolvedConfig, issue: (path: (string | number)[], message: string) => void): void {
  if (c.redis && !CACHE_VERSIONS[c.redis.engine].includes(c.redis.engineVersion)) {
    issue(
      ['redis', 'engineVersion'],
      `ElastiCache offers ${c.redis.engine} ${CACHE_VERSIONS[c.redis.engine].join(', ')}, not '${c.redis.engineVersion}' (pick one of those)`,
    );
  }
  if (c.rabbitmq) {
    const family = c.rabbitmq.instanceType.split('.')[1];
    const families = RABBITMQ_VERSIONS[c.rabbitmq.engineVersion];
    if (families && !families.includes(family)) {
      issue(
        ['rabbitmq', 'instanceType'],
        `RabbitMQ ${c.rabbitmq.engineVersion} runs on ${families.map((f) => `mq.${f}`).join(', ')} brokers, not ${c.rabbitmq.instanceType} (change one of the two)`,
      );
    }
    if (c.rabbitmq.instanceType === 'mq.t3.micro' && c.rabbitmq.deploymentMode !== 'SINGLE_INSTANCE') {
      issue(
        ['rabbitmq', 'deploymentMode'],
        "mq.t3.micro runs single-instance brokers only (set deploymentMode: 'SINGLE_INSTANCE' or a larger instanceType)",
      );
    }
  }
  for (const [name, db] of Object.entries(c.externalDatabases)) {
    if (cidrsOverlap(db.cidr, c.network.cidr)) {
      issue(
        ['externalDatabases', name, 'cidr'],
        `${db.cidr} lies inside this stage's VPC ${c.network.cidr}; an external database is outside it (give the host's own range, or move the VPC with network.cidr)`,
      );
    }
  }
  for (const [name, s] of Object.entries(c.services)) {
    const allowed = FARGATE_MEMORY[s.cpu] ?? [];
    if (!allowed.includes(s.memoryMiB)) {
      const shown = allowed.length > 8 ? `${allowed[0]} to ${allowed.at(-1)} in steps of 1024` : allowed.join(', ');
      issue(
        ['services', name, 'memoryMiB'],
        `Fargate gives ${s.cpu} CPU units ${shown} MiB, not ${s.memoryMiB} (change memoryMiB or cpu)`,
      );
    }
  }
}

/** Whether two valid IPv4 CIDR blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const parse = (block: string) => {
    const [ip, prefix] = block.split('/');
    const start = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return { start, end: start + 2 ** (32 - Number(prefix)) - 1 };
  };
  const x = parse(a);
  const y = parse(b);
  return x.start <= y.end && y.start <= x.end;
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
  // The load balancer, CloudFront and the smoke tests all route to web services: a stage needs one.
  if (!Object.values(c.services).some((s) => s.kind === 'laravel-web' || s.kind === 'nextjs')) {
    issue(['services'], "no service takes traffic (add a 'laravel-web' or 'nextjs' service with a host)");
  }
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
      if (s.uses.indexOf(store) !== i) {
        issue([...path, 'uses', i], `'${store}' is listed twice; name each store once`);
      } else if (!available.has(store)) {
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
      if (URL_WITH_PASSWORD.test(value)) {
        issue(
          [...path, 'environment', key],
          'holds a URL with a password in it; plain environment values end up in the template (keep the password in Secrets Manager)',
        );
      } else if (SECRET_LIKE_KEY.test(key) && !(key.startsWith('NEXT_PUBLIC_') && /_KEY$/.test(key))) {
        issue(
          [...path, 'environment', key],
          `looks like a secret; plain environment values end up in the template (move it to secrets: { ${key}: { secretName: '...' } })`,
        );
      }
      if (image?.runtime === 'nextjs' && key.startsWith('NEXT_PUBLIC_')) {
        issue(
          [...path, 'environment', key],
          `Next.js inlines NEXT_PUBLIC_* at build time and one image runs in every stage, so a run-time value never reaches the browser (name it ${key.slice('NEXT_PUBLIC_'.length)} and read it on the server; see docs/image-contract-${c.system}.md)`,
        );
      }
      if (image?.runtime === 'laravel') {
        const wanted = cacheVariable(laravelMajor(image));
        const other = wanted === 'CACHE_STORE' ? 'CACHE_DRIVER' : 'CACHE_STORE';
        if (key === other) {
          issue(
            [...path, 'environment', key],
            `Laravel ${laravelMajor(image)} reads ${wanted}, not ${other} (rename it to ${wanted})`,
          );
        }
      }
    }
    for (const key of Object.keys(s.secrets ?? {})) {
      if (key in s.environment) {
        issue(
          [...path, 'secrets', key],
          `is also a plain environment variable; keep it in one place (remove it from environment)`,
        );
      }
    }
    if (
      image?.runtime === 'laravel' &&
      s.kind === 'laravel-web' &&
      laravelMajor(image) === 10 &&
      s.healthCheckPath === '/up'
    ) {
      issue(
        [...path, 'healthCheckPath'],
        `Laravel 10 has no /up route (it came with Laravel 11); use '${LARAVEL_HEALTH_PATH[10]}' and serve it in the app (see docs/image-contract-${c.system}.md)`,
      );
    }
  }
}
