import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DesiredStatus,
  type Task,
} from '@aws-sdk/client-ecs';
import { assertBeforeDeadline, executionDeadline, type DeadlineFields } from '../shared/deadline';
import { requiredEnv, retryOnThrottle, type Sleep } from '../shared/retry';

/**
 * Runs the database migrations of a deployment as a one-off Fargate task of the new task
 * definition (`php artisan migrate --force`), before any traffic moves. Called by the migration
 * state machine: `start` launches the task (or finds the one a retried attempt launched, or
 * answers `busy` while another deployment's migration runs in this stage), `check` reports its
 * outcome; a non-zero exit, a task that stops before its container runs, or a run past the
 * deadline fails the deployment.
 */

/** What the state machine sends. */
export interface MigrationEvent extends DeadlineFields {
  readonly action: 'start' | 'check';
  /** CodeDeploy deployment id. */
  readonly deploymentId: string;
  /**
   * `check`: what `start` returned, passed whole so that the state machine never reads a field
   * that may be absent (a missing JSONPath fails an execution with an uncatchable States.Runtime).
   */
  readonly migration?: MigrationResult | null;
}

/** Where and how the migration task runs. */
export interface MigrationConfig {
  readonly cluster: string;
  /** The migration task definition (family or ARN); its command is the migrate command. */
  readonly taskDefinition: string;
  /** Its family, to find migrations of other deployments. */
  readonly family: string;
  /** The application container, whose exit code decides. */
  readonly containerName: string;
  readonly subnets: string[];
  readonly securityGroups: string[];
  /** Longest a migration may run. */
  readonly timeoutSeconds: number;
  /** Log group and stream prefix of the container, to point at its output. */
  readonly logGroup: string;
  readonly logStreamPrefix: string;
}

/** What `start` and `check` return. */
export interface MigrationResult {
  /** `start`: another deployment's migration is running; try again later. */
  readonly busy?: boolean;
  readonly taskArn?: string;
  readonly deadline?: number;
  /** `check`: the task has finished successfully. */
  readonly done?: boolean;
  readonly exitCode?: number;
  /** Where the container's output is. */
  readonly logs?: string;
}

/** A migration that failed, stopped early or ran too long: the deployment must stop. */
export class MigrationFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationFailedError';
  }
}

const ecs = new ECSClient({});

/** The `startedBy` tag of a deployment's migration task (ECS allows 128 characters). */
export function startedBy(deploymentId: string): string {
  return `migrate-${deploymentId}`.slice(0, 128);
}

function logsOf(config: MigrationConfig, taskArn: string): string {
  const taskId = taskArn.split('/').pop();
  return `${config.logGroup}:${config.logStreamPrefix}/${config.containerName}/${taskId}`;
}

/**
 * Task ARNs of a family with a desired status, every page. Never by `startedBy`: the ECS ListTasks
 * API reference says "When you specify startedBy as the filter, it must be the only filter that
 * you use", so the deployment's own task is picked out of DescribeTasks by its `startedBy`.
 */
async function list(
  client: ECSClient,
  input: { cluster: string; family: string; desiredStatus: DesiredStatus },
  sleep?: Sleep,
): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const out = await retryOnThrottle(() => client.send(new ListTasksCommand({ ...input, nextToken })), { sleep });
    arns.push(...(out.taskArns ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return arns;
}

/** DescribeTasks takes at most 100 tasks per call (ECS API reference). */
async function describe(client: ECSClient, cluster: string, tasks: string[], sleep?: Sleep): Promise<Task[]> {
  const described: Task[] = [];
  for (let i = 0; i < tasks.length; i += 100) {
    const batch = tasks.slice(i, i + 100);
    const out = await retryOnThrottle(() => client.send(new DescribeTasksCommand({ cluster, tasks: batch })), {
      sleep,
    });
    described.push(...(out.tasks ?? []));
  }
  return described;
}

/** Launches the deployment's migration task, unless it already runs or another one does. */
export async function startMigration(
  client: ECSClient,
  config: MigrationConfig,
  deploymentId: string,
  now: number = Date.now(),
  sleep?: Sleep,
  budget: DeadlineFields = {},
): Promise<MigrationResult> {
  // Also ends the wait while another deployment's migration runs: the hook must report in time.
  assertBeforeDeadline(budget, now, 'the migrations have not started');
  const ours = startedBy(deploymentId);
  /** The task's deadline: its own time limit, or the hook's deadline when that comes first. */
  const deadlineFrom = (start: number) =>
    Math.min(start + config.timeoutSeconds * 1000, executionDeadline(budget) ?? Number.POSITIVE_INFINITY);
  // A retried event must not start a second task: find the one this deployment started
  // (running, or stopped: ECS lists stopped tasks for at least an hour).
  const tasksOf = async (desiredStatus: DesiredStatus) =>
    describe(
      client,
      config.cluster,
      await list(client, { cluster: config.cluster, family: config.family, desiredStatus }, sleep),
      sleep,
    );
  const running = await tasksOf('RUNNING');
  const existing =
    running.find((t) => t.startedBy === ours) ?? (await tasksOf('STOPPED')).find((t) => t.startedBy === ours);
  if (existing?.taskArn) {
    return { taskArn: existing.taskArn, deadline: deadlineFrom(existing.createdAt?.getTime() ?? now) };
  }
  // Two migrations never run at once in a stage: wait while another deployment's runs.
  if (running.length > 0) return { busy: true };

  const out = await retryOnThrottle(
    () =>
      client.send(
        new RunTaskCommand({
          cluster: config.cluster,
          taskDefinition: config.taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          startedBy: ours,
          propagateTags: 'TASK_DEFINITION',
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: config.subnets,
              securityGroups: config.securityGroups,
              assignPublicIp: 'DISABLED',
            },
          },
        }),
      ),
    { sleep },
  );
  const task = out.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (out.failures ?? []).map((f) => `${f.arn ?? config.taskDefinition}: ${f.reason}`).join('; ');
    throw new MigrationFailedError(`the migration task did not start: ${reasons || 'no task returned'}`);
  }
  return { taskArn: task.taskArn, deadline: deadlineFrom(now) };
}

