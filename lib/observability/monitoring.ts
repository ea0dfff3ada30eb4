import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../../config';
import { pascal } from '../../config/names';
import type { BlueGreenTargets } from '../edge/load-balancer';
import type { RabbitmqBroker } from '../data/rabbitmq';
import type { RedisCache } from '../data/redis';

/** A service to watch. */
export interface MonitoredService {
  readonly name: string;
  readonly service: ecs.FargateService;
  /** Its target groups, for web services. */
  readonly targets?: BlueGreenTargets;
  /** Its deployment alarms (5xx, unhealthy hosts, latency), which also page. */
  readonly alarms?: cloudwatch.Alarm[];
}

/** A database to watch. */
export interface MonitoredDatabase {
  readonly name: string;
  readonly instance: rds.IDatabaseInstance;
  /** Allocated storage, for the free-storage threshold. */
  readonly allocatedStorageGiB: number;
  /** Whether it is a read replica (and so has replica lag). */
  readonly replica?: boolean;
}

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** How alarms, the topic and the dashboard name the stage: `csl prod`. */
  readonly stageName: string;
  /** Namespace of the metrics the stage derives from its logs, e.g. `Csl/Prod`. */
  readonly metricNamespace: string;
  /** Alarm thresholds. */
  readonly thresholds: MonitoringConfig;
  /** Who receives the alerts. */
  readonly alertEmails: readonly string[];
  /** The cluster the services run in. */
  readonly cluster: ecs.ICluster;
  readonly services: MonitoredService[];
  readonly databases: MonitoredDatabase[];
  readonly redis?: RedisCache;
  readonly rabbitmq?: RabbitmqBroker;
  /** The scheduler's log group, searched for failed runs. */
  readonly schedulerLogs?: logs.ILogGroup;
  /**
   * Watch AWS Backup jobs in the stage's account and region: failed, aborted or expired backup
   * jobs, and failed copy jobs when backups are copied to another region.
   *
   * @default - no backups to watch
   */
  readonly backups?: { readonly copies: boolean };
}

/**
 * What tells a stage's operators it is unwell and shows how it is doing: an SNS alert topic
 * mailing the stage's addresses; alarms with the tier's thresholds on every service (5xx and
 * latency per host, running tasks below desired, CPU, memory), database (CPU, free storage,
 * connections, replica lag), the cache (memory, evictions, CPU), the broker (memory, queue
 * depth) and failed scheduler runs; and a dashboard with the golden signals of each.
 */
