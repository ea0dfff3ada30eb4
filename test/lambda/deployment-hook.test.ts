import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  executionName,
  handler,
  reportStoppedExecution,
  REPORTED_ERROR,
  startMigrations,
  type ExecutionStatusEvent,
} from '../../lambda/deployment-hook';

const sfnMock = mockClient(SFNClient);
const codedeployMock = mockClient(CodeDeployClient);
const client = new SFNClient({ region: 'eu-west-1' });
const event = { DeploymentId: 'd-ABC123', LifecycleEventHookExecutionId: 'eyJlbmNyeXB0ZWREYXRhIjoiZmFrZSJ9' };
const ARN = 'arn:aws:states:eu-west-1:333333333333:stateMachine:Migrations';

beforeEach(() => {
  sfnMock.reset();
  codedeployMock.reset();
});

test('starts one execution per hook, named after the deployment', async () => {
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
  await expect(startMigrations(client, ARN, event)).resolves.toEqual({
    executionName: executionName(event),
    started: true,
  });
  const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
  expect(input.name).toMatch(/^d-ABC123-[0-9a-f]{16}$/);
  expect(JSON.parse(input.input!)).toEqual({
    deploymentId: 'd-ABC123',
    hookExecutionId: event.LifecycleEventHookExecutionId,
  });
});

test('a repeated event finds the execution already started and starts nothing new', async () => {
  sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
  await expect(startMigrations(client, ARN, event)).resolves.toEqual(expect.objectContaining({ started: false }));
});

test('retries a throttled start', async () => {
  sfnMock
    .on(StartExecutionCommand)
    .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
    .resolves({});
  await expect(startMigrations(client, ARN, event, async () => undefined)).resolves.toEqual(
    expect.objectContaining({ started: true }),
  );
});

test('reports the hook failed at once when the state machine cannot start', async () => {
  process.env.STATE_MACHINE_ARN = ARN;
  sfnMock
    .on(StartExecutionCommand)
    .rejects(Object.assign(new Error('no such machine'), { name: 'StateMachineDoesNotExist' }));
  codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  await expect(handler(event)).rejects.toThrow('no such machine');
  expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0].args[0].input).toEqual({
    deploymentId: 'd-ABC123',
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status: 'Failed',
  });
});

test('rejects an event that is not a lifecycle hook', async () => {
  await expect(handler({ foo: 1 })).rejects.toThrow(/not a CodeDeploy lifecycle hook event/);
});

describe('executions that ended without reporting', () => {
  const cd = new CodeDeployClient({ region: 'eu-west-1' });
  const stopped = (
    status: ExecutionStatusEvent['detail']['status'],
    error: string | null = null,
  ): ExecutionStatusEvent => ({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: 'arn:exec',
      status,
      error,
      input: JSON.stringify({ deploymentId: 'd-ABC123', hookExecutionId: 'hook-1' }),
    },
  });

  test.each(['TIMED_OUT', 'ABORTED'] as const)(
    '%s: reports the hook Failed (a timed-out execution runs no Catch)',
    async (status) => {
      codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
      await expect(reportStoppedExecution(cd, stopped(status))).resolves.toEqual(
        expect.objectContaining({ reported: true }),
      );
      expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0].args[0].input).toEqual({
        deploymentId: 'd-ABC123',
        lifecycleEventHookExecutionId: 'hook-1',
        status: 'Failed',
      });
    },
  );

  test('leaves alone an execution that failed after reporting itself, so each hook gets one report', async () => {
    await expect(reportStoppedExecution(cd, stopped('FAILED', REPORTED_ERROR))).resolves.toEqual(
      expect.objectContaining({ reported: false }),
    );
    await expect(reportStoppedExecution(cd, stopped('SUCCEEDED'))).resolves.toEqual(
      expect.objectContaining({ reported: false }),
    );
    expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)).toHaveLength(0);
  });

  test('reports an execution that failed some other way (States.Runtime, a failed report)', async () => {
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
    await expect(reportStoppedExecution(cd, stopped('FAILED', 'States.Runtime'))).resolves.toEqual(
      expect.objectContaining({ reported: true }),
    );
  });

  test('the handler routes EventBridge events to the reporter', async () => {
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
    await expect(handler(stopped('TIMED_OUT'))).resolves.toEqual(expect.objectContaining({ reported: true }));
  });
});
