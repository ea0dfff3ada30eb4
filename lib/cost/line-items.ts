/**
 * The lines of a stage's estimate, one estimator per kind of resource: each reads the stage's
 * resources of its types and prices them with the region's list prices and the tier's usage
 * assumptions of `config/prices.ts`. {@link LINE_ITEMS} lists them in the order the estimate
 * prints them.
 */
import {
  EXTENDED_SUPPORT,
  HOURS_PER_MONTH,
  RDS_VCPUS,
  type Price,
  type RegionPrices,
  type UsageAssumptions,
} from '../../config/prices';

/** GB of a NAT instance's root volume: the size of the Amazon Linux 2023 image's snapshot. */
const NAT_ROOT_GB = 8;

/** One line of an estimate. */
export interface CostLine {
  /** What the line is for: `compute`, `databases`, `cache`, ... */
  readonly item: string;
  /** USD a month. */
  readonly usd: number;
  /** How it is made up, for the reader. */
  readonly detail: string;
  /** Whether any price in it is assumed rather than looked up. */
  readonly assumed: boolean;
}

/** Thrown when a price the estimate needs is not in the table. */
export class MissingPriceError extends Error {}

/** One resource of a stage's templates, as the estimators read it. */
export interface StageResource {
  /** Its logical id. */
  readonly id: string;
  /** Its CloudFormation type (`AWS::RDS::DBInstance`). */
  readonly type: string;
  /** Its properties as synthesized (untyped JSON; each estimator reads a few well-known keys). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly props: Record<string, any>;
}

/** What every estimator reads: the stage's resources, its region's prices, its tier's usage, the day. */
export interface EstimateContext {
  /** The stage's region, for messages. */
  readonly region: string;
  /** The list prices of that region. */
  readonly prices: RegionPrices;
  /** The usage the tier assumes for what templates cannot show. */
  readonly usage: UsageAssumptions;
  /** The day the estimate is for (`YYYY-MM-DD`): Extended Support starts on a date. */
  readonly on: string;
  /** Every resource of the stage's templates. */
  readonly resources: readonly StageResource[];
}

/** One part of a line: its cost, the prices it used, and how it is made up. */
interface CostPart {
  readonly usd: number;
  readonly price: readonly Price[];
  readonly detail: string;
}

/** Prices the stage's resources of one kind as zero or more lines. */
export type Estimator = (context: EstimateContext) => CostLine[];

/** The stage's resources of one CloudFormation type. */
function ofType(context: EstimateContext, type: string): StageResource[] {
  return context.resources.filter((r) => r.type === type);
}

/** An hourly price over a month of 24/7, for `count` of the thing priced. */
function monthly(price: Price, count = 1): number {
  return price.usd * count * HOURS_PER_MONTH;
}

/**
 * The price of one key of a price table (an instance class, a node type).
 *
 * @throws MissingPriceError naming the key and region to add to `config/prices.ts`
 */
function priceOf(context: EstimateContext, table: Readonly<Record<string, Price>>, key: string, what: string): Price {
  const price = table[key];
  if (!price)
    throw new MissingPriceError(`no ${what} price for ${key} in ${context.region}; add it to config/prices.ts`);
  return price;
}

/** A line summing its parts, or none when there are no parts. */
function costLine(item: string, parts: readonly CostPart[]): CostLine[] {
  const usd = parts.reduce((sum, p) => sum + p.usd, 0);
  if (parts.length === 0) return [];
  return [
    {
      item,
      usd: round(usd),
      detail: parts.map((p) => p.detail).join('; '),
      assumed: parts.some((p) => p.price.some((x) => x.source === 'assumed')),
    },
  ];
}

/** USD rounded to the cent. */
export function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}

