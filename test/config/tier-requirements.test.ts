import { resolveStage, type ResolvedConfig } from '../../config';
import { checkTierRequirements, TIER_REQUIREMENTS } from '../../config/rules';
import { csl } from '../../config/systems/csl';
import { shipment } from '../../config/systems/shipment';

const failing = (c: ResolvedConfig) => {
  const found: string[] = [];
  checkTierRequirements(c, (path, message) => found.push(`${path.join('.')}: ${message}`));
  return found;
};

/** A prod config that breaks every requirement of the table at once. */
function brokenProd(): ResolvedConfig {
  const prod = structuredClone(resolveStage(csl, 'prod'));
  prod.alertEmails = [];
  prod.mysql!.multiAz = false;
  prod.mysql!.readReplicas = 0;
  prod.postgres!.multiAz = false;
  prod.redis!.automaticFailover = false;
  prod.rabbitmq!.deploymentMode = 'SINGLE_INSTANCE';
  prod.removal = { policy: 'destroy', deletionProtection: false };
  prod.network = { ...prod.network, natGateways: 1, nat: 'instance' };
  prod.scaling.spot = true;
  return prod;
}

describe('what each tier requires', () => {
  test('the committed stages meet their tiers', () => {
    for (const system of [csl, shipment]) {
      for (const stage of ['dev', 'staging', 'prod']) expect(failing(resolveStage(system, stage))).toEqual([]);
    }
  });

  test('prod requires each row of the table, in the order it reads', () => {
    expect(failing(brokenProd())).toEqual([
      "alertEmails: prod needs someone to receive its alarms (add an address, e.g. ['oncall@example.com'])",
      'mysql.multiAz: prod requires Multi-AZ (set multiAz: true)',
      'postgres.multiAz: prod requires Multi-AZ (set multiAz: true)',
      'redis.automaticFailover: prod requires automatic failover (set automaticFailover: true)',
      "rabbitmq.deploymentMode: prod requires a Multi-AZ broker (set deploymentMode: 'CLUSTER_MULTI_AZ')",
      "removal.policy: prod must keep its data (set policy: 'snapshot' or 'retain')",
      'removal.deletionProtection: prod requires deletion protection (set deletionProtection: true)',
      "network.natGateways: prod needs one NAT gateway per zone (set natGateways: 'one-per-az')",
      "network.nat: prod needs managed NAT gateways; a NAT instance is a single point of failure (set nat: 'gateway')",
      'scaling.spot: prod runs on on-demand Fargate: Spot stops tasks at two minutes notice with no on-demand fallback (set spot: false)',
      'mysql.readReplicas: prod needs at least one read replica (set readReplicas: 1)',
    ]);
  });

  test('the same settings pass on the dev tier, which requires none of them', () => {
    expect(failing({ ...brokenProd(), tier: 'dev' })).toEqual([]);
  });

  test('staging requires a read replica and nothing of prod', () => {
    expect(failing({ ...brokenProd(), tier: 'staging', stage: 'staging' })).toEqual([
      'mysql.readReplicas: staging needs at least one read replica (set readReplicas: 1)',
    ]);
  });

  test('a stage without a store meets the requirements of that store', () => {
    const prod = brokenProd();
    const { mysql: _m, postgres: _p, redis: _r, rabbitmq: _q, ...withoutStores } = prod;
    expect(failing(withoutStores as ResolvedConfig).map((line) => line.split(':')[0])).toEqual([
      'alertEmails',
      'removal.policy',
      'removal.deletionProtection',
      'network.natGateways',
      'network.nat',
      'scaling.spot',
    ]);
  });

  test('every row names its tiers, its path and a fix', () => {
    for (const row of TIER_REQUIREMENTS) {
      expect(row.tiers.length).toBeGreaterThan(0);
      expect(row.path.length).toBeGreaterThan(0);
      expect(row.message(brokenProd())).toMatch(/\(.*\)$/);
    }
  });
});
