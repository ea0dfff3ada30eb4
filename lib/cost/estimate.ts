/**
 * A monthly list-price estimate of one stage at 24/7, read from its synthesized templates: what
 * they create (tasks, instances, gateways, endpoints, alarms, ...) times the dated prices of
 * `config/prices.ts`, plus the usage assumptions stated there for what templates cannot show
 * (NAT traffic, load-balancer capacity, requests, log volume).
 *
 * Not counted: data transfer out, S3 and backup storage (small until data grows), CloudFront
 * requests (no base fee), Lambda, Step Functions and CodeDeploy (ECS deployments are free),
 * Route 53's public zone (it exists before the stage) and DNS queries, transit-gateway and VPN
 * traffic, taxes, and discounts.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ResolvedConfig } from '../../config';
import {
  EXTENDED_SUPPORT,
  HOURS_PER_MONTH,
  PRICES,
  PRICES_DATE,
  RDS_VCPUS,
  USAGE,
  type Price,
} from '../../config/prices';
import { stageId } from '../../config/names';

/** GB of a NAT instance's root volume: the size of the Amazon Linux 2023 image's snapshot. */
const NAT_ROOT_GB = 8;

/** A CloudFormation template, as far as the estimate reads it. */
export interface Template {
  // Template properties are untyped JSON; the estimate reads a handful of well-known keys.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
}

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

/** The estimate of one stage. */
export interface StageEstimate {
  readonly region: string;
  readonly lines: readonly CostLine[];
  /** USD a month, all lines. */
  readonly total: number;
  /** The date of the prices. */
  readonly pricesDate: string;
}

/** Where the stage runs and which tier's usage assumptions apply. */
export interface EstimateInput {
  readonly region: string;
  readonly tier: string;
  readonly templates: readonly Template[];
  /** The day the estimate is for (Extended Support starts on a date). @default the prices' date */
  readonly on?: string;
}

/** Thrown when a price the estimate needs is not in the table. */
export class MissingPriceError extends Error {}

/**
 * Estimates a stage's monthly cost from its templates.
 *
 * @throws MissingPriceError naming the region or instance class to add to `config/prices.ts`
 */