/** Compute: every Fargate service's task size times its minimum (or desired) task count. */
export function computeCost(context: EstimateContext): CostLine[] {
  const { prices } = context;
  const tasks = ofType(context, 'AWS::ECS::TaskDefinition');
  const targets = ofType(context, 'AWS::ApplicationAutoScaling::ScalableTarget');
  let vcpu = 0;
  let gb = 0;
  let taskCount = 0;
  let spotTasks = 0;
  let spot = { vcpu: 0, gb: 0 };
  for (const service of ofType(context, 'AWS::ECS::Service')) {
    const ref = service.props.TaskDefinition;
    const task = tasks.find((t) => (typeof ref === 'string' ? t.props.Family === ref : t.id === ref?.Ref));
    if (!task) continue;
    const target = targets.find((t) => JSON.stringify(t.props.ResourceId ?? '').includes(`"${service.id}"`));
    const count = Number(target?.props.MinCapacity ?? service.props.DesiredCount ?? 1);
    const size = { vcpu: (Number(task.props.Cpu) / 1024) * count, gb: (Number(task.props.Memory) / 1024) * count };
    // A strategy naming only FARGATE_SPOT runs every task on Spot (a mixed one is not used here).
    const onSpot = JSON.stringify(service.props.CapacityProviderStrategy ?? []).includes('"FARGATE_SPOT"');
    if (onSpot) {
      spot = { vcpu: spot.vcpu + size.vcpu, gb: spot.gb + size.gb };
      spotTasks += count;
    } else {
      vcpu += size.vcpu;
      gb += size.gb;
      taskCount += count;
    }
  }
  return costLine('compute (Fargate)', [
    ...(taskCount > 0
      ? [
          {
            usd: monthly(prices.fargateVcpuHour, vcpu) + monthly(prices.fargateGbHour, gb),
            price: [prices.fargateVcpuHour, prices.fargateGbHour],
            detail: `${taskCount} tasks at minimum scale: ${vcpu} vCPU, ${gb} GB`,
          },
        ]
      : []),
    ...(spotTasks > 0
      ? [
          {
            usd: monthly(prices.fargateSpotVcpuHour, spot.vcpu) + monthly(prices.fargateSpotGbHour, spot.gb),
            price: [prices.fargateSpotVcpuHour, prices.fargateSpotGbHour],
            detail: `${spotTasks} Spot tasks at minimum scale: ${spot.vcpu} vCPU, ${spot.gb} GB`,
          },
        ]
      : []),
  ]);
}

/** What one RDS instance costs: instance hours, storage, and Extended Support when it applies. */
interface DatabaseCost {
  readonly label: string;
  readonly compute: { readonly usd: number; readonly price: readonly Price[] };
  readonly storage: { readonly usd: number; readonly price: readonly Price[]; readonly gb: number };
  readonly extended?: {
    readonly usd: number;
    readonly price: readonly Price[];
    readonly vcpus: number;
    readonly what: string;
  };
}

/** The cost of one RDS instance (a replica is one); Multi-AZ doubles instance and storage. */
function databaseCost(context: EstimateContext, db: StageResource): DatabaseCost {
  const { prices } = context;
  // A replica names its primary by ARN (`Fn::Join` around a `Ref`) and inherits its engine.
  const source = JSON.stringify(db.props.SourceDBInstanceIdentifier ?? null);
  const primary = db.props.SourceDBInstanceIdentifier
    ? ofType(context, 'AWS::RDS::DBInstance').find((p) => source.includes(`{"Ref":"${p.id}"}`))
    : db;
  const cls = String(db.props.DBInstanceClass).replace(/^db\./, '');
  const copies = db.props.MultiAZ === true ? 2 : 1;
  const storage = Number(db.props.AllocatedStorage ?? primary?.props.AllocatedStorage ?? 20);
  const engine = String(primary?.props.Engine ?? db.props.Engine);
  const version = String(primary?.props.EngineVersion ?? db.props.EngineVersion ?? '');
  const major = engine === 'mysql' ? version.split('.').slice(0, 2).join('.') : version.split('.')[0];
  const instance = priceOf(context, prices.rdsInstanceHour, cls, 'RDS instance');
  const esStart = EXTENDED_SUPPORT[`${engine} ${major}`];
  const extended = esStart !== undefined && context.on >= esStart;
  const vcpus = RDS_VCPUS[cls.split('.')[1]] ?? 2;
  const label = `${db.props.SourceDBInstanceIdentifier ? 'replica' : engine} ${cls}${copies === 2 ? ' Multi-AZ' : ''}`;
  return {
    label,
    compute: { usd: monthly(instance, copies), price: [instance] },
    storage: {
      usd: prices.rdsGp3GbMonth.usd * storage * copies,
      price: [prices.rdsGp3GbMonth],
      gb: storage * copies,
    },
    extended: extended
      ? {
          usd: monthly(prices.extendedSupportVcpuHour, vcpus * copies),
          price: [prices.extendedSupportVcpuHour],
          vcpus: vcpus * copies,
          what: `${engine} ${major}`,
        }
      : undefined,
  };
}

/** Databases: each RDS instance, and a line of Extended Support for those past standard support. */
export function databasesCost(context: EstimateContext): CostLine[] {
  const databases = ofType(context, 'AWS::RDS::DBInstance').map((db) => databaseCost(context, db));
  return [
    ...costLine(
      'databases (RDS)',
      databases.map((d) => ({
        usd: d.compute.usd + d.storage.usd,
        price: [...d.compute.price, ...d.storage.price],
        detail: `${d.label} + ${d.storage.gb} GB gp3`,
      })),
    ),
    ...costLine(
      'RDS Extended Support',
      databases
        .filter((d) => d.extended)
        .map((d) => ({
          usd: d.extended!.usd,
          price: d.extended!.price,
          detail: `${d.extended!.what} past standard support: ${d.extended!.vcpus} vCPU (${d.label})`,
        })),
    ),
  ];
}

