import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../../config';
import { pascal } from '../../config/names';
import type { BlueGreenTargets } from '../edge/load-balancer';
import type { RabbitmqBroker } from '../data/rabbitmq';
import type { RedisCache } from '../data/redis';
import { alertTopic } from './alert-topic';
import { RABBITMQ_MEMORY_HIGH_WATERMARK_GIB } from '../../config/aws-tables';

/** A service to watch. */
export interface MonitoredService {
  /** The service's name in config (`api`); its alarms are named after it (`ApiCpu`). */
  readonly name: string;
  /** The service. */
  readonly service: ecs.FargateService;
  /**
   * Its target groups, for web services: their requests, 5xx and latency go on the dashboard.
   *
   * @default - no load balancer: the dashboard shows its saturation only
   */
  readonly targets?: BlueGreenTargets;
  /**
   * Its deployment alarms (5xx, unhealthy hosts, latency), which also page.
   *
   * @default - none
   */
  readonly alarms?: cloudwatch.Alarm[];
}

/** A database to watch. */
export interface MonitoredDatabase {
  /** The database's name (`mysql`, `mysqlReplica1`); its alarms are named after it. */
  readonly name: string;
  /** The instance. */
  readonly instance: rds.IDatabaseInstance;
  /** Allocated storage, for the free-storage threshold. */
  readonly allocatedStorageGiB: number;
  /**
   * Whether it is a read replica (and so has replica lag).
   *
   * @default false
   */
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
  /** The services to watch, in dashboard order. */
  readonly services: MonitoredService[];
  /** The databases to watch, in dashboard order. */
  readonly databases: MonitoredDatabase[];
  /**
   * The cache to watch (memory, evictions and engine CPU of its worst node).
   *
   * @default - no cache
   */
  readonly redis?: RedisCache;
  /**
   * The broker to watch (memory, queue depth; each node's memory for a cluster).
   *
   * @default - no broker
   */
  readonly rabbitmq?: RabbitmqBroker;
  /**
   * The scheduler's log group, searched for failed runs.
   *
   * @default - no scheduler to watch
   */
  readonly schedulerLogs?: logs.ILogGroup;
  /**
   * Watch AWS Backup jobs in the stage's account and region: failed, aborted or expired backup
   * jobs, and failed copy jobs when backups are copied to another region.
   *
   * @default - no backups to watch
   */
  readonly backups?: { readonly copies: boolean };
}

