import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RefreshTarget } from './handlers';
import { acknowledge } from '../shared/nag';
import { HandlerFunction } from './handler-function';

/**
 * How long a rotation event waits before it is tried again after a busy deployment (the queue's
 * visibility timeout). The Lambda developer guide ("Creating and configuring an Amazon SQS event
 * source mapping") asks for at least six times the function's timeout, and Lambda refuses an
 * event source mapping whose function timeout exceeds it.
 */
export const REFRESH_RETRY_INTERVAL = Duration.minutes(15);
/** The function's timeout: a sixth of {@link REFRESH_RETRY_INTERVAL}. */
export const REFRESH_FUNCTION_TIMEOUT = Duration.seconds(150);
/**
 * Receives before a rotation event goes to the dead-letter queue: 24 × 15 min = 6 h, several
 * times the longest deployment (a 55-minute deploy timeout plus prod's 60-minute termination
 * wait, during which CodeDeploy keeps the deployment InProgress).
 */
export const REFRESH_MAX_RECEIVES = 24;

/** A service whose tasks read a rotated secret. */
export interface RefreshedService {
  /** The ECS service. */
  readonly service: ecs.FargateService;
  /**
   * Its CodeDeploy deployment group when it is deployed blue/green (`CODE_DEPLOY` controller).
   *
   * @default - a rolling service: refreshed with a forced new deployment
   */
  readonly deploymentGroup?: codedeploy.IEcsDeploymentGroup;
}

/** Properties of {@link CredentialRefresh}. */
export interface CredentialRefreshProps {
  /** The secrets whose rotation makes running tasks stale (the apps' database users). */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** The services that read them. */
  readonly services: readonly RefreshedService[];
  /** Log retention of the function. */
  readonly logRetention: logs.RetentionDays;
  /** Where the alarm on a dropped rotation event (a message in the dead-letter queue) goes. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * Replaces running tasks after a database secret rotates (`lambda/credential-refresh`): on the
 * `RotationSucceeded` event Secrets Manager records in CloudTrail, a function starts a
 * CodeDeploy deployment of the current revision for blue/green services and a forced new
 * deployment for rolling ones, for every service with a task started before the rotation.
 * With the alternating-users rotation the credentials those tasks hold stay valid until the
 * next rotation, 30 days later. The event reaches the function through an SQS queue: a refresh
 * that meets a deployment in progress returns the message, which comes back every
 * {@link REFRESH_RETRY_INTERVAL} for {@link REFRESH_MAX_RECEIVES} receives (Lambda's own
 * asynchronous retries, two within minutes, would drop it during prod's one-hour termination
 * wait); then it lands in a dead-letter queue whose alarm tells the stage's alert topic.
 */
export class CredentialRefresh extends Construct {
  /** The function. */
  public readonly function: HandlerFunction;
  /** The EventBridge rule on the secrets' rotations. */
  public readonly rule: events.Rule;
  /** The queue the rule puts rotation events in, and the function reads. */
  public readonly queue: sqs.Queue;
  /** Where a rotation event goes after {@link REFRESH_MAX_RECEIVES} unsuccessful receives. */
  public readonly deadLetterQueue: sqs.Queue;
  /** In alarm while a rotation event sits in the dead-letter queue: tasks need replacing by hand. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CredentialRefreshProps) {
    super(scope, id);
    this.function = this.createFunction(props);
    this.allowRefresh(props.services);
    this.rule = this.createRotationRule(props.secrets);
    this.deadLetterQueue = this.createDeadLetterQueue();
    this.queue = this.createEventQueue();
    this.rule.addTarget(new targets.SqsQueue(this.queue));
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
    this.deadLetterAlarm = this.createDeadLetterAlarm(props.alarmTopic);
  }

  /** The function, told which services to refresh and how (CodeDeploy or a forced deployment). */
  private createFunction(props: CredentialRefreshProps): HandlerFunction {
    return new HandlerFunction(this, 'Function', {
      handler: 'credential-refresh',
      description: 'Replaces tasks that started before a database secret rotated',
      environment: { TARGETS: Stack.of(this).toJsonString(props.services.map(refreshTarget)) },
      timeout: REFRESH_FUNCTION_TIMEOUT,
      logRetention: props.logRetention,
    });
  }

