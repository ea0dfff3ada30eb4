/**
 * On-demand list prices (USD) that `npm run cost` multiplies by what the templates create.
 * Dated 2026-11-25. Every figure says where it comes from:
 *
 * - `looked up`: read on the page named in {@link PRICE_SOURCES} (or a page quoting it) on that
 *   date, for the region shown.
 * - `assumed`: not found in this repository's reference search on that date; taken from the
 *   public price pages as remembered, or scaled from us-east-1 (eu-west-1 is usually 5–12 %
 *   higher). Check these against the AWS Pricing Calculator before relying on them.
 *
 * Update: change the figure, its mark and `PRICES_DATE`; a test recomputes one stage by hand.
 */

/** When the figures below were taken. */
export const PRICES_DATE = '2026-11-25';

/** Hours in a month of 24/7 running, as AWS's calculator counts them. */
export const HOURS_PER_MONTH = 730;

/** Where each group of figures comes from. */
export const PRICE_SOURCES: Readonly<Record<string, string>> = {
  fargate: 'https://aws.amazon.com/fargate/pricing/ (Linux/x86, quoted by vantage.sh/blog/fargate-pricing)',
  fargateSpot:
    'https://aws.amazon.com/fargate/pricing/ (Spot varies by region and time; eu-west-1 as sampled by tomgregory.com/aws/aws-fargate-spot-vs-fargate-price-comparison, us-east-1 assumed at the same discount)',
  ec2: 'https://aws.amazon.com/ec2/pricing/on-demand/ (t4g.nano in us-east-1 as quoted by the fck-nat README; eu-west-1 assumed) and https://aws.amazon.com/ebs/pricing/ (gp3)',
  rds: 'https://aws.amazon.com/rds/mysql/pricing/ and https://aws.amazon.com/rds/postgresql/pricing/',
  extendedSupport:
    'https://aws.amazon.com/rds/mysql/pricing/ (Extended Support; docs: extended-support-charges.html says standby ' +
    'instances of Multi-AZ are charged too)',
  elasticache: 'https://aws.amazon.com/elasticache/pricing/ (node-based, Valkey)',
  mq: 'https://aws.amazon.com/amazon-mq/pricing/ (RabbitMQ brokers)',
  vpc: 'https://aws.amazon.com/vpc/pricing/ (NAT gateway, interface endpoints, public IPv4)',
  elb: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
  waf: 'https://aws.amazon.com/waf/pricing/',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  secrets: 'https://aws.amazon.com/secrets-manager/pricing/ and https://aws.amazon.com/kms/pricing/',
  resolver:
    'https://aws.amazon.com/route53/pricing/ (Resolver endpoints: 0.125 USD per ENI-hour, one ENI per IP address; ' +
    'quoted by repost.aws/knowledge-center/route-53-resolver-endpoint-costs, which puts a two-address endpoint at about ' +
    '182.50 USD a month)',
  vpn: 'https://aws.amazon.com/vpn/pricing/ (Site-to-Site VPN connection-hour; not found in the reference search: assumed)',
  transitGateway:
    'https://aws.amazon.com/transit-gateway/pricing/ (0.05 USD per attachment-hour, billed to the VPC owner, plus ' +
    '0.02 USD per GB processed, not counted; quoted by c3x.dev/blog/aws-transit-gateway-cost-explained)',
  route53:
    'https://aws.amazon.com/route53/pricing/ (0.50 USD per hosted zone a month for the first 25; quoted by ' +
    'ns1.com/resources/aws-dns)',
};

/** One price and how sure it is. */
export interface Price {
  readonly usd: number;
  readonly source: 'looked up' | 'assumed';
}

const L = (usd: number): Price => ({ usd, source: 'looked up' });
const A = (usd: number): Price => ({ usd, source: 'assumed' });

