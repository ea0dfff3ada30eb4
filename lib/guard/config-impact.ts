/**
 * The replacement guard, ahead of time: which config keys, when someone edits them, would
 * replace, destroy or orphan a stateful resource. The baseline guard (`lib/guard/guard.ts`) sees
 * a replacement only once it is in a diff; this module edits each key of a resolved stage
 * config in turn, synthesizes the stage's data stack before and after, and runs the same
 * {@link findDestructiveChanges} (with its replace-on-update rules) over the pair, so a
 * replace-on-update property fed from config is known before anyone changes the value.
 *
 * `npx tsx lib/guard/config-impact.ts` prints the table for every system's prod stage;
 * `test/lib/guard/config-impact.test.ts` checks it against docs/operations-over-time.md.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stage } from 'aws-cdk-lib';
import { loadConfigs, type ResolvedConfig } from '../../config';
import { DataStack } from '../stacks/data-stack';
import { NetworkStack } from '../stacks/network-stack';
import { addStageAspects } from '../stages/system-stage';
import { cdkContext } from '../shared/offline-app';
import { findDestructiveChanges, type DestructiveImpact } from './guard';
import { stageId } from '../../config/names';

/** One config edit to try: the dotted key and the value it changes to. */
export interface ConfigProbe {
  /** Dotted path in a resolved config, e.g. `redis.shards`. */
  readonly key: string;
  /** The edited value, given the current one; undefined when the probe does not apply. */
  readonly edit: (config: ResolvedConfig) => unknown;
}

/** What editing one key does to the stage's stateful resources. */
export interface ConfigKeyImpact {
  readonly key: string;
  /** `safe` when no stateful resource is replaced, destroyed or orphaned. */
  readonly impact: DestructiveImpact | 'safe';
  /** The resources and properties concerned, for the report. */
  readonly detail: string;
}

const bump = (n: number | undefined) => (n ?? 0) + 1;

/**
 * The data-store keys an operator edits over a system's life. Each edit is one a valid config
 * could make (checkRules still holds after it), so the answer describes a real change.
 */
export const CONFIG_PROBES: readonly ConfigProbe[] = [
  {
    key: 'mysql.instanceType',
    edit: (c) => c.mysql && (c.mysql.instanceType === 'r7g.large' ? 'm7g.xlarge' : 'r7g.large'),
  },
  { key: 'mysql.engineVersion', edit: (c) => c.mysql && '8.4.9' },
  { key: 'mysql.multiAz', edit: (c) => c.mysql && !c.mysql.multiAz },
  { key: 'mysql.readReplicas', edit: (c) => c.mysql && bump(c.mysql.readReplicas) },
  { key: 'mysql.allocatedStorageGiB', edit: (c) => c.mysql && c.mysql.allocatedStorageGiB + 10 },
  { key: 'mysql.maxAllocatedStorageGiB', edit: (c) => c.mysql && c.mysql.maxAllocatedStorageGiB + 100 },
  { key: 'mysql.backupRetentionDays', edit: (c) => c.mysql && Math.min(35, c.mysql.backupRetentionDays + 1) },
  { key: 'mysql.port', edit: (c) => c.mysql && c.mysql.port + 1 },
  { key: 'mysql.databaseName', edit: (c) => c.mysql && `${c.mysql.databaseName}2` },
  { key: 'postgres.instanceType', edit: (c) => c.postgres && 'r7g.large' },
  { key: 'postgres.allocatedStorageGiB', edit: (c) => c.postgres && c.postgres.allocatedStorageGiB + 10 },
  { key: 'postgres.port', edit: (c) => c.postgres && c.postgres.port + 1 },
  { key: 'postgres.databaseName', edit: (c) => c.postgres && `${c.postgres.databaseName}2` },
  { key: 'redis.nodeType', edit: (c) => c.redis && 'cache.r7g.large' },
  { key: 'redis.shards', edit: (c) => (c.redis?.clusterMode ? bump(c.redis.shards) : undefined) },
  { key: 'redis.replicasPerShard', edit: (c) => c.redis && Math.min(5, bump(c.redis.replicasPerShard)) },
  { key: 'redis.snapshotRetentionDays', edit: (c) => c.redis && bump(c.redis.snapshotRetentionDays) },
  { key: 'redis.engine', edit: (c) => c.redis && (c.redis.engine === 'valkey' ? 'redis' : 'valkey') },
  { key: 'rabbitmq.instanceType', edit: (c) => c.rabbitmq && 'mq.m5.xlarge' },
  {
    key: 'rabbitmq.deploymentMode',
    edit: (c) =>
      c.rabbitmq && (c.rabbitmq.deploymentMode === 'SINGLE_INSTANCE' ? 'CLUSTER_MULTI_AZ' : 'SINGLE_INSTANCE'),
  },
];

/** The data stack template of one stage config, synthesized in a throwaway app. */
export function dataTemplate(config: ResolvedConfig, context: Record<string, unknown>): object {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'config-impact-')),
    context: { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  // Network and Data alone: the stateful resources are all in Data, and synthesizing the App
  // and Edge stacks too (half a megabyte of template per probe) would only cost time. Exports
  // the other stacks import are outputs, never resources the guard weighs.
  const stage = new Stage(app, stageId(config), { env: { account: config.account, region: config.region } });
  addStageAspects(stage, config);
  const network = new NetworkStack(stage, 'Network', { config });
  const data = new DataStack(stage, 'Data', {
    config,
    vpc: network.network.vpc,
    serviceSecurityGroups: network.serviceSecurityGroups,
  });
  // The template as synthesized; `Template.fromStack` would also check it for cycles, which
  // costs more than the synthesis and decides nothing here.
  const template = stage.synth().getStackArtifact(data.artifactId).template as object;
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return template;
}

/** Sets a dotted key of a deep copy of `config`. */
function withValue(config: ResolvedConfig, key: string, value: unknown): ResolvedConfig {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  const [store, field] = key.split('.');
  copy[store] = { ...copy[store], [field]: value };
  return copy as unknown as ResolvedConfig;
}

/**
 * Edits each applicable key of `config` (see {@link CONFIG_PROBES}) and reports what the
 * edit would do to the data stack's stateful resources.
 *
 * @param context the app context (feature flags) to synthesize with, as in cdk.json
 */
export function configKeyImpacts(
  config: ResolvedConfig,
  context: Record<string, unknown>,
  probes: readonly ConfigProbe[] = CONFIG_PROBES,
): ConfigKeyImpact[] {
  const before = dataTemplate(config, context);
  const results: ConfigKeyImpact[] = [];
  for (const probe of probes) {
    const value = probe.edit(config);
    if (value === undefined) continue;
    const after = dataTemplate(withValue(config, probe.key, value), context);
    const changes = findDestructiveChanges(stageId(config), before, after);
    const worst = changes.find((c) => c.impact === 'replace') ?? changes[0];
    results.push({
      key: probe.key,
      impact: worst?.impact ?? 'safe',
      detail: changes.map((c) => `${c.type} ${c.impact}: ${c.reason}`).join('; '),
    });
  }
  return results;
}

if (require.main === module) {
  for (const config of loadConfigs({ stages: ['prod'] })) {
    for (const r of configKeyImpacts(config, cdkContext())) {
      console.log(`${config.system}\t${r.key}\t${r.impact}\t${r.detail}`);
    }
  }
}
