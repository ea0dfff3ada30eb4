/**
 * Runs a synthesized migration state machine in the aws-local-stepfunctions interpreter with the
 * real handlers behind mocked AWS SDK clients: shared by migrations.test.ts (a bare-stack
 * Migrations) and migrations.cases.ts (the stages' own).
 */
import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { reportStoppedExecution, type ExecutionStatusEvent } from '../../../lambda/deployment-hook';
import { runStep, type MigrationConfig, type MigrationEvent } from '../../../lambda/migration-runner';
import { run as runSnapshots, type SnapshotConfig, type SnapshotEvent } from '../../../lambda/pre-migration-snapshot';
import { noRetryPauses, noWaits, waitBefore, type AslDefinition } from '../../asl';

const TASK = 'arn:aws:ecs:eu-west-1:111111111111:task/cluster/0123456789';
const noSleep = async () => undefined;
export const named = (name: string, message = name) => Object.assign(new Error(message), { name });

/** How the fake AWS behaves in one scenario. Times are seconds after the execution starts. */
export interface World {
  /** Snapshots become available this long after they are created; never when undefined. */
  snapshotSeconds?: number;
  /**
   * The DB instance is not `available` (backup window, maintenance, another snapshot) until
   * then: CreateDBSnapshot fails with InvalidDBInstanceStateFault; forever when Infinity.
   */
  instanceBusyUntil?: number;
  /** Another deployment's migration runs until then; forever when Infinity. */
  otherMigrationUntil?: number;
  /** RunTask answers with a failure instead of a task. */
  runTaskFailure?: string;
  /** The task stops this long after it starts, with this exit code (none: it never ran). */
  task?: { stopsAfter: number; exitCode?: number; stoppedReason?: string };
  /** These state names throw, the first `times` calls (always when times is Infinity). */
  throws?: Record<string, { error: Error; times: number }>;
  /** A step that never answers (for the execution's own timeout). */
  hangs?: string;
}

/** What happened in one execution. */
export interface Outcome {
  /** Every report CodeDeploy accepted, with the clock (seconds after start) at that moment. */
  reports: { status: string; at: number }[];
  /** How the execution ended: SUCCEEDED, FAILED (with the Fail state's error) or TIMED_OUT. */
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  error?: string;
  /** What the stopped-execution rule's function did afterwards. */
  reporter: { reported: boolean; reason: string };
  stopTaskCalls: number;
  pruned: boolean;
}

/**
 * Runs the synthesized migration state machine in the ASL interpreter with the real handlers
 * (runner and snapshots) behind mocked AWS SDK clients, on a clock that advances by each Wait
 * the definition makes before a step, so a loop costs the time it would on AWS.
 */