/** Cache: shards × (1 + replicas) nodes, or NumCacheClusters without cluster mode. */
export function cacheCost(context: EstimateContext): CostLine[] {
  return costLine(
    'cache (ElastiCache)',
    ofType(context, 'AWS::ElastiCache::ReplicationGroup').map((rg) => {
      const nodes = rg.props.NumNodeGroups
        ? Number(rg.props.NumNodeGroups) * (1 + Number(rg.props.ReplicasPerNodeGroup ?? 0))
        : Number(rg.props.NumCacheClusters ?? 1);
      const price = priceOf(context, context.prices.valkeyNodeHour, String(rg.props.CacheNodeType), 'Valkey node');
      return { usd: monthly(price, nodes), price: [price], detail: `${nodes} × ${rg.props.CacheNodeType}` };
    }),
  );
}

/** Broker: a Multi-AZ cluster runs three instances; storage is an assumption of the tier. */
export function brokerCost(context: EstimateContext): CostLine[] {
  const { prices, usage } = context;
  return costLine(
    'broker (Amazon MQ)',
    ofType(context, 'AWS::AmazonMQ::Broker').map((b) => {
      const instances = b.props.DeploymentMode === 'CLUSTER_MULTI_AZ' ? 3 : 1;
      const price = priceOf(context, prices.mqInstanceHour, String(b.props.HostInstanceType), 'Amazon MQ instance');
      return {
        usd: monthly(price, instances) + prices.mqStorageGbMonth.usd * usage.mqStorageGb,
        price: [price, prices.mqStorageGbMonth],
        detail: `${instances} × ${b.props.HostInstanceType} + ${usage.mqStorageGb} GB storage (assumed)`,
      };
    }),
  );
}

/**
 * NAT: gateways (hours, assumed traffic, their public addresses) and NAT instances (the
 * instance, its own public address and its root volume; no per-GB processing charge).
 */
export function natCost(context: EstimateContext): CostLine[] {
  const { prices, usage } = context;
  const nats = ofType(context, 'AWS::EC2::NatGateway').length;
  const eips = ofType(context, 'AWS::EC2::EIP').length;
  const natInstances = ofType(context, 'AWS::EC2::Instance').filter((i) => i.props.SourceDestCheck === false);
  return costLine('NAT', [
    ...(nats === 0
      ? []
      : [
          {
            usd:
              monthly(prices.natGatewayHour, nats) +
              prices.natGatewayGb.usd * usage.natGb +
              monthly(prices.publicIpv4Hour, eips),
            price: [prices.natGatewayHour, prices.natGatewayGb, prices.publicIpv4Hour],
            detail: `${nats} gateway(s), ${usage.natGb} GB processed (assumed), ${eips} public IPv4`,
          },
        ]),
    ...natInstances.map((i) => {
      const type = String(i.props.InstanceType);
      const instance = priceOf(context, prices.ec2InstanceHour, type, 'EC2 instance');
      return {
        usd: monthly(instance) + monthly(prices.publicIpv4Hour) + prices.ebsGp3GbMonth.usd * NAT_ROOT_GB,
        price: [instance, prices.publicIpv4Hour, prices.ebsGp3GbMonth],
        detail: `1 ${type} instance, 1 public IPv4, ${NAT_ROOT_GB} GB gp3`,
      };
    }),
  ]);
}

/** Interface endpoints: one charge per endpoint and zone (its subnets). */
export function endpointsCost(context: EstimateContext): CostLine[] {
  const endpointZones = ofType(context, 'AWS::EC2::VPCEndpoint')
    .filter((e) => e.props.VpcEndpointType === 'Interface')
    .reduce((sum, e) => sum + (Array.isArray(e.props.SubnetIds) ? e.props.SubnetIds.length : 1), 0);
  return costLine(
    'interface endpoints',
    endpointZones === 0
      ? []
      : [
          {
            usd: monthly(context.prices.interfaceEndpointHour, endpointZones),
            price: [context.prices.interfaceEndpointHour],
            detail: `${endpointZones} endpoint-zones (data processing not counted)`,
          },
        ],
  );
}

/**
 * Hybrid network of the external databases: Resolver endpoints per address (an ENI each), VPN
 * connections, transit gateway attachments (billed to the VPC's owner), private hosted zones.
 * Queries and processed GB are not counted.
 */
