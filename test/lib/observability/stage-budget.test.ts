import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { StageBudget } from '../../../lib/observability/stage-budget';
import { bareStack } from '../../helpers';

describe('StageBudget', () => {
  // The dev stages of the shared fixture (test/lib/stages.test.ts) validate a StageBudget as deployed.
  const stack = bareStack();
  const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key') });
  new StageBudget(stack, 'Budget', { monthlyUsd: 150, topic });
  const t = Template.fromStack(stack);

  test('AWS Budgets may publish to the encrypted alert topic, at 80 % forecast and 100 % actual', () => {
    t.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 150, Unit: 'USD' } },
      NotificationsWithSubscribers: [
        { Notification: { NotificationType: 'FORECASTED', Threshold: 80 } },
        { Notification: { NotificationType: 'ACTUAL', Threshold: 100 } },
      ].map((n) => ({ ...n, Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: 'TopicBFC7AF6E' } }] })),
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'SNS:Publish',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Resource: { Ref: 'TopicBFC7AF6E' },
            Sid: 'AwsBudgetsPublish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: {} },
          },
        ],
      },
    });
    expect(JSON.stringify(t.toJSON())).toContain('"Principal":{"Service":"budgets.amazonaws.com"}');
  });

  test('AWS Budgets may encrypt with the topic’s key', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Principal: { Service: 'budgets.amazonaws.com' },
          }),
        ]),
      },
    });
  });

  test('counts the whole account: no cost filter that needs activated tags', () => {
    t.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ CostFilters: Match.absent(), FilterExpression: Match.absent() }),
    });
  });
});
