import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { MonitoringConfig } from '../../../config';
import { RabbitmqBroker } from '../../../lib/data/rabbitmq';
import { RedisCache } from '../../../lib/data/redis';
import {
  BACKUP_FAILURE_STATES,
  memoryHighWatermarkBytes,
  Monitoring,
  type MonitoringProps,
} from '../../../lib/observability/monitoring';
import { bareStack, testVpc } from '../../helpers';

/**
 * What Monitoring does with the services, stores and thresholds it is given, built alone on a
 * bare stack. What each stage gets (its services, stores, tier thresholds and addresses) is
 * checked on the synthesized stages in monitoring.cases.ts.
 */
const THRESHOLDS: MonitoringConfig = {
  ecsCpuPercent: 80,
  ecsMemoryPercent: 85,
  rdsCpuPercent: 75,
  rdsFreeStoragePercent: 15,
  rdsConnections: 200,
  replicaLagSeconds: 30,
  cacheMemoryPercent: 80,
  cacheCpuPercent: 75,
  brokerMemoryPercent: 60,
  queueDepth: 1000,
  cloudFront5xxPercent: 5,
};

/** Service settings that keep aws-cdk-lib's deployment-safety warnings out of the test output. */
const QUIET = { minHealthyPercent: 100, circuitBreaker: { rollback: true } };

type Resource = { Type: string; Properties: Record<string, any> };

/** A stack with a cluster, a web and a worker service, and what `build` adds, monitored. */
function monitored(build: (stack: Stack, vpc: ec2.Vpc, key: kms.Key) => Partial<MonitoringProps>): Template {
  const stack = bareStack();
  const vpc = testVpc(stack);
  const key = new kms.Key(stack, 'DataKey');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const service = (name: string) => {
    const task = new ecs.FargateTaskDefinition(stack, `${name}Task`);
    task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app'), portMappings: [{ containerPort: 80 }] });
    return new ecs.FargateService(stack, name, { cluster, taskDefinition: task, ...QUIET });
  };
  new Monitoring(stack, 'Monitoring', {
    stageName: 'sys prod',
    metricNamespace: 'Sys/Prod',
    thresholds: THRESHOLDS,
    alertEmails: ['a@example.com', 'b@example.com'],
    cluster,
    services: [{ name: 'worker', service: service('Worker') }],
    databases: [],
    ...build(stack, vpc, key),
  });
  return Template.fromStack(stack);
}

/** Two target groups behind one load balancer, as a blue/green web service has. */
function blueGreenTargets(stack: Stack, vpc: ec2.Vpc) {
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
  const group = (id: string) =>
    new elbv2.ApplicationTargetGroup(stack, id, { vpc, port: 80, targetType: elbv2.TargetType.IP });
  const blue = group('Blue');
  const green = group('Green');
  alb.addListener('Prod', { port: 80, defaultTargetGroups: [blue] });
  alb.addListener('Test', { port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, defaultTargetGroups: [green] });
  return { blue, green };
}

/** The stack with every kind of thing Monitoring watches: a web service, databases, cache, cluster broker, scheduler, backups. */
const full = monitored((stack, vpc, key) => {
  const web = new ecs.FargateTaskDefinition(stack, 'WebTask');
  web.addContainer('app', { image: ecs.ContainerImage.fromRegistry('web'), portMappings: [{ containerPort: 80 }] });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Imported', { clusterName: 'c', vpc });
  const targets = blueGreenTargets(stack, vpc);
  const deployAlarm = new cloudwatch.Alarm(stack, 'Deploy5xx', {
    metric: targets.blue.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
    threshold: 1,
    evaluationPeriods: 1,
  });
  const instance = (id: string) =>
    rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, id, {
      instanceIdentifier: id.toLowerCase(),
      instanceEndpointAddress: `${id.toLowerCase()}.example.com`,
      port: 3306,
      securityGroups: [],
    });
  return {
    services: [
      {
        name: 'api',
        service: new ecs.FargateService(stack, 'Api', { cluster, taskDefinition: web, ...QUIET }),
        targets,
        alarms: [deployAlarm],
      },
    ],
    databases: [
      { name: 'mysql', instance: instance('Primary'), allocatedStorageGiB: 100 },
      { name: 'mysqlReplica1', instance: instance('Replica'), allocatedStorageGiB: 100, replica: true },
    ],
    redis: new RedisCache(stack, 'Redis', {
      vpc,
      encryptionKey: key,
      engine: 'valkey',
      engineVersion: '8.0',
      nodeType: 'cache.t4g.small',
      clusterMode: true,
      shards: 3,
      replicasPerShard: 1,
    }),
    rabbitmq: new RabbitmqBroker(stack, 'Rabbitmq', {
      vpc,
      encryptionKey: key,
      engineVersion: '3.13',
      instanceType: 'mq.m5.large',
      brokerName: 'sys-prod-broker',
    }),
    schedulerLogs: new logs.LogGroup(stack, 'SchedulerLogs'),
    backups: { copies: true },
  };
});

