import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NOT_REPORTED_ERROR, REPORTED_ERROR } from './handlers';
import { acknowledge, nagResource } from '../shared/nag';
import { HandlerFunction } from './handler-function';

/** A database the migrations touch: snapshotted before they run. */
export interface MigratedDatabase {
  /** Short name of the store (`mysql`, `postgres`), part of the snapshot names. */
  readonly key: string;
  /** The primary instance. */
  readonly instance: rds.IDatabaseInstance;
}

/**
 * The one-off task a {@link Migrations} runs: its task definition (each deployment registers a
 * new revision of the family), the container whose exit code is the outcome, and where it logs.
 * The app tasks of lib/services/ satisfy it.
 */
export interface MigrationTask {
  /** The task definition whose command runs the migrations. */
  readonly taskDefinition: ecs.TaskDefinition;
  /** The application container, whose exit code says whether the migrations succeeded. */
  readonly app: { readonly containerName: string };
  /** The log group the task's containers write to. */
  readonly logGroup: logs.ILogGroup;
}

/** Properties of {@link Migrations}. */
export interface MigrationsProps {
  /** The cluster the migration task runs in. */
  readonly cluster: ecs.ICluster;
  /** The migration task definition (its command runs the migrations). */
  readonly task: MigrationTask;
  /** The security group the task runs with: the web service's, which reaches the databases. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The VPC whose private subnets the task runs in. */
  readonly vpc: ec2.IVpc;
  /**
   * The databases the migrations touch, snapshotted first. The first keeps the stage's snapshot
   * names (`<snapshotPrefix>-<deployment>`); the others add their key.
   *
   * @default - no snapshot
   */
  readonly databases?: MigratedDatabase[];
  /** Name prefix of this stage's pre-deploy snapshots, e.g. `predeploy-csl-prod`. */
  readonly snapshotPrefix: string;
  /** Days a pre-deploy snapshot is kept. */
  readonly snapshotRetentionDays: number;
  /** Most pre-deploy snapshots kept per database. */
  readonly snapshotsKept: number;
  /** Longest the migrations may run. */
  readonly timeout: Duration;
  /**
   * Longest the whole BeforeInstall hook may take (snapshot, task start, migrations): past it
   * the state machine reports Failed on its own, before its execution timeout.
   */
  readonly budget: Duration;
  /** The deployment group whose BeforeInstall hook this is: the outcome is reported to it. */
  readonly deploymentGroupArn: string;
  /** Log retention of the functions and the state machine. */
  readonly logRetention: logs.RetentionDays;
}

/** Errors that mean "try again shortly": Lambda's throttle and a throttle our handlers gave up on. */
const THROTTLES = ['Lambda.TooManyRequestsException', 'ThrottlingException', 'TooManyRequestsException'];
/** Minutes past the budget at which Step Functions times the execution out (the backstop). */
const TIMEOUT_MARGIN = Duration.minutes(3);

/**
 * What runs before a Laravel deployment moves any traffic, replacing the seeds'
 * `php artisan migrate --force` over SSH: a snapshot of each database the migrations touch
 * (waited for until available), then the migrations as a one-off Fargate task of the new task
 * definition; old pre-deploy snapshots are pruned afterwards. A Step Functions state machine
 * drives the steps, so no Lambda invocation waits for a snapshot or a migration, and reports the
 * outcome of CodeDeploy's BeforeInstall hook: a failure rolls the deployment back before green
 * takes traffic.
 *
 * Every way an execution ends reports exactly once, within the budget: each step is caught and
 * reports Failed; each step checks the execution's own deadline (start time + budget), so
 * waiting on a snapshot or on another deployment's migration ends in a report too; and since a
 * timed-out or stopped execution runs no Catch, an EventBridge rule on the execution's status
 * hands those to the hook function, which reports Failed for an execution that did not.
 * Every Choice reads its variable behind `IsPresent`: a rule on a missing path fails the
 * execution with `States.Runtime`, which no Catch catches.
 */
