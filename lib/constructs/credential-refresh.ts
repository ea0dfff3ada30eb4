import { Duration, Stack } from 'aws-cdk-lib';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RefreshTarget } from '../../lambda/credential-refresh';
import { HandlerFunction } from './handler-function';

/** A service whose tasks read a rotated secret. */
export interface RefreshedService {
  /** The ECS service. */
  readonly service: ecs.FargateService;
  /** Its CodeDeploy deployment group when it is deployed blue/green (`CODE_DEPLOY` controller). */
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
}

/**
 * Replaces running tasks after a database secret rotates (`lambda/credential-refresh`): on the
 * `RotationSucceeded` event Secrets Manager records in CloudTrail, a function starts a
 * CodeDeploy deployment of the current revision for blue/green services and a forced new
 * deployment for rolling ones, for every service with a task started before the rotation.
 * With the alternating-users rotation the credentials those tasks hold stay valid until the
 * next rotation, 30 days later; Lambda retries an invocation that met a deployment in progress.
 */
export class CredentialRefresh extends Construct {
  /** The function. */
  public readonly function: HandlerFunction;
  /** The EventBridge rule on the secrets' rotations. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CredentialRefreshProps) {
    super(scope, id);
    const refreshTargets: RefreshTarget[] = props.services.map(({ service, deploymentGroup }) => ({
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
    }));
    this.function = new HandlerFunction(this, 'Function', {
      handler: 'credential-refresh',
      description: 'Replaces tasks that started before a database secret rotated',
      environment: { TARGETS: Stack.of(this).toJsonString(refreshTargets) },
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
    });
    const fn = this.function;
    const clusters = [...new Set(props.services.map((s) => s.service.cluster.clusterArn))];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:ListTasks', 'ecs:DescribeTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': clusters } },
      }),
    );
    const rolling = props.services.filter((s) => !s.deploymentGroup).map((s) => s.service.serviceArn);
    if (rolling.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: rolling }));
    }
    for (const { deploymentGroup } of props.services) {
      if (!deploymentGroup) continue;
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

    // Secrets Manager writes RotationSucceeded to CloudTrail with the secret's ARN in
    // additionalEventData.SecretId (Secrets Manager user guide, "Monitor rotation with
    // EventBridge"); EventBridge receives CloudTrail management events without a trail.
    this.rule = new events.Rule(this, 'Rotations', {
      description: 'A database secret of the apps has rotated',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: ['RotationSucceeded'],
          additionalEventData: { SecretId: props.secrets.map((s) => s.secretArn) },
        },
      },
    });
    this.rule.addTarget(new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.hours(6) }));
  }
}