/** Reports the migration task's outcome; stops it and fails once the deadline has passed. */
export async function checkMigration(
  client: ECSClient,
  config: MigrationConfig,
  taskArn: string,
  deadline: number,
  now: number = Date.now(),
  sleep?: Sleep,
): Promise<MigrationResult> {
  const [task] = await describe(client, config.cluster, [taskArn], sleep);
  const logs = logsOf(config, taskArn);
  if (!task) throw new MigrationFailedError(`the migration task ${taskArn} is gone; see ${logs}`);
  if (task.lastStatus === 'STOPPED') {
    const container = task.containers?.find((c) => c.name === config.containerName);
    if (container?.exitCode === undefined || container.exitCode === null) {
      throw new MigrationFailedError(
        `the migration task stopped before its container ran (${task.stoppedReason ?? container?.reason ?? 'no reason given'}); see ${logs}`,
      );
    }
    if (container.exitCode !== 0) {
      throw new MigrationFailedError(`the migrations exited with code ${container.exitCode}; see ${logs}`);
    }
    return { done: true, taskArn, exitCode: 0, logs };
  }
  if (now > deadline) {
    await retryOnThrottle(
      () =>
        client.send(
          new StopTaskCommand({ cluster: config.cluster, task: taskArn, reason: 'Migration exceeded its time limit' }),
        ),
      { sleep },
    );
    throw new MigrationFailedError(
      `the migrations ran past their deadline (${config.timeoutSeconds} s, or the hook's budget) and were stopped; see ${logs}`,
    );
  }
  return { done: false, taskArn, deadline, logs };
}

/** Reads the configuration from the function's environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): MigrationConfig {
  const timeoutSeconds = Number(requiredEnv('TIMEOUT_SECONDS', env));
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new Error(`TIMEOUT_SECONDS must be a positive number, got '${env.TIMEOUT_SECONDS}'`);
  }
  return {
    cluster: requiredEnv('CLUSTER', env),
    taskDefinition: requiredEnv('TASK_DEFINITION', env),
    family: requiredEnv('TASK_FAMILY', env),
    containerName: requiredEnv('CONTAINER_NAME', env),
    subnets: requiredEnv('SUBNETS', env).split(','),
    securityGroups: requiredEnv('SECURITY_GROUPS', env).split(','),
    timeoutSeconds,
    logGroup: requiredEnv('LOG_GROUP', env),
    logStreamPrefix: requiredEnv('LOG_STREAM_PREFIX', env),
  };
}

/** Runs one step of the state machine: `start` or `check`. */
export async function runStep(
  client: ECSClient,
  config: MigrationConfig,
  event: MigrationEvent,
  now: number = Date.now(),
  sleep?: Sleep,
): Promise<MigrationResult> {
  switch (event.action) {
    case 'start':
      return startMigration(client, config, event.deploymentId, now, sleep, event);
    case 'check': {
      const { taskArn, deadline } = event.migration ?? {};
      if (!taskArn || typeof deadline !== 'number') {
        throw new MigrationFailedError("'check' needs the taskArn and deadline that 'start' returned");
      }
      return checkMigration(client, config, taskArn, deadline, now, sleep);
    }
    default:
      throw new Error(`unknown action '${(event as { action?: string }).action}' (use start or check)`);
  }
}

/** Lambda entry point. */
export async function handler(event: MigrationEvent): Promise<MigrationResult> {
  return runStep(ecs, configFromEnv(), event);
}
