import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkSnapshot,
  configFromEnv,
  pruneSnapshots,
  run,
  snapshotId,
  SnapshotFailedError,
  startSnapshot,
  type SnapshotConfig,
} from '../../lambda/pre-migration-snapshot';

const rdsMock = mockClient(RDSClient);
const client = new RDSClient({ region: 'eu-west-1' });
const config: SnapshotConfig = {
  dbInstanceIdentifier: 'csl-prod-mysql',
  prefix: 'predeploy-csl-prod',
  retentionDays: 14,
};
const noWait = async () => undefined;
const notFound = Object.assign(new Error('not found'), { name: 'DBSnapshotNotFoundFault' });
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

beforeEach(() => rdsMock.reset());

describe('snapshotId', () => {
  test('is named after stage and deployment, in the characters RDS allows', () => {
    expect(snapshotId('predeploy-csl-prod', 'd-ABC123XYZ')).toBe('predeploy-csl-prod-d-abc123xyz');
    expect(snapshotId('predeploy--x_', 'd_1')).toBe('predeploy-x-d-1');
    expect(snapshotId('9lives', 'd-1')).toMatch(/^s-9lives-d-1$/);
  });
});

describe('startSnapshot', () => {
  test('creates a tagged snapshot of the primary when none exists', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(notFound);
    rdsMock.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { Status: 'creating' } });
    const result = await startSnapshot(client, config, 'd-ABC', noWait);
    expect(result).toEqual({ snapshotId: 'predeploy-csl-prod-d-abc', status: 'creating', ready: false });
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'csl-prod-mysql',
      DBSnapshotIdentifier: 'predeploy-csl-prod-d-abc',
      Tags: [
        { Key: 'CodeDeployDeploymentId', Value: 'd-ABC' },
        { Key: 'Purpose', Value: 'pre-migration' },
      ],
    });
  });

  test('reuses the snapshot of a retried deployment instead of creating another', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: 'available' }] });
    const result = await startSnapshot(client, config, 'd-ABC', noWait);
    expect(result.ready).toBe(true);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });

  test('uses the snapshot a concurrent attempt created first', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .rejectsOnce(notFound)
      .resolves({ DBSnapshots: [{ Status: 'creating' }] });
    rdsMock
      .on(CreateDBSnapshotCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'DBSnapshotAlreadyExistsFault' }));
    await expect(startSnapshot(client, config, 'd-ABC', noWait)).resolves.toEqual(
      expect.objectContaining({ status: 'creating', ready: false }),
    );
  });

  test('retries when RDS throttles, then succeeds', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejectsOnce(throttled).rejectsOnce(throttled).rejects(notFound);
    rdsMock
      .on(CreateDBSnapshotCommand)
      .rejectsOnce(throttled)
      .resolves({ DBSnapshot: { Status: 'creating' } });
    await expect(startSnapshot(client, config, 'd-ABC', noWait)).resolves.toEqual(
      expect.objectContaining({ status: 'creating' }),
    );
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(3);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(2);
  });

  test('gives up when throttling does not stop', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled);
    await expect(startSnapshot(client, config, 'd-ABC', noWait)).rejects.toThrow('Rate exceeded');
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(5);
  });

  test('does not retry an access error', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(startSnapshot(client, config, 'd-ABC', noWait)).rejects.toThrow('denied');
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(1);
  });
});

describe('checkSnapshot', () => {
  test('is ready once RDS reports the snapshot available', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [{ Status: 'creating' }] })
      .resolves({
        DBSnapshots: [{ Status: 'available' }],
      });
    expect((await checkSnapshot(client, config, 'd-ABC', noWait)).ready).toBe(false);
    expect((await checkSnapshot(client, config, 'd-ABC', noWait)).ready).toBe(true);
  });

  test('fails the deployment when the snapshot failed', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: 'failed' }] });
    await expect(checkSnapshot(client, config, 'd-ABC', noWait)).rejects.toThrow(SnapshotFailedError);
  });

  test('creates the snapshot when it does not exist yet (start met a busy instance, or it disappeared)', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(notFound);
    rdsMock.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: { Status: 'creating' } });
    await expect(checkSnapshot(client, config, 'd-ABC', noWait)).resolves.toEqual(
      expect.objectContaining({ status: 'creating', ready: false }),
    );
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(1);
  });
});

describe('a DB instance that is not available', () => {
  // RDS API reference, CreateDBSnapshot: "The source DB instance must be in the available or
  // storage-optimization state"; otherwise InvalidDBInstanceState (backup window, maintenance,
  // another snapshot still creating).
  const busy = Object.assign(new Error('DB instance is not in the available state'), {
    name: 'InvalidDBInstanceStateFault',
  });

  test('start answers "not ready yet" instead of failing, so the wait loop tries again', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(notFound);
    rdsMock.on(CreateDBSnapshotCommand).rejects(busy);
    await expect(startSnapshot(client, config, 'd-ABC', noWait)).resolves.toEqual({
      snapshotId: 'predeploy-csl-prod-d-abc',
      status: 'instance-not-available',
      ready: false,
    });
  });

  test('check creates the snapshot once the instance is available again', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(notFound);
    rdsMock
      .on(CreateDBSnapshotCommand)
      .rejectsOnce(busy)
      .resolves({ DBSnapshot: { Status: 'creating' } });
    expect((await checkSnapshot(client, config, 'd-ABC', noWait)).status).toBe('instance-not-available');
    expect((await checkSnapshot(client, config, 'd-ABC', noWait)).status).toBe('creating');
  });
});

