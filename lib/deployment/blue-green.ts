import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { EcsDeployment } from '@cdklabs/cdk-ecs-codedeploy';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../../config';
import { MAX_DEPLOY_MINUTES, SMOKE_TEST_MINUTES } from '../../config/deployment-budget';
import { acknowledge, acknowledgeProviderFramework } from '../shared/nag';
import { HandlerFunction } from './handler-function';
import { handlerCode } from './handlers';
import { TEST_LISTENER_PORT, type BlueGreenTargets, type LoadBalancer } from '../edge/load-balancer';

/** Traffic shifting per config value. */
const DEPLOYMENT_CONFIGS: Record<DeploymentConfig['trafficShifting'], codedeploy.IEcsDeploymentConfig> = {
  'all-at-once': codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
  'canary-10-5': codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'linear-10-1': codedeploy.EcsDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTES,
};

/**
 * The service a {@link BlueGreenDeployment} deploys: what CodeDeploy moves traffic for and what
 * every deployment's AppSpec names. The web services of lib/services/ satisfy it.
 */
export interface BlueGreenService {
  /** The ECS service, with the `CODE_DEPLOY` deployment controller. */
  readonly service: ecs.IBaseService;
  /** Its blue and green target groups. */
  readonly targets: BlueGreenTargets;
  /** The container the load balancer sends traffic to. */
  readonly containerName: string;
  /** The port of that container. */
  readonly containerPort: number;
  /**
   * The service's capacity provider strategy, which every CodeDeploy deployment must repeat in
   * its AppSpec: a deployment whose AppSpec has none removes the strategy from the service
   * (aws/containers-roadmap#1752).
   *
   * @default - none: the service uses the `FARGATE` launch type
   */
  readonly capacityProviderStrategies?: ecs.CapacityProviderStrategy[];
}

/** Properties of {@link BlueGreenDeployment}. */
export interface BlueGreenDeploymentProps {
  /** The web service, its target groups and the container that takes the traffic. */
  readonly web: BlueGreenService;
  /** Its task definition: a change to it starts a deployment. */
  readonly taskDefinition: ecs.ITaskDefinition;
  /** The load balancer with its production and test listeners. */
  readonly loadBalancer: LoadBalancer;
  /** The service's host name, for the smoke test. */
  readonly host: string;
  /** The health path and the other paths the smoke test requests on green. */
  readonly smokePaths: string[];
  /** The stage's deployment settings: shifting, termination wait, alarms, timeout. */
  readonly deployment: DeploymentConfig;
  /** The VPC, for the smoke test to reach the internal load balancer. */
  readonly vpc: ec2.IVpc;
  /** Log retention of the smoke test. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Builds the BeforeInstall hook (snapshot and migrations) for Laravel web services, given the
   * deployment group it reports to.
   *
   * @default - no BeforeInstall hook
   */
  readonly beforeInstall?: (deploymentGroupArn: string) => lambda.IFunction;
}

/**
 * Zero-downtime delivery of one web service: a CodeDeploy application and deployment group
 * (blue and green target groups, the production and test listeners, traffic shifting and a
 * termination wait from config, automatic rollback on failure, on stop and on this service's
 * alarms), and a deployment that `cdk deploy` starts whenever the task definition changes and
 * waits for: a rollback fails the stack update.
 *
 * Lifecycle hooks: BeforeInstall (migrations, when given) and AfterAllowTestTraffic (a smoke
 * test of green through the test listener).
 */
