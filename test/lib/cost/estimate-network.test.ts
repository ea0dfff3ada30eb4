import { estimateStage, type Template } from '../../../lib/cost/estimate';

/**
 * The hybrid-network resources an external database brings (lib/data/external-database.ts and lib/network/external-database-path.ts):
 * an outbound Resolver endpoint with two addresses, a Site-to-Site VPN connection, a transit
 * gateway attachment and a private hosted zone. A public zone (the stage's domain, which exists
 * before the stage) is not counted.
 */
const network: Template = {
  Resources: {
    Endpoint: {
      Type: 'AWS::Route53Resolver::ResolverEndpoint',
      Properties: { Direction: 'OUTBOUND', IpAddresses: [{ SubnetId: 'subnet-1' }, { SubnetId: 'subnet-2' }] },
    },
    Vpn: { Type: 'AWS::EC2::VPNConnection', Properties: { Type: 'ipsec.1', StaticRoutesOnly: true } },
    Attachment: { Type: 'AWS::EC2::TransitGatewayVpcAttachment', Properties: { TransitGatewayId: 'tgw-1' } },
    PrivateZone: { Type: 'AWS::Route53::HostedZone', Properties: { Name: 'db.internal.', VPCs: [{ VPCId: 'vpc-1' }] } },
    PublicZone: { Type: 'AWS::Route53::HostedZone', Properties: { Name: 'example.com.' } },
  },
};

describe('cost of hybrid networking', () => {
  test('counts Resolver ENIs, VPN connections, transit gateway attachments and private zones (us-east-1, by hand)', () => {
    const lines = estimateStage({ region: 'us-east-1', tier: 'dev', templates: [network] }).lines;
    const byItem = Object.fromEntries(lines.map((l) => [l.item, l.usd]));
    // By hand, 730 hours a month:
    //   Resolver: 2 ENIs × 0.125 × 730 = 182.50 (re:Post: a two-address endpoint costs about 182.50 a month)
    //   VPN:      1 × 0.05 × 730       =  36.50
    //   TGW:      1 × 0.05 × 730       =  36.50
    //   Zones:    1 private × 0.50     =   0.50
    expect(byItem['hybrid network']).toBeCloseTo(182.5 + 36.5 + 36.5 + 0.5, 2);
    const line = lines.find((l) => l.item === 'hybrid network')!;
    expect(line.detail).toMatch(
      /2 Resolver endpoint ENIs.*1 VPN connection.*1 transit gateway attachment.*1 private hosted zone/,
    );
  });

  test('a stage without them has no such line', () => {
    const lines = estimateStage({ region: 'eu-west-1', tier: 'dev', templates: [{ Resources: {} }] }).lines;
    expect(lines.map((l) => l.item)).not.toContain('hybrid network');
  });

  test('eu-west-1 prices them too', () => {
    const lines = estimateStage({ region: 'eu-west-1', tier: 'dev', templates: [network] }).lines;
    expect(lines.find((l) => l.item === 'hybrid network')?.usd).toBeGreaterThan(250);
  });
});