describe('pruneSnapshots', () => {
  const now = new Date('2026-11-24T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

  test('deletes this stage’s pre-deploy snapshots past retention, across pages, and nothing else', async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'predeploy-csl-prod-d-old1', SnapshotCreateTime: daysAgo(30), Status: 'available' },
          { DBSnapshotIdentifier: 'predeploy-csl-prod-d-new', SnapshotCreateTime: daysAgo(2), Status: 'available' },
          { DBSnapshotIdentifier: 'manual-before-upgrade', SnapshotCreateTime: daysAgo(90), Status: 'available' },
        ],
        Marker: 'page2',
      })
      .resolves({
        DBSnapshots: [
          { DBSnapshotIdentifier: 'predeploy-csl-prod-d-old2', SnapshotCreateTime: daysAgo(15), Status: 'available' },
          { DBSnapshotIdentifier: 'predeploy-csl-prod-d-cur', SnapshotCreateTime: daysAgo(60), Status: 'available' },
          { DBSnapshotIdentifier: 'predeploy-csl-prod-d-busy', SnapshotCreateTime: daysAgo(60), Status: 'creating' },
        ],
      });
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const result = await pruneSnapshots(client, config, 'd-CUR', now, noWait);
    expect(result.deleted?.sort()).toEqual(['predeploy-csl-prod-d-old1', 'predeploy-csl-prod-d-old2']);
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)[1].args[0].input.Marker).toBe('page2');
    // Only this instance's snapshots: the PostgreSQL prefix (predeploy-csl-prod-postgres-…)
    // starts with the MySQL one, so the instance filter is what keeps them apart.
    for (const call of rdsMock.commandCalls(DescribeDBSnapshotsCommand)) {
      expect(call.args[0].input.DBInstanceIdentifier).toBe(config.dbInstanceIdentifier);
    }
  });

  test('treats a snapshot deleted meanwhile as deleted', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'predeploy-csl-prod-d-x', SnapshotCreateTime: daysAgo(20), Status: 'available' },
      ],
    });
    rdsMock.on(DeleteDBSnapshotCommand).rejects(notFound);
    await expect(pruneSnapshots(client, config, 'd-CUR', now, noWait)).resolves.toEqual(
      expect.objectContaining({ deleted: [] }),
    );
  });
});

describe('pruning by count', () => {
  const now = new Date('2026-11-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

  test('keeps the newest `keep` (the current one included) even inside the retention: the manual-snapshot quota is 100 per region', async () => {
    // Eight deploys in a day, all within 14 days' retention.
    const snapshots = [8, 7, 6, 5, 4, 3, 2, 1].map((h) => ({
      DBSnapshotIdentifier: `predeploy-csl-prod-d-${h}`,
      SnapshotCreateTime: hoursAgo(h),
      Status: 'available',
    }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [...snapshots, { DBSnapshotIdentifier: 'predeploy-csl-prod-d-cur', Status: 'creating' }],
    });
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const result = await pruneSnapshots(client, { ...config, keep: 3 }, 'd-CUR', now, noWait);
    // Kept: the current one, d-1 and d-2.
    expect(result.deleted?.sort()).toEqual(
      [
        'predeploy-csl-prod-d-3',
        'predeploy-csl-prod-d-4',
        'predeploy-csl-prod-d-5',
        'predeploy-csl-prod-d-6',
        'predeploy-csl-prod-d-7',
        'predeploy-csl-prod-d-8',
      ].sort(),
    );
  });
});

describe('every database the migrations touch', () => {
  const env = {
    DB_INSTANCES: JSON.stringify([
      { id: 'csl-prod-mysql', prefix: 'predeploy-csl-prod' },
      { id: 'csl-prod-postgres', prefix: 'predeploy-csl-prod-postgres' },
    ]),
    RETENTION_DAYS: '14',
    KEEP_SNAPSHOTS: '20',
  };

  test('snapshots each instance, and is ready only when all are available', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(notFound);
    rdsMock
      .on(CreateDBSnapshotCommand, { DBInstanceIdentifier: 'csl-prod-mysql' })
      .resolves({ DBSnapshot: { Status: 'available' } })
      .on(CreateDBSnapshotCommand, { DBInstanceIdentifier: 'csl-prod-postgres' })
      .resolves({ DBSnapshot: { Status: 'creating' } });
    const result = await run(
      client,
      configFromEnv(env),
      { action: 'start', deploymentId: 'd-ABC' },
      new Date(),
      noWait,
    );
    expect(result.ready).toBe(false);
    expect(result.snapshots.map((s) => s.snapshotId)).toEqual([
      'predeploy-csl-prod-d-abc',
      'predeploy-csl-prod-postgres-d-abc',
    ]);
  });

  test('stops waiting at the execution deadline', async () => {
    const past = { startedAt: '2026-11-24T11:00:00Z', budgetSeconds: 600 };
    await expect(
      run(
        client,
        configFromEnv(env),
        { action: 'check', deploymentId: 'd-ABC', ...past },
        new Date('2026-11-24T12:00:00Z'),
        noWait,
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'DeadlineExceededError' }));
  });
});

describe('configFromEnv', () => {
  test('names a missing or bad variable', () => {
    expect(() => configFromEnv({ RETENTION_DAYS: '7', KEEP_SNAPSHOTS: '5' })).toThrow(
      'environment variable DB_INSTANCES is not set',
    );
    expect(() => configFromEnv({ DB_INSTANCES: '[]', RETENTION_DAYS: 'a week', KEEP_SNAPSHOTS: '5' })).toThrow(
      /RETENTION_DAYS must be a whole number/,
    );
    expect(() => configFromEnv({ DB_INSTANCES: '[]', RETENTION_DAYS: '7', KEEP_SNAPSHOTS: '5' })).toThrow(
      /non-empty JSON list/,
    );
  });
});
