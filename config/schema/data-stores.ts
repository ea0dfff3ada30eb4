import { z } from 'zod';
import {
  CACHE_NODE_TYPES,
  MQ_INSTANCE_TYPES,
  MYSQL_VERSIONS,
  POSTGRES_VERSIONS,
  RABBITMQ_VERSIONS,
  RDS_INSTANCE_CLASSES,
} from '../aws-tables';
import { closestName } from '../closest';
import { IPV4 } from '../ipv4';
import { cidr, oneOf, positiveInt, secretRefSchema } from './common';

/** The stage's own data stores (MySQL, PostgreSQL, Valkey/Redis, RabbitMQ, buckets) and external databases. */

const rdsInstanceClass = oneOf("an RDS instance class (write it without 'db.')", RDS_INSTANCE_CLASSES, 't4g.medium');

/**
 * A full MySQL version RDS offers (`aws-tables.ts`); a bare major such as `8.4` is refused first,
 * since CloudFormation's validation rejects it.
 */
const mysqlVersion = z.string().superRefine((value, ctx) => {
  if (!/^8\.(0|4)\.\d+$/.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: "must be a full MySQL 8.4 (or 8.0) version such as '8.4.10' (not '8.4')",
    });
  } else if (!MYSQL_VERSIONS.includes(value)) {
    const major = MYSQL_VERSIONS.filter((v) => v.startsWith(value.slice(0, 4)));
    const guess = closestName(value, major) ?? major.at(-1);
    const offered = ['8.4.', '8.0.'].map((m) => MYSQL_VERSIONS.filter((v) => v.startsWith(m)));
    ctx.addIssue({
      code: 'custom',
      message: `'${value}' is not a MySQL version RDS offers (did you mean '${guess}'? RDS offers ${offered.map((vs) => `${vs[0]} to ${vs.at(-1)}`).join(' and ')}; the list is in config/aws-tables.ts)`,
    });
  }
});

/** The stage's MySQL primary and replicas. */
export const mysqlSchema = z.strictObject({
  databaseName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, 'must start with a letter and hold letters, digits or _'),
  /**
   * Full engine version, e.g. `8.4.8`, one RDS offers (`aws-tables.ts`). 8.0 only with
   * `engineLifecycleSupport` (see the data-store rules in `config/rules/`).
   */
  engineVersion: mysqlVersion,
  /**
   * RDS Extended Support enrolment (`EngineLifecycleSupport`). Required, as
   * `open-source-rds-extended-support`, for MySQL 8.0: past standard support it runs only in
   * paid Extended Support, billed per vCPU-hour on top of the instance.
   */
  engineLifecycleSupport: z
    .enum(['open-source-rds-extended-support', 'open-source-rds-extended-support-disabled'])
    .optional(),
  instanceType: rdsInstanceClass,
  multiAz: z.boolean(),
  readReplicas: z.number().int().min(0).max(5),
  allocatedStorageGiB: z.number().int().min(20),
  maxAllocatedStorageGiB: z.number().int().min(20),
  backupRetentionDays: z.number().int().min(1).max(35),
  port: z.number().int().min(1150).max(65535),
});

/** The stage's PostgreSQL instance. */
export const postgresSchema = z.strictObject({
  databaseName: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/, 'must start with a letter and hold letters, digits or _'),
  /** Full engine version, e.g. `15.15`, one RDS offers (`aws-tables.ts`). */
  engineVersion: oneOf('a PostgreSQL 15 version RDS offers', POSTGRES_VERSIONS, POSTGRES_VERSIONS.at(-1)!),
  instanceType: rdsInstanceClass,
  multiAz: z.boolean(),
  allocatedStorageGiB: z.number().int().min(20),
  maxAllocatedStorageGiB: z.number().int().min(20),
  backupRetentionDays: z.number().int().min(1).max(35),
  port: z.number().int().min(1150).max(65535),
});

/** The stage's Valkey or Redis OSS replication group. */
export const redisSchema = z.strictObject({
  engine: z.enum(['valkey', 'redis']),
  engineVersion: z.string().regex(/^\d+\.\d+$/, "must be 'major.minor', e.g. '7.2' or '8.0'"),
  nodeType: oneOf('an ElastiCache node type', CACHE_NODE_TYPES, 'cache.t4g.small'),
  /** Cluster mode (sharding). ShipmentApp asks for a Redis cluster. */
  clusterMode: z.boolean(),
  /**
   * Node groups (shards) when cluster mode is on; must be 1 otherwise. Every node counts
   * against the cache alarms' ten metrics (see `CACHE_ALARM_MAX_NODES`).
   */
  shards: positiveInt,
  /** Replicas per shard; at least one is needed for automatic failover. */
  replicasPerShard: z.number().int().min(0).max(5),
  automaticFailover: z.boolean(),
  snapshotRetentionDays: z.number().int().min(0).max(35),
});

/** The stage's Amazon MQ for RabbitMQ broker. */
export const rabbitmqSchema = z.strictObject({
  /**
   * The broker's name: unique in its account (`rules/cross-stage.ts`), shown in the console and the metrics'
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

/** The stage's buckets. */
export const bucketsSchema = z.strictObject({
  /** Days to keep noncurrent object versions in the uploads bucket. */
  noncurrentVersionDays: positiveInt,
  /** Days to keep access logs. */
  accessLogRetentionDays: positiveInt,
});

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

/** A read-only database outside the stage (the ERP), reached over a route config names. */
export const externalDatabaseSchema = z.strictObject({
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
