import { natGatewayCount } from '../names';
import type { ResolvedConfig } from '../schema/resolved';
import type { TierName } from '../schema/stage';
import type { ConfigPath, Report } from './report';

/** One thing a tier demands of every stage that takes it. */
export interface TierRequirement {
  /** The tiers that demand it. */
  readonly tiers: readonly TierName[];
  /** Where the setting lives in the resolved configuration. */
  readonly path: ConfigPath;
  /** Whether a stage meets it; a stage without the store or feature meets it. */
  readonly holds: (c: ResolvedConfig) => boolean;
  /** What is wrong and the fix, for a stage that does not meet it. */
  readonly message: (c: ResolvedConfig) => string;
}

const PROD: readonly TierName[] = ['prod'];
const NOT_DEV: readonly TierName[] = ['staging', 'prod'];

/**
 * What each tier requires, one row a requirement: prod requires someone to alert, Multi-AZ
 * MySQL and PostgreSQL, cache failover, a Multi-AZ broker, data kept on removal, deletion
 * protection, one NAT gateway per zone, managed NAT and no Spot; every tier but dev requires a
 * MySQL read replica.
 */
export const TIER_REQUIREMENTS: readonly TierRequirement[] = [
  {
    tiers: PROD,
    path: ['alertEmails'],
    holds: (c) => c.alertEmails.length > 0,
    message: () => "prod needs someone to receive its alarms (add an address, e.g. ['oncall@example.com'])",
  },
  {
    tiers: PROD,
    path: ['mysql', 'multiAz'],
    holds: (c) => !c.mysql || c.mysql.multiAz,
    message: () => 'prod requires Multi-AZ (set multiAz: true)',
  },
  {
    tiers: PROD,
    path: ['postgres', 'multiAz'],
    holds: (c) => !c.postgres || c.postgres.multiAz,
    message: () => 'prod requires Multi-AZ (set multiAz: true)',
  },
  {
    tiers: PROD,
    path: ['redis', 'automaticFailover'],
    holds: (c) => !c.redis || c.redis.automaticFailover,
    message: () => 'prod requires automatic failover (set automaticFailover: true)',
  },
  {
    tiers: PROD,
    path: ['rabbitmq', 'deploymentMode'],
    holds: (c) => !c.rabbitmq || c.rabbitmq.deploymentMode === 'CLUSTER_MULTI_AZ',
    message: () => "prod requires a Multi-AZ broker (set deploymentMode: 'CLUSTER_MULTI_AZ')",
  },
  {
    tiers: PROD,
    path: ['removal', 'policy'],
    holds: (c) => c.removal.policy !== 'destroy',
    message: () => "prod must keep its data (set policy: 'snapshot' or 'retain')",
  },
  {
    tiers: PROD,
    path: ['removal', 'deletionProtection'],
    holds: (c) => c.removal.deletionProtection,
    message: () => 'prod requires deletion protection (set deletionProtection: true)',
  },
  {
    tiers: PROD,
    path: ['network', 'natGateways'],
    holds: (c) => natGatewayCount(c) >= c.availabilityZones.length,
    message: () => "prod needs one NAT gateway per zone (set natGateways: 'one-per-az')",
  },
  {
    tiers: PROD,
    path: ['network', 'nat'],
    holds: (c) => c.network.nat === 'gateway',
    message: () => "prod needs managed NAT gateways; a NAT instance is a single point of failure (set nat: 'gateway')",
  },
  {
    tiers: PROD,
    path: ['scaling', 'spot'],
    holds: (c) => !c.scaling.spot,
    message: () =>
      'prod runs on on-demand Fargate: Spot stops tasks at two minutes notice with no on-demand fallback (set spot: false)',
  },
  {
    tiers: NOT_DEV,
    path: ['mysql', 'readReplicas'],
    holds: (c) => !c.mysql || c.mysql.readReplicas >= 1,
    message: (c) => `${c.stage} needs at least one read replica (set readReplicas: 1)`,
  },
];

/** Reports every requirement of the stage's tier that the stage does not meet. */
export function checkTierRequirements(
  c: ResolvedConfig,
  report: Report,
  requirements: readonly TierRequirement[] = TIER_REQUIREMENTS,
): void {
  for (const requirement of requirements) {
    if (requirement.tiers.includes(c.tier) && !requirement.holds(c)) report(requirement.path, requirement.message(c));
  }
}

/** A stage name that means production: `prod`, `prod-eu`, `production`. */
const PRODUCTION_NAME = /^prod(-|uction|$)/;

/**
 * A production stage on another tier would run without prod's requirements above; it must say
 * why in `tierReason`.
 */
export function checkProductionTier(c: ResolvedConfig, report: Report): void {
  const exception = PRODUCTION_NAME.test(c.stage) && c.tier !== 'prod';
  if (!exception && c.tierReason !== undefined) {
    report(['tierReason'], `stage '${c.stage}' takes the tier its name suggests; remove tierReason`);
  }
  if (!exception || c.tierReason !== undefined) return;
  report(
    ['tier'],
    `stage '${c.stage}' takes the ${c.tier} tier, without prod's Multi-AZ, deletion protection and NAT per zone (set tier: 'prod', or say why in tierReason: '...')`,
  );
}
