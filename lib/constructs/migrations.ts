import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, nagResource } from '../nag';
import type { AppTask } from './app-task';
import { HandlerFunction } from './handler-function';

/** Properties of {@link Migrations}. */
export interface MigrationsProps {
  /** The cluster the migration task runs in. */
  readonly cluster: ecs.ICluster;
  /** The migration task definition (its command runs the migrations). */
  readonly task: AppTask;
  /** The security group the task runs with: the web service's, which reaches the databases. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The VPC whose private subnets the task runs in. */
  readonly vpc: ec2.IVpc;
  /** The MySQL primary to snapshot first; none for systems without MySQL. */
  readonly database?: rds.IDatabaseInstance;
  /** Name prefix of this stage's pre-deploy snapshots, e.g. `predeploy-csl-prod`. */
  readonly snapshotPrefix: string;
  /** Days a pre-deploy snapshot is kept. */
  readonly snapshotRetentionDays: number;
  /** Longest the migrations may run. */
  readonly timeout: Duration;
  /** The deployment group whose BeforeInstall hook this is: the outcome is reported to it. */
  readonly deploymentGroupArn: string;
  /** Log retention of the functions and the state machine. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * What runs before a Laravel deployment moves any traffic, replacing the seeds'
 * `php artisan migrate --force` over SSH: a snapshot of the MySQL primary (waited for until
 * available), then the migrations as a one-off Fargate task of the new task definition; old
 * pre-deploy snapshots are pruned afterwards. A Step Functions state machine drives the steps,
 * so no Lambda invocation waits for a snapshot or a migration, and reports the outcome of
 * CodeDeploy's BeforeInstall hook: a failure rolls the deployment back before green takes traffic.
 */
export class Migrations extends Construct {
  /** CodeDeploy's BeforeInstall hook: starts the state machine. */
  public readonly hook: HandlerFunction;
  /** Snapshot, migrate, prune, report. */
  public readonly stateMachine: sfn.StateMachine;
  /** Runs and watches the migration task. */
  public readonly runner: HandlerFunction;
  /** Takes, watches and prunes the pre-migration snapshot. */
  public readonly snapshots?: HandlerFunction;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const taskDefinition = props.task.taskDefinition;
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;

