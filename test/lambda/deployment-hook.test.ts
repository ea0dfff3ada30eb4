import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionName, handler, startMigrations } from '../../lambda/deployment-hook';

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
