import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeploymentBusyError,
  processQueue,
  refreshAll,
  type RefreshTarget,
  type RotationEvent,
} from '../../lambda/credential-refresh';

const ecsMock = mockClient(ECSClient);
const codedeployMock = mockClient(CodeDeployClient);
const clients = {
  ecs: new ECSClient({ region: 'eu-west-1' }),
  codedeploy: new CodeDeployClient({ region: 'eu-west-1' }),
};
const noSleep = () => Promise.resolve();
const DAY = 24 * 3600 * 1000;
const SECRET = 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:MysqlAppUserSecret-abc';

const WEB: RefreshTarget = {
  cluster: 'cluster',
  service: 'api',
  codeDeploy: { application: 'app', deploymentGroup: 'api-group' },
};
const WORKER: RefreshTarget = { cluster: 'cluster', service: 'worker' };

interface Credentials {
  readonly user: string;
  readonly password: string;
}
interface Task {
  readonly arn: string;
  readonly service: string;
  readonly startedAt: Date;
  readonly credentials: Credentials;
}

/**
 * The world the function acts on: the database's users, the secret's versions as the
 * alternating-users rotation leaves them, and the running tasks, each holding the credentials
 * ECS injected when it started.
 */
class World {
  now = new Date('2026-01-01T00:00:00Z');
  readonly users = new Map<string, string>();
  current: Credentials = { user: 'app', password: 'pw-0' };
  tasks: Task[] = [];
  private seq = 0;
  readonly refused: string[] = [];

  constructor() {
    // The deploy path's bootstrap created the app user with the secret's first password.
    this.users.set('app', 'pw-0');
  }

  advance(days: number): void {
    this.now = new Date(this.now.getTime() + days * DAY);
  }

  startTask(service: string): void {
    this.tasks.push({ arn: `task/${++this.seq}`, service, startedAt: this.now, credentials: this.current });
  }

  replaceTasks(service: string): void {
    const count = this.tasks.filter((t) => t.service === service).length;
    this.tasks = this.tasks.filter((t) => t.service !== service);
    this.advance(1 / 1440); // new tasks start a minute later
    for (let i = 0; i < count; i++) this.startTask(service);
  }

  /**
   * One run of SecretsManagerRDSMySQLRotationMultiUser: createSecret makes the pending version
   * for the other user (`app` <-> `app_clone`) with a new password; setSecret creates that user
   * if needed (copying grants) or changes its password; finishSecret makes it AWSCURRENT.
   */
  rotate(): RotationEvent {
    const pending = this.current.user.endsWith('_clone')
      ? this.current.user.slice(0, -6)
      : `${this.current.user}_clone`;
    const credentials = { user: pending, password: `pw-${++this.seq}` };
    this.users.set(pending, credentials.password);
    this.current = credentials;
    return {
      time: this.now.toISOString(),
      detail: { eventName: 'RotationSucceeded', additionalEventData: { SecretId: SECRET } },
    };
  }

  /** Every running task opens a connection (PHP-FPM does, per request); records refusals. */
  connectAll(when: string): void {
    for (const t of this.tasks) {
      if (this.users.get(t.credentials.user) !== t.credentials.password) {
        this.refused.push(
          `${when}: ${t.service} ${t.arn} (started ${t.startedAt.toISOString()}) as ${t.credentials.user}`,
        );
      }
    }
  }
}

