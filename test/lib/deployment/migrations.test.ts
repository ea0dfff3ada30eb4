import { Duration, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { hookBudgetMinutes } from '../../../config/deployment-budget';
import { REPORTED_ERROR } from '../../../lib/deployment/handlers';
import { Migrations, type MigratedDatabase } from '../../../lib/deployment/migrations';
import { stateMachines, unguardedChoiceVariables, type AslDefinition } from '../../asl';
import { bareStack, testVpc } from '../../helpers';
import { DEPLOYMENT } from './bare-web-service';
import { execute, named, restoreMocks, type Outcome } from './migrations-interpreter';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const DEPLOYMENT_GROUP = 'arn:aws:codedeploy:eu-west-1:111111111111:deploymentgroup:App/WebGroup';
const BUDGET_SECONDS = hookBudgetMinutes(DEPLOYMENT) * 60;

/** A Migrations `Migrations` on a bare stack, snapshotting the first `databases` of MySQL and PostgreSQL. */
function build(databases: number) {
  const stack = bareStack();
  const vpc = testVpc(stack);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'MigrationTask', { cpu: 256, memoryLimitMiB: 512 });
  const logGroup = new logs.LogGroup(stack, 'MigrationLogs');
  const app = taskDefinition.addContainer('App', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/php:8.3-fpm'),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'app' }),
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'WebSecurityGroup', { vpc });
  const instance = (id: string, instanceIdentifier: string) =>
    rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, id, {
      instanceIdentifier,
      instanceEndpointAddress: `${instanceIdentifier}.internal`,
      port: 3306,
      securityGroups: [],
    });
  const all: MigratedDatabase[] = [
    { key: 'mysql', instance: instance('Mysql', 'mysql-primary') },
    { key: 'postgres', instance: instance('Postgres', 'postgres-primary') },
  ];
  const migrations = new Migrations(stack, 'Migrations', {
    cluster,
    task: { taskDefinition, app, logGroup },
    securityGroup,
    vpc,
    databases: all.slice(0, databases),
    snapshotPrefix: 'predeploy-shop-prod',
    snapshotRetentionDays: 30,
    snapshotsKept: 20,
    timeout: Duration.minutes(DEPLOYMENT.migrationTimeoutMinutes),
    budget: Duration.minutes(hookBudgetMinutes(DEPLOYMENT)),
    deploymentGroupArn: DEPLOYMENT_GROUP,
    logRetention: 30,
  });
  const template = Template.fromStack(stack);
  const [definition] = stateMachines(template.toJSON()).map(([, d]) => d);
  return { stack, cluster, taskDefinition, securityGroup, migrations, template, definition };
}

const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const statementsOf = (t: Template, policyPrefix: string): Statement[] =>
  resources(t, 'AWS::IAM::Policy').find(([lid]) => lid.startsWith(policyPrefix))![1].Properties.PolicyDocument
    .Statement;
const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);

