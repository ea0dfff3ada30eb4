import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkMigration,
  configFromEnv,
  MigrationFailedError,
  startMigration,
  runStep,
  startedBy,
  type MigrationConfig,
} from '../../lambda/migration-runner';

const ecsMock = mockClient(ECSClient);
const client = new ECSClient({ region: 'eu-west-1' });
const config: MigrationConfig = {
  cluster: 'csl-prod',
  taskDefinition: 'arn:aws:ecs:eu-west-1:333333333333:task-definition/CslProdAppApiMigrationTask:7',
  family: 'CslProdAppApiMigrationTask',
  containerName: 'App',
  subnets: ['subnet-a', 'subnet-b'],
  securityGroups: ['sg-api'],
  timeoutSeconds: 900,
  logGroup: '/csl/prod/migrations',
  logStreamPrefix: 'app',
};
const noWait = async () => undefined;
const NOW = 1_800_000_000_000;
const TASK = 'arn:aws:ecs:eu-west-1:333333333333:task/csl-prod/abc123';
const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/**
 * ECS ListTasks API reference, startedBy: "When you specify startedBy as the filter, it must be
 * the only filter that you use." The mock answers such a call as ECS would, with an error.
 */
function rejectStartedByWithOtherFilters(): void {
  ecsMock.on(ListTasksCommand).callsFake((input: Record<string, unknown>) => {
    const others = ['family', 'desiredStatus', 'serviceName', 'containerInstance', 'launchType'];
    if (input.startedBy !== undefined && others.some((k) => input[k] !== undefined)) {
      throw Object.assign(new Error('startedBy must be the only filter'), { name: 'InvalidParameterException' });
    }
    return { taskArns: [] };
  });
}

beforeEach(() => {
  ecsMock.reset();
  rejectStartedByWithOtherFilters();
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [] });
});

describe('startMigration', () => {
  test('runs the new task definition once, in private subnets, tagged with the deployment', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    const result = await startMigration(client, config, 'd-ABC', NOW, noWait);
    expect(result).toEqual({ taskArn: TASK, deadline: NOW + 900_000 });
    expect(ecsMock.commandCalls(RunTaskCommand)[0].args[0].input).toEqual(
      expect.objectContaining({
        cluster: 'csl-prod',
        taskDefinition: config.taskDefinition,
        launchType: 'FARGATE',
        startedBy: 'migrate-d-ABC',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-a', 'subnet-b'],
            securityGroups: ['sg-api'],
            assignPublicIp: 'DISABLED',
          },
        },
      }),
    );
  });

  test('a repeated event finds the task this deployment already started', async () => {
    // Listed by family (startedBy may not be combined with desiredStatus), then matched on startedBy.
    ecsMock
      .on(ListTasksCommand, { cluster: 'csl-prod', family: config.family, desiredStatus: 'STOPPED' })
      .resolves({ taskArns: ['arn:older', TASK] });
    ecsMock.on(DescribeTasksCommand, { cluster: 'csl-prod', tasks: ['arn:older', TASK] }).resolves({
      tasks: [
        { taskArn: 'arn:older', startedBy: 'migrate-d-OLDER', createdAt: new Date(NOW - 3_600_000) },
        { taskArn: TASK, startedBy: 'migrate-d-ABC', createdAt: new Date(NOW - 60_000) },
      ],
    });
    const result = await startMigration(client, config, 'd-ABC', NOW, noWait);
    expect(result).toEqual({ taskArn: TASK, deadline: NOW - 60_000 + 900_000 });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test('waits while another deployment’s migration runs in the stage', async () => {
    ecsMock
      .on(ListTasksCommand, { cluster: 'csl-prod', family: config.family, desiredStatus: 'RUNNING' })
      .resolves({ taskArns: ['arn:other'] });
    ecsMock.on(DescribeTasksCommand, { cluster: 'csl-prod', tasks: ['arn:other'] }).resolves({
      tasks: [{ taskArn: 'arn:other', startedBy: 'migrate-d-OTHER' }],
    });
    await expect(startMigration(client, config, 'd-ABC', NOW, noWait)).resolves.toEqual({ busy: true });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test('fails the deployment when the task cannot start, with ECS’s reason', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: 'arn:td', reason: 'RESOURCE:ENI' }] });
    await expect(startMigration(client, config, 'd-ABC', NOW, noWait)).rejects.toThrow(
      new MigrationFailedError('the migration task did not start: arn:td: RESOURCE:ENI'),
    );
  });

  test('retries a throttled RunTask', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(throttled)
      .resolves({ tasks: [{ taskArn: TASK }] });
    await expect(startMigration(client, config, 'd-ABC', NOW, noWait)).resolves.toEqual(
      expect.objectContaining({ taskArn: TASK }),
    );
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(2);
  });

  test('a running task of this deployment is found, not counted as another deployment’s', async () => {
    ecsMock
      .on(ListTasksCommand, { cluster: 'csl-prod', family: config.family, desiredStatus: 'RUNNING' })
      .resolves({ taskArns: [TASK] });
    ecsMock.on(DescribeTasksCommand, { cluster: 'csl-prod', tasks: [TASK] }).resolves({
      tasks: [{ taskArn: TASK, startedBy: 'migrate-d-ABC', createdAt: new Date(NOW) }],
    });
    await expect(startMigration(client, config, 'd-ABC', NOW, noWait)).resolves.toEqual({
      taskArn: TASK,
      deadline: NOW + 900_000,
    });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test('never combines startedBy with another ListTasks filter (ECS rejects it)', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    await startMigration(client, config, 'd-ABC', NOW, noWait);
    for (const call of ecsMock.commandCalls(ListTasksCommand)) {
      expect(call.args[0].input.startedBy).toBeUndefined();
    }
  });

  test('keeps startedBy within ECS’s 128 characters', () => {
    expect(startedBy('d-'.padEnd(200, 'x'))).toHaveLength(128);
  });
});