export async function execute(definition: AslDefinition, world: World, options: { timeoutSeconds?: number } = {}) {
  const { ecs, rds, codedeploy } = mocks();
  // The interpreter fills `$$.Execution.StartTime` with the real time; the clock starts there.
  const T0 = Date.now();
  const START = new Date(T0).toISOString();
  let now = T0;
  const seconds = () => (now - T0) / 1000;
  const reports: Outcome['reports'] = [];
  const waits = waitBefore(definition);
  const calls: Record<string, number> = {};

  // ECS: our task, another deployment's, or a failure to place.
  let ourTask: Task | undefined;
  const ours = (): Task | undefined => {
    if (!ourTask) return undefined;
    const started = ourTask.createdAt!.getTime();
    const t = world.task!;
    if (now < started + t.stopsAfter * 1000) return { ...ourTask, lastStatus: 'RUNNING' };
    return {
      ...ourTask,
      lastStatus: 'STOPPED',
      stoppedReason: t.stoppedReason,
      containers: [{ name: 'App', exitCode: t.exitCode }],
    };
  };
  ecs.on(ListTasksCommand).callsFake((input: { startedBy?: string; family?: string; desiredStatus?: string }) => {
    // ECS ListTasks API reference: "When you specify startedBy as the filter, it must be the
    // only filter that you use."
    if (input.startedBy && (input.family || input.desiredStatus)) {
      throw named('InvalidParameterException', 'startedBy must be the only filter');
    }
    const status = input.desiredStatus ?? 'RUNNING';
    const other = status === 'RUNNING' && seconds() < (world.otherMigrationUntil ?? -1) ? ['other'] : [];
    const mine = ours();
    return { taskArns: [...other, ...(mine && mine.lastStatus === status ? [mine.taskArn!] : [])] };
  });
  ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.flatMap((arn) => {
      if (arn === 'other') return [{ taskArn: 'other', startedBy: 'migrate-d-OTHER' }];
      const mine = ours();
      return mine && mine.taskArn === arn ? [mine] : [];
    }),
  }));
  ecs.on(RunTaskCommand).callsFake((input: { startedBy: string }) => {
    if (world.runTaskFailure) return { tasks: [], failures: [{ reason: world.runTaskFailure }] };
    ourTask = { taskArn: TASK, startedBy: input.startedBy, createdAt: new Date(now) };
    return { tasks: [ourTask] };
  });
  ecs.on(StopTaskCommand).resolves({});

  // RDS: snapshots that take `snapshotSeconds` to become available.
  const created = new Map<string, number>();
  rds.on(CreateDBSnapshotCommand).callsFake((input: { DBSnapshotIdentifier: string }) => {
    // RDS API reference, CreateDBSnapshot: "The source DB instance must be in the available or
    // storage-optimization state"; otherwise InvalidDBInstanceState.
    if (seconds() < (world.instanceBusyUntil ?? -1)) {
      throw named('InvalidDBInstanceStateFault', 'DB instance is not in the available state');
    }
    created.set(input.DBSnapshotIdentifier, now);
    return { DBSnapshot: { DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: 'creating' } };
  });
  rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
    if (!input.DBSnapshotIdentifier) return { DBSnapshots: [] };
    const at = created.get(input.DBSnapshotIdentifier);
    if (at === undefined) throw named('DBSnapshotNotFoundFault');
    const ready = world.snapshotSeconds !== undefined && now >= at + world.snapshotSeconds * 1000;
    return {
      DBSnapshots: [{ DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: ready ? 'available' : 'creating' }],
    };
  });
  rds.on(DeleteDBSnapshotCommand).resolves({});

  const migrationConfig: MigrationConfig = {
    cluster: 'cluster',
    taskDefinition: 'migration:2',
    family: 'migration',
    containerName: 'App',
    subnets: ['subnet-a'],
    securityGroups: ['sg-a'],
    timeoutSeconds: 20 * 60,
    logGroup: 'logs',
    logStreamPrefix: 'app',
  };
  const snapshotConfigs: SnapshotConfig[] = [
    { dbInstanceIdentifier: 'mysql', prefix: 'predeploy-x', retentionDays: 7, keep: 5 },
  ];

  /** One Lambda step: advance the clock by the wait before it, then run the real handler. */
  const lambdaStep = (state: string, fn: (payload: never) => Promise<unknown>) => async (input: unknown) => {
    now += (waits[state] ?? 0) * 1000 + 1000;
    calls[state] = (calls[state] ?? 0) + 1;
    // Answers only after the shortened execution timeout has fired.
    if (world.hangs === state) return new Promise((resolve) => setTimeout(() => resolve({ Payload: null }), 1500));
    const fault = world.throws?.[state];
    if (fault && calls[state] <= fault.times) throw fault.error;
    const { Payload } = input as { Payload: never };
    return { Payload: await fn(Payload) };
  };
  const reportStep = (state: string) => async (input: unknown) => {
    calls[state] = (calls[state] ?? 0) + 1;
    const fault = world.throws?.[state];
    if (fault && calls[state] <= fault.times) throw fault.error;
    if (reports.length > 0) throw named('CodeDeploy.LifecycleEventAlreadyCompletedException');
    reports.push({ status: (input as { Status: string }).Status, at: seconds() });
    return {};
  };

  const machine = machineOf(definition, options.timeoutSeconds);
  const input = { deploymentId: 'd-ABC', hookExecutionId: 'hook-1' };
  const execution = machine.run(input, {
    context: { Execution: { Input: input, StartTime: START } },
    overrides: {
      waitTimeOverrides: noWaits(definition),
      retryIntervalOverrides: noRetryPauses(definition),
      taskResourceLocalHandlers: {
        StartSnapshot: lambdaStep('StartSnapshot', (p: SnapshotEvent) =>
          runSnapshots(new RDSClient({}), snapshotConfigs, p, new Date(now), noSleep),
        ),
        CheckSnapshot: lambdaStep('CheckSnapshot', (p: SnapshotEvent) =>
          runSnapshots(new RDSClient({}), snapshotConfigs, p, new Date(now), noSleep),
        ),
        PruneSnapshots: lambdaStep('PruneSnapshots', (p: SnapshotEvent) =>
          runSnapshots(new RDSClient({}), snapshotConfigs, p, new Date(now), noSleep),
        ),
        StartMigration: lambdaStep('StartMigration', (p: MigrationEvent) =>
          runStep(new ECSClient({}), migrationConfig, p, now, noSleep),
        ),
        CheckMigration: lambdaStep('CheckMigration', (p: MigrationEvent) =>
          runStep(new ECSClient({}), migrationConfig, p, now, noSleep),
        ),
        ReportSucceeded: reportStep('ReportSucceeded'),
        ReportFailed: reportStep('ReportFailed'),
      } as never,
    },
  });

  let status: Outcome['status'] = 'SUCCEEDED';
  let error: string | undefined;
  try {
    await execution.result;
  } catch (err) {
    if (err instanceof ExecutionTimeoutError) {
      status = 'TIMED_OUT';
    } else {
      status = 'FAILED';
      error = ((err as Error).cause as Error | undefined)?.name ?? (err as Error).name;
    }
  }
  // What EventBridge hands the hook function when the execution ends.
  codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).callsFake((cmd: { status: string }) => {
    if (reports.length > 0) throw named('LifecycleEventAlreadyCompletedException');
    reports.push({ status: cmd.status, at: seconds() });
    return {};
  });
  const event: ExecutionStatusEvent = {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn: 'arn:execution', status, input: JSON.stringify(input), error: error ?? null },
  };
  const reporter = await reportStoppedExecution(new CodeDeployClient({}), event, noSleep);
  const outcome: Outcome = {
    reports,
    status,
    error,
    reporter,
    stopTaskCalls: ecs.commandCalls(StopTaskCommand).length,
    pruned: (calls.PruneSnapshots ?? 0) > 0,
  };
  return outcome;
}