export function estimateStage(input: EstimateInput): StageEstimate {
  const prices = PRICES[input.region];
  if (!prices) {
    throw new MissingPriceError(
      `no prices for region ${input.region}; add them to config/prices.ts (has: ${Object.keys(PRICES).join(', ')})`,
    );
  }
  const usage = USAGE[input.tier] ?? USAGE.prod;
  const on = input.on ?? PRICES_DATE;
  const resources = input.templates.flatMap((t) =>
    Object.entries(t.Resources ?? {}).map(([id, r]) => ({ id, type: r.Type, props: r.Properties ?? {} })),
  );
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const lines: CostLine[] = [];
  const add = (item: string, parts: { usd: number; price: Price[]; detail: string }[]) => {
    const usd = parts.reduce((sum, p) => sum + p.usd, 0);
    if (parts.length === 0) return;
    lines.push({
      item,
      usd: round(usd),
      detail: parts.map((p) => p.detail).join('; '),
      assumed: parts.some((p) => p.price.some((x) => x.source === 'assumed')),
    });
  };
  const month = (price: Price, count = 1) => price.usd * count * HOURS_PER_MONTH;
  const lookup = (table: Readonly<Record<string, Price>>, key: string, what: string): Price => {
    const price = table[key];
    if (!price)
      throw new MissingPriceError(`no ${what} price for ${key} in ${input.region}; add it to config/prices.ts`);
    return price;
  };

  // Compute: every Fargate service's task size times its minimum (or desired) task count.
  const tasks = ofType('AWS::ECS::TaskDefinition');
  const targets = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
  let vcpu = 0;
  let gb = 0;
  let taskCount = 0;
  let spotTasks = 0;
  let spot = { vcpu: 0, gb: 0 };
  for (const service of ofType('AWS::ECS::Service')) {
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
  add('compute (Fargate)', [
    ...(taskCount > 0
      ? [
          {
            usd: month(prices.fargateVcpuHour, vcpu) + month(prices.fargateGbHour, gb),
            price: [prices.fargateVcpuHour, prices.fargateGbHour],
            detail: `${taskCount} tasks at minimum scale: ${vcpu} vCPU, ${gb} GB`,
          },
        ]
      : []),
    ...(spotTasks > 0
      ? [
          {
            usd: month(prices.fargateSpotVcpuHour, spot.vcpu) + month(prices.fargateSpotGbHour, spot.gb),
            price: [prices.fargateSpotVcpuHour, prices.fargateSpotGbHour],
            detail: `${spotTasks} Spot tasks at minimum scale: ${spot.vcpu} vCPU, ${spot.gb} GB`,
          },
        ]
      : []),
  ]);

  // Databases: each instance (a replica is one), Multi-AZ doubles instance and storage.
  const databases = ofType('AWS::RDS::DBInstance').map((db) => {
    // A replica names its primary by ARN (`Fn::Join` around a `Ref`) and inherits its engine.
    const source = JSON.stringify(db.props.SourceDBInstanceIdentifier ?? null);
    const primary = db.props.SourceDBInstanceIdentifier
      ? ofType('AWS::RDS::DBInstance').find((p) => source.includes(`{"Ref":"${p.id}"}`))
      : db;
    const cls = String(db.props.DBInstanceClass).replace(/^db\./, '');
    const copies = db.props.MultiAZ === true ? 2 : 1;
    const storage = Number(db.props.AllocatedStorage ?? primary?.props.AllocatedStorage ?? 20);
    const engine = String(primary?.props.Engine ?? db.props.Engine);
    const version = String(primary?.props.EngineVersion ?? db.props.EngineVersion ?? '');
    const major = engine === 'mysql' ? version.split('.').slice(0, 2).join('.') : version.split('.')[0];
    const instance = lookup(prices.rdsInstanceHour, cls, 'RDS instance');
    const esStart = EXTENDED_SUPPORT[`${engine} ${major}`];
    const extended = esStart !== undefined && on >= esStart;
    const vcpus = RDS_VCPUS[cls.split('.')[1]] ?? 2;
    return {
      label: `${db.props.SourceDBInstanceIdentifier ? 'replica' : engine} ${cls}${copies === 2 ? ' Multi-AZ' : ''}`,
      compute: { usd: month(instance, copies), price: [instance] },
      storage: {
        usd: prices.rdsGp3GbMonth.usd * storage * copies,
        price: [prices.rdsGp3GbMonth],
        gb: storage * copies,
      },
      extended: extended
        ? {
            usd: month(prices.extendedSupportVcpuHour, vcpus * copies),
            price: [prices.extendedSupportVcpuHour],
            vcpus: vcpus * copies,
            what: `${engine} ${major}`,
          }
        : undefined,
    };
  });
  add(
    'databases (RDS)',
    databases.map((d) => ({
      usd: d.compute.usd + d.storage.usd,
      price: [...d.compute.price, ...d.storage.price],
      detail: `${d.label} + ${d.storage.gb} GB gp3`,
    })),
  );
  add(
    'RDS Extended Support',
    databases
      .filter((d) => d.extended)
      .map((d) => ({
        usd: d.extended!.usd,
        price: d.extended!.price,
        detail: `${d.extended!.what} past standard support: ${d.extended!.vcpus} vCPU (${d.label})`,
      })),
  );

  // Cache: shards × (1 + replicas) nodes, or NumCacheClusters without cluster mode.
  add(
    'cache (ElastiCache)',
    ofType('AWS::ElastiCache::ReplicationGroup').map((rg) => {
      const nodes = rg.props.NumNodeGroups
        ? Number(rg.props.NumNodeGroups) * (1 + Number(rg.props.ReplicasPerNodeGroup ?? 0))
        : Number(rg.props.NumCacheClusters ?? 1);
      const price = lookup(prices.valkeyNodeHour, String(rg.props.CacheNodeType), 'Valkey node');
      return { usd: month(price, nodes), price: [price], detail: `${nodes} × ${rg.props.CacheNodeType}` };
    }),
  );

  // Broker: a Multi-AZ cluster runs three instances.
  add(
    'broker (Amazon MQ)',
    ofType('AWS::AmazonMQ::Broker').map((b) => {
      const instances = b.props.DeploymentMode === 'CLUSTER_MULTI_AZ' ? 3 : 1;
      const price = lookup(prices.mqInstanceHour, String(b.props.HostInstanceType), 'Amazon MQ instance');
      return {
        usd: month(price, instances) + prices.mqStorageGbMonth.usd * usage.mqStorageGb,
        price: [price, prices.mqStorageGbMonth],
        detail: `${instances} × ${b.props.HostInstanceType} + ${usage.mqStorageGb} GB storage (assumed)`,
      };
    }),
  );

  // Network: NAT gateways (hours + assumed traffic), their public addresses, interface endpoints per zone.
  const nats = ofType('AWS::EC2::NatGateway').length;
  const eips = ofType('AWS::EC2::EIP').length;
  // NAT instances: the instance, its own public address and its root volume (8 GB, the size of
  // the Amazon Linux 2023 image); no per-GB processing charge.
  const natInstances = ofType('AWS::EC2::Instance').filter((i) => i.props.SourceDestCheck === false);
  add('NAT', [
    ...(nats === 0
      ? []
      : [
          {
            usd:
              month(prices.natGatewayHour, nats) +
              prices.natGatewayGb.usd * usage.natGb +
              month(prices.publicIpv4Hour, eips),
            price: [prices.natGatewayHour, prices.natGatewayGb, prices.publicIpv4Hour],
            detail: `${nats} gateway(s), ${usage.natGb} GB processed (assumed), ${eips} public IPv4`,
          },
        ]),
    ...natInstances.map((i) => {
      const type = String(i.props.InstanceType);
      const instance = lookup(prices.ec2InstanceHour, type, 'EC2 instance');
      return {
        usd: month(instance) + month(prices.publicIpv4Hour) + prices.ebsGp3GbMonth.usd * NAT_ROOT_GB,
        price: [instance, prices.publicIpv4Hour, prices.ebsGp3GbMonth],
        detail: `1 ${type} instance, 1 public IPv4, ${NAT_ROOT_GB} GB gp3`,
      };
    }),
  ]);
  const endpointZones = ofType('AWS::EC2::VPCEndpoint')
    .filter((e) => e.props.VpcEndpointType === 'Interface')
    .reduce((sum, e) => sum + (Array.isArray(e.props.SubnetIds) ? e.props.SubnetIds.length : 1), 0);
  add(
    'interface endpoints',
    endpointZones === 0
      ? []
      : [
          {
            usd: month(prices.interfaceEndpointHour, endpointZones),
            price: [prices.interfaceEndpointHour],
            detail: `${endpointZones} endpoint-zones (data processing not counted)`,
          },
        ],
  );

  // Hybrid network of the external databases: Resolver endpoints per address (an ENI each),
  // VPN connections, transit gateway attachments (billed to the VPC's owner), private hosted
  // zones. Queries and processed GB are not counted.
  const resolverEnis = ofType('AWS::Route53Resolver::ResolverEndpoint').reduce(
    (sum, e) => sum + (Array.isArray(e.props.IpAddresses) ? e.props.IpAddresses.length : 2),
    0,
  );
  const vpns = ofType('AWS::EC2::VPNConnection').length;
  const attachments =
    ofType('AWS::EC2::TransitGatewayVpcAttachment').length + ofType('AWS::EC2::TransitGatewayAttachment').length;
  // A zone with VPCs is private; the stage's public zone exists before the stage.
  const privateZones = ofType('AWS::Route53::HostedZone').filter((z) => Array.isArray(z.props.VPCs)).length;
  add(
    'hybrid network',
    resolverEnis + vpns + attachments + privateZones === 0
      ? []
      : [
          {
            usd:
              month(prices.resolverEniHour, resolverEnis) +
              month(prices.vpnConnectionHour, vpns) +
              month(prices.transitGatewayAttachmentHour, attachments) +
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
        ],
  );

  // Load balancer: hours + assumed capacity units.
  const albs = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').length;
  add(
    'load balancer',
    albs === 0
      ? []
      : [
          {
            usd: month(prices.albHour, albs) + month(prices.albLcuHour, usage.albLcu * albs),
            price: [prices.albHour, prices.albLcuHour],
            detail: `${albs} ALB, ${usage.albLcu} LCU (assumed)`,
          },
        ],
  );

  // CDN + WAF: CloudFront has no base fee; the web ACL has one, per rule, and per request.
  add(
    'CDN + WAF',
    ofType('AWS::WAFv2::WebACL').map((acl) => {
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

  // Logs and metrics: alarms, dashboards, assumed log volume kept for a month.
  const alarms = ofType('AWS::CloudWatch::Alarm').length;
  const dashboards = ofType('AWS::CloudWatch::Dashboard').length;
  add('logs and metrics', [
    {
      usd:
        prices.alarmMonth.usd * alarms +
        prices.dashboardMonth.usd * dashboards +
        (prices.logsIngestGb.usd + prices.logsStoreGbMonth.usd) * usage.logsGb,
      price: [prices.alarmMonth, prices.dashboardMonth, prices.logsIngestGb],
      detail: `${alarms} alarms, ${dashboards} dashboard(s), ${usage.logsGb} GB logs (assumed)`,
    },
  ]);

  // Keys and secrets.
  const secrets = ofType('AWS::SecretsManager::Secret').length;
  const keys = ofType('AWS::KMS::Key').length;
  add('secrets and keys', [
    {
      usd: prices.secretMonth.usd * secrets + prices.kmsKeyMonth.usd * keys,
      price: [prices.secretMonth, prices.kmsKeyMonth],
      detail: `${secrets} secrets, ${keys} KMS keys`,
    },
  ]);

  return {
    region: input.region,
    lines,
    total: round(lines.reduce((sum, l) => sum + l.usd, 0)),
    pricesDate: PRICES_DATE,
  };
}

/** The estimate as a short table. */
export function formatEstimate(title: string, estimate: StageEstimate): string {
  const rows = estimate.lines.map(
    (l) => `  ${l.item.padEnd(22)} ${`$${l.usd.toFixed(2)}`.padStart(10)}${l.assumed ? '*' : ' '}  ${l.detail}`,
  );
  return [
    `${title} (${estimate.region}, list prices of ${estimate.pricesDate}, 24/7)`,
    ...rows,
    `  ${'total'.padEnd(22)} ${`$${estimate.total.toFixed(2)}`.padStart(10)}   a month`,
  ].join('\n');
}

/**
 * The templates of every stage in a cloud assembly directory, by stage id (`Csl-Dev`); stacks
 * outside a stage (the pipelines) are left out.
 */
export function stageTemplates(dir: string): Map<string, Template[]> {
  const out = new Map<string, Template[]>();
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; displayName?: string; properties?: Record<string, string> }>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const name = artifact.displayName ?? id;
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile && name.includes('/')) {
      const stage = name.split('/')[0];
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
      out.set(stage, [...(out.get(stage) ?? []), template as Template]);
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      for (const [stage, templates] of stageTemplates(path.join(dir, artifact.properties.directoryName))) {
        out.set(stage, [...(out.get(stage) ?? []), ...templates]);
      }
    }
  }
  return out;
}

/** Estimates every configured stage found in an assembly directory. */
export function estimateAssembly(
  dir: string,
  configs: readonly ResolvedConfig[],
): { config: ResolvedConfig; estimate: StageEstimate }[] {
  const templates = stageTemplates(dir);
  return configs
    .filter((config) => templates.has(stageId(config)))
    .map((config) => ({
      config,
      estimate: estimateStage({ region: config.region, tier: config.tier, templates: templates.get(stageId(config))! }),
    }));
}

/**
 * One line per stage whose estimate is above its `budgetUsd`, in the config error format.
 */
export function budgetProblems(dir: string, configs: readonly ResolvedConfig[]): string[] {
  const problems: string[] = [];
  for (const config of configs.filter((c) => c.budgetUsd !== undefined)) {
    let estimates: ReturnType<typeof estimateAssembly>;
    try {
      estimates = estimateAssembly(dir, [config]);
    } catch (err) {
      if (!(err instanceof MissingPriceError)) throw err;
      problems.push(`${config.system}.${config.stage}.budgetUsd: cannot be checked, ${err.message}`);
      continue;
    }
    for (const { estimate } of estimates.filter(({ estimate }) => estimate.total > config.budgetUsd!)) {
      problems.push(
        `${config.system}.${config.stage}.budgetUsd: the estimate is $${estimate.total.toFixed(2)} a month, above the budget of $${config.budgetUsd} (raise budgetUsd, or shrink the stage; npm run cost -- ${config.system} ${config.stage} shows the lines)`,
      );
    }
  }
  return problems;
}

function round(usd: number): number {
  return Math.round(usd * 100) / 100;
}
