import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import { retryOnThrottle, type Sleep } from '../shared/retry';

/**
 * The "is complete" step of the `Custom::EcsDeployment` that `cdk deploy` waits on (replacing
 * the handler of `@cdklabs/cdk-ecs-codedeploy`, which waits for the status `Succeeded`).
 *
 * A CodeDeploy ECS deployment stays `InProgress` through its termination wait, until blue is
 * terminated: with prod's 60-minute wait, `cdk deploy` would pass CloudFormation's one-hour
 * limit for a custom resource on every deploy. This step treats the deployment as done once
 * production traffic is fully on green: the termination wait has started. CodeDeploy's
 * `instanceTerminationWaitTimeStarted` does not turn true for ECS deployments
 * (aws/containers-roadmap#269, confirmed by AWS there); the workaround AWS gives is the target's
 * status, which turns `Succeeded` when the wait starts: "the deployment starts waiting (if
 * configured) immediately after marking the target status as Succeeded". Both are read.
 */

/** What the provider framework sends the is-complete function. */
export interface IsCompleteEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  /** The CodeDeploy deployment id. */
  readonly PhysicalResourceId: string;
}

/** What the provider framework expects back. */
export interface IsCompleteResult {
  readonly IsComplete: boolean;
}

const FINAL_FAILURE = new Set(['Failed', 'Stopped']);
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

const codedeploy = new CodeDeployClient({});

async function deployment(client: CodeDeployClient, deploymentId: string, sleep?: Sleep): Promise<DeploymentInfo> {
  const out = await retryOnThrottle(() => client.send(new GetDeploymentCommand({ deploymentId })), { sleep });
  if (!out.deploymentInfo) throw new Error(`deployment ${deploymentId} not found`);
  return out.deploymentInfo;
}

/**
 * Whether production traffic is fully on green: the termination wait has started (every ECS
 * target `Succeeded` while the deployment is still in progress).
 */
export async function trafficShifted(client: CodeDeployClient, info: DeploymentInfo, sleep?: Sleep): Promise<boolean> {
  if (info.instanceTerminationWaitTimeStarted) return true;
  const deploymentId = info.deploymentId!;
  const listed = await retryOnThrottle(() => client.send(new ListDeploymentTargetsCommand({ deploymentId })), {
    sleep,
  });
  const targetIds = listed.targetIds ?? [];
  if (targetIds.length === 0) return false;
  const got = await retryOnThrottle(
    () => client.send(new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds })),
    { sleep },
  );
  const targets = got.deploymentTargets ?? [];
  return targets.length > 0 && targets.every((t) => t.ecsTarget?.status === 'Succeeded');
}

/** Decides whether CloudFormation may move on; throws when the deployment failed. */
export async function isComplete(
  client: CodeDeployClient,
  event: IsCompleteEvent,
  sleep?: Sleep,
): Promise<IsCompleteResult> {
  const info = await deployment(client, event.PhysicalResourceId, sleep);
  const status = info.status ?? 'Unknown';
  const rollbackId = info.rollbackInfo?.rollbackDeploymentId;
  const rollback = rollbackId ? await deployment(client, rollbackId, sleep) : undefined;

  if (event.RequestType === 'Delete') {
    // Deleting a deployment resource stops it (with rollback); wait until nothing moves.
    if (!FINAL.has(status)) return { IsComplete: false };
    return { IsComplete: !rollback || FINAL.has(rollback.status ?? '') };
  }
  if (status === 'Succeeded') return { IsComplete: true };
  if (FINAL_FAILURE.has(status)) {
    // Fail the stack only once CodeDeploy has put blue back, so CloudFormation's rollback finds
    // no active deployment.
    if (rollback && !FINAL.has(rollback.status ?? '')) return { IsComplete: false };
    const err = info.errorInformation;
    throw new Error(`Deployment ${status}: [${err?.code}] ${err?.message}`);
  }
  if (status === 'InProgress' && (await trafficShifted(client, info, sleep))) {
    console.log(
      JSON.stringify({
        message: 'traffic fully shifted; the termination wait runs on without cdk deploy',
        deploymentId: info.deploymentId,
      }),
    );
    return { IsComplete: true };
  }
  return { IsComplete: false };
}

/** Lambda entry point. */
export async function handler(event: IsCompleteEvent): Promise<IsCompleteResult> {
  return isComplete(codedeploy, event);
}
