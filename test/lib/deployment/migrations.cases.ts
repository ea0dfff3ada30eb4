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
import { hookBudgetMinutes } from '../../../config/deployment-budget';
import { reportStoppedExecution, REPORTED_ERROR, type ExecutionStatusEvent } from '../../../lambda/deployment-hook';
import { runStep, type MigrationConfig, type MigrationEvent } from '../../../lambda/migration-runner';
import { run as runSnapshots, type SnapshotConfig, type SnapshotEvent } from '../../../lambda/pre-migration-snapshot';
import {
  noRetryPauses,
  noWaits,
  stateMachines,
  unguardedChoiceVariables,
  waitBefore,
  type AslDefinition,
} from '../../asl';
import type { StageFixture } from '../../stage-fixture';

const TASK = 'arn:aws:ecs:eu-west-1:111111111111:task/cluster/0123456789';
const noSleep = async () => undefined;
const named = (name: string, message = name) => Object.assign(new Error(message), { name });

/** How the fake AWS behaves in one scenario. Times are seconds after the execution starts. */
interface World {
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
interface Outcome {
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
async function execute(definition: AslDefinition, world: World, options: { timeoutSeconds?: number } = {}) {
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
function restoreMocks(): void {
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

/** Runs the migration state machines of the stages, synthesized, through every way they end. */
export function migrationsCases(f: StageFixture): void {
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  const definitionsOf = (id: string) => stateMachines(f.template(id, 'app').toJSON());
  const migrationsOf = (id: string) => {
    const found = definitionsOf(id).filter(([lid]) => lid.includes('MigrationsStateMachine'));
    expect(found.length).toBeGreaterThan(0);
    return found.map(([, definition]) => definition);
  };
  const budgetOf = (id: string) => hookBudgetMinutes(f.config(id).deployment) * 60;

  describe('every Choice reads only paths that exist', () => {
    test.each(ALL)(
      '%s: every Choice variable of every state machine is IsPresent-guarded (a missing path fails with uncatchable States.Runtime)',
      (id) => {
        for (const [lid, definition] of definitionsOf(id))
          expect([lid, unguardedChoiceVariables(definition)]).toEqual([lid, []]);
      },
    );

    test('the check finds the unguarded rule that failed every deployment before this fix', () => {
      // `MigrationStarted?` as synthesized before: `busy` is absent whenever a task started.
      const before: AslDefinition = {
        StartAt: 'MigrationStarted?',
        States: {
          'MigrationStarted?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.startMigration.value.busy', BooleanEquals: true, Next: 'Wait' }],
            Default: 'Wait',
          },
          Wait: { Type: 'Wait', Seconds: 15, End: true },
        },
      };
      expect(unguardedChoiceVariables(before)).toEqual(['MigrationStarted?: $.startMigration.value.busy']);
    });
  });