/** The period of every alarm and graph that is not per minute. */
const FIVE_MINUTES = Duration.minutes(5);

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
  private readonly stageName: string;
  private readonly thresholds: MonitoringConfig;
  /** The alarm action that publishes to the topic. */
  private readonly page: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stageName = props.stageName;
    this.thresholds = props.thresholds;
    const { topic, key } = alertTopic(this, {
      keyId: 'TopicKey',
      topicId: 'AlertTopic',
      stageName: props.stageName,
      emails: props.alertEmails,
    });
    this.topic = topic;
    this.page = new actions.SnsAction(this.topic);
    if (props.backups) this.watchBackups(key, props.backups.copies);

    const serviceRows = props.services.map((s) => this.watchService(s, props.cluster));
    const storeWidgets = [
      ...props.databases.map((db) => this.watchDatabase(db)),
      ...(props.redis ? [this.watchCache(props.redis)] : []),
      ...(props.rabbitmq ? [this.watchBroker(props.rabbitmq.broker)] : []),
      ...(props.schedulerLogs ? [this.watchScheduler(props.schedulerLogs, props.metricNamespace)] : []),
    ];
    this.dashboard = this.addDashboard(serviceRows, storeWidgets);
  }

  /** An alarm that pages when it fires and when it clears; missing data is not breaching unless told. */
  private addAlarm(alarmId: string, description: string, options: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const created = new cloudwatch.Alarm(this, alarmId, {
      alarmDescription: `${this.stageName}: ${description}`,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    created.addAlarmAction(this.page);
    created.addOkAction(this.page);
    this.alarms.push(created);
    return created;
  }

  /**
   * A service's alarms (its own deployment alarms, tasks below desired, CPU, memory) and its
   * dashboard row: traffic and latency for a web service, then saturation.
   */
  private watchService(s: MonitoredService, cluster: ecs.ICluster): cloudwatch.Row {
    const id = pascal(s.name);
    const m = this.thresholds;
    for (const existing of s.alarms ?? []) {
      existing.addAlarmAction(this.page);
      this.alarms.push(existing);
    }
    const running = containerInsights(cluster, s.service, 'RunningTaskCount', 'Minimum');
    const desired = containerInsights(cluster, s.service, 'DesiredTaskCount', 'Maximum');
    this.addAlarm(`${id}TasksBelowDesired`, `${s.name} runs fewer tasks than desired`, {
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
    const cpu = s.service.metricCpuUtilization({ period: FIVE_MINUTES });
    const memory = s.service.metricMemoryUtilization({ period: FIVE_MINUTES });
    this.addAlarm(`${id}Cpu`, `${s.name} CPU above ${m.ecsCpuPercent} %`, {
      metric: cpu,
      threshold: m.ecsCpuPercent,
      evaluationPeriods: 3,
    });
    this.addAlarm(`${id}Memory`, `${s.name} memory above ${m.ecsMemoryPercent} %`, {
      metric: memory,
      threshold: m.ecsMemoryPercent,
      evaluationPeriods: 3,
    });
    const row = s.targets ? trafficWidgets(s.name, s.targets) : [];
    row.push(
      new cloudwatch.GraphWidget({
        title: `${s.name}: saturation`,
        left: [cpu, memory],
        right: [running],
        width: s.targets ? 8 : 24,
      }),
    );
    return new cloudwatch.Row(...row);
  }

  /** A database's alarms (CPU, free storage, connections, replica lag) and its graph. */
  private watchDatabase(db: MonitoredDatabase): cloudwatch.GraphWidget {
    const id = pascal(db.name);
    const m = this.thresholds;
    const cpu = db.instance.metricCPUUtilization({ period: FIVE_MINUTES });
    const free = db.instance.metricFreeStorageSpace({ period: FIVE_MINUTES });
    const connections = db.instance.metricDatabaseConnections({ period: FIVE_MINUTES });
    this.addAlarm(`${id}Cpu`, `${db.name} CPU above ${m.rdsCpuPercent} %`, {
      metric: cpu,
      threshold: m.rdsCpuPercent,
      evaluationPeriods: 2,
    });
    this.addAlarm(
      `${id}FreeStorage`,
      `${db.name} free storage below ${m.rdsFreeStoragePercent} % of ${db.allocatedStorageGiB} GiB`,
      {
        metric: free,
        threshold: (db.allocatedStorageGiB * 1024 ** 3 * m.rdsFreeStoragePercent) / 100,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      },
    );
    this.addAlarm(`${id}Connections`, `${db.name} has more than ${m.rdsConnections} connections`, {
      metric: connections,
      threshold: m.rdsConnections,
      evaluationPeriods: 2,
    });
    const metrics: cloudwatch.IMetric[] = [cpu, connections];
    if (db.replica) {
      const lag = db.instance.metric('ReplicaLag', { period: Duration.minutes(1), statistic: 'Maximum' });
      this.addAlarm(`${id}ReplicaLag`, `${db.name} lags more than ${m.replicaLagSeconds} s`, {
        metric: lag,
        threshold: m.replicaLagSeconds,
        evaluationPeriods: 5,
      });
      metrics.push(lag);
    }
    return new cloudwatch.GraphWidget({ title: db.name, left: metrics, right: [free], width: 8 });
  }

  /** The cache's alarms (memory and engine CPU of its worst node, evictions of all) and its graph. */
  private watchCache(redis: RedisCache): cloudwatch.GraphWidget {
    const m = this.thresholds;
    const nodes = redis.nodeIds();
    const memory = worstCacheNode(nodes, 'DatabaseMemoryUsagePercentage', 'Memory % (worst node)');
    const cpu = worstCacheNode(nodes, 'EngineCPUUtilization', 'Engine CPU % (worst node)');
    const evictions = new cloudwatch.MathExpression({
      expression: nodes.map((_, i) => `FILL(${cacheMetricId('Evictions', i)},0)`).join(' + '),
      usingMetrics: cacheNodeMetrics(nodes, 'Evictions', 'Sum'),
      period: FIVE_MINUTES,
      label: 'Evictions',
    });
    this.addAlarm('CacheMemory', `cache memory above ${m.cacheMemoryPercent} %`, {
      metric: memory,
      threshold: m.cacheMemoryPercent,
      evaluationPeriods: 2,
    });
    this.addAlarm('CacheEvictions', 'cache evicts keys: it is too small for its data', {
      metric: evictions,
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.addAlarm('CacheCpu', `cache engine CPU above ${m.cacheCpuPercent} %`, {
      metric: cpu,
      threshold: m.cacheCpuPercent,
      evaluationPeriods: 3,
    });
    return new cloudwatch.GraphWidget({ title: 'cache', left: [memory, cpu], right: [evictions], width: 8 });
  }

  /** The broker's alarms (memory, each node's memory for a cluster, queue depth) and its graph. */
  private watchBroker(broker: amazonmq.CfnBroker): cloudwatch.GraphWidget {
    const m = this.thresholds;
    const memory = new cloudwatch.MathExpression({
      expression: '100 * used / limit',
      usingMetrics: {
        used: brokerMetric(broker, 'RabbitMQMemUsed', 'Maximum'),
        limit: brokerMetric(broker, 'RabbitMQMemLimit', 'Maximum'),
      },
      period: FIVE_MINUTES,
      label: 'Broker memory % of limit',
    });
    const depth = brokerMetric(broker, 'MessageCount', 'Maximum');
    // Broker-level metrics (dimension Broker only) are, for a cluster, "the aggregate of all
    // three RabbitMQ nodes' corresponding metric values" (Amazon MQ developer guide, "Available
    // CloudWatch metrics for Amazon MQ for RabbitMQ brokers"): for a single instance this ratio
    // is its node's, for a cluster the cluster's average.
    this.addAlarm('BrokerMemory', `broker memory above ${m.brokerMemoryPercent} % of its limit`, {
      metric: memory,
      threshold: m.brokerMemoryPercent,
      evaluationPeriods: 2,
    });
    if (broker.deploymentMode === 'CLUSTER_MULTI_AZ') this.watchBrokerNodes(broker);
    this.addAlarm('QueueDepth', `more than ${m.queueDepth} messages queued`, {
      metric: depth,
      threshold: m.queueDepth,
      evaluationPeriods: 3,
    });
    return new cloudwatch.GraphWidget({ title: 'broker', left: [depth], right: [memory], width: 8 });
  }

  /**
   * Pages when any one node of a cluster broker nears its memory high watermark. One node at
   * its high watermark blocks publishers on the whole cluster ("When memory use goes above the
   * limit, the cluster will block all producer connections", Amazon MQ developer guide, node
   * metrics), while the broker-level aggregate still looks fine. Node metrics carry the
   * dimensions Broker and Node; node names (rabbit@ip-…) are unknown at synth and change when a
   * node is replaced, and an alarm cannot use SEARCH, so a Metrics Insights query takes the
   * worst node (CloudWatch user guide, "Create a CloudWatch alarm based on a Metrics Insights
   * query": one aggregated series, adjusting as nodes come and go). A query alarm holds one
   * query and no ratio, so the threshold is bytes: the node's watermark for its type.
   */
  private watchBrokerNodes(broker: amazonmq.CfnBroker): void {
    const percent = this.thresholds.brokerMemoryPercent;
    const watermark = memoryHighWatermarkBytes(broker.hostInstanceType);
    const worstNode = new cloudwatch.MathExpression({
      expression: `SELECT MAX(RabbitMQMemUsed) FROM SCHEMA("AWS/AmazonMQ", Broker, Node) WHERE Broker = '${broker.brokerName}'`,
      period: FIVE_MINUTES,
      label: 'Broker memory used, worst node (bytes)',
    });
    this.addAlarm(
      'BrokerNodeMemory',
      `a broker node's memory above ${percent} % of its high watermark (${(watermark / 1024 ** 3).toFixed(1)} GiB)`,
      { metric: worstNode, threshold: Math.round((watermark * percent) / 100), evaluationPeriods: 2 },
    );
  }

  /** Pages on a failed scheduled command, counted from the scheduler's log; returns its graph. */
  private watchScheduler(logGroup: logs.ILogGroup, metricNamespace: string): cloudwatch.GraphWidget {
    // `schedule:work` prints FAIL next to a scheduled command that exited non-zero.
    const failures = new logs.MetricFilter(this, 'SchedulerFailures', {
      logGroup,
      filterPattern: logs.FilterPattern.anyTerm('FAIL'),
      metricNamespace,
      metricName: 'SchedulerFailedRuns',
      metricValue: '1',
      defaultValue: 0,
    }).metric({ statistic: 'Sum', period: FIVE_MINUTES });
    this.addAlarm('SchedulerFailedRuns', 'a scheduled command failed', {
      metric: failures,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    return new cloudwatch.GraphWidget({ title: 'scheduler: failed runs', left: [failures], width: 8 });
  }

  /** The stage's dashboard: a title, one row per service, then the stores three to a row. */
  private addDashboard(serviceRows: cloudwatch.Row[], storeWidgets: cloudwatch.IWidget[]): cloudwatch.Dashboard {
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `# ${this.stageName}`, width: 24, height: 1 }),
      ...serviceRows,
    ];
    for (let i = 0; i < storeWidgets.length; i += 3) {
      widgets.push(new cloudwatch.Row(...storeWidgets.slice(i, i + 3)));
    }
    return new cloudwatch.Dashboard(this, 'Dashboard', {
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

/** A per-minute Container Insights metric of one service. */
function containerInsights(
  cluster: ecs.ICluster,
  service: ecs.FargateService,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: service.serviceName },
    statistic,
    period: Duration.minutes(1),
  });
}

/** A web service's requests and 5xx, and its p95 latency, over both of its target groups. */
function trafficWidgets(name: string, targetGroups: BlueGreenTargets): cloudwatch.IWidget[] {
  return [
    new cloudwatch.GraphWidget({
      title: `${name}: requests and errors`,
      left: [blueGreen(targetGroups, 'Requests', 'FILL(blue,0)+FILL(green,0)', (t) => t.metrics.requestCount())],
      right: [
        blueGreen(targetGroups, 'Target 5xx', 'FILL(blue,0)+FILL(green,0)', (t) =>
          t.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
        ),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: `${name}: p95 latency (s)`,
      left: [
        blueGreen(targetGroups, 'p95', 'MAX([FILL(blue,0), FILL(green,0)])', (t) =>
          t.metrics.targetResponseTime({ statistic: 'p95' }),
        ),
      ],
      width: 8,
    }),
  ];
}

/**
 * One series over both target groups of a blue/green service: `expression` names them `blue`
 * and `green`. Metric ids must differ between the expressions of one graph, so they are
 * prefixed per series (`requestsblue`).
 */
function blueGreen(
  targetGroups: BlueGreenTargets,
  label: string,
  expression: string,
  metric: (t: BlueGreenTargets['blue']) => cloudwatch.IMetric,
): cloudwatch.MathExpression {
  const prefix = label.toLowerCase().replace(/[^a-z0-9]/g, '');
  return new cloudwatch.MathExpression({
    expression: expression.replace(/\b(blue|green)\b/g, `${prefix}$1`),
    usingMetrics: { [`${prefix}blue`]: metric(targetGroups.blue), [`${prefix}green`]: metric(targetGroups.green) },
    period: Duration.minutes(1),
    label,
  });
}

/** The id of one node's metric in an expression (`memory0`, `cpu0`, …): one graph shows several. */
function cacheMetricId(metricName: string, node: number): string {
  return `${metricName.replace(/[^A-Za-z]/g, '').toLowerCase()}${node}`;
}

/** One ElastiCache metric per cache node, by its expression id. */
function cacheNodeMetrics(
  nodes: readonly string[],
  metricName: string,
  statistic: string,
): Record<string, cloudwatch.IMetric> {
  return Object.fromEntries(
    nodes.map((node, i) => [
      cacheMetricId(metricName, i),
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: node },
        statistic,
        period: FIVE_MINUTES,
      }),
    ]),
  );
}

/** The highest per-node maximum of an ElastiCache metric: the node closest to trouble. */
function worstCacheNode(nodes: readonly string[], metricName: string, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `MAX([${nodes.map((_, i) => `FILL(${cacheMetricId(metricName, i)},0)`).join(', ')}])`,
    usingMetrics: cacheNodeMetrics(nodes, metricName, 'Maximum'),
    period: FIVE_MINUTES,
    label,
  });
}

/** A broker-level Amazon MQ metric (dimension Broker only). */
function brokerMetric(broker: amazonmq.CfnBroker, metricName: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/AmazonMQ',
    metricName,
    dimensionsMap: { Broker: broker.brokerName },
    statistic,
    period: FIVE_MINUTES,
  });
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
 * The memory high watermark of one RabbitMQ node, in bytes, by broker instance type, from the
 * table of `config/aws-tables.ts` (which cites its source). Config refuses a Multi-AZ broker of
 * a type the table lacks, so a stage never reaches the throw.
 *
 * @throws Error naming the instance type when it is not in the table
 */
export function memoryHighWatermarkBytes(instanceType: string): number {
  const gib = RABBITMQ_MEMORY_HIGH_WATERMARK_GIB[instanceType];
  if (gib === undefined) {
    throw new Error(`no RabbitMQ memory high watermark known for ${instanceType} (config/aws-tables.ts)`);
  }
  return gib * 1024 ** 3;
}
