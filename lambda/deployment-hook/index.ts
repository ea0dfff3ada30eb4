import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'crypto';
import { assertHookEvent, reportHook, type HookEvent } from '../shared/codedeploy';
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
 * Lambda entry point. When the state machine cannot be started, the hook is reported failed
 * at once, so the deployment rolls back now rather than when the hook times out.
 */
export async function handler(event: unknown): Promise<HookResult> {
  assertHookEvent(event);
  try {
    return await startMigrations(sfn, requiredEnv('STATE_MACHINE_ARN'), event);
  } catch (err) {
    console.error(JSON.stringify({ message: 'could not start migrations', error: String(err) }));
    await reportHook(codedeploy, event, 'Failed');
    throw err;
  }
}