/** Wires the SDK mocks to the world: listing and describing tasks, and replacing them. */
function connect(world: World): void {
  ecsMock.reset();
  codedeployMock.reset();
  ecsMock.on(ListTasksCommand).callsFake((input: { serviceName: string }) => ({
    taskArns: world.tasks.filter((t) => t.service === input.serviceName).map((t) => t.arn),
  }));
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: world.tasks
      .filter((t) => input.tasks.includes(t.arn))
      .map((t) => ({ taskArn: t.arn, startedAt: t.startedAt })),
  }));
  ecsMock.on(UpdateServiceCommand).callsFake((input: { service: string; forceNewDeployment?: boolean }) => {
    if (input.service === WEB.service) {
      // What ECS answers for a CODE_DEPLOY service.
      throw Object.assign(
        new Error('Cannot force a new deployment on services with a CODE_DEPLOY deployment controller'),
        {
          name: 'InvalidParameterException',
        },
      );
    }
    if (input.forceNewDeployment) world.replaceTasks(input.service);
    return {};
  });
  codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
  codedeployMock.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: { lastSuccessfulDeployment: { deploymentId: 'd-LAST' } },
  });
  // GetDeployment is not documented to return an AppSpecContent revision's content: the mock
  // gives only its hash; GetApplicationRevision answers with the content.
  codedeployMock.on(GetDeploymentCommand, { deploymentId: 'd-LAST' }).resolves({
    deploymentInfo: {
      deploymentId: 'd-LAST',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } },
    },
  });
  codedeployMock
    .on(GetApplicationRevisionCommand, {
      applicationName: 'app',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } },
    })
    .resolves({
      applicationName: 'app',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{}', sha256: 'abc' } },
    });
  codedeployMock.on(CreateDeploymentCommand).callsFake(() => {
    world.replaceTasks(WEB.service);
    return { deploymentId: 'd-REFRESH' };
  });
}

/** A world whose `services` each run a task started 30 days before a rotation, and that rotation. */
function rotatedWorld(...services: string[]): { world: World; event: RotationEvent } {
  const world = new World();
  connect(world);
  services.forEach((s) => world.startTask(s));
  world.advance(30);
  return { world, event: world.rotate() };
}

/** CodeDeploy lists one deployment, `d-OLD`, created an hour before the world's rotation. */
function deploymentBeforeRotation(world: World): void {
  codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ['d-OLD'] });
  codedeployMock.on(GetDeploymentCommand, { deploymentId: 'd-OLD' }).resolves({
    deploymentInfo: { createTime: new Date(world.now.getTime() - 3600_000) },
  });
}

describe('the rotation timeline', () => {
  test('without the refresh, tasks from before rotation N are refused after rotation N+1', () => {
    const world = new World();
    [WEB.service, WEB.service, WORKER.service].forEach((s) => world.startTask(s)); // before rotation 1
    world.advance(30);
    world.rotate();
    world.connectAll('rotation 1');
    expect(world.refused).toEqual([]); // the alternating scheme keeps the old user's password
    world.advance(30);
    world.rotate();
    world.connectAll('rotation 2');
    expect(world.refused).toHaveLength(3);
    expect(world.refused[0]).toMatch(/^rotation 2: api .* as app$/);
  });

  test('with the refresh on every RotationSucceeded, no task is ever refused', async () => {
    const world = new World();
    connect(world);
    [WEB.service, WEB.service, WORKER.service].forEach((s) => world.startTask(s)); // before rotation 1
    world.advance(12);
    world.startTask(WEB.service);
    for (const n of [1, 2, 3, 4]) {
      world.advance(n === 1 ? 18 : 23);
      const event = world.rotate();
      world.connectAll(`rotation ${n}, before the refresh`);
      const results = await refreshAll(clients, [WEB, WORKER], event, noSleep);
      expect(results.map((r) => r.outcome)).toEqual(['deployed', 'forced']);
      world.connectAll(`rotation ${n}, after the refresh`);
      // A repeated event finds nothing stale and starts nothing.
      const again = await refreshAll(clients, [WEB, WORKER], event, noSleep);
      expect(again.map((r) => r.outcome)).toEqual(['fresh', 'fresh']);
      world.advance(7);
      world.startTask(WORKER.service); // between rotation n and n+1
      world.connectAll(`a week after rotation ${n}`);
    }
    expect(world.refused).toEqual([]);
    // Blue/green tasks came from CodeDeploy, never from UpdateService.
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.service)).toEqual(
      Array(4).fill(WORKER.service),
    );
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)[0].args[0].input).toEqual(
      expect.objectContaining({
        applicationName: 'app',
        deploymentGroupName: 'api-group',
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{}', sha256: 'abc' } },
      }),
    );
  });
});