export class Monitoring extends Construct {
  /** Where alarms go. */
  public readonly topic: sns.Topic;
  /** Every alarm that pages. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The stage's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const m = props.thresholds;
    const key = new kms.Key(this, 'TopicKey', {
      description: `${props.stageName}: alert topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarms to the encrypted topic.
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    this.topic = new sns.Topic(this, 'AlertTopic', {
      displayName: `${props.stageName} alerts`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.alertEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const page = new actions.SnsAction(this.topic);
    if (props.backups) this.watchBackups(key, props.backups.copies);

    const alarm = (alarmId: string, description: string, options: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `${props.stageName}: ${description}`,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(page);
      created.addOkAction(page);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = Duration.minutes(5);

    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `# ${props.stageName}`, width: 24, height: 1 }),
    ];
    for (const s of props.services) {
      const id = pascal(s.name);
      for (const existing of s.alarms ?? []) {
        existing.addAlarmAction(page);
        this.alarms.push(existing);
      }
      const insights = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName,
          dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: s.service.serviceName },
          statistic,
          period: Duration.minutes(1),
        });
      const running = insights('RunningTaskCount', 'Minimum');
      const desired = insights('DesiredTaskCount', 'Maximum');
      alarm(`${id}TasksBelowDesired`, `${s.name} runs fewer tasks than desired`, {
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: { desired, running },
          period: Duration.minutes(1),
          label: 'Missing tasks',
        }),
        threshold: 1,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no task reports at all: that is the outage this alarm is for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      const cpu = s.service.metricCpuUtilization({ period: fiveMinutes });
      const memory = s.service.metricMemoryUtilization({ period: fiveMinutes });
      alarm(`${id}Cpu`, `${s.name} CPU above ${m.ecsCpuPercent} %`, {
        metric: cpu,
        threshold: m.ecsCpuPercent,
        evaluationPeriods: 3,
      });
      alarm(`${id}Memory`, `${s.name} memory above ${m.ecsMemoryPercent} %`, {
        metric: memory,
        threshold: m.ecsMemoryPercent,
        evaluationPeriods: 3,
      });

      const row: cloudwatch.IWidget[] = [];
      if (s.targets) {
        // Metric ids must differ between the expressions of one graph: prefix them per series.
        const both = (
          label: string,
          expression: string,
          metric: (t: BlueGreenTargets['blue']) => cloudwatch.IMetric,
        ) => {
          const prefix = label.toLowerCase().replace(/[^a-z0-9]/g, '');
          return new cloudwatch.MathExpression({
            expression: expression.replace(/\b(blue|green)\b/g, `${prefix}$1`),
            usingMetrics: { [`${prefix}blue`]: metric(s.targets!.blue), [`${prefix}green`]: metric(s.targets!.green) },
            period: Duration.minutes(1),
            label,
          });
        };
        row.push(
          new cloudwatch.GraphWidget({
            title: `${s.name}: requests and errors`,
            left: [both('Requests', 'FILL(blue,0)+FILL(green,0)', (t) => t.metrics.requestCount())],
            right: [
              both('Target 5xx', 'FILL(blue,0)+FILL(green,0)', (t) =>
                t.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
              ),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: `${s.name}: p95 latency (s)`,
            left: [
              both('p95', 'MAX([FILL(blue,0), FILL(green,0)])', (t) =>
                t.metrics.targetResponseTime({ statistic: 'p95' }),
              ),
            ],
            width: 8,
          }),
        );
      }
      row.push(
        new cloudwatch.GraphWidget({
          title: `${s.name}: saturation`,
          left: [cpu, memory],
          right: [running],
          width: s.targets ? 8 : 24,
        }),
      );
      widgets.push(new cloudwatch.Row(...row));
    }

    const dbWidgets: cloudwatch.IWidget[] = [];
    for (const db of props.databases) {
      const id = pascal(db.name);
      const cpu = db.instance.metricCPUUtilization({ period: fiveMinutes });
      const free = db.instance.metricFreeStorageSpace({ period: fiveMinutes });
      const connections = db.instance.metricDatabaseConnections({ period: fiveMinutes });
      alarm(`${id}Cpu`, `${db.name} CPU above ${m.rdsCpuPercent} %`, {
        metric: cpu,
        threshold: m.rdsCpuPercent,
        evaluationPeriods: 2,
      });
      alarm(
        `${id}FreeStorage`,
        `${db.name} free storage below ${m.rdsFreeStoragePercent} % of ${db.allocatedStorageGiB} GiB`,
        {
          metric: free,
          threshold: (db.allocatedStorageGiB * 1024 ** 3 * m.rdsFreeStoragePercent) / 100,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        },
      );
      alarm(`${id}Connections`, `${db.name} has more than ${m.rdsConnections} connections`, {
        metric: connections,
        threshold: m.rdsConnections,
        evaluationPeriods: 2,
      });
      const metrics: cloudwatch.IMetric[] = [cpu, connections];
      if (db.replica) {
        const lag = db.instance.metric('ReplicaLag', { period: Duration.minutes(1), statistic: 'Maximum' });
        alarm(`${id}ReplicaLag`, `${db.name} lags more than ${m.replicaLagSeconds} s`, {
          metric: lag,
          threshold: m.replicaLagSeconds,
          evaluationPeriods: 5,
        });
        metrics.push(lag);
      }
      dbWidgets.push(new cloudwatch.GraphWidget({ title: db.name, left: metrics, right: [free], width: 8 }));
    }

    if (props.redis) {
      const nodes = props.redis.nodeIds();
      // Ids are per metric (`memory0`, `cpu0`, …): one graph shows several of these expressions.
      const idOf = (metricName: string, i: number) => `${metricName.replace(/[^A-Za-z]/g, '').toLowerCase()}${i}`;
      const nodeMetric = (metricName: string, statistic: string) =>
        Object.fromEntries(
          nodes.map((node, i) => [
            idOf(metricName, i),
            new cloudwatch.Metric({
              namespace: 'AWS/ElastiCache',
              metricName,
              dimensionsMap: { CacheClusterId: node },
              statistic,
              period: fiveMinutes,
            }),
          ]),
        );
      const worst = (metricName: string, statistic: string, label: string) =>
        new cloudwatch.MathExpression({
          expression: `MAX([${nodes.map((_, i) => `FILL(${idOf(metricName, i)},0)`).join(', ')}])`,
          usingMetrics: nodeMetric(metricName, statistic),
          period: fiveMinutes,
          label,
        });
      const memory = worst('DatabaseMemoryUsagePercentage', 'Maximum', 'Memory % (worst node)');
      const cpu = worst('EngineCPUUtilization', 'Maximum', 'Engine CPU % (worst node)');
      const evictions = new cloudwatch.MathExpression({
        expression: nodes.map((_, i) => `FILL(${idOf('Evictions', i)},0)`).join(' + '),
        usingMetrics: nodeMetric('Evictions', 'Sum'),
        period: fiveMinutes,
        label: 'Evictions',
      });
      alarm('CacheMemory', `cache memory above ${m.cacheMemoryPercent} %`, {
        metric: memory,
        threshold: m.cacheMemoryPercent,
        evaluationPeriods: 2,
      });
      alarm('CacheEvictions', 'cache evicts keys: it is too small for its data', {
        metric: evictions,
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      alarm('CacheCpu', `cache engine CPU above ${m.cacheCpuPercent} %`, {
        metric: cpu,
        threshold: m.cacheCpuPercent,
        evaluationPeriods: 3,
      });
      dbWidgets.push(new cloudwatch.GraphWidget({ title: 'cache', left: [memory, cpu], right: [evictions], width: 8 }));
    }

    if (props.rabbitmq) {
      const broker = { Broker: props.rabbitmq.broker.brokerName };
      const mq = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/AmazonMQ',
          metricName,
          dimensionsMap: broker,
          statistic,
          period: fiveMinutes,
        });
      const memory = new cloudwatch.MathExpression({
        expression: '100 * used / limit',
        usingMetrics: { used: mq('RabbitMQMemUsed', 'Maximum'), limit: mq('RabbitMQMemLimit', 'Maximum') },
        period: fiveMinutes,
        label: 'Broker memory % of limit',
      });
      const depth = mq('MessageCount', 'Maximum');
      // Broker-level metrics (dimension Broker only) are, for a cluster, "the aggregate of all
      // three RabbitMQ nodes' corresponding metric values" (Amazon MQ developer guide, "Available
      // CloudWatch metrics for Amazon MQ for RabbitMQ brokers"): for a single instance this ratio
      // is its node's, for a cluster the cluster's average.
      alarm('BrokerMemory', `broker memory above ${m.brokerMemoryPercent} % of its limit`, {
        metric: memory,
        threshold: m.brokerMemoryPercent,
        evaluationPeriods: 2,
      });
      const { deploymentMode, hostInstanceType } = props.rabbitmq.broker;
      if (deploymentMode === 'CLUSTER_MULTI_AZ') {
        // One node at its high watermark blocks publishers on the whole cluster ("When memory use
        // goes above the limit, the cluster will block all producer connections", same page, node
        // metrics), while the aggregate above still looks fine. Node metrics carry the dimensions
        // Broker and Node; node names (rabbit@ip-…) are unknown at synth and change when a node is
        // replaced, and an alarm cannot use SEARCH, so a Metrics Insights query takes the worst
        // node (CloudWatch user guide, "Create a CloudWatch alarm based on a Metrics Insights
        // query": one aggregated series, adjusting as nodes come and go). A query alarm holds one
        // query and no ratio, so the threshold is bytes: the node's watermark for its type.
        const watermark = memoryHighWatermarkBytes(hostInstanceType);
        const worstNode = new cloudwatch.MathExpression({
          expression: `SELECT MAX(RabbitMQMemUsed) FROM SCHEMA("AWS/AmazonMQ", Broker, Node) WHERE Broker = '${props.rabbitmq.broker.brokerName}'`,
          period: fiveMinutes,
          label: 'Broker memory used, worst node (bytes)',
        });
        alarm(
          'BrokerNodeMemory',
          `a broker node's memory above ${m.brokerMemoryPercent} % of its high watermark (${(watermark / 1024 ** 3).toFixed(1)} GiB)`,
          { metric: worstNode, threshold: Math.round((watermark * m.brokerMemoryPercent) / 100), evaluationPeriods: 2 },
        );
      }
      alarm('QueueDepth', `more than ${m.queueDepth} messages queued`, {
        metric: depth,
        threshold: m.queueDepth,
        evaluationPeriods: 3,
      });
      dbWidgets.push(new cloudwatch.GraphWidget({ title: 'broker', left: [depth], right: [memory], width: 8 }));
    }

    if (props.schedulerLogs) {
      // `schedule:work` prints FAIL next to a scheduled command that exited non-zero.
      const failures = new logs.MetricFilter(this, 'SchedulerFailures', {
        logGroup: props.schedulerLogs,
        filterPattern: logs.FilterPattern.anyTerm('FAIL'),
        metricNamespace: props.metricNamespace,
        metricName: 'SchedulerFailedRuns',
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period: fiveMinutes });
      alarm('SchedulerFailedRuns', 'a scheduled command failed', {
        metric: failures,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      dbWidgets.push(new cloudwatch.GraphWidget({ title: 'scheduler: failed runs', left: [failures], width: 8 }));
    }
    for (let i = 0; i < dbWidgets.length; i += 3) widgets.push(new cloudwatch.Row(...dbWidgets.slice(i, i + 3)));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: widgets.map((w) => [w]),
    });
  }

  /**
   * Sends every failed backup or copy job of the account and region to the alert topic. AWS
   * Backup emits these events (best effort, every 5 minutes) in the region the job runs in: the
   * stage's region, which is also where a cross-region copy job runs. The job's state is under
   * `detail.state`; the pattern also accepts `detail.status`, which some AWS Backup events use.
   */
  private watchBackups(key: kms.IKey, copies: boolean): void {
    // EventBridge publishes to the encrypted topic with the key (SNS developer guide,
    // "Encryption at rest": AWS service event sources need kms:GenerateDataKey* and kms:Decrypt).
    key.grantEncryptDecrypt(new iam.ServicePrincipal('events.amazonaws.com'));
    const detailTypes = Object.keys(BACKUP_FAILURE_STATES).filter(
      (t) => copies || !t.startsWith('Copy'),
    ) as (keyof typeof BACKUP_FAILURE_STATES)[];
    for (const detailType of detailTypes) {
      const states = [...BACKUP_FAILURE_STATES[detailType]];
      const rule = new events.Rule(this, detailType.startsWith('Copy') ? 'CopyJobFailed' : 'BackupJobFailed', {
        description: `${detailType}: ${states.join(', ')}`,
        eventPattern: {
          source: ['aws.backup'],
          detailType: [detailType],
          detail: { $or: [{ state: states }, { status: states }] },
        },
      });
      rule.addTarget(new targets.SnsTopic(this.topic));
    }
  }
}