/** The stack with a worker service only, a single-instance broker and backups without copies. */
const small = monitored((stack, vpc, key) => ({
  redis: new RedisCache(stack, 'Redis', {
    vpc,
    encryptionKey: key,
    engine: 'valkey',
    engineVersion: '8.0',
    nodeType: 'cache.t4g.micro',
    replicasPerShard: 0,
    automaticFailover: false,
  }),
  rabbitmq: new RabbitmqBroker(stack, 'Rabbitmq', {
    vpc,
    encryptionKey: key,
    engineVersion: '3.13',
    instanceType: 'mq.t3.micro',
    deploymentMode: 'SINGLE_INSTANCE',
    brokerName: 'sys-dev-broker',
  }),
  backups: { copies: false },
}));

/** The alarms of a template by logical id. */
const alarms = (t: Template) => Object.entries(t.findResources('AWS::CloudWatch::Alarm')) as [string, Resource][];
/** The one alarm whose logical id starts with `prefix`. */
function alarm(t: Template, prefix: string): Record<string, any> {
  const found = alarms(t).filter(([id]) => id.startsWith(prefix));
  expect({ prefix, count: found.length }).toEqual({ prefix, count: 1 });
  return found[0][1].Properties;
}
const topicOf = (t: Template) =>
  Object.keys(t.findResources('AWS::SNS::Topic')).find((id) => id.startsWith('MonitoringAlertTopic'))!;
/** Whether an alarm publishes to the alert topic when it fires and when it clears. */
const pages = (t: Template, props: Record<string, any>) =>
  [props.AlarmActions, props.OKActions].every((list: { Ref?: string }[] | undefined) =>
    (list ?? []).some((a) => a.Ref === topicOf(t)),
  );