describe('checkMigration', () => {
  const stopped = (exitCode: number | undefined, extra: object = {}) =>
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: TASK, lastStatus: 'STOPPED', containers: [{ name: 'App', exitCode }], ...extra }],
    });

  test('succeeds on exit code 0 and points at the logs', async () => {
    stopped(0);
    await expect(checkMigration(client, config, TASK, NOW + 1000, NOW, noWait)).resolves.toEqual({
      done: true,
      taskArn: TASK,
      exitCode: 0,
      logs: '/csl/prod/migrations:app/App/abc123',
    });
  });

  test('fails on a non-zero exit code, naming it and the log stream', async () => {
    stopped(1);
    await expect(checkMigration(client, config, TASK, NOW + 1000, NOW, noWait)).rejects.toThrow(
      'the migrations exited with code 1; see /csl/prod/migrations:app/App/abc123',
    );
  });

  test('fails when the task stopped before its container ran', async () => {
    stopped(undefined, { stoppedReason: 'CannotPullContainerError: image not found' });
    await expect(checkMigration(client, config, TASK, NOW + 1000, NOW, noWait)).rejects.toThrow(
      /stopped before its container ran \(CannotPullContainerError: image not found\)/,
    );
  });

  test('keeps waiting while the task runs', async () => {
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] });
    await expect(checkMigration(client, config, TASK, NOW + 1000, NOW, noWait)).resolves.toEqual(
      expect.objectContaining({ done: false }),
    );
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  test('stops the task and fails once the deadline has passed', async () => {
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] });
    ecsMock.on(StopTaskCommand).resolves({});
    await expect(checkMigration(client, config, TASK, NOW - 1, NOW, noWait)).rejects.toThrow(
      /ran past their deadline \(900 s, or the hook's budget\) and were stopped/,
    );
    expect(ecsMock.commandCalls(StopTaskCommand)[0].args[0].input).toEqual(
      expect.objectContaining({ cluster: 'csl-prod', task: TASK }),
    );
  });

  test('fails when the task is gone', async () => {
    await expect(checkMigration(client, config, TASK, NOW + 1000, NOW, noWait)).rejects.toThrow(/is gone/);
  });
});

describe('configFromEnv', () => {
  const env = {
    CLUSTER: 'c',
    TASK_DEFINITION: 'td',
    TASK_FAMILY: 'f',
    CONTAINER_NAME: 'App',
    SUBNETS: 'subnet-a,subnet-b',
    SECURITY_GROUPS: 'sg-1',
    TIMEOUT_SECONDS: '600',
    LOG_GROUP: 'lg',
    LOG_STREAM_PREFIX: 'app',
  };

  test('splits the subnet and security-group lists', () => {
    expect(configFromEnv(env)).toEqual(
      expect.objectContaining({ subnets: ['subnet-a', 'subnet-b'], timeoutSeconds: 600 }),
    );
  });

  test('names a missing or bad variable', () => {
    expect(() => configFromEnv({ ...env, CLUSTER: '' })).toThrow('environment variable CLUSTER is not set');
    expect(() => configFromEnv({ ...env, TIMEOUT_SECONDS: 'soon' })).toThrow(
      /TIMEOUT_SECONDS must be a positive number/,
    );
  });
});

describe('the execution deadline', () => {
  const started = new Date(NOW - 10 * 60_000).toISOString();

  test('a task started near the end of the hook budget gets the budget as its deadline, not its own limit', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    const result = await startMigration(client, config, 'd-ABC', NOW, noWait, {
      startedAt: started,
      budgetSeconds: 660,
    });
    // 660 s from a start 600 s ago leaves 60 s, less than the task's own 900 s.
    expect(result.deadline).toBe(NOW + 60_000);
  });

  test('waiting for another deployment ends at the deadline with an error the state machine reports', async () => {
    await expect(
      startMigration(client, config, 'd-ABC', NOW, noWait, { startedAt: started, budgetSeconds: 300 }),
    ).rejects.toThrow(expect.objectContaining({ name: 'DeadlineExceededError' }));
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test("'check' without start's answer fails with a named error, not a missing path", async () => {
    await expect(runStep(client, config, { action: 'check', deploymentId: 'd-ABC', migration: null })).rejects.toThrow(
      MigrationFailedError,
    );
  });
});