/**
 * The states of AWS Backup jobs that page: a backup job that failed, was aborted or expired
 * before it ran, and a copy job that failed (AWS Backup developer guide, "Monitoring AWS Backup
 * events using Amazon EventBridge": `Backup Job State Change`, `Copy Job State Change`).
 */
export const BACKUP_FAILURE_STATES = {
  'Backup Job State Change': ['FAILED', 'ABORTED', 'EXPIRED'],
  'Copy Job State Change': ['FAILED'],
} as const;

/**
 * The memory high watermark of one RabbitMQ node, in bytes, by broker instance type (Amazon MQ
 * developer guide, "Amazon MQ for RabbitMQ instance types", "Memory and disk alarms"): absolute
 * values for `mq.m7g`, 40 % of the instance's memory (8, 16, 32, 64 GiB) for `mq.m5`. `mq.t3.micro`
 * runs single-instance brokers only and needs no per-node alarm.
 *
 * @throws Error naming the instance type when it is not in the table
 */
export function memoryHighWatermarkBytes(instanceType: string): number {
  const gib: Record<string, number> = {
    'mq.m7g.medium': 1.8,
    'mq.m7g.large': 4.3,
    'mq.m7g.xlarge': 9.3,
    'mq.m7g.2xlarge': 19.3,
    'mq.m7g.4xlarge': 39.4,
    'mq.m7g.8xlarge': 79.7,
    'mq.m7g.12xlarge': 119.8,
    'mq.m7g.16xlarge': 160.1,
    'mq.m5.large': 0.4 * 8,
    'mq.m5.xlarge': 0.4 * 16,
    'mq.m5.2xlarge': 0.4 * 32,
    'mq.m5.4xlarge': 0.4 * 64,
  };
  const value = gib[instanceType];
  if (value === undefined) {
    throw new Error(
      `no RabbitMQ memory high watermark known for ${instanceType}; add it to memoryHighWatermarkBytes in lib/observability/monitoring.ts`,
    );
  }
  return value * 1024 ** 3;
}