/** The prices of one region. */
export interface RegionPrices {
  /** Fargate Linux/x86, per vCPU-hour and per GB-hour. */
  readonly fargateVcpuHour: Price;
  readonly fargateGbHour: Price;
  /** Fargate Spot Linux/x86, per vCPU-hour and per GB-hour (it varies; AWS says up to 70% off). */
  readonly fargateSpotVcpuHour: Price;
  readonly fargateSpotGbHour: Price;
  /** EC2 on-demand instance-hour by type (NAT instances). */
  readonly ec2InstanceHour: Readonly<Record<string, Price>>;
  /** EBS gp3 per GB-month (an instance's root volume). */
  readonly ebsGp3GbMonth: Price;
  /** RDS single-AZ instance-hour by class (without `db.`); Multi-AZ is twice. Same for MySQL and PostgreSQL. */
  readonly rdsInstanceHour: Readonly<Record<string, Price>>;
  /** RDS gp3 storage per GB-month (Multi-AZ: twice). */
  readonly rdsGp3GbMonth: Price;
  /** RDS Extended Support per vCPU-hour, years 1–2. */
  readonly extendedSupportVcpuHour: Price;
  /** ElastiCache Valkey node-hour by node type. */
  readonly valkeyNodeHour: Readonly<Record<string, Price>>;
  /** Amazon MQ RabbitMQ broker-instance-hour by instance type (a cluster runs three). */
  readonly mqInstanceHour: Readonly<Record<string, Price>>;
  /** Amazon MQ RabbitMQ storage per GB-month. */
  readonly mqStorageGbMonth: Price;
  readonly natGatewayHour: Price;
  readonly natGatewayGb: Price;
  /** Interface endpoint per endpoint per zone per hour. */
  readonly interfaceEndpointHour: Price;
  readonly publicIpv4Hour: Price;
  readonly albHour: Price;
  readonly albLcuHour: Price;
  readonly wafWebAclMonth: Price;
  readonly wafRuleMonth: Price;
  readonly wafMillionRequests: Price;
  readonly alarmMonth: Price;
  readonly dashboardMonth: Price;
  readonly logsIngestGb: Price;
  readonly logsStoreGbMonth: Price;
  readonly secretMonth: Price;
  readonly kmsKeyMonth: Price;
  /** Route 53 Resolver endpoint, per IP address (ENI) per hour; DNS queries not counted. */
  readonly resolverEniHour: Price;
  /** Site-to-Site VPN connection-hour. */
  readonly vpnConnectionHour: Price;
  /** Transit gateway attachment-hour (data processing not counted). */
  readonly transitGatewayAttachmentHour: Price;
  /** Route 53 hosted zone a month (first 25). */
  readonly hostedZoneMonth: Price;
}

/** RDS vCPUs by instance size, for Extended Support (burstable and general classes alike). */
export const RDS_VCPUS: Readonly<Record<string, number>> = {
  micro: 2,
  small: 2,
  medium: 2,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
};

/**
 * Major versions past RDS standard support on {@link PRICES_DATE}, with the day Extended
 * Support charges began. MySQL 8.0: standard support ended 2026-07-31 (RDS MySQL release
 * calendar, quoted in buttonmen-dev/buttonmen#3098); PostgreSQL 15 is in standard support.
 */
export const EXTENDED_SUPPORT: Readonly<Record<string, string>> = {
  'mysql 8.0': '2026-08-01',
};

