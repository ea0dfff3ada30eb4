import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { assertBeforeDeadline, type DeadlineFields } from '../shared/deadline';
import { requiredEnv, retryOnThrottle, type Sleep } from '../shared/retry';

/**
 * Takes a manual snapshot of the MySQL primary before migrations run, so a bad migration can
 * be undone by restoring it. Called by the migration state machine in three steps, each short:
 * `start` creates the snapshot (or finds it, when a deployment is retried), `check` reports
 * whether it is available, `prune` deletes this stage's pre-deploy snapshots past retention.
 */

/** What the state machine sends. */
export interface SnapshotEvent extends DeadlineFields {
  readonly action: 'start' | 'check' | 'prune';
  /** CodeDeploy deployment id; the snapshot is named after it. */
  readonly deploymentId: string;
}

/** Where snapshots come from and how long they are kept. */
export interface SnapshotConfig {
  /** The MySQL primary. */
  readonly dbInstanceIdentifier: string;
  /** Name prefix of this stage's pre-deploy snapshots, e.g. `predeploy-csl-prod`. */
  readonly prefix: string;
  /** Days a pre-deploy snapshot is kept. */
  readonly retentionDays: number;
  /**
   * Most pre-deploy snapshots kept of this instance, the current one included. RDS allows 100
   * manual snapshots per region by default (RDS quotas, "Manual DB instance snapshots"), shared
   * with every other manual snapshot in the account: several deploys a day would exhaust it
   * within the retention, and CreateDBSnapshot then fails with SnapshotQuotaExceeded.
   *
   * @default - no limit by count
   */
  readonly keep?: number;
}

/** What each step returns. */
export interface SnapshotResult {
  readonly snapshotId: string;
  readonly status: string;
  /** True once the snapshot is available. */
  readonly ready: boolean;
  /** Snapshots `prune` deleted. */
  readonly deleted?: string[];
}

/** A snapshot that RDS reports as failed: the deployment must stop. */
export class SnapshotFailedError extends Error {
  constructor(snapshotId: string, status: string) {
    super(`snapshot ${snapshotId} is ${status}; migrations will not run without a snapshot to restore`);
    this.name = 'SnapshotFailedError';
  }
}

const rds = new RDSClient({});

/**
 * The snapshot identifier for a deployment: letters, digits and single hyphens, starting with
 * a letter, as RDS requires.
 */