  describe('every ending reports to CodeDeploy exactly once, within the budget', () => {
    afterAll(restoreMocks);
    // One stage: the tiers' definitions differ only in their numbers, and each run costs a few
    // hundred milliseconds of the suite.
    const cases = ['Csl-Prod'];
    const once = (o: Outcome, status: 'Succeeded' | 'Failed', id: string) => {
      expect(o.reports).toHaveLength(1);
      expect(o.reports[0].status).toBe(status);
      expect(o.reports[0].at).toBeLessThanOrEqual(budgetOf(id) + 60);
      // The stopped-execution reporter leaves an execution that reported alone.
      expect(o.reporter.reported).toBe(false);
    };

    test.each(cases)('%s: success: snapshot, migrations, one Succeeded, then pruning', async (id) => {
      for (const definition of migrationsOf(id)) {
        const o = await execute(definition, { snapshotSeconds: 90, task: { stopsAfter: 120, exitCode: 0 } });
        expect(o.status).toBe('SUCCEEDED');
        once(o, 'Succeeded', id);
        expect(o.pruned).toBe(definition.StartAt === 'StartSnapshot');
      }
    });

    test.each(cases)('%s: another migration running: waits for it, then migrates', async (id) => {
      for (const definition of migrationsOf(id)) {
        const o = await execute(definition, {
          snapshotSeconds: 30,
          otherMigrationUntil: 300,
          task: { stopsAfter: 60, exitCode: 0 },
        });
        once(o, 'Succeeded', id);
      }
    });

    test.each(cases)('%s: another migration that never ends: Failed at the deadline', async (id) => {
      for (const definition of migrationsOf(id)) {
        const o = await execute(definition, {
          snapshotSeconds: 30,
          otherMigrationUntil: Infinity,
          task: { stopsAfter: 60 },
        });
        expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
        once(o, 'Failed', id);
      }
    });

    test.each(cases)('%s: migrations exit non-zero: Failed', async (id) => {
      for (const definition of migrationsOf(id)) {
        const o = await execute(definition, { snapshotSeconds: 30, task: { stopsAfter: 60, exitCode: 1 } });
        expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
        once(o, 'Failed', id);
        expect(o.pruned).toBe(false);
      }
    });

    test.each(cases)(
      '%s: task never starts (placement failure, or stopped before its container ran): Failed',
      async (id) => {
        for (const definition of migrationsOf(id)) {
          once(await execute(definition, { snapshotSeconds: 30, runTaskFailure: 'RESOURCE:ENI' }), 'Failed', id);
          const pull = { stopsAfter: 30, stoppedReason: 'CannotPullContainerError: image not found' };
          once(await execute(definition, { snapshotSeconds: 30, task: pull }), 'Failed', id);
        }
      },
    );

    test.each(cases)('%s: migrations that run past the deadline are stopped: Failed', async (id) => {
      for (const definition of migrationsOf(id)) {
        const o = await execute(definition, { snapshotSeconds: 30, task: { stopsAfter: Infinity } });
        once(o, 'Failed', id);
        expect(o.stopTaskCalls).toBe(1);
      }
    });

    test.each(cases)('%s: a snapshot that never becomes available: Failed at the deadline', async (id) => {
      // A renamed or missing snapshot step must fail this test, not skip it.
      expect(migrationsOf(id).some((d) => d.StartAt === 'StartSnapshot')).toBe(true);
      for (const definition of migrationsOf(id)) {
        if (definition.StartAt !== 'StartSnapshot') continue;
        once(await execute(definition, { task: { stopsAfter: 60, exitCode: 0 } }), 'Failed', id);
      }
    });

    test.each(cases)(
      '%s: the DB instance is busy (backup window, maintenance): the snapshot waits for it, then the deployment goes on',
      async (id) => {
        expect(migrationsOf(id).some((d) => d.StartAt === 'StartSnapshot')).toBe(true);
        for (const definition of migrationsOf(id)) {
          if (definition.StartAt !== 'StartSnapshot') continue;
          const o = await execute(definition, {
            instanceBusyUntil: 10 * 60,
            snapshotSeconds: 60,
            task: { stopsAfter: 60, exitCode: 0 },
          });
          expect(o.status).toBe('SUCCEEDED');
          once(o, 'Succeeded', id);
        }
      },
    );

    test.each(cases)('%s: a DB instance that stays busy: Failed at the deadline', async (id) => {
      // A renamed or missing snapshot step must fail this test, not skip it.
      expect(migrationsOf(id).some((d) => d.StartAt === 'StartSnapshot')).toBe(true);
      for (const definition of migrationsOf(id)) {
        if (definition.StartAt !== 'StartSnapshot') continue;
        const o = await execute(definition, {
          instanceBusyUntil: Infinity,
          snapshotSeconds: 60,
          task: { stopsAfter: 60, exitCode: 0 },
        });
        expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
        once(o, 'Failed', id);
      }
    });

    test.each(cases)('%s: a Lambda step throws: Failed', async (id) => {
      for (const definition of migrationsOf(id)) {
        const boom = { error: named('Error', 'socket hang up'), times: Infinity };
        const o = await execute(definition, {
          snapshotSeconds: 30,
          task: { stopsAfter: 60, exitCode: 0 },
          throws: { CheckMigration: boom },
        });
        once(o, 'Failed', id);
      }
    });

    test.each(cases)('%s: throttling: retried, then the deployment goes on; throttled for good: Failed', async (id) => {
      for (const definition of migrationsOf(id)) {
        const throttle = (times: number) => ({ error: named('Lambda.TooManyRequestsException'), times });
        const world = { snapshotSeconds: 30, task: { stopsAfter: 60, exitCode: 0 } };
        once(await execute(definition, { ...world, throws: { StartMigration: throttle(3) } }), 'Succeeded', id);
        once(await execute(definition, { ...world, throws: { StartMigration: throttle(Infinity) } }), 'Failed', id);
        const codedeployThrottle = { error: named('CodeDeploy.ThrottlingException'), times: 2 };
        once(await execute(definition, { ...world, throws: { ReportSucceeded: codedeployThrottle } }), 'Succeeded', id);
      }
    });

    test.each(cases)(
      '%s: CodeDeploy refuses the report: the stopped-execution rule reports Failed, once',
      async (id) => {
        for (const definition of migrationsOf(id)) {
          const denied = { error: named('CodeDeploy.AccessDeniedException'), times: Infinity };
          const o = await execute(definition, {
            snapshotSeconds: 30,
            task: { stopsAfter: 60, exitCode: 1 },
            throws: { ReportFailed: denied },
          });
          expect(o.status).toBe('FAILED');
          expect(o.reports).toEqual([{ status: 'Failed', at: expect.any(Number) }]);
          expect(o.reporter.reported).toBe(true);
        }
      },
    );

    test.each(cases)(
      '%s: the execution’s own timeout runs no Catch; the stopped-execution rule reports Failed, once',
      async (id) => {
        for (const definition of migrationsOf(id)) {
          // The interpreter times out in real time: shorten TimeoutSeconds, and hang a step.
          expect(definition.TimeoutSeconds).toBeGreaterThan(budgetOf(id));
          expect(definition.TimeoutSeconds).toBeLessThanOrEqual(budgetOf(id) + 5 * 60);
          const o = await execute(definition, { snapshotSeconds: 30, hangs: 'StartMigration' }, { timeoutSeconds: 1 });
          expect(o.status).toBe('TIMED_OUT');
          expect(o.reports).toEqual([{ status: 'Failed', at: expect.any(Number) }]);
          expect(o.reporter.reported).toBe(true);
        }
      },
    );
  });

  describe('the stopped-execution rule', () => {
    test.each(ALL)(
      '%s: sends timed-out, failed and stopped executions of each migration state machine to its hook',
      (id) => {
        const t = f.template(id, 'app').toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
        const machines = Object.keys(t.Resources).filter(
          (lid) =>
            t.Resources[lid].Type === 'AWS::StepFunctions::StateMachine' && lid.includes('MigrationsStateMachine'),
        );
        for (const machine of machines) {
          const prefix = machine.replace(/StateMachine[0-9A-F]{8}$/, '');
          const rule = Object.entries(t.Resources).find(
            ([lid, r]) => r.Type === 'AWS::Events::Rule' && lid.startsWith(`${prefix}StoppedExecutions`),
          );
          expect(rule).toBeDefined();
          const props = rule![1].Properties;
          expect(props.EventPattern).toEqual({
            source: ['aws.states'],
            'detail-type': ['Step Functions Execution Status Change'],
            detail: { stateMachineArn: [{ Ref: machine }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
          });
          expect(props.Targets[0].Arn['Fn::GetAtt'][0]).toMatch(new RegExp(`^${prefix}Hook[0-9A-F]{8}$`));
        }
      },
    );
  });
}
