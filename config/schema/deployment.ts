import { z } from 'zod';
import { MAX_DEPLOY_MINUTES } from '../deployment-budget';
import { IMAGE_TAG, positiveInt } from './common';

/** How a stage deploys: traffic shifting, waits, timeouts, snapshots, rollback alarms. */
export const deploymentSchema = z.strictObject({
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
  imageTag: z.string().regex(IMAGE_TAG, 'must be a valid image tag').optional(),
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