export function snapshotId(prefix: string, deploymentId: string): string {
  const raw = `${prefix}-${deploymentId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const cleaned = raw.replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  const id = /^[a-z]/.test(cleaned) ? cleaned : `s-${cleaned}`;
  return id.slice(0, 255).replace(/-+$/, '');
}

async function describe(client: RDSClient, id: string, sleep?: Sleep): Promise<DBSnapshot | undefined> {
  try {
    const out = await retryOnThrottle(() => client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })), {
      sleep,
    });
    return out.DBSnapshots?.[0];
  } catch (err) {
    if ((err as Error).name === 'DBSnapshotNotFoundFault') return undefined;
    throw err;
  }
}

const FAILED = new Set(['failed', 'error', 'incompatible-restore', 'deleting', 'deleted']);

function result(id: string, snapshot: DBSnapshot | undefined): SnapshotResult {
  const status = snapshot?.Status ?? 'creating';
  if (FAILED.has(status)) throw new SnapshotFailedError(id, status);
  return { snapshotId: id, status, ready: status === 'available' };
}

/** The status of a snapshot not yet created because its instance was not `available`. */
export const INSTANCE_NOT_AVAILABLE = 'instance-not-available';

/** Creates the deployment's snapshot, or returns the one a previous attempt created. */
export async function startSnapshot(
  client: RDSClient,
  config: SnapshotConfig,
  deploymentId: string,
  sleep?: Sleep,
): Promise<SnapshotResult> {
  const id = snapshotId(config.prefix, deploymentId);
  const existing = await describe(client, id, sleep);
  if (existing) return result(id, existing);
  try {
    const out = await retryOnThrottle(
      () =>
        client.send(
          new CreateDBSnapshotCommand({
            DBInstanceIdentifier: config.dbInstanceIdentifier,
            DBSnapshotIdentifier: id,
            Tags: [
              { Key: 'CodeDeployDeploymentId', Value: deploymentId },
              { Key: 'Purpose', Value: 'pre-migration' },
            ],
          }),
        ),
      { sleep },
    );
    return result(id, out.DBSnapshot);
  } catch (err) {
    // A concurrent retry of the same deployment got there first: use its snapshot.
    if ((err as Error).name === 'DBSnapshotAlreadyExistsFault') return result(id, await describe(client, id, sleep));
    // RDS API reference, CreateDBSnapshot: "The source DB instance must be in the available or
    // storage-optimization state", else InvalidDBInstanceState (the backup window, maintenance,
    // another snapshot still creating). Not ready yet: the state machine's wait loop calls
    // `check`, which creates the snapshot once the instance is available, until the deadline.
    if ((err as Error).name === 'InvalidDBInstanceStateFault') {
      return { snapshotId: id, status: INSTANCE_NOT_AVAILABLE, ready: false };
    }
    throw err;
  }
}

/**
 * Reports whether the deployment's snapshot is available; creates it when it does not exist
 * (`start` met an instance that was not available, or the snapshot was deleted meanwhile).
 */
export async function checkSnapshot(
  client: RDSClient,
  config: SnapshotConfig,
  deploymentId: string,
  sleep?: Sleep,
): Promise<SnapshotResult> {
  const id = snapshotId(config.prefix, deploymentId);
  const snapshot = await describe(client, id, sleep);
  if (!snapshot) return startSnapshot(client, config, deploymentId, sleep);
  return result(id, snapshot);
}

/**
 * Deletes this stage's pre-deploy snapshots older than the retention, and beyond the newest
 * `keep`, never the current one.
 */
export async function pruneSnapshots(
  client: RDSClient,
  config: SnapshotConfig,
  deploymentId: string,
  now: Date = new Date(),
  sleep?: Sleep,
): Promise<SnapshotResult> {
  const current = snapshotId(config.prefix, deploymentId);
  const cutoff = now.getTime() - config.retentionDays * 24 * 60 * 60 * 1000;
  const ours: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await retryOnThrottle(
      () =>
        client.send(
          new DescribeDBSnapshotsCommand({
            DBInstanceIdentifier: config.dbInstanceIdentifier,
            SnapshotType: 'manual',
            Marker: marker,
          }),
        ),
      { sleep },
    );
    for (const snapshot of page.DBSnapshots ?? []) {
      if (snapshot.DBSnapshotIdentifier?.startsWith(`${config.prefix}-`)) ours.push(snapshot);
    }
    marker = page.Marker;
  } while (marker);

  // Newest first; the current snapshot counts towards `keep` even when RDS has not dated it yet.
  const time = (s: DBSnapshot) =>
    s.DBSnapshotIdentifier === current ? Number.POSITIVE_INFINITY : (s.SnapshotCreateTime?.getTime() ?? 0);
  ours.sort((a, b) => time(b) - time(a));
  const deleted: string[] = [];
  for (const [rank, snapshot] of ours.entries()) {
    const id = snapshot.DBSnapshotIdentifier!;
    const created = snapshot.SnapshotCreateTime?.getTime();
    if (id === current || created === undefined || snapshot.Status !== 'available') continue;
    const tooOld = created < cutoff;
    const tooMany = config.keep !== undefined && rank >= config.keep;
    if (!tooOld && !tooMany) continue;
    try {
      await retryOnThrottle(() => client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id })), { sleep });
      deleted.push(id);
    } catch (err) {
      if ((err as Error).name !== 'DBSnapshotNotFoundFault') throw err;
    }
  }
  return { snapshotId: current, status: 'pruned', ready: true, deleted };
}

/** One instance the function snapshots, as the construct passes it in `DB_INSTANCES`. */
export interface SnapshotInstance {
  /** The DB instance identifier. */
  readonly id: string;
  /** Name prefix of its pre-deploy snapshots. */
  readonly prefix: string;
}

/** The environment the construct sets; see {@link configFromEnv}. */
export interface SnapshotEnvironment {
  /** JSON list of {@link SnapshotInstance}: every store the image's migrations touch. */
  readonly DB_INSTANCES: string;
  readonly RETENTION_DAYS: string;
  /** Most pre-deploy snapshots kept per instance. */
  readonly KEEP_SNAPSHOTS: string;
}

/** Reads the configuration of every instance from the function's environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SnapshotConfig[] {
  const retentionDays = Number(requiredEnv('RETENTION_DAYS', env));
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new Error(`RETENTION_DAYS must be a whole number of days, got '${env.RETENTION_DAYS}'`);
  }
  const keep = Number(requiredEnv('KEEP_SNAPSHOTS', env));
  if (!Number.isInteger(keep) || keep < 1) {
    throw new Error(`KEEP_SNAPSHOTS must be a whole number of snapshots, got '${env.KEEP_SNAPSHOTS}'`);
  }
  let instances: SnapshotInstance[];
  try {
    instances = JSON.parse(requiredEnv('DB_INSTANCES', env)) as SnapshotInstance[];
  } catch (err) {
    throw new Error(`DB_INSTANCES must be a JSON list of {id, prefix}: ${String(err)}`);
  }
  if (!Array.isArray(instances) || instances.length === 0 || !instances.every((i) => i?.id && i?.prefix)) {
    throw new Error('DB_INSTANCES must be a non-empty JSON list of {id, prefix}');
  }
  return instances.map((i) => ({ dbInstanceIdentifier: i.id, prefix: i.prefix, retentionDays, keep }));
}

/** What the handler returns: every instance's result, `ready` once all snapshots are available. */
export interface SnapshotsResult {
  readonly ready: boolean;
  readonly snapshots: SnapshotResult[];
}

/** Runs one action over every instance. */
export async function run(
  client: RDSClient,
  configs: SnapshotConfig[],
  event: SnapshotEvent,
  now: Date = new Date(),
  sleep?: Sleep,
): Promise<SnapshotsResult> {
  if (event.action !== 'prune') assertBeforeDeadline(event, now.getTime(), 'the pre-migration snapshot is not ready');
  const snapshots: SnapshotResult[] = [];
  for (const config of configs) {
    switch (event.action) {
      case 'start':
        snapshots.push(await startSnapshot(client, config, event.deploymentId, sleep));
        break;
      case 'check':
        snapshots.push(await checkSnapshot(client, config, event.deploymentId, sleep));
        break;
      case 'prune':
        snapshots.push(await pruneSnapshots(client, config, event.deploymentId, now, sleep));
        break;
      default:
        throw new Error(`unknown action '${(event as { action?: string }).action}' (use start, check or prune)`);
    }
  }
  return { ready: snapshots.every((s) => s.ready), snapshots };
}

/** Lambda entry point. */
export async function handler(event: SnapshotEvent): Promise<SnapshotsResult> {
  return run(rds, configFromEnv(), event);
}
