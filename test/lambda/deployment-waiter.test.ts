import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
  type DeploymentInfo,
  type TargetStatus,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { isComplete } from '../../lambda/deployment-waiter';

const cd = mockClient(CodeDeployClient);
const client = new CodeDeployClient({ region: 'eu-west-1' });
const update = { RequestType: 'Update' as const, PhysicalResourceId: 'd-GREEN' };
const noWait = async () => undefined;

/** The ECS target of the deployment, in a lifecycle status. */
const target = (status: TargetStatus) => {
  cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['cluster:service'] });
  cd.on(BatchGetDeploymentTargetsCommand).resolves({
    deploymentTargets: [{ deploymentTargetType: 'ECSTarget', ecsTarget: { targetId: 'cluster:service', status } }],
  });
};

beforeEach(() => cd.reset());

describe('cdk deploy returns once traffic is fully shifted', () => {
  test('in progress with its target Succeeded: the termination wait has started, so complete', async () => {
    // CodeDeploy keeps an ECS deployment InProgress through the termination wait, and does not
    // set instanceTerminationWaitTimeStarted for ECS (aws/containers-roadmap#269).
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-GREEN', status: 'InProgress', instanceTerminationWaitTimeStarted: false },
    });
    target('Succeeded');
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: true });
  });

  test('in progress while traffic still shifts: not complete', async () => {
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: 'd-GREEN', status: 'InProgress' } });
    target('InProgress');
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: false });
  });

  test('before targets exist (BeforeInstall still running): not complete', async () => {
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: 'd-GREEN', status: 'InProgress' } });
    cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: false });
  });

  test('the wait flag, should CodeDeploy ever set it for ECS, counts too', async () => {
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: { deploymentId: 'd-GREEN', status: 'InProgress', instanceTerminationWaitTimeStarted: true },
    });
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: true });
    expect(cd.commandCalls(ListDeploymentTargetsCommand)).toHaveLength(0);
  });

  test('succeeded: complete', async () => {
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: 'd-GREEN', status: 'Succeeded' } });
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: true });
  });
});

describe('a failed deployment fails the stack once blue is back', () => {
  test('waits while the rollback runs, then fails with CodeDeploy’s error', async () => {
    const failed: DeploymentInfo = {
      deploymentId: 'd-GREEN',
      status: 'Failed',
      errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'BeforeInstall hook failed' },
      rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
    };
    cd.on(GetDeploymentCommand, { deploymentId: 'd-GREEN' }).resolves({ deploymentInfo: failed });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-BACK' }).resolvesOnce({
      deploymentInfo: { deploymentId: 'd-BACK', status: 'InProgress' },
    });
    await expect(isComplete(client, update, noWait)).resolves.toEqual({ IsComplete: false });
    cd.on(GetDeploymentCommand, { deploymentId: 'd-BACK' }).resolves({
      deploymentInfo: { deploymentId: 'd-BACK', status: 'Succeeded' },
    });
    await expect(isComplete(client, update, noWait)).rejects.toThrow(
      'Deployment Failed: [HEALTH_CONSTRAINTS] BeforeInstall hook failed',
    );
  });

  test('a delete completes once the stopped deployment and its rollback are final', async () => {
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentId: 'd-GREEN', status: 'Stopped' } });
    await expect(isComplete(client, { ...update, RequestType: 'Delete' }, noWait)).resolves.toEqual({
      IsComplete: true,
    });
  });
});
