import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  CredentialRefresh,
  REFRESH_FUNCTION_TIMEOUT,
  REFRESH_MAX_RECEIVES,
  REFRESH_RETRY_INTERVAL,
} from '../../../lib/deployment/credential-refresh';
import { bareStack, testVpc } from '../../helpers';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const SECRETS = [
  'arn:aws:secretsmanager:eu-west-1:111111111111:secret:mysql-app-AbCdEf',
  'arn:aws:secretsmanager:eu-west-1:111111111111:secret:postgres-app-GhIjKl',
];

/**
 * A CredentialRefresh on a bare stack for a rolling service `Worker` and, unless `rollingOnly`,
 * a blue/green service `Web` with its (imported) deployment group.
 */
function build(options: { rollingOnly?: boolean } = {}) {
  const stack = bareStack();
  const vpc = testVpc(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const service = (id: string, controller?: ecs.DeploymentControllerType) => {
    const taskDefinition = new ecs.FargateTaskDefinition(stack, `${id}Task`);
    taskDefinition.addContainer('App', { image: ecs.ContainerImage.fromRegistry('php:8.3-fpm') });
    return new ecs.FargateService(stack, id, {
      cluster,
      taskDefinition,
      minHealthyPercent: 100,
      circuitBreaker: controller ? undefined : { enable: true, rollback: true },
      deploymentController: controller && { type: controller },
    });
  };
  const deploymentGroup = codedeploy.EcsDeploymentGroup.fromEcsDeploymentGroupAttributes(stack, 'WebGroup', {
    application: codedeploy.EcsApplication.fromEcsApplicationName(stack, 'WebApplication', 'web-app'),
    deploymentGroupName: 'web-group',
  });
  const services = [
    { service: service('Worker') },
    ...(options.rollingOnly
      ? []
      : [{ service: service('Web', ecs.DeploymentControllerType.CODE_DEPLOY), deploymentGroup }]),
  ];
  const topic = new sns.Topic(stack, 'Alerts');
  const refresh = new CredentialRefresh(stack, 'CredentialRefresh', {
    secrets: SECRETS.map((arn, i) => secretsmanager.Secret.fromSecretCompleteArn(stack, `Secret${i}`, arn)),
    services,
    logRetention: 30,
    alarmTopic: topic,
  });
  return { stack, refresh, template: Template.fromStack(stack) };
}

const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const statementsOf = (t: Template): Statement[] =>
  resources(t, 'AWS::IAM::Policy').find(([lid]) =>
    lid.startsWith('CredentialRefreshFunctionServiceRoleDefaultPolicy'),
  )![1].Properties.PolicyDocument.Statement;
const withAction = (statements: Statement[], action: string) =>
  statements.filter((s) => ([] as string[]).concat(s.Action).includes(action));

describe('CredentialRefresh', () => {
  let built: ReturnType<typeof build>;
  let t: Template;
  beforeAll(() => {
    built = build();
    t = built.template;
  });

  test('tells the function each service, with the deployment group of a blue/green one', () => {
    const [, fn] = resources(t, 'AWS::Lambda::Function').find(([lid]) => lid.startsWith('CredentialRefreshFunction'))!;
    const targets = JSON.stringify(fn.Properties.Environment.Variables.TARGETS);
    // The rolling worker: its cluster and name, nothing for CodeDeploy.
    expect(targets).toMatch(/"Fn::GetAtt":\["WorkerService[0-9A-F]{8}","Name"\]\},"\\"\},\{/);
    expect(targets).toContain(
      '\\"codeDeploy\\":{\\"application\\":\\"web-app\\",\\"deploymentGroup\\":\\"web-group\\"}',
    );
    expect(targets.match(/codeDeploy/g)).toHaveLength(1);
  });

  test('a rotation of one of the given secrets puts an event in the queue, not straight to the function', () => {
    const [[, rule]] = resources(t, 'AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: SECRETS } },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(built.stack, built.refresh.queue), 'Arn'] } }),
    ]);
  });

  test('the queue returns a message every retry interval, at least six function timeouts, then dead-letters it', () => {
    expect(REFRESH_RETRY_INTERVAL.toSeconds()).toBeGreaterThanOrEqual(6 * REFRESH_FUNCTION_TIMEOUT.toSeconds());
    t.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: REFRESH_RETRY_INTERVAL.toSeconds(),
      MessageRetentionPeriod: 4 * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        maxReceiveCount: REFRESH_MAX_RECEIVES,
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(built.stack, built.refresh.deadLetterQueue), 'Arn'] },
      },
    });
    // Retention covers every receive the message may wait through.
    expect(REFRESH_MAX_RECEIVES * REFRESH_RETRY_INTERVAL.toSeconds()).toBeLessThan(4 * 24 * 3600);
    t.hasResourceProperties('AWS::Lambda::Function', { Timeout: REFRESH_FUNCTION_TIMEOUT.toSeconds() });
  });

  test('the function reads the queue one event at a time, returning the ones it could not refresh', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built.stack, built.refresh.queue), 'Arn'] },
    });
  });

  test('both queues refuse unencrypted transport', () => {
    const policies = resources(t, 'AWS::SQS::QueuePolicy').map(([, p]) => JSON.stringify(p.Properties));
    expect(policies.filter((p) => p.includes('"aws:SecureTransport":"false"'))).toHaveLength(2);
  });

  test('a message in the dead-letter queue alarms on the given topic', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(built.stack, built.refresh.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alerts') }],
    });
  });

  test('lists tasks only in the services’ clusters', () => {
    const [list] = withAction(statementsOf(t), 'ecs:ListTasks');
    expect(list.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': [{ 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'Arn'] }] },
    });
  });

  test('forces new deployments of the rolling services only; deploys a blue/green one through its deployment group', () => {
    const statements = statementsOf(t);
    const [update] = withAction(statements, 'ecs:UpdateService');
    expect(update.Resource).toEqual({ Ref: expect.stringMatching(/^WorkerService[0-9A-F]{8}$/) });
    expect(JSON.stringify(withAction(statements, 'codedeploy:CreateDeployment')[0].Resource)).toContain(
      ':deploymentgroup:web-app/web-group',
    );
    expect(JSON.stringify(withAction(statements, 'codedeploy:RegisterApplicationRevision')[0].Resource)).toContain(
      ':application:web-app',
    );
    expect(withAction(statements, 'codedeploy:GetDeploymentConfig')).toHaveLength(1);
  });

  test('without a blue/green service, no CodeDeploy rights', () => {
    const statements = statementsOf(build({ rollingOnly: true }).template);
    expect(
      statements.flatMap((s) => ([] as string[]).concat(s.Action)).filter((a) => a.startsWith('codedeploy:')),
    ).toEqual([]);
    expect(withAction(statements, 'ecs:UpdateService')).toHaveLength(1);
  });
});
