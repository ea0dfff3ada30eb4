import { Template } from 'aws-cdk-lib/assertions';
import { ExternalDatabasePath, type ExternalDatabasePathProps } from '../../../lib/network/external-database-path';
import { bareStack, testVpc } from '../../helpers';

/** The path to a database on 10.200.0.0/24 from a two-zone VPC. */
function path(overrides: Partial<ExternalDatabasePathProps>): Template {
  const stack = bareStack('Network');
  new ExternalDatabasePath(stack, 'ExternalDolibarr', {
    vpc: testVpc(stack),
    host: '10.200.0.10',
    cidr: '10.200.0.0/24',
    route: { kind: 'peering', peeringConnectionId: 'pcx-0123456789abcdef0' },
    ...overrides,
  });
  return Template.fromStack(stack);
}
const routes = (t: Template) =>
  Object.values(t.findResources('AWS::EC2::Route'))
    .map((r) => r.Properties)
    .filter((r) => r.DestinationCidrBlock === '10.200.0.0/24');

describe('ExternalDatabasePath', () => {
  test('peering: each private subnet routes the range over the peering connection', () => {
    const r = routes(path({}));
    expect(r).toHaveLength(2);
    for (const route of r) expect(route.VpcPeeringConnectionId).toBe('pcx-0123456789abcdef0');
  });

  test('transit gateway: the VPC attaches in every zone, and each route waits for the attachment', () => {
    const t = path({ route: { kind: 'transit-gateway', transitGatewayId: 'tgw-0123456789abcdef0' } });
    const attachment = Object.entries(t.findResources('AWS::EC2::TransitGatewayVpcAttachment'));
    expect(attachment).toHaveLength(1);
    expect(attachment[0][1].Properties.SubnetIds).toHaveLength(2);
    const raw = Object.values(t.findResources('AWS::EC2::Route')).filter(
      (r) => r.Properties.DestinationCidrBlock === '10.200.0.0/24',
    );
    for (const route of raw) {
      expect(route.Properties.TransitGatewayId).toBe('tgw-0123456789abcdef0');
      expect(route.DependsOn).toContain(attachment[0][0]);
    }
  });

  test('VPN: a virtual private gateway propagating to the private subnets, and a static route to the range', () => {
    const t = path({ route: { kind: 'vpn', customerGatewayIp: '203.0.113.10' } });
    t.resourceCountIs('AWS::EC2::VPNGateway', 1);
    t.hasResourceProperties('AWS::EC2::CustomerGateway', { IpAddress: '203.0.113.10', BgpAsn: 65000 });
    t.hasResourceProperties('AWS::EC2::VPNConnectionRoute', { DestinationCidrBlock: '10.200.0.0/24' });
    t.resourceCountIs('AWS::EC2::VPNGatewayRoutePropagation', 1);
  });

  test('a private zone named like the host answers with the given address, and nothing else', () => {
    const t = path({ host: 'erp.internal.example.com', dns: { kind: 'private-zone', address: '10.200.0.10' } });
    t.hasResourceProperties('AWS::Route53::HostedZone', { Name: 'erp.internal.example.com.' });
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'erp.internal.example.com.',
      Type: 'A',
      ResourceRecords: ['10.200.0.10'],
    });
  });

  test('a resolver endpoint forwards the host to the given DNS servers, which alone it may reach', () => {
    const t = path({
      host: 'erp.internal.example.com',
      dns: { kind: 'resolver', targetIps: ['10.200.0.2', '10.200.0.3'] },
    });
    t.hasResourceProperties('AWS::Route53Resolver::ResolverEndpoint', { Direction: 'OUTBOUND' });
    t.hasResourceProperties('AWS::Route53Resolver::ResolverRule', {
      RuleType: 'FORWARD',
      DomainName: 'erp.internal.example.com',
      TargetIps: [
        { Ip: '10.200.0.2', Port: '53' },
        { Ip: '10.200.0.3', Port: '53' },
      ],
    });
    const egress = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (g) => g.Properties.SecurityGroupEgress ?? [],
    );
    expect(
      egress
        .filter((e: any) => e.FromPort === 53)
        .map((e: any) => `${e.CidrIp} ${e.IpProtocol}`)
        .sort(),
    ).toEqual(['10.200.0.2/32 tcp', '10.200.0.2/32 udp', '10.200.0.3/32 tcp', '10.200.0.3/32 udp']);
  });

  test('refuses a host name that nothing resolves', () => {
    expect(() => path({ host: 'erp.internal.example.com' })).toThrow(/nothing resolves 'erp\.internal\.example\.com'/);
  });
});
