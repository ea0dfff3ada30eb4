import {
  CodeDeployClient,
  PutLifecycleEventHookExecutionStatusCommand,
  type LifecycleEventStatus,
} from '@aws-sdk/client-codedeploy';
import { retryOnThrottle, type Sleep } from './retry';

/** What CodeDeploy sends a lifecycle-hook function. */
export interface HookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

/**
 * Tells CodeDeploy how a lifecycle hook ended. A repeated report of the same hook (a retried
 * event) is not an error: CodeDeploy already has its answer.
 */
export async function reportHook(
  client: CodeDeployClient,
  event: HookEvent,
  status: Extract<LifecycleEventStatus, 'Succeeded' | 'Failed'>,
  sleep?: Sleep,
): Promise<void> {
  try {
    await retryOnThrottle(
      () =>
        client.send(
          new PutLifecycleEventHookExecutionStatusCommand({
            deploymentId: event.DeploymentId,
            lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
            status,
          }),
        ),
      { sleep },
    );
  } catch (err) {
    if ((err as Error).name === 'LifecycleEventAlreadyCompletedException') return;
    throw err;
  }
}

/** Checks that an event is a CodeDeploy lifecycle-hook invocation. */
export function assertHookEvent(event: unknown): asserts event is HookEvent {
  const e = event as Partial<HookEvent> | undefined;
  if (!e || typeof e.DeploymentId !== 'string' || typeof e.LifecycleEventHookExecutionId !== 'string') {
    throw new Error(
      'not a CodeDeploy lifecycle hook event: DeploymentId and LifecycleEventHookExecutionId are required',
    );
  }
}