  /**
   * Lets the function find the services' tasks, force a new deployment of the rolling services,
   * and start a CodeDeploy deployment of the current revision for the blue/green ones.
   */
  private allowRefresh(services: readonly RefreshedService[]): void {
    const fn = this.function;
    const clusters = [...new Set(services.map((s) => s.service.cluster.clusterArn))];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks', 'ecs:DescribeTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': clusters } },
      }),
    );
    const rolling = services.filter((s) => !s.deploymentGroup).map((s) => s.service.serviceArn);
    if (rolling.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: rolling }));
    }
    for (const { deploymentGroup } of services) {
      if (deploymentGroup) this.allowDeploymentOf(deploymentGroup);
    }
  }

  /** Lets the function start a deployment of the current revision in one deployment group. */
  private allowDeploymentOf(deploymentGroup: codedeploy.IEcsDeploymentGroup): void {
    const fn = this.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'codedeploy:ListDeployments',
          'codedeploy:GetDeploymentGroup',
          'codedeploy:GetDeployment',
          'codedeploy:CreateDeployment',
        ],
        resources: [deploymentGroup.deploymentGroupArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        // CreateDeployment registers the revision with the application and reads the
        // deployment configuration, as @cdklabs/cdk-ecs-codedeploy's provider is allowed to.
        actions: ['codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision'],
        resources: [deploymentGroup.application.applicationArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: [deploymentGroup.deploymentConfig.deploymentConfigArn],
      }),
    );
  }

  /**
   * Secrets Manager writes RotationSucceeded to CloudTrail with the secret's ARN in
   * additionalEventData.SecretId (Secrets Manager user guide, "Monitor rotation with
   * EventBridge"); EventBridge receives CloudTrail management events without a trail.
   */
  private createRotationRule(secrets: readonly secretsmanager.ISecret[]): events.Rule {
    return new events.Rule(this, 'Rotations', {
      description: 'A database secret of the apps has rotated',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: ['RotationSucceeded'],
          additionalEventData: { SecretId: secrets.map((s) => s.secretArn) },
        },
      },
    });
  }

  /**
   * Where rotation events end after their receives. SQS-managed encryption: EventBridge cannot
   * send to a queue encrypted with the AWS managed key aws/sqs (its key policy cannot be changed
   * to admit events.amazonaws.com).
   */
  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      queue,
      'AwsSolutions-SQS3',
      'This is the dead-letter queue of the rotation-event queue; its alarm reports what lands here.',
    );
    return queue;
  }

  /** The queue rotation events wait in, returned every {@link REFRESH_RETRY_INTERVAL}. */
  private createEventQueue(): sqs.Queue {
    return new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: REFRESH_RETRY_INTERVAL,
      // Longer than the REFRESH_MAX_RECEIVES × REFRESH_RETRY_INTERVAL the message may wait.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: REFRESH_MAX_RECEIVES },
    });
  }

  /** In alarm while a rotation event sits in the dead-letter queue; tells the alert topic. */
  private createDeadLetterAlarm(topic: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `${this.node.path}: a secret rotated but the tasks were not replaced (a deployment stayed busy for hours, or the refresh failed); replace them before the next rotation, see docs/operations-over-time.md`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(topic));
    return alarm;
  }
}

/** What the function is told about one service: where it runs and, if blue/green, its deployment group. */
function refreshTarget({ service, deploymentGroup }: RefreshedService): RefreshTarget {
  return {
    cluster: service.cluster.clusterArn,
    service: service.serviceName,
    ...(deploymentGroup
      ? {
          codeDeploy: {
            application: deploymentGroup.application.applicationName,
            deploymentGroup: deploymentGroup.deploymentGroupName,
          },
        }
      : {}),
  };
}
