import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { requiredEnv, retryOnThrottle, type Sleep } from '../shared/retry';

/**
 * Replaces the tasks of every service that uses a database secret after the secret rotated, so
 * no task still holds the credentials the *next* rotation will change.
 *
 * ECS injects secrets when a task starts. With the alternating-users rotation, the password a
 * task got before rotation N stays valid until rotation N+1 (which changes that user's
 * password); this function, run on rotation N's `RotationSucceeded` event, replaces every task
 * that started before N, giving days of margin. It replaces only what is stale (tasks started
 * before the rotation), so a repeated or retried event does nothing more.
 *
 * How tasks are replaced depends on the service's deployment controller: a `CODE_DEPLOY`
 * service refuses `UpdateService --force-new-deployment`, so it gets a new CodeDeploy
 * deployment of its last successful revision (the current task definition, with the same
 * hooks); an `ECS` (rolling) service gets a forced new deployment.
 */

/** A service that reads the rotated secret. */
export interface RefreshTarget {
  readonly cluster: string;
  readonly service: string;
  /** CodeDeploy application and deployment group of a blue/green service; none for rolling. */
  readonly codeDeploy?: { readonly application: string; readonly deploymentGroup: string };
}

/** What happened to one service. */
export interface RefreshResult {
  readonly service: string;
  /** `fresh`: no task predates the rotation; `deployed`/`forced`: replacement started;
   * `in-progress`: a deployment that started after the rotation is already replacing the tasks. */
  readonly outcome: 'fresh' | 'deployed' | 'forced' | 'in-progress';
  readonly deploymentId?: string;
}

/** The part of the EventBridge event (a CloudTrail `RotationSucceeded` record) this reads. */
export interface RotationEvent {
  readonly time: string;
  readonly detail?: { readonly eventName?: string; readonly additionalEventData?: { readonly SecretId?: string } };
}

/** A deployment started before the rotation is still running: retry once it has finished. */
export class DeploymentBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentBusyError';
  }
}

const ACTIVE = ['Created', 'Queued', 'InProgress', 'Ready'] as const;

/** Whether any running task of the service started before `rotatedAt`. */
export async function hasStaleTasks(ecs: ECSClient, target: RefreshTarget, rotatedAt: Date): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const page = await retryOnThrottle(() =>
      ecs.send(new ListTasksCommand({ cluster: target.cluster, serviceName: target.service, nextToken })),
    );
    nextToken = page.nextToken;
    const arns = page.taskArns ?? [];
    for (let i = 0; i < arns.length; i += 100) {
      const { tasks } = await retryOnThrottle(() =>
        ecs.send(new DescribeTasksCommand({ cluster: target.cluster, tasks: arns.slice(i, i + 100) })),
      );
      // A task not yet started gets its secrets when it starts: after the rotation.
      if ((tasks ?? []).some((t) => t.startedAt !== undefined && t.startedAt < rotatedAt)) return true;
    }
  } while (nextToken);
  return false;
}

