import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { pascal } from '../names';

/** Interface endpoints a stage can switch on, by the names config uses. */
const INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  'ecr.api': ec2.InterfaceVpcEndpointAwsService.ECR,
  'ecr.dkr': ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  sts: ec2.InterfaceVpcEndpointAwsService.STS,
  kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  ecs: ec2.InterfaceVpcEndpointAwsService.ECS,
};

/** Properties of {@link Network}. */
export interface NetworkProps {
  /** The VPC's IPv4 range, e.g. `10.10.0.0/16`. */
  readonly cidr: string;
  /** Zones to spread subnets over; named so synth never looks them up. */
  readonly availabilityZones: string[];
  /**
   * NAT gateways for the private subnets' egress.
   *
   * @default - one per availability zone
   */
  readonly natGateways?: number;
  /**
   * Interface endpoints to create, by name (`ecr.api`, `ecr.dkr`, `logs`, `secretsmanager`, ...).
   *
   * @default - none; traffic to AWS APIs goes through the NAT gateways
   */
  readonly interfaceEndpoints?: string[];
  /**
   * How long VPC flow logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to the flow-log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The VPC of one stage: public subnets for load balancers and NAT, private subnets with egress
 * for tasks, isolated subnets for data stores; flow logs, and an S3 gateway endpoint so image
 * layers and uploads do not pay for NAT.
 */
export class Network extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.Vpc;
  /** The log group VPC flow logs go to. */
  public readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const natGateways = props.natGateways ?? props.availabilityZones.length;
    const endpoints = props.interfaceEndpoints ?? [];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (natGateways < 1 || natGateways > props.availabilityZones.length) {
      throw new Error(
        `Network natGateways: ${natGateways} is outside 1..${props.availabilityZones.length} (one per zone at most)`,
      );
    }
    for (const name of endpoints) {
      if (!INTERFACE_ENDPOINTS[name]) {
        throw new Error(
          `Network interfaceEndpoints: '${name}' is not supported (use ${Object.keys(INTERFACE_ENDPOINTS).join(', ')})`,
        );
      }
    }

    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways,
      subnetConfiguration: [
        // Only the NAT gateways (Elastic IPs) and nothing else lives here; an instance placed in
        // a public subnet by mistake must not get a public address of its own.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });

    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'Zones are pinned in config on purpose: synth must never look them up, and subnets must not move when a region gains a zone.',
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    if (endpoints.length > 0) {
      // One group for all endpoints, open on 443 to the VPC's range only. The range comes from
      // config as a literal so the rule is reviewable in the template.
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'Interface VPC endpoints: HTTPS from inside the VPC',
        allowAllOutbound: false,
      });
      endpointSg.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
      for (const name of endpoints) {
        this.vpc.addInterfaceEndpoint(`${pascal(name)}Endpoint`, {
          service: INTERFACE_ENDPOINTS[name],
          subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          privateDnsEnabled: true,
          securityGroups: [endpointSg],
          open: false,
        });
      }
    }
  }
}
