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

/** The steps that report the outcome to CodeDeploy, and the state a delivered success ends in. */
interface ReportSteps {
  /** Reports Failed; every step's error leads here. */
  readonly failed: tasks.CallAwsService;
  /** Reports Succeeded, after the migrations. */
  readonly succeeded: tasks.CallAwsService;
  /** The end of a successful execution. */
  readonly done: sfn.Succeed;
}

/** Sends any error of a step to ReportFailed, keeping it at `$.error`. */
function failInto<T extends sfn.TaskStateBase>(reportFailed: sfn.IChainable, state: T): T {
  return state.addCatch(reportFailed, { resultPath: '$.error' }) as T;
}

/** A Choice condition that never reads a missing path. */
function isTrue(path: string): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.booleanEquals(path, true));
}

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
    this.runner = this.createRunner(props);
    this.allowRunTask(props);
    const databases = props.databases ?? [];
    if (databases.length > 0) this.snapshots = this.createSnapshotFunction(props, databases);
    this.stateMachine = this.createStateMachine(props, this.definition(props));
    this.hook = this.createHook(props);
    this.stoppedExecutions = this.createStoppedExecutionsRule();
  }

  /** The function that runs the migration task in the VPC's private subnets and reads its exit code. */
  private createRunner(props: MigrationsProps): HandlerFunction {
    const taskDefinition = props.task.taskDefinition;
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    return new HandlerFunction(this, 'Runner', {
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
  }

  /**
   * The steps, from the first: snapshot (when there are databases), migrate, report, prune.
   * Every step fails into ReportFailed; pruning comes after the report.
   */
  private definition(props: MigrationsProps): sfn.IChainable {
    const budgetSeconds = props.budget.toSeconds();
    const reports = this.reportSteps(props.deploymentGroupArn);
    const startMigration = this.migrationSteps(budgetSeconds, reports);
    if (!this.snapshots) {
      reports.succeeded.next(reports.done);
      return startMigration;
    }
    const snapshot = this.snapshotSteps(this.snapshots, budgetSeconds, reports, startMigration);
    reports.succeeded.next(snapshot.prune);
    return snapshot.start;
  }

  /**
   * ReportSucceeded and ReportFailed, which tell CodeDeploy the hook's outcome, and the states
   * they end in: a report CodeDeploy already has counts as delivered; one it refuses ends in
   * ReportNotDelivered, for the stopped-execution rule to report.
   */
  private reportSteps(deploymentGroupArn: string): ReportSteps {
    const reported = new sfn.Fail(this, 'MigrationsFailed', {
      error: REPORTED_ERROR,
      cause: 'The migrations did not complete; CodeDeploy was told and rolls the deployment back.',
    });
    const notReported = new sfn.Fail(this, 'ReportNotDelivered', {
      error: NOT_REPORTED_ERROR,
      cause: 'CodeDeploy could not be told; the stopped-execution rule reports Failed.',
    });
    const done = new sfn.Succeed(this, 'Done');
    const failed = this.reportStep('ReportFailed', 'Failed', deploymentGroupArn);
    failed.addCatch(reported, { errors: ['CodeDeploy.LifecycleEventAlreadyCompletedException'] });
    failed.addCatch(notReported, { resultPath: '$.reportError' });
    failed.next(reported);
    const succeeded = this.reportStep('ReportSucceeded', 'Succeeded', deploymentGroupArn);
    succeeded.addCatch(done, { errors: ['CodeDeploy.LifecycleEventAlreadyCompletedException'] });
    succeeded.addCatch(notReported, { resultPath: '$.reportError' });
    return { failed, succeeded, done };
  }

  /**
   * The migration: start the task (or wait while another deployment's runs), then poll until it
   * is done. Returns the first step.
   */
  private migrationSteps(budgetSeconds: number, reports: ReportSteps): sfn.TaskStateBase {
    const start = failInto(
      reports.failed,
      this.invokeStep(this.runner, 'StartMigration', 'start', 'migration', budgetSeconds),
    );
    const check = failInto(
      reports.failed,
      // The whole answer of `start`, never a field of it that might be absent.
      this.invokeStep(this.runner, 'CheckMigration', 'check', 'check', budgetSeconds, {
        'migration.$': '$.migration.value',
      }),
    );
    const waitForOther = new sfn.Wait(this, 'WaitForOtherMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(30)),
    });
    const waitForMigration = new sfn.Wait(this, 'WaitForMigration', {
      time: sfn.WaitTime.duration(Duration.seconds(15)),
    });
    waitForOther.next(start);
    waitForMigration.next(check);
    start.next(
      new sfn.Choice(this, 'MigrationStarted?')
        .when(sfn.Condition.isPresent('$.migration.value.taskArn'), waitForMigration)
        .when(isTrue('$.migration.value.busy'), waitForOther)
        // Neither a task nor "busy": an answer the runner never gives; fail rather than guess.
        .otherwise(reports.failed),
    );
    check.next(
      new sfn.Choice(this, 'MigrationDone?')
        .when(isTrue('$.check.value.done'), reports.succeeded)
        .otherwise(waitForMigration),
    );
    return start;
  }

  /**
   * The snapshots: start them, poll until ready, then go on to `then`; and the pruning after the
   * report, whose failure must not fail a deployment (it is housekeeping).
   */
  private snapshotSteps(
    snapshots: HandlerFunction,
    budgetSeconds: number,
    reports: ReportSteps,
    then: sfn.IChainable,
  ): { start: sfn.TaskStateBase; prune: sfn.TaskStateBase } {
    const start = failInto(
      reports.failed,
      this.invokeStep(snapshots, 'StartSnapshot', 'start', 'snapshot', budgetSeconds),
    );
    const check = failInto(
      reports.failed,
      this.invokeStep(snapshots, 'CheckSnapshot', 'check', 'snapshot', budgetSeconds),
    );
    const prune = this.invokeStep(snapshots, 'PruneSnapshots', 'prune', 'pruned', budgetSeconds);
    prune.addCatch(reports.done, { resultPath: '$.pruneError' });
    prune.next(reports.done);
    const waitForSnapshot = new sfn.Wait(this, 'WaitForSnapshot', {
      time: sfn.WaitTime.duration(Duration.seconds(30)),
    });
    const snapshotReady = new sfn.Choice(this, 'SnapshotReady?')
      .when(isTrue('$.snapshot.value.ready'), then)
      .otherwise(waitForSnapshot);
    start.next(snapshotReady);
    waitForSnapshot.next(check);
    check.next(snapshotReady);
    return { start, prune };
  }

  /** A step that calls a handler with an action and keeps its answer at `$.<resultKey>.value`. */
  private invokeStep(
    fn: HandlerFunction,
    name: string,
    action: string,
    resultKey: string,
    budgetSeconds: number,
    extra: Record<string, string> = {},
  ): tasks.LambdaInvoke {
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
  }

  /** A step that reports the hook's outcome to the deployment group, retried when throttled. */
  private reportStep(name: string, status: 'Succeeded' | 'Failed', deploymentGroupArn: string): tasks.CallAwsService {
    const step = new tasks.CallAwsService(this, name, {
      service: 'codedeploy',
      action: 'putLifecycleEventHookExecutionStatus',
      parameters: {
        'DeploymentId.$': '$.deploymentId',
        'LifecycleEventHookExecutionId.$': '$.hookExecutionId',
        Status: status,
      },
      iamResources: [deploymentGroupArn],
      resultPath: sfn.JsonPath.DISCARD,
    });
    step.addRetry({
      errors: ['CodeDeploy.ThrottlingException', 'States.Timeout'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });
    return step;
  }

  /** The state machine, traced and fully logged, timing out a little after the budget. */
  private createStateMachine(props: MigrationsProps, first: sfn.IChainable): sfn.StateMachine {
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(first),
      // A backstop only: the steps fail at the budget, and a timed-out execution is reported by
      // the stopped-execution rule. CodeDeploy gives a hook an hour.
      timeout: props.budget.plus(TIMEOUT_MARGIN),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'Snapshot the databases, run the migrations, report to CodeDeploy',
    });
    acknowledge(
      stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery and X-Ray actions have no resource-level permissions.',
    );
    for (const fn of [this.runner, this.snapshots]) {
      if (!fn) continue;
      acknowledge(
        stateMachine.role,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
        'Invoking any version of the step’s own function, as Step Functions grants by default.',
      );
    }
    return stateMachine;
  }

  /** CodeDeploy's BeforeInstall hook: starts the state machine and may report to its deployment group. */
  private createHook(props: MigrationsProps): HandlerFunction {
    const hook = new HandlerFunction(this, 'Hook', {
      handler: 'deployment-hook',
      description:
        'CodeDeploy BeforeInstall: starts the snapshot-and-migrate state machine; reports executions that stopped unreported',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      logRetention: props.logRetention,
    });
    this.stateMachine.grantStartExecution(hook);
    hook.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
        resources: [props.deploymentGroupArn],
      }),
    );
    return hook;
  }

  /**
   * Step Functions sends execution status changes to EventBridge (Step Functions developer
   * guide, "Automating Step Functions event delivery with EventBridge"); a timed-out
   * execution's only trace is this event.
   */
  private createStoppedExecutionsRule(): events.Rule {
    return new events.Rule(this, 'StoppedExecutions', {
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