const makeMocks = () => ({
  ecs: mockClient(ECSClient),
  rds: mockClient(RDSClient),
  codedeploy: mockClient(CodeDeployClient),
});
type Mocks = ReturnType<typeof makeMocks>;
let mocked: Mocks | undefined;
/** The SDK mocks, made once (making them costs more than a run) and reset for each run. */
function mocks(): Mocks {
  mocked ??= makeMocks();
  for (const mock of Object.values(mocked)) mock.reset();
  return mocked;
}
/** Restores the SDK clients the mocks replaced; call in `afterAll`. */
export function restoreMocks(): void {
  for (const mock of Object.values(mocked ?? {})) mock.restore();
  mocked = undefined;
}

const machines = new Map<string, StateMachine>();
/**
 * The interpreter's machine for a definition, validated once. The interpreter times an
 * execution out in real time and keeps that timer after the end: only the timeout scenario
 * keeps (a shortened) TimeoutSeconds.
 */
function machineOf(definition: AslDefinition, timeoutSeconds?: number): StateMachine {
  const key = `${JSON.stringify(definition)}|${timeoutSeconds ?? ''}`;
  let machine = machines.get(key);
  if (!machine) {
    const { TimeoutSeconds: _timeout, ...untimed } = definition;
    machine = new StateMachine((timeoutSeconds ? { ...untimed, TimeoutSeconds: timeoutSeconds } : untimed) as never);
    machines.set(key, machine);
  }
  return machine;
}
