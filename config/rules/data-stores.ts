import {
  CACHE_ALARM_MAX_NODES,
  CACHE_VERSIONS,
  CLOUDWATCH_ALARM_MAX_METRICS,
  MYSQL_VERSIONS,
  RABBITMQ_MEMORY_HIGH_WATERMARK_GIB,
  RABBITMQ_VERSIONS,
} from '../aws-tables';
import type { ResolvedConfig } from '../schema/resolved';
import type { Report } from './report';

/**
 * MySQL and PostgreSQL: an engine version inside standard support unless Extended Support is
 * chosen, and autoscaling storage that can grow.
 */
export function checkDatabases(c: ResolvedConfig, report: Report): void {
  // RDS standard support of MySQL 8.0 ended 31 July 2026: a new 8.0 instance runs only in paid
  // Extended Support, so that cost must be chosen in config, not inherited silently.
  if (
    c.mysql?.engineVersion.startsWith('8.0.') &&
    MYSQL_VERSIONS.includes(c.mysql.engineVersion) &&
    c.mysql.engineLifecycleSupport !== 'open-source-rds-extended-support'
  ) {
    report(
      ['mysql', 'engineVersion'],
      `${c.mysql.engineVersion} is past RDS standard support (31 July 2026) and runs only in paid Extended Support; ` +
        "use 8.4 (e.g. '8.4.10') or set engineLifecycleSupport: 'open-source-rds-extended-support'",
    );
  }
  for (const [key, store] of [
    ['mysql', c.mysql],
    ['postgres', c.postgres],
  ] as const) {
    if (store && store.maxAllocatedStorageGiB < store.allocatedStorageGiB) {
      report(
        [key, 'maxAllocatedStorageGiB'],
        `${store.maxAllocatedStorageGiB} is below allocatedStorageGiB ${store.allocatedStorageGiB}; raise it or lower allocatedStorageGiB`,
      );
    }
  }
}

/** Valkey/Redis: a version ElastiCache offers, a consistent topology, and no more nodes than the alarms can watch. */
export function checkCache(c: ResolvedConfig, report: Report): void {
  const redis = c.redis;
  if (!redis) return;
  if (!CACHE_VERSIONS[redis.engine].includes(redis.engineVersion)) {
    report(
      ['redis', 'engineVersion'],
      `ElastiCache offers ${redis.engine} ${CACHE_VERSIONS[redis.engine].join(', ')}, not '${redis.engineVersion}' (pick one of those)`,
    );
  }
  if (!redis.clusterMode && redis.shards !== 1) {
    report(['redis', 'shards'], 'shards only apply in cluster mode (set shards: 1 or clusterMode: true)');
  } else {
    const perShard = redis.replicasPerShard + 1;
    const nodes = redis.shards * perShard;
    if (nodes > CACHE_ALARM_MAX_NODES) {
      report(
        ['redis', 'shards'],
        `${redis.shards} shards of ${perShard} nodes are ${nodes} nodes; the cache alarms watch every node in one CloudWatch math expression, which takes at most ${CLOUDWATCH_ALARM_MAX_METRICS} metrics (set shards: ${Math.floor(CACHE_ALARM_MAX_NODES / perShard)} or fewer, fewer replicasPerShard, or a larger nodeType)`,
      );
    }
  }
  if (redis.automaticFailover && redis.replicasPerShard < 1) {
    report(['redis', 'replicasPerShard'], 'automatic failover needs a replica (set replicasPerShard: 1 or more)');
  }
  // Prod requires failover anyway (tier-requirements.ts): one line is enough.
  if (redis.clusterMode && !redis.automaticFailover && c.tier !== 'prod') {
    report(['redis', 'automaticFailover'], 'cluster mode requires automatic failover (set automaticFailover: true)');
  }
}

/** Amazon MQ: an instance family the version runs on, a mode the type supports, a known watermark for a cluster. */
export function checkBroker(
  c: ResolvedConfig,
  report: Report,
  watermarks: Readonly<Record<string, number>> = RABBITMQ_MEMORY_HIGH_WATERMARK_GIB,
): void {
  const mq = c.rabbitmq;
  if (!mq) return;
  const family = mq.instanceType.split('.')[1];
  const families = RABBITMQ_VERSIONS[mq.engineVersion];
  if (families && !families.includes(family)) {
    report(
      ['rabbitmq', 'instanceType'],
      `RabbitMQ ${mq.engineVersion} runs on ${families.map((f) => `mq.${f}`).join(', ')} brokers, not ${mq.instanceType} (change one of the two)`,
    );
  }
  if (mq.instanceType === 'mq.t3.micro' && mq.deploymentMode !== 'SINGLE_INSTANCE') {
    report(
      ['rabbitmq', 'deploymentMode'],
      "mq.t3.micro runs single-instance brokers only (set deploymentMode: 'SINGLE_INSTANCE' or a larger instanceType)",
    );
  } else if (mq.deploymentMode === 'CLUSTER_MULTI_AZ' && !(mq.instanceType in watermarks)) {
    report(
      ['rabbitmq', 'instanceType'],
      `no memory high watermark is known for ${mq.instanceType}, so a cluster node's memory alarm has no threshold (use one of ${Object.keys(watermarks).join(', ')}, or add its watermark to RABBITMQ_MEMORY_HIGH_WATERMARK_GIB in config/aws-tables.ts)`,
    );
  }
}

/** Pre-migration snapshots of stores the stage has. */
export function checkMigratedStores(c: ResolvedConfig, report: Report): void {
  for (const [key, image] of Object.entries(c.images)) {
    image.migrates?.forEach((store, i) => {
      if (!c[store])
        report(['images', key, 'migrates', i], `this stage has no ${store} to snapshot (remove '${store}')`);
    });
  }
}
