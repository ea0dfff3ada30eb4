import { z } from 'zod';
import { logRetentionDays, lowerName } from './common';
import {
  bucketsSchema,
  externalDatabaseSchema,
  mysqlSchema,
  postgresSchema,
  rabbitmqSchema,
  redisSchema,
} from './data-stores';
import { deploymentSchema } from './deployment';
import { cdnSchema } from './edge';
import { networkSchema } from './network';
import { imageSchema, scalingSchema, serviceSchema } from './services';
import { backupSchema, monitoringSchema, removalSchema, stagePlacementShape, TIER_NAMES } from './stage';

/**
 * The shape of one resolved (system, stage) configuration, before the rules across fields
 * (`config/rules/`) run; `index.ts` adds them. Objects are strict: an unknown key is an error,
 * so a misspelling never silently falls back to a default.
 */
export const resolvedShape = z.strictObject({
  system: lowerName,
  stage: lowerName,
  /** The tier whose defaults and rules the stage takes (`tiers.ts`). */
  tier: z.enum(TIER_NAMES),
  /** Shown on the cost-allocation tag `CostCenter`. */
  costCenter: z.string().min(1),
  images: z.record(lowerName, imageSchema),
  services: z.record(lowerName, serviceSchema),
  ...stagePlacementShape,
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
  externalDatabases: z.record(lowerName, externalDatabaseSchema),
});

/** A validated (system, stage) configuration. */
export type ResolvedConfig = z.infer<typeof resolvedShape>;
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