describe('Migrations', () => {
  // Two syntheses: MySQL and PostgreSQL snapshotted first, and no database at all.
  let both: ReturnType<typeof build>;
  let none: ReturnType<typeof build>;
  beforeAll(() => {
    both = build(2);
    none = build(0);
  });

  describe('the state machine', () => {
    test('snapshots, migrates, prunes and reports, traced and fully logged', () => {
      const { definition, template } = both;
      expect(definition.StartAt).toBe('StartSnapshot');
      expect(Object.keys(definition.States)).toEqual(
        expect.arrayContaining([
          'StartSnapshot',
          'CheckSnapshot',
          'StartMigration',
          'CheckMigration',
          'PruneSnapshots',
          'ReportSucceeded',
          'ReportFailed',
        ]),
      );
      expect(JSON.stringify(definition)).toContain('putLifecycleEventHookExecutionStatus');
      const [[, machine]] = resources(template, 'AWS::StepFunctions::StateMachine');
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.Properties.LoggingConfiguration.Level).toBe('ALL');
    });

    test('without a database, starts with the migration and has no snapshot step or function', () => {
      expect(none.definition.StartAt).toBe('StartMigration');
      expect(Object.keys(none.definition.States).filter((s) => /Snapshot/.test(s))).toEqual([]);
      expect(none.migrations.snapshots).toBeUndefined();
      expect(resources(none.template, 'AWS::Lambda::Function').map(([lid]) => lid)).not.toContainEqual(
        expect.stringMatching(/^MigrationsSnapshots/),
      );
    });

    test('times out a little after the budget: the steps fail at the budget, the timeout is a backstop', () => {
      for (const { definition } of [both, none]) {
        expect(definition.TimeoutSeconds).toBeGreaterThan(BUDGET_SECONDS);
        expect(definition.TimeoutSeconds).toBeLessThanOrEqual(BUDGET_SECONDS + 5 * 60);
      }
    });

    test('every Choice variable is IsPresent-guarded (a missing path fails with uncatchable States.Runtime)', () => {
      expect(unguardedChoiceVariables(both.definition)).toEqual([]);
      expect(unguardedChoiceVariables(none.definition)).toEqual([]);
    });

    test('the guard check finds the unguarded rule that once failed every deployment', () => {
      // `MigrationStarted?` as synthesized before: `busy` is absent whenever a task started.
      const before: AslDefinition = {
        StartAt: 'MigrationStarted?',
        States: {
          'MigrationStarted?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.startMigration.value.busy', BooleanEquals: true, Next: 'Wait' }],
            Default: 'Wait',
          },
          Wait: { Type: 'Wait', Seconds: 15, End: true },
        },
      };
      expect(unguardedChoiceVariables(before)).toEqual(['MigrationStarted?: $.startMigration.value.busy']);
    });
  });

  describe('the runner', () => {
    test('runs the given task definition with the given network, cluster, container and timeout', () => {
      const { template, stack } = both;
      const [, runner] = resources(template, 'AWS::Lambda::Function').find(([lid]) =>
        lid.startsWith('MigrationsRunner'),
      )!;
      const variables = runner.Properties.Environment.Variables;
      expect(variables).toEqual(
        expect.objectContaining({
          TASK_DEFINITION: { Ref: logicalId(stack, both.taskDefinition) },
          CONTAINER_NAME: 'App',
          TIMEOUT_SECONDS: String(DEPLOYMENT.migrationTimeoutMinutes * 60),
          CLUSTER: { 'Fn::GetAtt': [logicalId(stack, both.cluster), 'Arn'] },
          SECURITY_GROUPS: { 'Fn::GetAtt': [logicalId(stack, both.securityGroup), 'GroupId'] },
          LOG_GROUP: { Ref: expect.stringMatching(/^MigrationLogs/) },
          LOG_STREAM_PREFIX: 'app',
        }),
      );
      // The private subnets, which reach ECR and the databases through NAT and routes.
      expect(JSON.stringify(variables.SUBNETS)).toMatch(/VpcPrivateSubnet1Subnet.*VpcPrivateSubnet2Subnet/);
    });

    test('may run only the migration task definition, in this cluster, and pass only its roles', () => {
      const statements = statementsOf(both.template, 'MigrationsRunnerServiceRoleDefaultPolicy');
      const find = (action: string) => statements.find((s) => actionsOf(s).includes(action))!;
      expect(JSON.stringify(find('ecs:RunTask').Resource)).toMatch(/:task-definition\/.*MigrationTask[0-9A-F]+:\*"/);
      expect(find('ecs:RunTask').Condition).toEqual({
        ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'Arn'] } },
      });
      const passed = (find('iam:PassRole').Resource as { 'Fn::GetAtt': string[] }[])
        .map((r) => r['Fn::GetAtt'][0])
        .sort();
      expect(passed).toEqual([
        expect.stringMatching(/^MigrationTaskExecutionRole/),
        expect.stringMatching(/^MigrationTaskTaskRole/),
      ]);
      expect(statements.some((s) => actionsOf(s).includes('ecs:*'))).toBe(false);
    });

    test('RunTask with propagated tags is also authorised as ecs:TagResource on ecs:CreateAction = RunTask (ECS guide: tag resources on creation)', () => {
      const statements = statementsOf(both.template, 'MigrationsRunnerServiceRoleDefaultPolicy');
      const tagging = statements.filter((s) => actionsOf(s).includes('ecs:TagResource'));
      expect(tagging).toHaveLength(1);
      expect(tagging[0].Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    });
  });

  describe('the snapshots', () => {
    test('may snapshot the given primaries and manage only the pre-deploy snapshots of the prefix', () => {
      const statements = statementsOf(both.template, 'MigrationsSnapshotsServiceRoleDefaultPolicy');
      const text = JSON.stringify(statements);
      expect(text).toContain('snapshot:predeploy-shop-prod-*');
      expect(text).toMatch(/:db:mysql-primary".*:db:postgres-primary"/);
      expect(text).not.toContain('"rds:*"');
      const deleting = statements.filter((s) => actionsOf(s).includes('rds:DeleteDBSnapshot'));
      expect(deleting).toHaveLength(1);
      expect(JSON.stringify(deleting[0].Resource)).not.toContain(':db:');
    });

    test('keep the given days and count; the first database keeps the prefix, the others add their key', () => {
      const [, fn] = resources(both.template, 'AWS::Lambda::Function').find(([lid]) =>
        lid.startsWith('MigrationsSnapshots'),
      )!;
      expect(fn.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ RETENTION_DAYS: '30', KEEP_SNAPSHOTS: '20' }),
      );
      const instances = JSON.stringify(fn.Properties.Environment.Variables.DB_INSTANCES);
      expect(instances).toContain('\\"id\\":\\"mysql-primary\\",\\"prefix\\":\\"predeploy-shop-prod\\"');
      expect(instances).toContain('\\"id\\":\\"postgres-primary\\",\\"prefix\\":\\"predeploy-shop-prod-postgres\\"');
      expect(instances).toMatch(/mysql-primary.*postgres-primary/);
    });
  });

  describe('the hook', () => {
    test('may start only its state machine and report only to its deployment group', () => {
      const statements = statementsOf(both.template, 'MigrationsHookServiceRoleDefaultPolicy');
      expect(statements.find((s) => s.Action === 'states:StartExecution')!.Resource).toEqual({
        Ref: expect.stringMatching(/^MigrationsStateMachine/),
      });
      expect(statements.find((s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus')!.Resource).toBe(
        DEPLOYMENT_GROUP,
      );
    });

    test('receives the timed-out, failed and stopped executions of its state machine', () => {
      const [[machine]] = resources(both.template, 'AWS::StepFunctions::StateMachine');
      const [[, rule]] = resources(both.template, 'AWS::Events::Rule');
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [{ Ref: machine }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      });
      const [target] = rule.Properties.Targets;
      expect(target.Arn['Fn::GetAtt'][0]).toMatch(/^MigrationsHook[0-9A-F]{8}$/);
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 1800 });
    });
  });

  describe('every ending reports to CodeDeploy exactly once, within the budget', () => {
    afterAll(restoreMocks);
    const once = (o: Outcome, status: 'Succeeded' | 'Failed') => {
      expect(o.reports).toHaveLength(1);
      expect(o.reports[0].status).toBe(status);
      expect(o.reports[0].at).toBeLessThanOrEqual(BUDGET_SECONDS + 60);
      // The stopped-execution reporter leaves an execution that reported alone.
      expect(o.reporter.reported).toBe(false);
    };
    const definitions = () => [both.definition, none.definition];

    test('success: snapshot, migrations, one Succeeded, then pruning (none without a database)', async () => {
      for (const definition of definitions()) {
        const o = await execute(definition, { snapshotSeconds: 90, task: { stopsAfter: 120, exitCode: 0 } });
        expect(o.status).toBe('SUCCEEDED');
        once(o, 'Succeeded');
        expect(o.pruned).toBe(definition.StartAt === 'StartSnapshot');
      }
    });

    test('another migration running: waits for it, then migrates', async () => {
      const o = await execute(both.definition, {
        snapshotSeconds: 30,
        otherMigrationUntil: 300,
        task: { stopsAfter: 60, exitCode: 0 },
      });
      once(o, 'Succeeded');
    });

    test('another migration that never ends: Failed at the deadline', async () => {
      const o = await execute(both.definition, {
        snapshotSeconds: 30,
        otherMigrationUntil: Infinity,
        task: { stopsAfter: 60 },
      });
      expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
      once(o, 'Failed');
    });

    test('migrations exit non-zero: Failed, and nothing is pruned', async () => {
      for (const definition of definitions()) {
        const o = await execute(definition, { snapshotSeconds: 30, task: { stopsAfter: 60, exitCode: 1 } });
        expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
        once(o, 'Failed');
        expect(o.pruned).toBe(false);
      }
    });

    test('task never starts (placement failure, or stopped before its container ran): Failed', async () => {
      once(await execute(both.definition, { snapshotSeconds: 30, runTaskFailure: 'RESOURCE:ENI' }), 'Failed');
      const pull = { stopsAfter: 30, stoppedReason: 'CannotPullContainerError: image not found' };
      once(await execute(both.definition, { snapshotSeconds: 30, task: pull }), 'Failed');
    });

    test('migrations that run past the deadline are stopped: Failed', async () => {
      const o = await execute(both.definition, { snapshotSeconds: 30, task: { stopsAfter: Infinity } });
      once(o, 'Failed');
      expect(o.stopTaskCalls).toBe(1);
    });

    test('a snapshot that never becomes available: Failed at the deadline', async () => {
      once(await execute(both.definition, { task: { stopsAfter: 60, exitCode: 0 } }), 'Failed');
    });

    test('the DB instance is busy (backup window, maintenance): the snapshot waits for it, then the deployment goes on', async () => {
      const o = await execute(both.definition, {
        instanceBusyUntil: 10 * 60,
        snapshotSeconds: 60,
        task: { stopsAfter: 60, exitCode: 0 },
      });
      expect(o.status).toBe('SUCCEEDED');
      once(o, 'Succeeded');
    });

    test('a DB instance that stays busy: Failed at the deadline', async () => {
      const o = await execute(both.definition, {
        instanceBusyUntil: Infinity,
        snapshotSeconds: 60,
        task: { stopsAfter: 60, exitCode: 0 },
      });
      expect([o.status, o.error]).toEqual(['FAILED', REPORTED_ERROR]);
      once(o, 'Failed');
    });

    test('a Lambda step throws: Failed', async () => {
      const boom = { error: named('Error', 'socket hang up'), times: Infinity };
      const o = await execute(both.definition, {
        snapshotSeconds: 30,
        task: { stopsAfter: 60, exitCode: 0 },
        throws: { CheckMigration: boom },
      });
      once(o, 'Failed');
    });

    test('throttling: retried, then the deployment goes on; throttled for good: Failed', async () => {
      const throttle = (times: number) => ({ error: named('Lambda.TooManyRequestsException'), times });
      const world = { snapshotSeconds: 30, task: { stopsAfter: 60, exitCode: 0 } };
      once(await execute(both.definition, { ...world, throws: { StartMigration: throttle(3) } }), 'Succeeded');
      once(await execute(both.definition, { ...world, throws: { StartMigration: throttle(Infinity) } }), 'Failed');
      const codedeployThrottle = { error: named('CodeDeploy.ThrottlingException'), times: 2 };
      once(await execute(both.definition, { ...world, throws: { ReportSucceeded: codedeployThrottle } }), 'Succeeded');
    });

    test('CodeDeploy refuses the report: the stopped-execution rule reports Failed, once', async () => {
      const denied = { error: named('CodeDeploy.AccessDeniedException'), times: Infinity };
      const o = await execute(both.definition, {
        snapshotSeconds: 30,
        task: { stopsAfter: 60, exitCode: 1 },
        throws: { ReportFailed: denied },
      });
      expect(o.status).toBe('FAILED');
      expect(o.reports).toEqual([{ status: 'Failed', at: expect.any(Number) }]);
      expect(o.reporter.reported).toBe(true);
    });

    test('the execution’s own timeout runs no Catch; the stopped-execution rule reports Failed, once', async () => {
      // The interpreter times out in real time: shorten TimeoutSeconds, and hang a step.
      const o = await execute(both.definition, { snapshotSeconds: 30, hangs: 'StartMigration' }, { timeoutSeconds: 1 });
      expect(o.status).toBe('TIMED_OUT');
      expect(o.reports).toEqual([{ status: 'Failed', at: expect.any(Number) }]);
      expect(o.reporter.reported).toBe(true);
    });
  });
});