export class Migrations extends Construct {
  /** CodeDeploy's BeforeInstall hook: starts the state machine, reports stopped executions. */
  public readonly hook: HandlerFunction;
  /** Snapshot, migrate, report, prune. */
  public readonly stateMachine: sfn.StateMachine;
  /** Runs and watches the migration task. */
  public readonly runner: HandlerFunction;
  /** Takes, watches and prunes the pre-migration snapshots. */
  public readonly snapshots?: HandlerFunction;
  /** Sends executions that timed out, failed or were stopped to the hook function. */
  public readonly stoppedExecutions: events.Rule;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const taskDefinition = props.task.taskDefinition;
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    const budgetSeconds = props.budget.toSeconds();

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
    this.allowRunTask(props);

    /** A step that calls a handler with an action and keeps its answer at `$.<resultKey>.value`. */
    const invoke = (
      fn: HandlerFunction,
      name: string,
      action: string,
      resultKey: string,
      extra: Record<string, string> = {},
    ) => {
      const step = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject({
          action,
          'deploymentId.$': '$.deploymentId',
          // The execution's deadline, computed by each step from what is always present.
          'startedAt.$': '$$.Execution.StartTime',
          budgetSeconds,
          ...extra,
        }),
        resultSelector: { 'value.$': '$.Payload' },
        resultPath: `$.${resultKey}`,
        retryOnServiceExceptions: true,
      });
      step.addRetry({
        errors: THROTTLES,
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
      });
      return step;
    };

    const reported = new sfn.Fail(this, 'MigrationsFailed', {
      error: REPORTED_ERROR,
      cause: 'The migrations did not complete; CodeDeploy was told and rolls the deployment back.',
    });
    const notReported = new sfn.Fail(this, 'ReportNotDelivered', {
      error: NOT_REPORTED_ERROR,
      cause: 'CodeDeploy could not be told; the stopped-execution rule reports Failed.',
    });
    const report = (name: string, status: 'Succeeded' | 'Failed') => {
      const step = new tasks.CallAwsService(this, name, {
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
      step.addRetry({
        errors: ['CodeDeploy.ThrottlingException', 'States.Timeout'],
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
      });
      return step;
    };
    const done = new sfn.Succeed(this, 'Done');
    const reportFailed = report('ReportFailed', 'Failed');
    reportFailed.addCatch(reported, { errors: ['CodeDeploy.LifecycleEventAlreadyCompletedException'] });
    reportFailed.addCatch(notReported, { resultPath: '$.reportError' });
    reportFailed.next(reported);
    const reportSucceeded = report('ReportSucceeded', 'Succeeded');
    reportSucceeded.addCatch(done, { errors: ['CodeDeploy.LifecycleEventAlreadyCompletedException'] });
    reportSucceeded.addCatch(notReported, { resultPath: '$.reportError' });
    const onError = <T extends sfn.TaskStateBase>(state: T): T =>
      state.addCatch(reportFailed, { resultPath: '$.error' }) as T;
    /** A Choice condition that never reads a missing path. */
    const isTrue = (path: string) =>
      sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.booleanEquals(path, true));

    // Migrations: start (or wait while another deployment's run), then poll until done.
    const startMigration = onError(invoke(this.runner, 'StartMigration', 'start', 'migration'));
    const checkMigration = onError(
      // The whole answer of `start`, never a field of it that might be absent.
      invoke(this.runner, 'CheckMigration', 'check', 'check', { 'migration.$': '$.migration.value' }),
    );
    const waitForOther = new sfn.Wait(this, 'WaitForOtherMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(30)),
    });
    const waitForMigration = new sfn.Wait(this, 'WaitForMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(15)),
    });
    waitForOther.next(startMigration);
    waitForMigration.next(checkMigration);

    let afterReport: sfn.IChainable = done;
    let first: sfn.IChainable = startMigration;
    const databases = props.databases ?? [];
    if (databases.length > 0) {
      this.snapshots = this.createSnapshotFunction(props, databases);
      const startSnapshot = onError(invoke(this.snapshots, 'StartSnapshot', 'start', 'snapshot'));
      const checkSnapshot = onError(invoke(this.snapshots, 'CheckSnapshot', 'check', 'snapshot'));
      const prune = invoke(this.snapshots, 'PruneSnapshots', 'prune', 'pruned');
      // Pruning is housekeeping after the report: its failure must not fail a deployment.
      prune.addCatch(done, { resultPath: '$.pruneError' });
      prune.next(done);
      const waitForSnapshot = new sfn.Wait(this, 'WaitForSnapshot', {
        time: sfn.WaitTime.duration(Duration.seconds(30)),
      });
      const snapshotReady = new sfn.Choice(this, 'SnapshotReady?')
        .when(isTrue('$.snapshot.value.ready'), startMigration)
        .otherwise(waitForSnapshot);
      startSnapshot.next(snapshotReady);
      waitForSnapshot.next(checkSnapshot);
      checkSnapshot.next(snapshotReady);
      afterReport = prune;
      first = startSnapshot;
    }
    reportSucceeded.next(afterReport);

    startMigration.next(
      new sfn.Choice(this, 'MigrationStarted?')
        .when(sfn.Condition.isPresent('$.migration.value.taskArn'), waitForMigration)
        .when(isTrue('$.migration.value.busy'), waitForOther)
        // Neither a task nor "busy": an answer the runner never gives; fail rather than guess.
        .otherwise(reportFailed),
    );
    checkMigration.next(
      new sfn.Choice(this, 'MigrationDone?')
        .when(isTrue('$.check.value.done'), reportSucceeded)
        .otherwise(waitForMigration),
    );

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(first),
      // A backstop only: the steps fail at the budget, and a timed-out execution is reported by
      // the stopped-execution rule. CodeDeploy gives a hook an hour.
      timeout: props.budget.plus(TIMEOUT_MARGIN),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'Snapshot the databases, run the migrations, report to CodeDeploy',
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
      description:
        'CodeDeploy BeforeInstall: starts the snapshot-and-migrate state machine; reports executions that stopped unreported',
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
    // Step Functions sends execution status changes to EventBridge (Step Functions developer
    // guide, "Automating Step Functions event delivery with EventBridge"); a timed-out
    // execution's only trace is this event.
    this.stoppedExecutions = new events.Rule(this, 'StoppedExecutions', {
      description: `${this.node.path}: reports to CodeDeploy an execution that timed out, failed or was stopped`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: [new targets.LambdaFunction(this.hook, { retryAttempts: 8, maxEventAge: Duration.minutes(30) })],
    });
  }

  /**
   * Lets the runner start, watch and stop the migration task. `RunTask` with tags (here
   * `propagateTags`) is authorised a second time as `ecs:TagResource` with the condition key
   * `ecs:CreateAction` = `RunTask` (Amazon ECS developer guide, "Grant permission to tag
   * resources on creation"); without it ECS refuses the launch.
   */
  private allowRunTask(props: MigrationsProps): void {
    const stack = Stack.of(this);
    const taskDefinition = props.task.taskDefinition;
    const familyArn = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${taskDefinition.family}:*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const taskArns = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.cluster.clusterName}/*`,
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
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [taskArns],
        conditions: inCluster,
      }),
    );
    this.runner.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [taskArns],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
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
  }

  /** The function that snapshots every migrated database, with rights on their snapshots only. */
  private createSnapshotFunction(props: MigrationsProps, databases: MigratedDatabase[]): HandlerFunction {
    const stack = Stack.of(this);
    const instances = databases.map((db, i) => ({
      id: db.instance.instanceIdentifier,
      // The first database keeps the names earlier deployments used, so pruning still finds them.
      prefix: i === 0 ? props.snapshotPrefix : `${props.snapshotPrefix}-${db.key}`,
    }));
    const fn = new HandlerFunction(this, 'Snapshots', {
      handler: 'pre-migration-snapshot',
      description: `Snapshots ${databases.map((d) => d.key).join(' and ')} before migrations and prunes old pre-deploy snapshots`,
      environment: {
        DB_INSTANCES: stack.toJsonString(instances),
        RETENTION_DAYS: String(props.snapshotRetentionDays),
        KEEP_SNAPSHOTS: String(props.snapshotsKept),
      },
      logRetention: props.logRetention,
    });
    const snapshotArns = stack.formatArn({
      service: 'rds',
      resource: 'snapshot',
      resourceName: `${props.snapshotPrefix}-*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'],
        resources: [...databases.map((db) => db.instance.instanceArn), snapshotArns],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBSnapshot', 'rds:AddTagsToResource'],
        resources: [snapshotArns],
      }),
    );
    acknowledge(
      fn.role!,
      `AwsSolutions-IAM5[Resource::${nagResource(stack, snapshotArns)}]`,
      'Snapshots are named per deployment at run time; the pattern holds only this stage’s pre-deploy snapshots.',
    );
    return fn;
  }
}
