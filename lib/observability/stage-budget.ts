import { Aws } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Properties of {@link StageBudget}. */
export interface StageBudgetProps {
  /** Monthly limit in USD. */
  readonly monthlyUsd: number;
  /** The stage's alert topic; AWS Budgets publishes to it. */
  readonly topic: sns.ITopic;
}

/**
 * A monthly cost budget for one stage that alerts the stage's topic when the forecast passes
 * 80 % and when actual spend passes 100 %.
 *
 * AWS Budgets publishes as the service principal `budgets.amazonaws.com`: the topic's policy must
 * allow it `SNS:Publish` ("Creating an Amazon SNS topic for budget notifications", AWS Cost
 * Management guide), and an encrypted topic's key must let it encrypt.
 *
 * The budget counts the whole account, without a tag filter: each stage has an account of its
 * own, and a tag filter counts nothing until the tags are activated as cost-allocation tags, so
 * a forgotten activation would silence the alert.
 */
export class StageBudget extends Construct {
  /** The budget. */
  public readonly budget: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: StageBudgetProps) {
    super(scope, id);
    const principal = new iam.ServicePrincipal('budgets.amazonaws.com');
    props.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AwsBudgetsPublish',
        actions: ['SNS:Publish'],
        principals: [principal],
        resources: [props.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:budgets::${Aws.ACCOUNT_ID}:*` },
        },
      }),
    );
    props.topic.masterKey?.grant(principal, 'kms:GenerateDataKey*', 'kms:Decrypt');

    const subscribers = [{ subscriptionType: 'SNS', address: props.topic.topicArn }];
    this.budget = new budgets.CfnBudget(this, 'Resource', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyUsd, unit: 'USD' },
      },
      notificationsWithSubscribers: [
        {
          notification: {
            notificationType: 'FORECASTED',
            comparisonOperator: 'GREATER_THAN',
            threshold: 80,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        },
        {
          notification: {
            notificationType: 'ACTUAL',
            comparisonOperator: 'GREATER_THAN',
            threshold: 100,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        },
      ],
    });
  }
}
