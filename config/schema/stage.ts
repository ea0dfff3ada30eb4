import { z } from 'zod';
import { account, region } from './common';

/**
 * Where a stage lives and what it keeps: account, region and zones, domain, alert addresses,
 * budget, removal, backups and alarm thresholds.
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

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** What happens to stateful resources when they leave the template. */
export const removalSchema = z.strictObject({
  /** What CloudFormation does with stateful resources when they leave the template. */
  policy: z.enum(['destroy', 'snapshot', 'retain']),
  /** Deletion protection on databases, load balancers and the data stack. */
  deletionProtection: z.boolean(),
});

/** Alarm thresholds. */
export const monitoringSchema = z.strictObject({
  /** Service CPU above this (%) for 5 minutes alarms. */
  ecsCpuPercent: z.number().min(1).max(100),
  /** Service memory above this (%) for 5 minutes alarms. */
  ecsMemoryPercent: z.number().min(1).max(100),
  /** Database CPU above this (%) for 10 minutes alarms. */
  rdsCpuPercent: z.number().min(1).max(100),
  /** Free database storage below this share of the allocation (%) alarms. */
  rdsFreeStoragePercent: z.number().min(1).max(50),
  /** More database connections than this alarm. */
  rdsConnections: z.number().int().positive(),
  /** Read-replica lag above this many seconds alarms. */
  replicaLagSeconds: z.number().int().positive(),
  /** Cache memory above this (%) alarms. */
  cacheMemoryPercent: z.number().min(1).max(100),
  /** Cache engine CPU above this (%) alarms. */
  cacheCpuPercent: z.number().min(1).max(100),
  /** Broker memory above this share of its limit (%) alarms. */
  brokerMemoryPercent: z.number().min(1).max(100),
  /** More queued messages than this alarm. */
  queueDepth: z.number().int().positive(),
  /** CloudFront 5xx error rate above this (%) alarms. */
  cloudFront5xxPercent: z.number().min(0.1).max(100),
});

/** AWS Backup of the stage's databases. */
export const backupSchema = z.strictObject({
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

/** The fields of a stage that say where it lives and who hears of it. */
export const stagePlacementShape = {
  account,
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
  toolingAccount: account.optional(),
  /** The region of the tooling account's image registry (the pipeline's region). */
  toolingRegion: region.optional(),
  /**
   * Why a production stage (`prod`, `prod-*`, `production*`) takes a tier other than `prod`:
   * required then, so that a production stage never runs on dev or staging defaults (no
   * Multi-AZ, no deletion protection) by a slip of `tier`.
   *
   * @default - none: a production stage takes the prod tier
   */
  tierReason: z.string().min(10, 'say in a sentence why this stage takes another tier').optional(),
};