    this.runner = new HandlerFunction(this, 'Runner', {
      handler: 'migration-runner',
      description: 'Runs the migrations of a deployment as a one-off Fargate task and reports its exit code',
      environment: {
        CLUSTER: props.cluster.clusterArn,
        TASK_DEFINITION: taskDefinition.taskDefinitionArn,
        TASK_FAMILY: taskDefinition.family,
        CONTAINER_NAME: props.task.app.containerName,
        SUBNETS: subnets.join(','),
        SECURITY_GROUPS: props.securityGroup.securityGroupId,
        TIMEOUT_SECONDS: String(props.timeout.toSeconds()),
        LOG_GROUP: props.task.logGroup.logGroupName,
        LOG_STREAM_PREFIX: 'app',
      },
      logRetention: props.logRetention,
    });
    const familyArn = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${taskDefinition.family}:*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const clusterName = props.cluster.clusterName;
    const taskArns = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${clusterName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const inCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    this.runner.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [familyArn], conditions: inCluster }),
    );
    this.runner.addToRolePolicy(
      // ListTasks has no resource-level permissions (acknowledged with X-Ray on the function's
      // role); the condition limits it to this stage's cluster.
      new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }),
    );
    this.runner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask', 'ecs:TagResource'],
        resources: [taskArns],
        conditions: inCluster,
      }),
    );
    this.runner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [taskDefinition.taskRole.roleArn, taskDefinition.obtainExecutionRole().roleArn],
      }),
    );
    acknowledge(
      this.runner.role!,
      `AwsSolutions-IAM5[Resource::${nagResource(stack, familyArn)}]`,
      'Every revision of this one migration task definition: each deployment registers a new revision.',
    );
    acknowledge(
      this.runner.role!,
      `AwsSolutions-IAM5[Resource::${nagResource(stack, taskArns)}]`,
      'Task ids are assigned at run time; the pattern is limited to this stage’s cluster.',
    );

    /** A step that calls a handler with an action and keeps its answer at `$.<resultKey>.value`. */
    const invoke = (
      fn: HandlerFunction,
      name: string,
      action: string,
      resultKey: string,
      extra: Record<string, string> = {},
    ) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({ action, 'deploymentId.$': '$.deploymentId', ...extra }),
        resultSelector: { 'value.$': '$.Payload' },
        resultPath: `$.${resultKey}`,
        retryOnServiceExceptions: true,
      });

    const report = (name: string, status: 'Succeeded' | 'Failed') =>
      new tasks.CallAwsService(this, name, {
        service: 'codedeploy',
        action: 'putLifecycleEventHookExecutionStatus',
        parameters: {
          'DeploymentId.$': '$.deploymentId',
          'LifecycleEventHookExecutionId.$': '$.hookExecutionId',
          Status: status,
        },
        iamResources: [props.deploymentGroupArn],
        resultPath: sfn.JsonPath.DISCARD,
      });
    const failed = report('ReportFailed', 'Failed').next(new sfn.Fail(this, 'MigrationsFailed'));
    const succeeded = report('ReportSucceeded', 'Succeeded').next(new sfn.Succeed(this, 'Done'));
    const onError = <T extends sfn.TaskStateBase>(state: T): T =>
      state.addCatch(failed, { resultPath: '$.error' }) as T;

    // Migrations: start (or wait while another deployment's run), then poll until done.
    const startMigration = onError(invoke(this.runner, 'StartMigration', 'start', 'startMigration'));
    const checkMigration = onError(
      invoke(this.runner, 'CheckMigration', 'check', 'checkMigration', {
        'taskArn.$': '$.startMigration.value.taskArn',
        'deadline.$': '$.startMigration.value.deadline',
      }),
    );
    const waitForOther = new sfn.Wait(this, 'WaitForOtherMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(30)),
    });
    const waitForMigration = new sfn.Wait(this, 'WaitForMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(15)),
    });
    waitForOther.next(startMigration);
    waitForMigration.next(checkMigration);

    let afterMigration: sfn.IChainable = succeeded;
    let first: sfn.IChainable = startMigration;
    if (props.database) {
      const instanceId = props.database.instanceIdentifier;
      this.snapshots = new HandlerFunction(this, 'Snapshots', {
        handler: 'pre-migration-snapshot',
        description: 'Snapshots the MySQL primary before migrations and prunes old pre-deploy snapshots',
        environment: {
          DB_INSTANCE_IDENTIFIER: instanceId,
          SNAPSHOT_PREFIX: props.snapshotPrefix,
          RETENTION_DAYS: String(props.snapshotRetentionDays),
        },
        logRetention: props.logRetention,
      });
      const snapshotArns = stack.formatArn({
        service: 'rds',
        resource: 'snapshot',
        resourceName: `${props.snapshotPrefix}-*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      this.snapshots.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'],
          resources: [props.database.instanceArn, snapshotArns],
        }),
      );
      this.snapshots.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['rds:DeleteDBSnapshot', 'rds:AddTagsToResource'],
          resources: [snapshotArns],
        }),
      );
      acknowledge(
        this.snapshots.role!,
        `AwsSolutions-IAM5[Resource::${nagResource(stack, snapshotArns)}]`,
        'Snapshots are named per deployment at run time; the pattern holds only this stage’s pre-deploy snapshots.',
      );

      const startSnapshot = onError(invoke(this.snapshots, 'StartSnapshot', 'start', 'startSnapshot'));
      const checkSnapshot = onError(invoke(this.snapshots, 'CheckSnapshot', 'check', 'checkSnapshot'));
      const prune = invoke(this.snapshots, 'PruneSnapshots', 'prune', 'pruned');
      // Pruning is housekeeping: its failure must not fail a deployment whose migrations ran.
      prune.addCatch(succeeded, { resultPath: '$.pruneError' });
      const waitForSnapshot = new sfn.Wait(this, 'WaitForSnapshot', {
        time: sfn.WaitTime.duration(Duration.seconds(30)),
      });
      startSnapshot.next(
        new sfn.Choice(this, 'SnapshotReady?')
          .when(sfn.Condition.booleanEquals('$.startSnapshot.value.ready', true), startMigration)
          .otherwise(waitForSnapshot),
      );
      waitForSnapshot.next(checkSnapshot);
      checkSnapshot.next(
        new sfn.Choice(this, 'SnapshotAvailable?')
          .when(sfn.Condition.booleanEquals('$.checkSnapshot.value.ready', true), startMigration)
          .otherwise(waitForSnapshot),
      );
      prune.next(succeeded);
      afterMigration = prune;
      first = startSnapshot;
    }

    startMigration.next(
      new sfn.Choice(this, 'MigrationStarted?')
        .when(sfn.Condition.booleanEquals('$.startMigration.value.busy', true), waitForOther)
        .otherwise(waitForMigration),
    );
    checkMigration.next(
      new sfn.Choice(this, 'MigrationDone?')
        .when(sfn.Condition.booleanEquals('$.checkMigration.value.done', true), afterMigration)
        .otherwise(waitForMigration),
    );

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(first),
      // CodeDeploy gives a hook an hour; the state machine ends well inside it.
      timeout: Duration.minutes(55),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'Snapshot the MySQL primary, run the migrations, report to CodeDeploy',
    });
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery and X-Ray actions have no resource-level permissions.',
    );
    for (const fn of [this.runner, this.snapshots]) {
      if (!fn) continue;
      acknowledge(
        this.stateMachine.role,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
        'Invoking any version of the step’s own function, as Step Functions grants by default.',
      );
    }

    this.hook = new HandlerFunction(this, 'Hook', {
      handler: 'deployment-hook',
      description: 'CodeDeploy BeforeInstall: starts the snapshot-and-migrate state machine',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      logRetention: props.logRetention,
    });
    this.stateMachine.grantStartExecution(this.hook);
    this.hook.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
        resources: [props.deploymentGroupArn],
      }),
    );
  }
}
