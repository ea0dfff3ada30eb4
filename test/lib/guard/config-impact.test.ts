import * as fs from 'fs';
import * as path from 'path';
import { BASELINES_DIR } from '../../../lib/shared/paths';
import { loadConfigs } from '../../../config';
import { normalizeTemplate, STATEFUL_TYPES } from '../../../lib/guard/guard';
import { configKeyImpacts, dataTemplate, type ConfigKeyImpact } from '../../../lib/guard/config-impact';
import { cdkContext, NO_STACK_TRACES, testApp } from '../../helpers';
import { stageId } from '../../../config/names';

/** cdk.json's flags, as the command line synthesizes with them. */
const context = () => ({ ...cdkContext(), ...NO_STACK_TRACES });

/**
 * The replacement guard before any baseline: edit each data-store key of a prod config, synthesize,
 * and see which edits would replace a stateful resource. docs/operations-over-time.md lists the result.
 */
describe('config keys that replace a stateful resource', () => {
  let impacts: Record<string, Record<string, ConfigKeyImpact>>;
  beforeAll(() => {
    // testApp carries cdk.json's flags too; the module reads them itself for its command line.
    expect(Object.keys(testApp().node.getAllContext())).toEqual(expect.arrayContaining(Object.keys(cdkContext())));
    impacts = {};
    for (const config of loadConfigs({ stages: ['prod'] })) {
      impacts[config.system] = Object.fromEntries(configKeyImpacts(config, context()).map((r) => [r.key, r]));
    }
  }, 120_000);

  test('a shard-count change of cluster-mode Valkey reshards online, it does not replace', () => {
    expect(impacts.shipment['redis.shards']).toEqual({ key: 'redis.shards', impact: 'safe', detail: '' });
  });

  test('names the keys whose change would replace a database, cache or broker', () => {
    const replacing = (system: string) =>
      Object.values(impacts[system])
        .filter((r) => r.impact !== 'safe')
        .map((r) => `${r.key}: ${r.impact}`)
        .sort();
    expect(replacing('shipment')).toEqual([
      'mysql.databaseName: replace',
      'mysql.multiAz: may-replace',
      'mysql.port: replace',
      'redis.engine: replace',
      'redis.replicasPerShard: replace',
    ]);
    expect(replacing('csl')).toEqual([
      'mysql.databaseName: replace',
      'mysql.multiAz: may-replace',
      'mysql.port: replace',
      'postgres.databaseName: replace',
      'postgres.port: replace',
      'rabbitmq.deploymentMode: replace',
      'redis.engine: replace',
    ]);
  });

  test('sizing, storage, versions, replicas and retention are safe to change', () => {
    for (const key of [
      'mysql.instanceType',
      'mysql.engineVersion',
      'mysql.readReplicas',
      'mysql.allocatedStorageGiB',
      'mysql.maxAllocatedStorageGiB',
      'mysql.backupRetentionDays',
      'redis.nodeType',
      'redis.snapshotRetentionDays',
    ]) {
      expect([key, impacts.shipment[key].impact]).toEqual([key, 'safe']);
    }
  });
});

test('the probes synthesize the same stateful resources as the whole stage does (its baseline)', () => {
  // The probes build Network and Data alone, for speed; what they weigh must be what deploys.
  const stateful = (t: { Resources?: Record<string, { Type: string }> }) =>
    Object.fromEntries(Object.entries(t.Resources ?? {}).filter(([, r]) => STATEFUL_TYPES.has(r.Type)));
  for (const config of loadConfigs({ stages: ['prod'] })) {
    const file = path.join(BASELINES_DIR, stageId(config), 'Data.template.json');
    const baseline = JSON.parse(fs.readFileSync(file, 'utf8')) as object;
    expect(stateful(normalizeTemplate(dataTemplate(config, context())) as never)).toEqual(stateful(baseline as never));
  }
});