export class BlueGreenDeployment extends Construct {
  /** The CodeDeploy deployment group. */
  public readonly deploymentGroup: codedeploy.EcsDeploymentGroup;
  /** The deployment `cdk deploy` starts. */
  public readonly deployment: EcsDeployment;
  /** Alarms that roll a deployment back. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The AfterAllowTestTraffic smoke test. */
  public readonly smokeTest: HandlerFunction;
  /** The service and target groups it deploys. */
  public readonly web: BlueGreenService;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const { web, deployment } = props;
    if (deployment.timeoutMinutes > MAX_DEPLOY_MINUTES) {
      throw new Error(
        `${this.node.path}: deployment.timeoutMinutes ${deployment.timeoutMinutes} is above ${MAX_DEPLOY_MINUTES}; CloudFormation waits at most 60 min for a custom resource`,
      );
    }
    this.web = web;
    this.alarms = this.createAlarms(web, deployment.alarms);
    this.deploymentGroup = this.createDeploymentGroup(props);
    this.smokeTest = this.createSmokeTest(props);
    const beforeInstall = props.beforeInstall?.(this.deploymentGroup.deploymentGroupArn);
    const hooks = [this.smokeTest, ...(beforeInstall ? [beforeInstall] : [])];
    for (const hook of hooks) hook.grantInvoke(this.deploymentGroup.role);
    this.deployment = this.createDeployment(props, hooks, beforeInstall);
    this.runProviderOnCurrentNode();
    this.completeWhenTrafficShifted();
    acknowledgeProviderFramework(this.deploymentGroup.node.findChild('Deployment'), '@cdklabs/cdk-ecs-codedeploy');
    this.acknowledgeHookInvocations(hooks);
  }

  /**
   * The CodeDeploy application and blue/green deployment group: production and test listeners,
   * the configured shifting and termination wait, rollback on failure, on stop and on alarm.
   */
  private createDeploymentGroup(props: BlueGreenDeploymentProps): codedeploy.EcsDeploymentGroup {
    const { web, deployment } = props;
    const group = new codedeploy.EcsDeploymentGroup(this, 'DeploymentGroup', {
      application: new codedeploy.EcsApplication(this, 'Application'),
      service: web.service,
      deploymentConfig: DEPLOYMENT_CONFIGS[deployment.trafficShifting],
      blueGreenDeploymentConfig: {
        blueTargetGroup: web.targets.blue,
        greenTargetGroup: web.targets.green,
        listener: props.loadBalancer.https,
        testListener: props.loadBalancer.test,
        terminationWaitTime: Duration.minutes(deployment.terminationWaitMinutes),
      },
      alarms: this.alarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    acknowledge(
      group,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
      'The AWS-maintained CodeDeploy service policy for ECS blue/green: it manages task sets, listeners and target groups during a deployment.',
    );
    return group;
  }

  /** The AfterAllowTestTraffic hook: requests green's paths through the test listener, from the VPC. */
  private createSmokeTest(props: BlueGreenDeploymentProps): HandlerFunction {
    const smokeGroup = new ec2.SecurityGroup(this, 'SmokeTestSecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: smoke test to the test listener`,
      allowAllOutbound: false,
    });
    smokeGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the CodeDeploy API');
    props.loadBalancer.allowTestTrafficFrom(smokeGroup, 'smoke test of green');
    const smokeTest = new HandlerFunction(this, 'SmokeTest', {
      handler: 'smoke-test',
      description: `AfterAllowTestTraffic: requests green's paths through the test listener (${props.host})`,
      environment: {
        LOAD_BALANCER: props.loadBalancer.alb.loadBalancerDnsName,
        PORT: String(TEST_LISTENER_PORT),
        HOST: props.host,
        PATHS: JSON.stringify(props.smokePaths),
      },
      timeout: Duration.minutes(SMOKE_TEST_MINUTES),
      vpc: props.vpc,
      securityGroups: [smokeGroup],
      logRetention: props.logRetention,
    });
    this.allowHookReport(smokeTest);
    return smokeTest;
  }

  /** The deployment of the current task definition that `cdk deploy` starts and waits for. */
  private createDeployment(
    props: BlueGreenDeploymentProps,
    hooks: lambda.IFunction[],
    beforeInstall?: lambda.IFunction,
  ): EcsDeployment {
    const { web } = props;
    const deployment = new EcsDeployment({
      deploymentGroup: this.deploymentGroup,
      targetService: {
        taskDefinition: props.taskDefinition,
        containerName: web.containerName,
        containerPort: web.containerPort,
        capacityProviderStrategy: web.capacityProviderStrategies,
      },
      hooks: { beforeInstall, afterAllowTestTraffic: this.smokeTest },
      timeout: Duration.minutes(props.deployment.timeoutMinutes),
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      description: `${this.node.path}`,
    });
    // The hooks must be in place, with their new configuration, before CodeDeploy calls them.
    for (const hook of hooks) deployment.node.addDependency(hook);
    // CodeDeploy invokes the hooks with the deployment group's role; its DefaultPolicy holds the
    // lambda:InvokeFunction grant, which must exist before the first deployment reaches a hook.
    deployment.node.addDependency(this.deploymentGroup.role);
    return deployment;
  }

  /**
   * The construct's functions are pinned to nodejs20.x, which Lambda deprecated on 2026-04-30;
   * their handlers are async (no callback, which nodejs24.x no longer accepts), so they run
   * unchanged on the runtime of this project's own handlers (Lambda runtimes page: nodejs24.x
   * deprecates 2028-04-30, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
   */
  private runProviderOnCurrentNode(): void {
    for (const child of this.deploymentGroup.node.findAll()) {
      const fn = child as lambda.CfnFunction;
      if (fn instanceof lambda.CfnFunction && fn.runtime === 'nodejs20.x') fn.runtime = lambda.Runtime.NODEJS_24_X.name;
    }
  }

  /** CodeDeploy's role may invoke each hook function, in any version. */
  private acknowledgeHookInvocations(hooks: lambda.IFunction[]): void {
    const stack = Stack.of(this);
    for (const hook of hooks) {
      acknowledge(
        this.deploymentGroup.role,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(hook.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        'CodeDeploy invokes the hook function; the grant covers its versions, as Lambda grants do.',
      );
    }
  }

  /**
   * Makes `cdk deploy` return once production traffic is fully on green, not when blue is gone:
   * the provider's is-complete function runs `lambda/deployment-waiter` instead of the
   * construct's own handler, which waits for `Succeeded`, i.e. through the termination wait
   * (prod: 60 min, past CloudFormation's one-hour limit for a custom resource).
   */
  private completeWhenTrafficShifted(): void {
    const provider = this.deploymentGroup.node.findChild('Deployment');
    const fn = provider.node.tryFindChild('DeploymentProviderIsCompleteLambda');
    if (!(fn instanceof lambda.Function)) {
      throw new Error(
        `${this.node.path}: @cdklabs/cdk-ecs-codedeploy no longer has DeploymentProviderIsCompleteLambda; check lambda/deployment-waiter against its new version`,
      );
    }
    const code = handlerCode('deployment-waiter').bind(this);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.code = { s3Bucket: code.s3Location!.bucketName, s3Key: code.s3Location!.objectKey };
    cfn.handler = 'index.handler';
    // Service Authorization Reference, "Actions defined by AWS CodeDeploy": ListDeploymentTargets
    // and BatchGetDeploymentTargets have no resource type, so only `Resource: '*'` allows them; a
    // statement naming the deployment group never matches, and every deploy would fail.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:ListDeploymentTargets', 'codedeploy:BatchGetDeploymentTargets'],
        resources: ['*'],
      }),
    );
    acknowledge(
      fn,
      'AwsSolutions-IAM5[Resource::*]',
      'codedeploy:ListDeploymentTargets and BatchGetDeploymentTargets support no resource-level permissions (Service Authorization Reference); they only read deployment targets.',
    );
  }

  /** Lets a hook function report its outcome for this deployment group, and nothing else. */
  public allowHookReport(fn: lambda.IFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'],
        resources: [this.deploymentGroup.deploymentGroupArn],
      }),
    );
  }

  /** Target 5xx, unhealthy hosts and p95 latency, over both target groups. */
  private createAlarms(web: BlueGreenService, thresholds: DeploymentConfig['alarms']): cloudwatch.Alarm[] {
    const { targets } = web;
    const minute = Duration.minutes(1);
    return [
      new cloudwatch.Alarm(this, 'Target5xx', {
        alarmDescription: `${this.node.path}: targets answered with 5xx; rolls a deployment back`,
        metric: overBothTargetGroups(targets, 'FILL(blue, 0) + FILL(green, 0)', 'Target 5xx', (g) =>
          g.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: minute, statistic: 'Sum' }),
        ),
        threshold: thresholds.target5xxPerMinute,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'UnhealthyHosts', {
        alarmDescription: `${this.node.path}: targets fail their health checks; rolls a deployment back`,
        metric: overBothTargetGroups(targets, 'MAX([FILL(blue, 0), FILL(green, 0)])', 'Unhealthy hosts', (g) =>
          g.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum' }),
        ),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'Latency', {
        alarmDescription: `${this.node.path}: p95 response time above ${thresholds.latencyP95Ms} ms; rolls a deployment back`,
        metric: overBothTargetGroups(targets, 'MAX([FILL(blue, 0), FILL(green, 0)])', 'p95 target response time', (g) =>
          g.metrics.targetResponseTime({ period: minute, statistic: 'p95' }),
        ),
        threshold: thresholds.latencyP95Ms / 1000,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}

/**
 * A per-minute metric over the blue and the green target group, either of which may be live:
 * `expression` combines the two (`blue`, `green`).
 */
function overBothTargetGroups(
  targets: BlueGreenTargets,
  expression: string,
  label: string,
  metric: (group: elbv2.ApplicationTargetGroup) => cloudwatch.IMetric,
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression,
    usingMetrics: { blue: metric(targets.blue), green: metric(targets.green) },
    period: Duration.minutes(1),
    label,
  });
}
