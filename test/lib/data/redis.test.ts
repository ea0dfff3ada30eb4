import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RedisCache, type RedisCacheProps } from '../../../lib/data/redis';
import { bareStack, testVpc } from '../../helpers';

/** A cache on a bare stack. */
function cache(overrides: Partial<RedisCacheProps> = {}) {
  const stack = bareStack('Data');
  const redis = new RedisCache(stack, 'Redis', {
    vpc: testVpc(stack),
    encryptionKey: new kms.Key(stack, 'Key'),
    engine: 'valkey',
    engineVersion: '8.0',
    nodeType: 'cache.t4g.small',
    ...overrides,
  });
  return { redis, stack, template: Template.fromStack(stack) };
}
const group = (t: Template) => Object.values(t.findResources('AWS::ElastiCache::ReplicationGroup'))[0];

describe('RedisCache', () => {
  test('requires TLS, encrypts at rest with the given key, and sends an AUTH token from Secrets Manager', () => {
    const { Properties: p } = group(cache().template);
    expect(p).toMatchObject({
      Engine: 'valkey',
      EngineVersion: '8.0',
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      Port: 6379,
      CacheParameterGroupName: 'default.valkey8',
    });
    expect(JSON.stringify(p.AuthToken)).toContain('resolve:secretsmanager');
    expect(p.LogDeliveryConfigurations[0]).toMatchObject({ LogType: 'slow-log', DestinationType: 'cloudwatch-logs' });
  });

  test('without cluster mode: one primary and a replica with failover across zones by default', () => {
    const { Properties: p } = group(cache().template);
    expect(p).toMatchObject({
      ClusterMode: 'disabled',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
    expect(p.NumNodeGroups).toBeUndefined();
  });

  test('in cluster mode: shards and replicas per shard, the cluster parameter group, and online resharding', () => {
    const { template } = cache({ clusterMode: true, shards: 3, replicasPerShard: 1 });
    const g = group(template);
    expect(g.Properties).toMatchObject({
      ClusterMode: 'enabled',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 1,
      CacheParameterGroupName: 'default.valkey8.cluster.on',
    });
    // Without it a new shard count would replace the group with an empty one.
    expect(g.UpdatePolicy).toEqual({ UseOnlineResharding: true });
  });

  test('names its nodes as ElastiCache does, per shard in cluster mode', () => {
    const plain = cache({ replicasPerShard: 1 }).redis.nodeIds();
    expect(plain.map((id) => id.replace(/^\$\{Token\[[^\]]+\]\}/, '<group>'))).toEqual(['<group>-001', '<group>-002']);
    const sharded = cache({ clusterMode: true, shards: 2, replicasPerShard: 1 }).redis.nodeIds();
    expect(sharded.map((id) => id.replace(/^\$\{Token\[[^\]]+\]\}/, '<group>'))).toEqual([
      '<group>-0001-001',
      '<group>-0001-002',
      '<group>-0002-001',
      '<group>-0002-002',
    ]);
  });

  test('takes a final snapshot by default; a disposable cache deletes its secret and groups with it', () => {
    expect(group(cache().template).DeletionPolicy).toBe('Snapshot');
    const kept = cache().template;
    kept.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    kept.hasResource('AWS::ElastiCache::SubnetGroup', { DeletionPolicy: 'Retain' });
    const { template } = cache({ removalPolicy: RemovalPolicy.DESTROY });
    expect(group(template).DeletionPolicy).toBe('Delete');
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::ElastiCache::SubnetGroup', { DeletionPolicy: 'Delete' });
  });
});
