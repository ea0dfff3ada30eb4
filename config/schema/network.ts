import { z } from 'zod';
import { cidr, logRetentionDays } from './common';

/** The stage's VPC: its range, NAT, interface endpoints and flow logs. */
export const networkSchema = z.strictObject({
  /**
   * The VPC's IPv4 range, inside the RFC 1918 private blocks; /16 to /20 leaves room for three
   * subnet tiers in three AZs.
   */
  cidr: cidr(16, 20),
  /** NAT gateways: 1 is cheap; `'one-per-az'` survives the loss of a zone. */
  natGateways: z.union([z.number().int().min(1), z.literal('one-per-az')], {
    error: "must be a whole number of at least 1 or 'one-per-az'",
  }),
  /**
   * What does the NAT: `'gateway'` (managed NAT gateways, about 33 USD a month each before
   * traffic) or `'instance'` (one t4g.nano NAT instance per `natGateways`, about 7 USD a month;
   * not highly available, and replaced on the first deploy after Amazon Linux publishes a new
   * AMI: the routes move once the new one has signalled, dropping connections in flight). Prod
   * needs gateways.
   */
  nat: z.enum(['gateway', 'instance']),
  /** Interface endpoints by service name (`ecr.api`, `ecr.dkr`, `logs`, `secretsmanager`, ...). */
  interfaceEndpoints: z.array(z.enum(['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sts', 'kms', 'ssm', 'ecs'])),
  /** Days to keep VPC flow logs. */
  flowLogRetentionDays: logRetentionDays,
});
