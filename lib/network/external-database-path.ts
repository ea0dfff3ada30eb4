import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';
import { isIpv4Address } from '../../config/ipv4';

/** How packets reach an external database's range. */
export type ExternalRoute =
  | { readonly kind: 'transit-gateway'; readonly transitGatewayId: string }
  | { readonly kind: 'peering'; readonly peeringConnectionId: string }
  | { readonly kind: 'vpn'; readonly customerGatewayIp: string; readonly customerGatewayAsn?: number };

/** How the VPC resolves an external database's host name. */
export type ExternalDns =
  | { readonly kind: 'private-zone'; readonly address: string }
  | { readonly kind: 'resolver'; readonly targetIps: readonly string[] }
  | { readonly kind: 'public' };

/** Properties of {@link ExternalDatabasePath}. */
export interface ExternalDatabasePathProps {
  /** The stage's VPC. */
  readonly vpc: ec2.Vpc;
  /** The database's host name or address. */
  readonly host: string;
  /** The database's address range: what gets routed. */
  readonly cidr: string;
  /** How the range is reached. */
  readonly route: ExternalRoute;
  /**
   * How the host name is resolved.
   *
   * @default - no DNS: the host must be an address
   */
  readonly dns?: ExternalDns;
}

/**
 * The network path from the VPC's private subnets (where the tasks run) to a database outside
 * it: a route to its range (transit gateway attachment, peering, or site-to-site VPN) and a way
 * to resolve its name (a private hosted zone with one record, or a Route 53 Resolver outbound
 * endpoint forwarding the name to the database network's DNS servers). Lives in the network
 * stack; the egress rule of each consumer stays with `ExternalDatabase` (lib/data/external-database.ts).
 */
export class ExternalDatabasePath extends Construct {
  constructor(scope: Construct, id: string, props: ExternalDatabasePathProps) {
    super(scope, id);
    if (!isIpv4Address(props.host) && !props.dns) {
      throw new Error(`${this.node.path}: nothing resolves '${props.host}'; give dns or an address as host`);
    }
    const privateSubnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    this.addRoute(props, privateSubnets);
    if (props.dns && props.dns.kind !== 'public') this.addDns(props, props.dns, privateSubnets);
  }

  private addRoute(props: ExternalDatabasePathProps, subnets: ec2.SelectedSubnets): void {
    const route = props.route;
    if (route.kind === 'vpn') {
      // A static route on the VPN connection, propagated by the virtual private gateway into
      // the private subnets' route tables (Site-to-Site VPN user guide, "Route tables and VPN route priority").
      // One virtual private gateway per VPC: a second VPN-routed database reuses it.
      if (!props.vpc.vpnGatewayId)
        props.vpc.enableVpnGateway({
          type: 'ipsec.1',
          vpnRoutePropagation: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
        });
      props.vpc.addVpnConnection(`${this.node.id}Vpn`, {
        ip: route.customerGatewayIp,
        asn: route.customerGatewayAsn ?? 65000,
        staticRoutes: [props.cidr],
      });
      return;
    }
    let attachment: ec2.CfnTransitGatewayVpcAttachment | undefined;
    if (route.kind === 'transit-gateway') {
      // One attachment subnet per zone; a shared gateway from another account must have its RAM
      // share accepted first (Transit Gateway guide, "Sharing a transit gateway").
      attachment = new ec2.CfnTransitGatewayVpcAttachment(this, 'Attachment', {
        transitGatewayId: route.transitGatewayId,
        vpcId: props.vpc.vpcId,
        subnetIds: subnets.subnetIds,
      });
    }
    subnets.subnets.forEach((subnet, i) => {
      const cfn = new ec2.CfnRoute(this, `Route${i + 1}`, {
        routeTableId: subnet.routeTable.routeTableId,
        destinationCidrBlock: props.cidr,
        ...(route.kind === 'transit-gateway'
          ? { transitGatewayId: route.transitGatewayId }
          : { vpcPeeringConnectionId: route.peeringConnectionId }),
      });
      // A route to a gateway the VPC is not attached to yet is refused.
      if (attachment) cfn.addResourceDependency(attachment);
    });
  }

  private addDns(
    props: ExternalDatabasePathProps,
    dns: Exclude<ExternalDns, { kind: 'public' }>,
    subnets: ec2.SelectedSubnets,
  ): void {
    if (dns.kind === 'private-zone') {
      // A zone named exactly like the host answers for it and nothing else, so the VPC keeps
      // resolving every other name under the same parent domain as before.
      const zone = new route53.PrivateHostedZone(this, 'Zone', { zoneName: props.host, vpc: props.vpc });
      new route53.ARecord(this, 'Record', { zone, target: route53.RecordTarget.fromIpAddresses(dns.address) });
      return;
    }
    const group = new ec2.SecurityGroup(this, 'ResolverSecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: DNS queries to the external network resolvers only`,
      allowAllOutbound: false,
    });
    for (const ip of dns.targetIps) {
      group.addEgressRule(ec2.Peer.ipv4(`${ip}/32`), ec2.Port.udp(53), `DNS to ${ip}`);
      group.addEgressRule(ec2.Peer.ipv4(`${ip}/32`), ec2.Port.tcp(53), `DNS over TCP to ${ip}`);
    }
    // An outbound endpoint needs addresses in at least two subnets (Route 53 Resolver API,
    // CreateResolverEndpoint: IpAddresses, minimum 2 items).
    const endpoint = new route53resolver.CfnResolverEndpoint(this, 'Endpoint', {
      direction: 'OUTBOUND',
      securityGroupIds: [group.securityGroupId],
      ipAddresses: subnets.subnetIds.map((subnetId) => ({ subnetId })),
    });
    const rule = new route53resolver.CfnResolverRule(this, 'Rule', {
      ruleType: 'FORWARD',
      domainName: props.host,
      resolverEndpointId: endpoint.attrResolverEndpointId,
      targetIps: dns.targetIps.map((ip) => ({ ip, port: '53' })),
    });
    new route53resolver.CfnResolverRuleAssociation(this, 'RuleAssociation', {
      resolverRuleId: rule.attrResolverRuleId,
      vpcId: props.vpc.vpcId,
    });
  }
}
