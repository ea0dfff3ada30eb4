import type { Price, RegionPrices } from '../../../config/prices';
import {
  brokerCost,
  cacheCost,
  computeCost,
  databasesCost,
  edgeCost,
  endpointsCost,
  LINE_ITEMS,
  loadBalancerCost,
  logsCost,
  MissingPriceError,
  natCost,
  secretsCost,
  type EstimateContext,
  type StageResource,
} from '../../../lib/cost/line-items';

/**
 * Each estimator alone, on a handful of resources and a made-up price table whose figures are
 * easy to follow by hand (730 hours a month). The committed templates and prices are estimated
 * as a whole in estimate.test.ts.
 */
const looked = (usd: number): Price => ({ usd, source: 'looked up' });
const assumed = (usd: number): Price => ({ usd, source: 'assumed' });
const PRICES: RegionPrices = {
  fargateVcpuHour: looked(0.04),
  fargateGbHour: looked(0.004),
  fargateSpotVcpuHour: looked(0.01),
  fargateSpotGbHour: looked(0.001),
  ec2InstanceHour: { 't4g.nano': looked(0.005) },
  ebsGp3GbMonth: looked(0.1),
  rdsInstanceHour: { 't4g.micro': looked(0.02), 'm7g.large': looked(0.2) },
  rdsGp3GbMonth: looked(0.1),
  extendedSupportVcpuHour: looked(0.1),
  valkeyNodeHour: { 'cache.t4g.micro': looked(0.01) },
  mqInstanceHour: { 'mq.m5.large': looked(0.3) },
  mqStorageGbMonth: looked(0.1),
  natGatewayHour: looked(0.05),
  natGatewayGb: looked(0.05),
  interfaceEndpointHour: assumed(0.01),
  publicIpv4Hour: looked(0.005),
  albHour: looked(0.02),
  albLcuHour: looked(0.01),
  wafWebAclMonth: looked(5),
  wafRuleMonth: looked(1),
  wafMillionRequests: looked(0.6),
  alarmMonth: looked(0.1),
  dashboardMonth: looked(3),
  logsIngestGb: looked(0.5),
  logsStoreGbMonth: looked(0.03),
  secretMonth: looked(0.4),
  kmsKeyMonth: looked(1),
  resolverEniHour: looked(0.125),
  vpnConnectionHour: looked(0.05),
  transitGatewayAttachmentHour: looked(0.05),
  hostedZoneMonth: looked(0.5),
};
const USAGE = { natGb: 10, albLcu: 2, wafMillionRequests: 1, logsGb: 10, mqStorageGb: 20 };

/** A context of the given resources (`[type, props]`, ids R0, R1, ...). */
function context(resources: [string, Record<string, unknown>][], on = '2026-01-01'): EstimateContext {
  const list: StageResource[] = resources.map(([type, props], i) => ({ id: `R${i}`, type, props }));
  return { region: 'test-1', prices: PRICES, usage: USAGE, on, resources: list };
}

