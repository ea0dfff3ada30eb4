import { Match } from 'aws-cdk-lib/assertions';
import type { StageFixture } from '../../stage-fixture';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

/** Template tests of monitoring and backups; registered by test/lib/stages.test.ts. */
export function monitoringCases(f: StageFixture): void {
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  const alarms = (id: string, stack: 'app' | 'edge' = 'app') =>
    Object.entries(f.template(id, stack).findResources('AWS::CloudWatch::Alarm')) as [string, Resource][];
  const alarm = (id: string, prefix: string) => {
    const found = alarms(id).filter(([lid]) => lid.startsWith(prefix));
    expect({ prefix, count: found.length }).toEqual({ prefix, count: 1 });
    return found[0][1].Properties;
  };
  const topicRef = (id: string) =>
    Object.keys(f.template(id, 'app').findResources('AWS::SNS::Topic')).find((lid) =>
      lid.startsWith('MonitoringAlertTopic'),
    )!;
  const pages = (id: string, props: Record<string, any>) =>
    (props.AlarmActions ?? []).some((a: { Ref?: string }) => a.Ref === topicRef(id));

  test.each(ALL)('%s: an encrypted alert topic mailing the stage’s addresses', (id) => {
    const t = f.template(id, 'app');
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const emails = Object.values(t.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint);
    expect(emails).toEqual(f.config(id).alertEmails);
  });

  // How a service, database, cache or broker is watched (missing data, paging, thresholds
  // from the given props): test/lib/observability/monitoring.test.ts. Here: what each stage gets.
  test.each(ALL)('%s: every service has a short-of-tasks, a CPU and a memory alarm at the tier’s thresholds', (id) => {
    const config = f.config(id);
    for (const name of Object.keys(config.services)) {
      const service = name.charAt(0).toUpperCase() + name.slice(1);
      alarm(id, `Monitoring${service}TasksBelowDesired`);
      expect(alarm(id, `Monitoring${service}Cpu`).Threshold).toBe(config.monitoring.ecsCpuPercent);
      expect(alarm(id, `Monitoring${service}Memory`).Threshold).toBe(config.monitoring.ecsMemoryPercent);
    }
  });

  test('the 5xx, unhealthy-host and latency alarms of each host both roll deployments back and page', () => {
    for (const prefix of [
      'ApiApiBlueGreenTarget5xx',
      'ApiApiBlueGreenUnhealthyHosts',
      'ApiApiBlueGreenLatency',
      'AdminBlueGreenTarget5xx',
    ]) {
      expect(pages('Csl-Prod', alarm('Csl-Prod', prefix))).toBe(true);
    }
  });

  test('thresholds follow the tier', () => {
    expect(alarm('Csl-Dev', 'MonitoringApiCpu').Threshold).toBe(90);
    expect(alarm('Csl-Prod', 'MonitoringApiCpu').Threshold).toBe(80);
    expect(alarm('Csl-Prod', 'MonitoringMysqlReplica1ReplicaLag').Threshold).toBe(30);
    expect(alarm('Csl-Staging', 'MonitoringMysqlReplica1ReplicaLag').Threshold).toBe(120);
    // 15 % of 100 GiB in prod, 10 % of 20 GiB in dev.
    expect(alarm('Shipment-Prod', 'MonitoringMysqlFreeStorage').Threshold).toBe(100 * 1024 ** 3 * 0.15);
    expect(alarm('Shipment-Dev', 'MonitoringMysqlFreeStorage').Threshold).toBe(20 * 1024 ** 3 * 0.1);
    expect(alarm('Shipment-Prod', 'MonitoringMysqlFreeStorage').ComparisonOperator).toBe('LessThanThreshold');
  });

  test('each database has CPU, free-storage and connection alarms; replicas lag alarms, only where there are replicas', () => {
    for (const name of [
      'MonitoringMysqlCpu',
      'MonitoringMysqlFreeStorage',
      'MonitoringMysqlConnections',
      'MonitoringPostgresCpu',
    ]) {
      alarm('Csl-Prod', name);
    }
    expect(alarms('Shipment-Dev').filter(([lid]) => lid.includes('ReplicaLag'))).toEqual([]);
    alarm('Shipment-Prod', 'MonitoringMysqlReplica1ReplicaLag');
  });

  test('the cache pages on memory, evictions and CPU over every node', () => {
    const memory = alarm('Shipment-Prod', 'MonitoringCacheMemory');
    // Three shards of a primary and a replica.
    expect(memory.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat)).toHaveLength(6);
    expect(memory.Threshold).toBe(80);
    expect(alarm('Shipment-Prod', 'MonitoringCacheEvictions').Threshold).toBe(1);
    expect(alarm('Shipment-Prod', 'MonitoringCacheCpu').Threshold).toBe(75);
    expect(
      alarm('Csl-Dev', 'MonitoringCacheMemory').Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat),
    ).toHaveLength(1);
  });

  test('the broker pages on memory and queue depth, in csl only', () => {
    expect(alarm('Csl-Prod', 'MonitoringQueueDepth').Threshold).toBe(1000);
    expect(JSON.stringify(alarm('Csl-Prod', 'MonitoringBrokerMemory').Metrics)).toContain('RabbitMQMemLimit');
    expect(alarms('Shipment-Prod').filter(([lid]) => /Broker|QueueDepth/.test(lid))).toEqual([]);
  });

  test('a cluster broker pages when any one node nears its memory high watermark', () => {
    // Amazon MQ developer guide, "Available CloudWatch metrics for Amazon MQ for RabbitMQ
    // brokers": the Broker-only RabbitMQMemUsed/RabbitMQMemLimit of a cluster are the aggregate
    // of its three nodes, so one node at its watermark (which blocks publishers on the whole
    // cluster) hides behind two idle ones; per-node metrics carry the dimensions Broker and Node.
    const node = alarm('Csl-Prod', 'MonitoringBrokerNodeMemory');
    const query = node.Metrics.find((m: { Expression?: string }) => m.Expression)?.Expression as string;
    expect(query).toBe(
      'SELECT MAX(RabbitMQMemUsed) FROM SCHEMA("AWS/AmazonMQ", Broker, Node) WHERE Broker = \'CslProdData-Rabbitmq-E65B6A16\'',
    );
    // mq.m5.large: 8 GiB, high watermark 40 % of it ("Memory and disk alarms"); prod pages at 60 %.
    expect(node.Threshold).toBeCloseTo(0.6 * 0.4 * 8 * 1024 ** 3, 0);
    // A single-instance broker's Broker-level metrics are its one node: the ratio alarm covers it.
    expect(alarms('Csl-Staging').filter(([lid]) => /BrokerNodeMemory/.test(lid))).toEqual([]);
    expect(JSON.stringify(alarm('Csl-Staging', 'MonitoringBrokerMemory').Metrics)).toContain('RabbitMQMemUsed');
  });

  test('failed scheduled commands are counted from the scheduler’s own logs, and alarmed on', () => {
    const t = f.template('Shipment-Staging', 'app');
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '"FAIL"',
      LogGroupName: { Ref: Match.stringLikeRegexp('^WebSchedulerTaskLogs') },
      MetricTransformations: [
        Match.objectLike({ MetricName: 'SchedulerFailedRuns', MetricNamespace: 'Shipment/Staging' }),
      ],
    });
    alarm('Shipment-Staging', 'MonitoringSchedulerFailedRuns');
  });

  test.each(ALL)('%s: a dashboard with every service and store', (id) => {
    const [dashboard] = Object.values(f.template(id, 'app').findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of Object.keys(f.config(id).services)) expect(body).toContain(`${name}: saturation`);
    // A store the stage has, and only those (a system may have no cache or broker).
    const config = f.config(id);
    const widgets = { mysql: 'mysql', redis: 'cache', postgres: 'postgres', rabbitmq: 'broker' } as const;
    for (const [store, widget] of Object.entries(widgets)) {
      expect([store, body.includes(widget)]).toEqual([store, config[store as keyof typeof widgets] !== undefined]);
    }
  });

  test.each(ALL)('%s: CloudFront’s 5xx rate pages from us-east-1, where its metrics are', (id) => {
    const [[, cf]] = alarms(id, 'edge');
    expect(cf.Properties).toEqual(
      expect.objectContaining({
        MetricName: '5xxErrorRate',
        Namespace: 'AWS/CloudFront',
        Threshold: f.config(id).monitoring.cloudFront5xxPercent,
        AlarmActions: [{ Ref: expect.stringMatching(/^AlertTopic/) }],
      }),
    );
  });

  describe('backups', () => {
    const plan = (id: string) =>
      Object.values(f.template(id, 'data').findResources('AWS::Backup::BackupPlan'))[0].Properties;

    test.each(ALL)('%s: a daily AWS Backup of the databases, kept per tier', (id) => {
      const [rule] = plan(id).BackupPlan.BackupPlanRule;
      expect(rule.ScheduleExpression).toBe('cron(0 3 * * ? *)');
      expect(rule.Lifecycle.DeleteAfterDays).toBe(f.config(id).backup.retentionDays);
      const selection = Object.values(f.template(id, 'data').findResources('AWS::Backup::BackupSelection'))[0];
      const resources = JSON.stringify(selection.Properties.BackupSelection.Resources);
      expect(resources).toContain('MysqlPrimary');
      expect(resources.includes('PostgresPrimary')).toBe(id.startsWith('Csl'));
      expect(resources).not.toContain('ReadReplica');
    });

    test('keeps backups 7 days in dev, 14 in staging, 35 in prod', () => {
      expect(
        ['Shipment-Dev', 'Shipment-Staging', 'Shipment-Prod'].map(
          (id) => plan(id).BackupPlan.BackupPlanRule[0].Lifecycle.DeleteAfterDays,
        ),
      ).toEqual([7, 14, 35]);
    });

    test('copies prod backups to another region where config switches it on', () => {
      const [rule] = plan('Csl-Prod').BackupPlan.BackupPlanRule;
      expect(rule.CopyActions).toEqual([
        expect.objectContaining({
          DestinationBackupVaultArn: expect.stringContaining(
            ':backup:eu-central-1:333333333333:backup-vault:csl-prod-disaster-recovery',
          ),
          Lifecycle: { DeleteAfterDays: 35 },
        }),
      ]);
      expect(plan('Shipment-Prod').BackupPlan.BackupPlanRule[0].CopyActions ?? []).toEqual([]);
    });

    test('the vault is encrypted with the data key and kept in prod', () => {
      f.template('Csl-Prod', 'data').hasResource('AWS::Backup::BackupVault', {
        Properties: Match.objectLike({
          EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        }),
        DeletionPolicy: 'Retain',
      });
    });

    test('every stage keeps its vault, dev included: a vault holding recovery points cannot be deleted', () => {
      // AWS Backup API reference, DeleteBackupVault: "A vault can be deleted only if it is
      // empty." A dev vault with DeletionPolicy Delete holds recovery points after its first
      // nightly backup, so `cdk destroy` of the stage would fail on it (DELETE_FAILED).
      for (const id of f.ids) {
        const vaults = f.template(id, 'data').findResources('AWS::Backup::BackupVault');
        for (const [logicalId, vault] of Object.entries(vaults)) {
          expect([id, logicalId, vault.DeletionPolicy, vault.UpdateReplacePolicy]).toEqual([
            id,
            logicalId,
            'Retain',
            'Retain',
          ]);
        }
      }
    });
  });
}
