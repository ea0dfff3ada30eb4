import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'crypto';
import { assertHookEvent, reportHook, type HookEvent } from '../shared/codedeploy';
import { REPORTED_ERROR } from '../shared/migration-contract';
import { requiredEnv, retryOnThrottle, type Sleep } from '../shared/retry';

/**
 * CodeDeploy's BeforeInstall hook for a Laravel web service: hands the deployment to the
 * migration state machine (snapshot of the MySQL primary, then the migrations as a one-off
 * task), which reports the hook's outcome to CodeDeploy when it ends. The snapshot and the
 * migrations can take longer than any Lambda invocation, so this function only starts them.
 */

/** What {@link startMigrations} returns. */
export interface HookResult {
  readonly executionName: string;
  /** False when a retried event found the execution already started. */
  readonly started: boolean;
}

const sfn = new SFNClient({});
const codedeploy = new CodeDeployClient({});

/**
 * The execution's name: one per hook execution, so a retried event cannot start a second run
 * (Step Functions names are unique per state machine for 90 days).
 */
export function executionName(event: HookEvent): string {
  const hook = createHash('sha256').update(event.LifecycleEventHookExecutionId).digest('hex').slice(0, 16);
  return `${event.DeploymentId.replace(/[^A-Za-z0-9_-]/g, '_')}-${hook}`.slice(0, 80);
}

/** Starts the migration state machine for a hook, once. */
export async function startMigrations(
  client: SFNClient,
  stateMachineArn: string,
  event: HookEvent,
  sleep?: Sleep,
): Promise<HookResult> {
  const name = executionName(event);
  try {
    await retryOnThrottle(
      () =>
        client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name,
            input: JSON.stringify({
              deploymentId: event.DeploymentId,
              hookExecutionId: event.LifecycleEventHookExecutionId,
            }),
          }),
        ),
      { sleep },
    );
    return { executionName: name, started: true };
  } catch (err) {
    if ((err as Error).name === 'ExecutionAlreadyExists') return { executionName: name, started: false };
    throw err;
  }
}

/**
 * The `Error` of the state machine's final Fail state after it has reported Failed itself; an
 * execution that failed with any other error (or timed out, or was stopped) has not reported.
 */
export { REPORTED_ERROR };

/** The EventBridge event Step Functions sends when an execution changes status. */
export interface ExecutionStatusEvent {
  readonly source: 'aws.states';
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly detail: {
    readonly executionArn: string;
    readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
    /** The execution's input as JSON text: `{ deploymentId, hookExecutionId }`. */
    readonly input?: string | null;
    readonly error?: string | null;
    readonly cause?: string | null;
  };
}

/** What {@link reportStoppedExecution} did. */
export interface StoppedResult {
  readonly reported: boolean;
  readonly reason: string;
}

/**
 * Reports the hook Failed for an execution that ended without reporting: it timed out (a
 * timed-out execution runs no Catch), was stopped by hand, or failed outside the state
 * machine's own failure path. An execution that already reported is left alone, so each hook
 * gets exactly one report.
 */
export async function reportStoppedExecution(
  client: CodeDeployClient,
  event: ExecutionStatusEvent,
  sleep?: Sleep,
): Promise<StoppedResult> {
  const { status, error, input, executionArn } = event.detail;
  if (status === 'SUCCEEDED' || status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    return { reported: false, reason: `${executionArn} is ${status}; the state machine reported itself` };
  }
  if (status === 'FAILED' && error === REPORTED_ERROR) {
    return { reported: false, reason: `${executionArn} failed after reporting Failed itself` };
  }
  let hook: unknown;
  try {
    const parsed = JSON.parse(input ?? 'null') as { deploymentId?: string; hookExecutionId?: string } | null;
    hook = { DeploymentId: parsed?.deploymentId, LifecycleEventHookExecutionId: parsed?.hookExecutionId };
  } catch {
    hook = undefined;
  }
  assertHookEvent(hook);
  await reportHook(client, hook, 'Failed', sleep);
  return { reported: true, reason: `${executionArn} ended ${status}${error ? ` (${error})` : ''}; reported Failed` };
}

function isExecutionStatusEvent(event: unknown): event is ExecutionStatusEvent {
  return (event as Partial<ExecutionStatusEvent> | undefined)?.source === 'aws.states';
}

/**
 * Lambda entry point, for two callers. CodeDeploy's BeforeInstall hook starts the state
 * machine; when it cannot be started, the hook is reported failed at once, so the deployment
 * rolls back now rather than when the hook times out. EventBridge's execution status change
 * reports an execution that ended without reporting.
 */
export async function handler(event: unknown): Promise<HookResult | StoppedResult> {
  if (isExecutionStatusEvent(event)) return reportStoppedExecution(codedeploy, event);
  assertHookEvent(event);
  try {
    return await startMigrations(sfn, requiredEnv('STATE_MACHINE_ARN'), event);
  } catch (err) {
    console.error(JSON.stringify({ message: 'could not start migrations', error: String(err) }));
    await reportHook(codedeploy, event, 'Failed');
    throw err;
  }
}