describe('line items', () => {
  test('compute prices each service at its minimum task count, Spot tasks at the Spot rate', () => {
    const lines = computeCost(
      context([
        ['AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' }],
        ['AWS::ECS::Service', { TaskDefinition: { Ref: 'R0' }, DesiredCount: 3 }],
        [
          'AWS::ApplicationAutoScaling::ScalableTarget',
          { ResourceId: { 'Fn::Join': ['/', ['service', { 'Fn::GetAtt': ['R1', 'Name'] }]] }, MinCapacity: 2 },
        ],
        [
          'AWS::ECS::Service',
          {
            TaskDefinition: { Ref: 'R0' },
            DesiredCount: 1,
            CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT' }],
          },
        ],
      ]),
    );
    // On demand: 2 tasks × (1 vCPU × 0.04 + 2 GB × 0.004) × 730 = 70.08; Spot: 1 × (0.01 + 2 × 0.001) × 730 = 8.76
    expect(lines).toEqual([
      {
        item: 'compute (Fargate)',
        usd: 78.84,
        detail: '2 tasks at minimum scale: 2 vCPU, 4 GB; 1 Spot tasks at minimum scale: 1 vCPU, 2 GB',
        assumed: false,
      },
    ]);
  });

  test('a database is its instance hours and storage, doubled when Multi-AZ; a replica inherits its primary’s storage', () => {
    const [line] = databasesCost(
      context([
        [
          'AWS::RDS::DBInstance',
          {
            DBInstanceClass: 'db.m7g.large',
            MultiAZ: true,
            AllocatedStorage: '100',
            Engine: 'mysql',
            EngineVersion: '8.4.7',
          },
        ],
        [
          'AWS::RDS::DBInstance',
          { DBInstanceClass: 'db.t4g.micro', SourceDBInstanceIdentifier: { 'Fn::Join': ['', [{ Ref: 'R0' }]] } },
        ],
      ]),
    );
    // 2 × 0.2 × 730 + 200 GB × 0.1 = 312; replica 0.02 × 730 + 100 GB × 0.1 = 24.6
    expect(line).toEqual({
      item: 'databases (RDS)',
      usd: 336.6,
      detail: 'mysql m7g.large Multi-AZ + 200 GB gp3; replica t4g.micro + 100 GB gp3',
      assumed: false,
    });
  });

  test('an engine past its standard support adds a line of Extended Support per vCPU, from its start date only', () => {
    const mysql80: [string, Record<string, unknown>][] = [
      ['AWS::RDS::DBInstance', { DBInstanceClass: 'db.m7g.large', Engine: 'mysql', EngineVersion: '8.0.44' }],
    ];
    expect(databasesCost(context(mysql80, '2026-07-31')).map((l) => l.item)).toEqual(['databases (RDS)']);
    const [, extended] = databasesCost(context(mysql80, '2026-08-01'));
    // m7g.large: 2 vCPU × 0.1 × 730
    expect(extended).toEqual(
      expect.objectContaining({ item: 'RDS Extended Support', usd: 146, detail: expect.stringContaining('mysql 8.0') }),
    );
  });

  test('a cache counts shards × (primary + replicas), or its cache clusters without cluster mode', () => {
    const [line] = cacheCost(
      context([
        [
          'AWS::ElastiCache::ReplicationGroup',
          { CacheNodeType: 'cache.t4g.micro', NumNodeGroups: 3, ReplicasPerNodeGroup: 1 },
        ],
        ['AWS::ElastiCache::ReplicationGroup', { CacheNodeType: 'cache.t4g.micro', NumCacheClusters: 2 }],
      ]),
    );
    expect(line.detail).toBe('6 × cache.t4g.micro; 2 × cache.t4g.micro');
    expect(line.usd).toBeCloseTo(8 * 0.01 * 730, 2);
  });

  test('a cluster broker runs three instances, plus the tier’s assumed storage', () => {
    const [line] = brokerCost(
      context([['AWS::AmazonMQ::Broker', { HostInstanceType: 'mq.m5.large', DeploymentMode: 'CLUSTER_MULTI_AZ' }]]),
    );
    expect(line.detail).toBe('3 × mq.m5.large + 20 GB storage (assumed)');
    expect(line.usd).toBeCloseTo(3 * 0.3 * 730 + 20 * 0.1, 2);
  });

  test('NAT counts gateways with their traffic and addresses, and NAT instances with address and root volume', () => {
    const [line] = natCost(
      context([
        ['AWS::EC2::NatGateway', {}],
        ['AWS::EC2::EIP', {}],
        ['AWS::EC2::Instance', { InstanceType: 't4g.nano', SourceDestCheck: false }],
        ['AWS::EC2::Instance', { InstanceType: 'm7g.large' }],
      ]),
    );
    // Gateway: 0.05 × 730 + 10 GB × 0.05 + 1 IPv4 × 0.005 × 730 = 40.65; instance: 0.005 × 730 × 2 + 8 × 0.1 = 8.1
    expect(line).toEqual({
      item: 'NAT',
      usd: 48.75,
      detail: '1 gateway(s), 10 GB processed (assumed), 1 public IPv4; 1 t4g.nano instance, 1 public IPv4, 8 GB gp3',
      assumed: false,
    });
  });

  test('interface endpoints are charged per zone, and marked assumed when their price is', () => {
    const [line] = endpointsCost(
      context([
        ['AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] }],
        ['AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }],
      ]),
    );
    expect(line).toEqual(expect.objectContaining({ usd: 2 * 0.01 * 730, assumed: true }));
  });

  test('the load balancer, the web ACL, logs and keys each make one line', () => {
    const c = context([
      ['AWS::ElasticLoadBalancingV2::LoadBalancer', {}],
      ['AWS::WAFv2::WebACL', { Rules: [{}, {}, {}] }],
      ['AWS::CloudWatch::Alarm', {}],
      ['AWS::CloudWatch::Dashboard', {}],
      ['AWS::SecretsManager::Secret', {}],
      ['AWS::KMS::Key', {}],
    ]);
    expect(loadBalancerCost(c)[0].usd).toBeCloseTo(0.02 * 730 + 0.01 * 2 * 730, 2);
    expect(edgeCost(c)[0].usd).toBeCloseTo(5 + 3 + 0.6, 2);
    expect(logsCost(c)[0].usd).toBeCloseTo(0.1 + 3 + 0.53 * 10, 2);
    expect(secretsCost(c)[0].usd).toBeCloseTo(1.4, 2);
  });

  test('a kind of resource the stage lacks makes no line, except logs and keys, which every stage has', () => {
    const items = LINE_ITEMS.flatMap((estimate) => estimate(context([]))).map((l) => l.item);
    expect(items).toEqual(['logs and metrics', 'secrets and keys']);
  });

  test('an instance class without a price names the class and the region', () => {
    expect(() =>
      databasesCost(context([['AWS::RDS::DBInstance', { DBInstanceClass: 'db.r8g.huge', Engine: 'postgres' }]])),
    ).toThrow(new MissingPriceError('no RDS instance price for r8g.huge in test-1; add it to config/prices.ts'));
  });
});