const usEast1: RegionPrices = {
  fargateVcpuHour: L(0.04048),
  fargateGbHour: L(0.004445),
  fargateSpotVcpuHour: A(0.01264791),
  fargateSpotGbHour: A(0.00138883),
  ec2InstanceHour: { 't4g.nano': L(0.0042) },
  ebsGp3GbMonth: A(0.08),
  rdsInstanceHour: {
    't4g.micro': A(0.016),
    't4g.small': A(0.032),
    't4g.medium': A(0.065),
    'm7g.large': A(0.168),
  },
  rdsGp3GbMonth: A(0.115),
  extendedSupportVcpuHour: L(0.1),
  valkeyNodeHour: {
    'cache.t4g.micro': A(0.0128),
    'cache.t4g.small': A(0.0256),
    'cache.m7g.large': A(0.1264),
  },
  mqInstanceHour: { 'mq.t3.micro': A(0.027), 'mq.m5.large': A(0.288), 'mq.m7g.medium': A(0.13) },
  mqStorageGbMonth: A(0.1),
  natGatewayHour: L(0.045),
  natGatewayGb: L(0.045),
  interfaceEndpointHour: L(0.01),
  publicIpv4Hour: A(0.005),
  albHour: A(0.0225),
  albLcuHour: A(0.008),
  wafWebAclMonth: A(5),
  wafRuleMonth: A(1),
  wafMillionRequests: A(0.6),
  alarmMonth: A(0.1),
  dashboardMonth: A(3),
  logsIngestGb: A(0.5),
  logsStoreGbMonth: A(0.03),
  secretMonth: A(0.4),
  kmsKeyMonth: A(1),
  resolverEniHour: L(0.125),
  vpnConnectionHour: A(0.05),
  transitGatewayAttachmentHour: L(0.05),
  hostedZoneMonth: L(0.5),
};

const euWest1: RegionPrices = {
  ...usEast1,
  fargateVcpuHour: A(0.04048),
  fargateGbHour: A(0.004445),
  fargateSpotVcpuHour: A(0.01334053),
  fargateSpotGbHour: A(0.00146489),
  ec2InstanceHour: { 't4g.nano': A(0.0046) },
  ebsGp3GbMonth: A(0.088),
  rdsInstanceHour: {
    't4g.micro': A(0.018),
    't4g.small': A(0.036),
    't4g.medium': A(0.072),
    'm7g.large': A(0.186),
  },
  rdsGp3GbMonth: A(0.127),
  extendedSupportVcpuHour: A(0.112),
  valkeyNodeHour: {
    'cache.t4g.micro': A(0.0136),
    'cache.t4g.small': A(0.0272),
    'cache.m7g.large': A(0.1384),
  },
  mqInstanceHour: { 'mq.t3.micro': A(0.03), 'mq.m5.large': A(0.318), 'mq.m7g.medium': A(0.144) },
  mqStorageGbMonth: A(0.11),
  natGatewayHour: A(0.048),
  natGatewayGb: A(0.048),
  interfaceEndpointHour: A(0.011),
  albHour: A(0.0252),
  logsIngestGb: A(0.57),
  // Quoted for us-east-1 only; the same rate assumed here. Hosted zones are priced globally.
  resolverEniHour: A(0.125),
  transitGatewayAttachmentHour: A(0.05),
};

/** Prices per region; `npm run cost` refuses a region that is missing here. */
export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': usEast1,
  'eu-west-1': euWest1,
};

/**
 * Usage the templates cannot show, per stage tier; stated in the cost report.
 */
export interface UsageAssumptions {
  /** GB a month through the NAT gateways (image pulls, package installs, external APIs). */
  readonly natGb: number;
  /** Load-balancer capacity units used on average. */
  readonly albLcu: number;
  /** Million requests a month through the web ACL. */
  readonly wafMillionRequests: number;
  /** GB of logs ingested a month (all log groups together). */
  readonly logsGb: number;
  /** Broker storage in GB. */
  readonly mqStorageGb: number;
}

/** What each tier is assumed to use beyond what it provisions. */
export const USAGE: Readonly<Record<string, UsageAssumptions>> = {
  dev: { natGb: 20, albLcu: 1, wafMillionRequests: 1, logsGb: 5, mqStorageGb: 20 },
  staging: { natGb: 50, albLcu: 1, wafMillionRequests: 2, logsGb: 15, mqStorageGb: 20 },
  prod: { natGb: 300, albLcu: 5, wafMillionRequests: 30, logsGb: 100, mqStorageGb: 200 },
};