describe('Monitoring', () => {
  describe('alert topic', () => {
    test('is encrypted with a rotated key of its own and mails each given address', () => {
      full.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'sys prod alerts',
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringTopicKey'), 'Arn'] },
      });
      full.hasResourceProperties('AWS::KMS::Key', { Description: 'sys prod: alert topic', EnableKeyRotation: true });
      const emails = Object.values(full.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint);
      expect(emails).toEqual(['a@example.com', 'b@example.com']);
    });

    test('CloudWatch may publish to it with its key, and EventBridge too where backups are watched', () => {
      const key = Object.entries(full.findResources('AWS::KMS::Key')).find(([id]) =>
        id.startsWith('MonitoringTopicKey'),
      )![1];
      const principals = key.Properties.KeyPolicy.Statement.flatMap((s: any) => s.Principal?.Service ?? []);
      expect(principals).toEqual(expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']));
    });
  });

  describe('services', () => {
    test('a service pages when it runs short of tasks, and treats no data at all as short', () => {
      const short = alarm(small, 'MonitoringWorkerTasksBelowDesired');
      expect(short.TreatMissingData).toBe('breaching');
      expect(short.Threshold).toBe(1);
      expect(short.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(JSON.stringify(short.Metrics)).toContain('desired - running');
      expect(pages(small, short)).toBe(true);
    });

    test('a service pages on CPU and memory above the given thresholds', () => {
      const cpu = alarm(small, 'MonitoringWorkerCpu');
      const memory = alarm(small, 'MonitoringWorkerMemory');
      expect([cpu.Threshold, memory.Threshold]).toEqual([80, 85]);
      expect([cpu.MetricName, memory.MetricName]).toEqual(['CPUUtilization', 'MemoryUtilization']);
      expect(pages(small, cpu) && pages(small, memory)).toBe(true);
      expect(cpu.AlarmDescription).toBe('sys prod: worker CPU above 80 %');
      expect(cpu.TreatMissingData).toBe('notBreaching');
    });

    test('a service’s own deployment alarms page too', () => {
      const [, deploy] = alarms(full).find(([id]) => id.startsWith('Deploy5xx'))!;
      expect(deploy.Properties.AlarmActions).toEqual([{ Ref: topicOf(full) }]);
    });
  });

  describe('databases', () => {
    test('each database pages on CPU, free storage below its share of the allocation, and connections', () => {
      for (const name of ['MonitoringMysqlCpu', 'MonitoringMysqlFreeStorage', 'MonitoringMysqlConnections']) {
        expect(pages(full, alarm(full, name))).toBe(true);
      }
      // 15 % of 100 GiB, in bytes.
      const free = alarm(full, 'MonitoringMysqlFreeStorage');
      expect(free.Threshold).toBe(100 * 1024 ** 3 * 0.15);
      expect(free.ComparisonOperator).toBe('LessThanThreshold');
      expect(alarm(full, 'MonitoringMysqlConnections').Threshold).toBe(200);
    });

    test('only a replica pages on replica lag', () => {
      const lag = alarm(full, 'MonitoringMysqlReplica1ReplicaLag');
      expect(lag.MetricName).toBe('ReplicaLag');
      expect(lag.Threshold).toBe(30);
      expect(pages(full, lag)).toBe(true);
      expect(alarms(full).filter(([id]) => /^MonitoringMysqlReplicaLag/.test(id))).toEqual([]);
    });
  });

  describe('cache', () => {
    test('pages on the worst node’s memory and engine CPU, and on evictions summed over every node', () => {
      const memory = alarm(full, 'MonitoringCacheMemory');
      // Three shards of a primary and a replica.
      const nodes = memory.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);
      expect(nodes).toHaveLength(6);
      expect(memory.Metrics.find((m: { Expression?: string }) => m.Expression).Expression).toMatch(/^MAX\(\[/);
      expect(memory.Threshold).toBe(80);
      const evictions = alarm(full, 'MonitoringCacheEvictions');
      expect(evictions.Threshold).toBe(1);
      expect(evictions.Metrics.find((m: { Expression?: string }) => m.Expression).Expression).toContain(' + ');
      expect(alarm(full, 'MonitoringCacheCpu').Threshold).toBe(75);
      for (const name of ['MonitoringCacheMemory', 'MonitoringCacheEvictions', 'MonitoringCacheCpu']) {
        expect(pages(full, alarm(full, name))).toBe(true);
      }
    });

    test('watches the one node of a cache without replicas', () => {
      const memory = alarm(small, 'MonitoringCacheMemory');
      expect(memory.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat)).toHaveLength(1);
    });
  });

  describe('broker', () => {
    test('pages on memory as a share of its limit and on queue depth', () => {
      const memory = alarm(small, 'MonitoringBrokerMemory');
      expect(JSON.stringify(memory.Metrics)).toContain('RabbitMQMemUsed');
      expect(JSON.stringify(memory.Metrics)).toContain('RabbitMQMemLimit');
      expect(memory.Threshold).toBe(60);
      expect(alarm(small, 'MonitoringQueueDepth').Threshold).toBe(1000);
      expect(pages(small, memory) && pages(small, alarm(small, 'MonitoringQueueDepth'))).toBe(true);
    });

    test('a cluster broker pages when its worst node passes the threshold’s share of its memory high watermark', () => {
      const node = alarm(full, 'MonitoringBrokerNodeMemory');
      const query = node.Metrics.find((m: { Expression?: string }) => m.Expression)?.Expression as string;
      expect(query).toBe(
        'SELECT MAX(RabbitMQMemUsed) FROM SCHEMA("AWS/AmazonMQ", Broker, Node) WHERE Broker = \'sys-prod-broker\'',
      );
      // mq.m5.large: 8 GiB, high watermark 40 % of it ("Memory and disk alarms"); pages at 60 %.
      expect(node.Threshold).toBeCloseTo(0.6 * 0.4 * 8 * 1024 ** 3, 0);
      expect(pages(full, node)).toBe(true);
    });

    test('a single-instance broker has no per-node alarm: its broker-level metrics are its one node', () => {
      expect(alarms(small).filter(([id]) => /BrokerNodeMemory/.test(id))).toEqual([]);
    });

    test('the memory high watermark is known per instance type, and an unknown type is named', () => {
      expect(memoryHighWatermarkBytes('mq.m5.large')).toBeCloseTo(3.2 * 1024 ** 3, 0);
      expect(memoryHighWatermarkBytes('mq.m7g.large')).toBeCloseTo(4.3 * 1024 ** 3, 0);
      expect(() => memoryHighWatermarkBytes('mq.x9.huge')).toThrow(/mq\.x9\.huge/);
    });
  });

  test('a failed scheduled command pages, counted from the scheduler’s log in the given namespace', () => {
    full.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '"FAIL"',
      LogGroupName: { Ref: Match.stringLikeRegexp('^SchedulerLogs') },
      MetricTransformations: [
        Match.objectLike({ MetricName: 'SchedulerFailedRuns', MetricNamespace: 'Sys/Prod', DefaultValue: 0 }),
      ],
    });
    expect(pages(full, alarm(full, 'MonitoringSchedulerFailedRuns'))).toBe(true);
    expect(small.findResources('AWS::Logs::MetricFilter')).toEqual({});
  });

  describe('backups', () => {
    const rules = (t: Template) =>
      Object.entries(t.findResources('AWS::Events::Rule')) as [string, Resource & { Properties: any }][];

    test('a failed, aborted or expired backup job, and a failed copy job, go to the alert topic', () => {
      const byId = Object.fromEntries(rules(full).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r.Properties]));
      expect(Object.keys(byId).sort()).toEqual(['MonitoringBackupJobFailed', 'MonitoringCopyJobFailed']);
      for (const [id, detailType] of [
        ['MonitoringBackupJobFailed', 'Backup Job State Change'],
        ['MonitoringCopyJobFailed', 'Copy Job State Change'],
      ] as const) {
        const states = [...BACKUP_FAILURE_STATES[detailType]];
        expect(byId[id].EventPattern).toEqual({
          source: ['aws.backup'],
          'detail-type': [detailType],
          detail: { $or: [{ state: states }, { status: states }] },
        });
        expect(byId[id].Targets).toEqual([expect.objectContaining({ Arn: { Ref: topicOf(full) } })]);
      }
    });

    test('copy jobs are watched only where backups are copied', () => {
      expect(rules(small).map(([id]) => id)).toEqual([expect.stringMatching(/^MonitoringBackupJobFailed/)]);
    });
  });

  test('the dashboard shows each web service’s traffic over both target groups, then saturation, then each store', () => {
    const [dashboard] = Object.values(full.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    const titles = [
      '# sys prod',
      'api: requests and errors',
      'api: p95 latency (s)',
      'api: saturation',
      'mysql',
      'mysqlReplica1',
      'cache',
      'broker',
      'scheduler: failed runs',
    ];
    const at = titles.map((title) => body.indexOf(title));
    expect(Object.fromEntries(titles.map((title, i) => [title, at[i] >= 0]))).toEqual(
      Object.fromEntries(titles.map((title) => [title, true])),
    );
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Both target groups, each series with metric ids of its own.
    expect(body).toContain('FILL(requestsblue,0)+FILL(requestsgreen,0)');
    expect(body).toContain('MAX([FILL(p95blue,0), FILL(p95green,0)])');
    // A service without a load balancer has its saturation graph only, the width of the dashboard.
    const [workerOnly] = Object.values(small.findResources('AWS::CloudWatch::Dashboard'));
    const worker = JSON.stringify(workerOnly.Properties.DashboardBody);
    expect(worker).toMatch(/"width\\":24,[^}]*"title\\":\\"worker: saturation/);
    expect(worker).not.toContain('requests and errors');
  });

  test('every alarm it creates or is given is in `alarms`, and pages', () => {
    const stack = bareStack();
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: testVpc(stack) });
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app') });
    const given = new cloudwatch.Alarm(stack, 'Given', {
      metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M', period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const monitoring = new Monitoring(stack, 'Monitoring', {
      stageName: 's',
      metricNamespace: 'S',
      thresholds: THRESHOLDS,
      alertEmails: [],
      cluster,
      services: [
        {
          name: 'worker',
          service: new ecs.FargateService(stack, 'Worker', { cluster, taskDefinition: task, ...QUIET }),
          alarms: [given],
        },
      ],
      databases: [],
    });
    expect(monitoring.alarms.map((a) => a.node.id)).toEqual([
      'Given',
      'WorkerTasksBelowDesired',
      'WorkerCpu',
      'WorkerMemory',
    ]);
  });
});
