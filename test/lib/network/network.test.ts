import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NAT_INSTANCE_TYPE, NAT_SIGNAL_TIMEOUT, Network, type NetworkProps } from '../../../lib/network/network';
import { bareStack } from '../../helpers';

/** A network of two zones on a bare stack. */
function network(overrides: Partial<NetworkProps> = {}): Template {
  const stack = bareStack('Network');
  new Network(stack, 'Network', { cidr: '10.0.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'], ...overrides });
  return Template.fromStack(stack);
}

describe('Network', () => {
  test('public /24, private /20 and isolated /24 subnets in each zone; public subnets assign no address', () => {
    const t = network();
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    const subnets = Object.values(t.findResources('AWS::EC2::Subnet')).map((s) => s.Properties);
    expect(subnets).toHaveLength(6);
    const byType = (type: string) => subnets.filter((s) => s.Tags.some((tag: any) => tag.Value === type));
    expect(byType('Public').map((s) => s.CidrBlock.split('/')[1])).toEqual(['24', '24']);
    expect(byType('Private').map((s) => s.CidrBlock.split('/')[1])).toEqual(['20', '20']);
    expect(byType('Isolated').map((s) => s.CidrBlock.split('/')[1])).toEqual(['24', '24']);
    for (const s of byType('Public')) expect(s.MapPublicIpOnLaunch).toBe(false);
    expect(byType('Public').map((s) => s.AvailabilityZone)).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test('one NAT gateway per zone by default, or as many as asked', () => {
    network().resourceCountIs('AWS::EC2::NatGateway', 2);
    network({ natGateways: 1 }).resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('a NAT instance instead reports its boot to CloudFormation, and an edited boot script replaces it', () => {
    const t = network({ nat: 'instance', natGateways: 1 });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    const [[id, instance]] = Object.entries(t.findResources('AWS::EC2::Instance'));
    expect(id).toMatch(/Boot[0-9A-F]{8}$/);
    expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: NAT_SIGNAL_TIMEOUT } });
    expect(instance.Properties).toMatchObject({
      InstanceType: NAT_INSTANCE_TYPE,
      SourceDestCheck: false,
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } },
      ],
    });
    // Forwards for the VPC only, not the whole internet.
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', IpProtocol: '-1' })],
    });
  });

  test('routes S3 through a gateway endpoint, and interface endpoints only when asked, open on 443 to the VPC', () => {
    const none = network();
    none.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    const t = network({ interfaceEndpoints: ['ecr.api', 'logs'] });
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties);
    expect(endpoints.filter((e) => e.VpcEndpointType === 'Interface')).toHaveLength(2);
    for (const e of endpoints.filter((e) => e.VpcEndpointType === 'Interface')) expect(e.PrivateDnsEnabled).toBe(true);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface VPC endpoints: HTTPS from inside the VPC',
      SecurityGroupIngress: [
        { CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: 'HTTPS from the VPC' },
      ],
    });
  });

  test('rejects an endpoint it does not know', () => {
    expect(() => network({ interfaceEndpoints: ['dynamo'] })).toThrow(/interfaceEndpoints: 'dynamo' is not supported/);
  });

  test('logs all traffic to a log group with the given retention, kept by default', () => {
    const t = network({ flowLogRetention: logs.RetentionDays.ONE_MONTH });
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
    network({ removalPolicy: RemovalPolicy.DESTROY }).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });
});
