import { createHash } from 'crypto';
import { Aspects, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';
import { pascal } from '../../config/names';

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

/** Where a NAT instance reports to CloudFormation that it forwards (its creation policy). */
export interface NatSignalTarget {
  readonly region: string;
  readonly stackName: string;
  readonly logicalId: string;
}

/**
 * What a NAT instance runs at boot (cloud-init, once per instance): IP forwarding and
 * masquerading out of its default route, kept for the next boot, then a signal to
 * CloudFormation, which waits for it (a creation policy) before it moves the private subnets'
 * routes to the instance. A NAT that did not come up fails the deploy instead of cutting egress.
 *
 * - aws-cdk-lib's default commands install iptables-services with one `yum install`, which can
 *   lose a race with the first boot's own dnf run (aws/aws-cdk#36717): retried here. A swap file
 *   first, as dnf has been OOM-killed on 0.5 GiB instances.
 * - The rules are written with `iptables-save` to the file iptables.service loads at boot; the
 *   `service iptables save` of the defaults needs initscripts, which AL2023 does not ship, and
 *   without it a reboot would bring back the package's default rules (FORWARD rejected).
 * - The interface comes from `ip route` (iproute is in every AL2023 image; `route` needs net-tools).
 */
export function natUserData(target: NatSignalTarget): string {
  return [
    '#!/bin/bash',
    'set -uo pipefail',
    'signal() {',
    "  token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    '  id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)',
    '  for attempt in 1 2 3 4 5; do',
    `    aws cloudformation signal-resource --region ${target.region} --stack-name ${target.stackName} --logical-resource-id ${target.logicalId} --unique-id "$id" --status "$1" && return 0`,
    '    sleep 10',
    '  done',
    '  return 1',
    '}',
    'nat() {',
    '  if [ ! -f /swapfile ]; then',
    '    dd if=/dev/zero of=/swapfile bs=1M count=512 && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile || true',
    '  fi',
    '  installed=no',
    '  for attempt in 1 2 3 4 5 6; do',
    '    if dnf install -y iptables-services; then installed=yes; break; fi',
    '    sleep 10',
    '  done',
    '  [ "$installed" = yes ] || return 1',
    "  iface=$(ip route show default | awk '{print $5; exit}')",
    '  [ -n "$iface" ] || return 1',
    '  echo "net.ipv4.ip_forward=1" > /etc/sysctl.d/custom-ip-forwarding.conf || return 1',
    '  sysctl -p /etc/sysctl.d/custom-ip-forwarding.conf || return 1',
    '  systemctl enable --now iptables || return 1',
    '  iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE || return 1',
    '  iptables -F FORWARD || return 1',
    '  iptables-save > /etc/sysconfig/iptables || return 1',
    '  # What a NAT needs, as the next boot will find it.',
    '  [ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || return 1',
    '  grep -q -- "-A POSTROUTING -o $iface -j MASQUERADE" /etc/sysconfig/iptables || return 1',
    '  systemctl is-enabled iptables',
    '}',
    'if nat; then signal SUCCESS; else signal FAILURE; exit 1; fi',
    '',
  ].join('\n');
}

/** How long CloudFormation waits for a NAT instance's signal: boot, retried installs, the signal. */
export const NAT_SIGNAL_TIMEOUT = 'PT15M';

/** Properties of {@link Network}. */
export interface NetworkProps {
  /** The VPC's IPv4 range, e.g. `10.10.0.0/16`. */
  readonly cidr: string;
  /** Zones to spread subnets over; named so synth never looks them up. */
  readonly availabilityZones: string[];
  /**
   * NAT gateways for the private subnets' egress: 1 to one per zone (config validates it).
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
    const endpoints = props.interfaceEndpoints ?? [];
    for (const name of endpoints) {
      if (!INTERFACE_ENDPOINTS[name]) {
        throw new Error(
          `Network interfaceEndpoints: '${name}' is not supported (use ${Object.keys(INTERFACE_ENDPOINTS).join(', ')})`,
        );
      }
    }
    const natInstances = props.nat === 'instance' ? natInstanceProvider() : undefined;
    this.vpc = this.createVpc(props, natInstances);
    if (natInstances) this.hardenNatInstances(natInstances, props.cidr);
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    if (endpoints.length > 0) this.addInterfaceEndpoints(endpoints, props.cidr);
  }

  /** The VPC: three subnet tiers in the given zones, NAT (config validates one per zone at most), the S3 gateway endpoint. */
  private createVpc(props: NetworkProps, natInstances?: ec2.NatInstanceProviderV2): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: props.natGateways ?? props.availabilityZones.length,
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
    Validations.of(vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'Zones are pinned in config on purpose: synth must never look them up, and subnets must not move when a region gains a zone.',
    });
    return vpc;
  }

  /**
   * Interface endpoints in the private subnets, sharing one group open on 443 to the VPC's range
   * only. The range comes from config as a literal so the rule is reviewable in the template.
   */
  private addInterfaceEndpoints(endpoints: readonly string[], cidr: string): void {
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    endpointSg.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
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

  /**
   * NAT instances forward what the VPC sends them and nothing else: inbound only from the VPC's
   * range (the provider's default would admit the whole internet), IMDSv2 only, an encrypted root
   * volume.
   */
  private hardenNatInstances(provider: ec2.NatInstanceProviderV2, cidr: string): void {
    provider.connections.allowFrom(ec2.Peer.ipv4(cidr), ec2.Port.allTraffic(), 'Traffic to forward, from the VPC');
    const stack = Stack.of(this);
    for (const instance of provider.gatewayInstances) {
      // Each instance reports on itself, so the user data names its own logical id.
      const cfn = instance.instance;
      // CloudFormation applies a new UserData with a stop and start, and "the updated user data
      // is not run automatically when you start the instance" (EC2 user guide, "Work with
      // instance user data"): an edited script would never run. A logical id carrying the
      // script's hash makes an edit replace the instance instead (the new one signals before
      // the routes move, as on an AMI update).
      const version = createHash('sha256')
        .update(natUserData({ region: '', stackName: '', logicalId: '' }))
        .digest('hex')
        .slice(0, 8)
        .toUpperCase();
      cfn.overrideLogicalId(`${stack.getLogicalId(cfn)}Boot${version}`);
      cfn.userData = Fn.base64(
        natUserData({ region: stack.region, stackName: stack.stackName, logicalId: cfn.logicalId }),
      );
      cfn.cfnOptions.creationPolicy = { resourceSignal: { count: 1, timeout: NAT_SIGNAL_TIMEOUT } };
      instance.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [stack.stackId] }),
      );
      // The grant must exist before the instance boots and signals.
      const policy = instance.role.node.tryFindChild('DefaultPolicy');
      if (policy) cfn.node.addDependency(policy);
      Aspects.of(instance).add(new ec2.InstanceRequireImdsv2Aspect());
      cfn.blockDeviceMappings = [
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
    // T4g instances launch "unlimited" by default, billing surplus CPU credits; standard mode
    // throttles instead, so the cost estimate holds.
    creditSpecification: ec2.CpuCredits.STANDARD,
    // Replaced per instance by natUserData, which names the instance (Network.hardenNatInstances).
    userData: ec2.UserData.custom(''),
  });
}