/** Replaces the tasks of one service if any predates the rotation. */
export async function refreshService(
  clients: { ecs: ECSClient; codedeploy: CodeDeployClient },
  target: RefreshTarget,
  rotatedAt: Date,
  secretId: string,
  sleep?: Sleep,
): Promise<RefreshResult> {
  const { ecs, codedeploy } = clients;
  if (!(await hasStaleTasks(ecs, target, rotatedAt))) return { service: target.service, outcome: 'fresh' };
  if (!target.codeDeploy) {
    await retryOnThrottle(
      () =>
        ecs.send(
          new UpdateServiceCommand({ cluster: target.cluster, service: target.service, forceNewDeployment: true }),
        ),
      { sleep },
    );
    return { service: target.service, outcome: 'forced' };
  }
  const { application, deploymentGroup } = target.codeDeploy;
  const active = await retryOnThrottle(
    () =>
      codedeploy.send(
        new ListDeploymentsCommand({
          applicationName: application,
          deploymentGroupName: deploymentGroup,
          includeOnlyStatuses: [...ACTIVE],
        }),
      ),
    { sleep },
  );
  for (const id of active.deployments ?? []) {
    const { deploymentInfo } = await retryOnThrottle(
      () => codedeploy.send(new GetDeploymentCommand({ deploymentId: id })),
      { sleep },
    );
    if (deploymentInfo?.createTime && deploymentInfo.createTime >= rotatedAt) {
      return { service: target.service, outcome: 'in-progress', deploymentId: id };
    }
    throw new DeploymentBusyError(
      `${target.service}: deployment ${id} started before the rotation of ${secretId}; retry when it has finished`,
    );
  }
  const group = await retryOnThrottle(
    () =>
      codedeploy.send(
        new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: deploymentGroup }),
      ),
    { sleep },
  );
  const last = group.deploymentGroupInfo?.lastSuccessfulDeployment?.deploymentId;
  if (!last)
    throw new Error(`${target.service}: deployment group ${deploymentGroup} has no successful deployment to repeat`);
  const { deploymentInfo } = await retryOnThrottle(
    () => codedeploy.send(new GetDeploymentCommand({ deploymentId: last })),
    { sleep },
  );
  if (!deploymentInfo?.revision) throw new Error(`${target.service}: deployment ${last} has no revision`);
  // The CodeDeploy API reference does not say that GetDeployment returns an AppSpecContent
  // revision's content (DeploymentInfo.revision is a RevisionLocation, which may carry only the
  // sha256); GetApplicationRevision takes that RevisionLocation and answers with the revision
  // itself (API_GetApplicationRevision), so CreateDeployment gets the AppSpec text.
  const stored = await retryOnThrottle(
    () =>
      codedeploy.send(
        new GetApplicationRevisionCommand({ applicationName: application, revision: deploymentInfo.revision }),
      ),
    { sleep },
  );
  const revision = stored.revision;
  if (!revision || (revision.revisionType === 'AppSpecContent' && !revision.appSpecContent?.content)) {
    throw new Error(`${target.service}: the revision of deployment ${last} has no AppSpec content to repeat`);
  }
  const created = await retryOnThrottle(
    () =>
      codedeploy.send(
        new CreateDeploymentCommand({
          applicationName: application,
          deploymentGroupName: deploymentGroup,
          revision,
          description: `New tasks after rotation of ${secretId} (repeats ${last})`,
        }),
      ),
    { sleep },
  );
  return { service: target.service, outcome: 'deployed', deploymentId: created.deploymentId };
}

/** Refreshes every target; a busy deployment throws (after the others) so that the event is retried. */
export async function refreshAll(
  clients: { ecs: ECSClient; codedeploy: CodeDeployClient },
  targets: readonly RefreshTarget[],
  event: RotationEvent,
  sleep?: Sleep,
): Promise<RefreshResult[]> {
  const secretId = event.detail?.additionalEventData?.SecretId ?? 'the secret';
  const rotatedAt = new Date(event.time);
  if (Number.isNaN(rotatedAt.getTime())) throw new Error(`event time '${event.time}' is not a date`);
  const results: RefreshResult[] = [];
  const busy: string[] = [];
  for (const target of targets) {
    try {
      results.push(await refreshService(clients, target, rotatedAt, secretId, sleep));
    } catch (err) {
      if (!(err instanceof DeploymentBusyError)) throw err;
      busy.push(err.message);
    }
  }
  if (busy.length > 0) throw new DeploymentBusyError(busy.join('; '));
  return results;
}

/** The part of an SQS event source's batch this reads (Lambda developer guide, "Using Lambda with Amazon SQS"). */
export interface QueueEvent {
  readonly Records: readonly { readonly messageId: string; readonly body: string }[];
}

/** What tells Lambda which messages to return to the queue (`ReportBatchItemFailures`). */
export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/**
 * Refreshes for every queued rotation event (EventBridge puts the event, as JSON, in the message
 * body). A message whose refresh met a busy deployment, or failed, is reported as a batch item
 * failure: SQS makes it visible again after the queue's visibility timeout and, after the
 * queue's maxReceiveCount receives, moves it to the dead-letter queue.
 */
export async function processQueue(
  clients: { ecs: ECSClient; codedeploy: CodeDeployClient },
  targets: readonly RefreshTarget[],
  event: QueueEvent,
  sleep?: Sleep,
): Promise<BatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const rotation = JSON.parse(record.body) as RotationEvent;
      const results = await refreshAll(clients, targets, rotation, sleep);
      console.log(JSON.stringify({ secret: rotation.detail?.additionalEventData?.SecretId, results }));
    } catch (err) {
      const busy = err instanceof DeploymentBusyError;
      console.log(JSON.stringify({ messageId: record.messageId, retry: true, busy, error: String(err) }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

const clients = { ecs: new ECSClient({}), codedeploy: new CodeDeployClient({}) };

/** SQS event source (with ReportBatchItemFailures): rotation events of the secrets in `TARGETS`. */
export async function handler(event: QueueEvent): Promise<BatchResponse> {
  const targets = JSON.parse(requiredEnv('TARGETS')) as RefreshTarget[];
  return processQueue(clients, targets, event);
}