describe('the revision a refresh repeats', () => {
  test('is read with GetApplicationRevision, so CreateDeployment gets the AppSpec content', async () => {
    const { event } = rotatedWorld(WEB.service);
    await refreshAll(clients, [WEB], event, noSleep);
    const [call] = codedeployMock.commandCalls(CreateDeploymentCommand);
    expect(call.args[0].input.revision?.appSpecContent?.content).toBe('{}');
  });

  test('fails with a clear message when the revision has no content', async () => {
    const { event } = rotatedWorld(WEB.service);
    codedeployMock.on(GetApplicationRevisionCommand).resolves({ revision: { revisionType: 'AppSpecContent' } });
    await expect(refreshAll(clients, [WEB], event, noSleep)).rejects.toThrow(
      /revision of deployment d-LAST has no AppSpec content/,
    );
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});

describe('deployments already running', () => {
  test('one that started after the rotation already brings fresh tasks', async () => {
    const { world, event } = rotatedWorld(WEB.service);
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: ['d-PIPELINE'] });
    codedeployMock.on(GetDeploymentCommand, { deploymentId: 'd-PIPELINE' }).resolves({
      deploymentInfo: { createTime: new Date(world.now.getTime() + 60_000) },
    });
    await expect(refreshAll(clients, [WEB], event, noSleep)).resolves.toEqual([
      { service: 'api', outcome: 'in-progress', deploymentId: 'd-PIPELINE' },
    ]);
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('one that started before the rotation fails the run (the queue redelivers it), after refreshing the rest', async () => {
    const { world, event } = rotatedWorld(WEB.service, WORKER.service);
    deploymentBeforeRotation(world);
    await expect(refreshAll(clients, [WEB, WORKER], event, noSleep)).rejects.toThrow(DeploymentBusyError);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  test('a throttled GetDeployment is retried', async () => {
    const { event } = rotatedWorld(WEB.service);
    codedeployMock
      .on(GetDeploymentCommand, { deploymentId: 'd-LAST' })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({
        deploymentInfo: { revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'abc' } } },
      });
    await expect(refreshAll(clients, [WEB], event, noSleep)).resolves.toEqual([
      { service: 'api', outcome: 'deployed', deploymentId: 'd-REFRESH' },
    ]);
  });

  test('an event without a time is rejected with a clear message', async () => {
    await expect(refreshAll(clients, [WEB], { time: 'yesterday' }, noSleep)).rejects.toThrow(
      "event time 'yesterday' is not a date",
    );
  });
});

describe('the queue between EventBridge and the function', () => {
  const record = (messageId: string, event: RotationEvent) => ({ messageId, body: JSON.stringify(event) });

  test('a busy deployment returns the message to the queue (a batch item failure), the rest succeed', async () => {
    const { world, event } = rotatedWorld(WEB.service);
    deploymentBeforeRotation(world);
    const fresh = { ...event, time: new Date(world.now.getTime() - 60 * DAY).toISOString() };
    await expect(
      processQueue(clients, [WEB], { Records: [record('m-busy', event), record('m-fresh', fresh)] }, noSleep),
    ).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-busy' }] });
  });

  test('once the deployment has finished, the redelivered message refreshes the service', async () => {
    const { world, event } = rotatedWorld(WEB.service);
    // First delivery: a deployment that started before the rotation is still in its termination
    // wait, so the message goes back to the queue and nothing is deployed yet.
    deploymentBeforeRotation(world);
    await expect(processQueue(clients, [WEB], { Records: [record('m-1', event)] }, noSleep)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    // Redelivery after the visibility timeout: the old deployment is done; now it refreshes.
    codedeployMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
    await expect(processQueue(clients, [WEB], { Records: [record('m-1', event)] }, noSleep)).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(codedeployMock.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
  });

  test('a message that is not an event is a failure of that message only', async () => {
    connect(new World());
    await expect(
      processQueue(clients, [WEB], { Records: [{ messageId: 'm-bad', body: 'not json' }] }, noSleep),
    ).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
  });
});
