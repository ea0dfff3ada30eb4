import { Aspects, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';
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

/**
 * The NAT instance's type: 2 vCPU burstable, 0.5 GiB, up to 5 Gbit/s in bursts (EC2 instance
 * types, T4g); 0.0042 USD an hour in us-east-1. Egress of a dev stage (image pulls, AWS APIs) is
 * bursty and small.
 */
export const NAT_INSTANCE_TYPE = 't4g.nano';

/**
 * What the NAT instance runs at boot: IP forwarding and masquerading out of its default route.
 * aws-cdk-lib's default commands install iptables-services with one `yum install`, which can
 * lose a race with the instance's own dnf run at first boot and leave the NAT without rules
 * (aws/aws-cdk#36717); here the install is retried, and the interface comes from `ip route`
 * (iproute is in every Amazon Linux 2023 image; `route` needs net-tools).
 */
export const NAT_USER_DATA = [
  'for attempt in 1 2 3 4 5 6; do dnf install -y iptables-services && break; sleep 10; done',
  'systemctl enable --now iptables',
  'echo "net.ipv4.ip_forward=1" > /etc/sysctl.d/custom-ip-forwarding.conf',
  'sysctl -p /etc/sysctl.d/custom-ip-forwarding.conf',
  'iptables -t nat -A POSTROUTING -o "$(ip route show default | awk \'{print $5; exit}\')" -j MASQUERADE',
  'iptables -F FORWARD',
  'service iptables save',
];

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
   * What does the NAT: managed gateways, or EC2 instances (one per `natGateways`); see
   * {@link NAT_INSTANCE_TYPE}.
   *
   * @default 'gateway'
   */
  readonly nat?: 'gateway' | 'instance';
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

    const natInstances = props.nat === 'instance' ? natInstanceProvider() : undefined;
    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways,
      natGatewayProvider: natInstances,
      subnetConfiguration: [
        // Only the NAT gateways (Elastic IPs) or NAT instances (which ask for an address of their
        // own) live here; an instance placed in a public subnet by mistake gets no public address.
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

    if (natInstances) this.hardenNatInstances(natInstances, props.cidr);

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
  /**
   * NAT instances forward what the VPC sends them and nothing else: inbound only from the VPC's
   * range (the provider's default would admit the whole internet), IMDSv2 only, an encrypted root
   * volume.
   */
  private hardenNatInstances(provider: ec2.NatInstanceProviderV2, cidr: string): void {
    provider.connections.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.allTraffic(), 'Traffic to forward, from the VPC');
    for (const instance of provider.gatewayInstances) {
      Aspects.of(instance).add(new ec2.InstanceRequireImdsv2Aspect());
      instance.instance.blockDeviceMappings = [
        { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true } },
      ];
      acknowledge(
        instance,
        'AwsSolutions-EC28',
        'A NAT instance of a dev stage: the VPC flow logs and the instance status check cover it; detailed monitoring would cost more than the instance.',
      );
      acknowledge(
        instance,
        'AwsSolutions-EC29',
        'CloudFormation replaces the NAT instance when Amazon Linux publishes a new AMI; termination protection would make that replacement fail.',
      );
    }
  }
}

/**
 * NAT instances on the latest Amazon Linux 2023 for ARM (an SSM parameter CloudFormation reads
 * at each deploy: synth needs no lookup, and a deploy after a new AMI replaces the instance,
 * patched), with a public address of their own: the public subnets assign none (aws/aws-cdk#31711).
 */
function natInstanceProvider(): ec2.NatInstanceProviderV2 {
  return ec2.NatProvider.instanceV2({
    instanceType: new ec2.InstanceType(NAT_INSTANCE_TYPE),
    machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    associatePublicIpAddress: true,
    defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
    userData: ec2.UserData.custom(['#!/bin/bash', ...NAT_USER_DATA].join('\n')),
  });
}