export function hybridNetworkCost(context: EstimateContext): CostLine[] {
  const { prices } = context;
  const resolverEnis = ofType(context, 'AWS::Route53Resolver::ResolverEndpoint').reduce(
    (sum, e) => sum + (Array.isArray(e.props.IpAddresses) ? e.props.IpAddresses.length : 2),
    0,
  );
  const vpns = ofType(context, 'AWS::EC2::VPNConnection').length;
  const attachments =
    ofType(context, 'AWS::EC2::TransitGatewayVpcAttachment').length +
    ofType(context, 'AWS::EC2::TransitGatewayAttachment').length;
  // A zone with VPCs is private; the stage's public zone exists before the stage.
  const privateZones = ofType(context, 'AWS::Route53::HostedZone').filter((z) => Array.isArray(z.props.VPCs)).length;
  if (resolverEnis + vpns + attachments + privateZones === 0) return [];
  return costLine('hybrid network', [
    {
      usd:
        monthly(prices.resolverEniHour, resolverEnis) +
        monthly(prices.vpnConnectionHour, vpns) +
        monthly(prices.transitGatewayAttachmentHour, attachments) +
        prices.hostedZoneMonth.usd * privateZones,
      price: [
        prices.resolverEniHour,
        prices.vpnConnectionHour,
        prices.transitGatewayAttachmentHour,
        prices.hostedZoneMonth,
      ],
      detail:
        `${resolverEnis} Resolver endpoint ENIs, ${vpns} VPN connection(s), ${attachments} transit gateway ` +
        `attachment(s), ${privateZones} private hosted zone(s); queries and traffic not counted`,
    },
  ]);
}

/** Load balancer: hours and assumed capacity units. */
export function loadBalancerCost(context: EstimateContext): CostLine[] {
  const { prices, usage } = context;
  const albs = ofType(context, 'AWS::ElasticLoadBalancingV2::LoadBalancer').length;
  if (albs === 0) return [];
  return costLine('load balancer', [
    {
      usd: monthly(prices.albHour, albs) + monthly(prices.albLcuHour, usage.albLcu * albs),
      price: [prices.albHour, prices.albLcuHour],
      detail: `${albs} ALB, ${usage.albLcu} LCU (assumed)`,
    },
  ]);
}

/** CDN + WAF: CloudFront has no base fee; the web ACL has one, per rule, and per request. */
export function edgeCost(context: EstimateContext): CostLine[] {
  const { prices, usage } = context;
  return costLine(
    'CDN + WAF',
    ofType(context, 'AWS::WAFv2::WebACL').map((acl) => {
      const rules = Array.isArray(acl.props.Rules) ? acl.props.Rules.length : 0;
      return {
        usd:
          prices.wafWebAclMonth.usd +
          prices.wafRuleMonth.usd * rules +
          prices.wafMillionRequests.usd * usage.wafMillionRequests,
        price: [prices.wafWebAclMonth, prices.wafRuleMonth, prices.wafMillionRequests],
        detail: `web ACL with ${rules} rules, ${usage.wafMillionRequests} M requests (assumed); CloudFront per request only`,
      };
    }),
  );
}

/** Logs and metrics: alarms, dashboards, and the tier's assumed log volume kept for a month. */
export function logsCost(context: EstimateContext): CostLine[] {
  const { prices, usage } = context;
  const alarms = ofType(context, 'AWS::CloudWatch::Alarm').length;
  const dashboards = ofType(context, 'AWS::CloudWatch::Dashboard').length;
  return costLine('logs and metrics', [
    {
      usd:
        prices.alarmMonth.usd * alarms +
        prices.dashboardMonth.usd * dashboards +
        (prices.logsIngestGb.usd + prices.logsStoreGbMonth.usd) * usage.logsGb,
      price: [prices.alarmMonth, prices.dashboardMonth, prices.logsIngestGb],
      detail: `${alarms} alarms, ${dashboards} dashboard(s), ${usage.logsGb} GB logs (assumed)`,
    },
  ]);
}

/** Secrets and keys: Secrets Manager secrets and KMS keys, a month each. */
export function secretsCost(context: EstimateContext): CostLine[] {
  const { prices } = context;
  const secrets = ofType(context, 'AWS::SecretsManager::Secret').length;
  const keys = ofType(context, 'AWS::KMS::Key').length;
  return costLine('secrets and keys', [
    {
      usd: prices.secretMonth.usd * secrets + prices.kmsKeyMonth.usd * keys,
      price: [prices.secretMonth, prices.kmsKeyMonth],
      detail: `${secrets} secrets, ${keys} KMS keys`,
    },
  ]);
}

/** Every estimator, in the order the estimate lists its lines. */
export const LINE_ITEMS: readonly Estimator[] = [
  computeCost,
  databasesCost,
  cacheCost,
  brokerCost,
  natCost,
  endpointsCost,
  hybridNetworkCost,
  loadBalancerCost,
  edgeCost,
  logsCost,
  secretsCost,
];
