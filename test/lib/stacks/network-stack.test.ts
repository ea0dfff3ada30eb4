import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { resolveStage, type StageName } from '../../../config';
import { csl } from '../../../config/systems/csl';
import { shipment } from '../../../config/systems/shipment';
import { NAT_USER_DATA, Network } from '../../../lib/constructs/network';
import { NetworkStack } from '../../../lib/stacks/network-stack';
import { testApp } from '../../helpers';

function networkTemplate(system: typeof csl, stage: StageName): Template {
  const config = resolveStage(system, stage);
  const app = testApp();
  const stack = new NetworkStack(app, 'Network', {
    config,
    env: { account: config.account, region: config.region },
  });
  return Template.fromStack(stack);
}

describe('NetworkStack', () => {
  const dev = networkTemplate(csl, 'dev');
  const staging = networkTemplate(csl, 'staging');
  const prod = networkTemplate(shipment, 'prod');

  test('spreads public, private and isolated subnets over the configured zones', () => {
    const zones = (t: Template) =>
      Object.values(t.findResources('AWS::EC2::Subnet')).map((r) => r.Properties.AvailabilityZone as string);
    expect(zones(dev).sort()).toEqual([
      'eu-west-1a',
      'eu-west-1a',
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1b',
      'eu-west-1b',
    ]);
    expect(new Set(zones(prod))).toEqual(new Set(['us-east-1a', 'us-east-1b', 'us-east-1c']));
    prod.resourceCountIs('AWS::EC2::Subnet', 9);
    prod.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.22.0.0/16' });
  });

  test('the NAT instance boots into a NAT: its user data, run with fake dnf and iptables, retries the install and masquerades out of the default route', () => {
    const [instance] = Object.values(dev.findResources('AWS::EC2::Instance'));
    const script = instance.Properties.UserData['Fn::Base64'] as string;
    expect(script).toBe(['#!/bin/bash', ...NAT_USER_DATA].join('\n'));

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat-user-data-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    const fake = (name: string, body: string) =>
      fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${dir}/calls\n${body}\n`, {
        mode: 0o755,
      });
    // dnf loses the first-boot race twice (aws/aws-cdk#36717), then installs.
    fake('dnf', `n=$(grep -c '^dnf' ${dir}/calls); [ "$n" -ge 3 ]`);
    fake('ip', 'echo "default via 10.10.0.1 dev ens5 proto dhcp src 10.10.0.10 metric 512"');
    for (const name of ['systemctl', 'sysctl', 'iptables', 'service', 'sleep']) fake(name, 'exit 0');
    // The script's one file goes under the scratch directory instead of /etc.
    const local = script.replaceAll('/etc/sysctl.d/', `${dir}/`);
    const run = spawnSync('/bin/bash', ['-e', '-c', local], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const calls = fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.startsWith('dnf '))).toHaveLength(3);
    expect(calls).toEqual(
      expect.arrayContaining([
        'systemctl enable --now iptables',
        'iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE',
        'iptables -F FORWARD',
        'service iptables save',
      ]),
    );
    expect(fs.readFileSync(path.join(dir, 'custom-ip-forwarding.conf'), 'utf8')).toBe('net.ipv4.ip_forward=1\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('has one NAT instance in dev, one NAT gateway in staging, one gateway per zone in prod', () => {
    dev.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev.resourceCountIs('AWS::EC2::Instance', 1);
    staging.resourceCountIs('AWS::EC2::NatGateway', 1);
    staging.resourceCountIs('AWS::EC2::Instance', 0);
    prod.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('the dev NAT instance forwards for the VPC only: own public address, IMDSv2, encrypted root volume', () => {
    const [[id, instance]] = Object.entries(dev.findResources('AWS::EC2::Instance'));
    expect(instance.Properties).toEqual(
      expect.objectContaining({
        InstanceType: 't4g.nano',
        SourceDestCheck: false,
        // The public subnets assign no address; without its own the NAT reaches nothing (aws/aws-cdk#31711).
        NetworkInterfaces: [expect.objectContaining({ AssociatePublicIpAddress: true, DeviceIndex: '0' })],
        BlockDeviceMappings: [expect.objectContaining({ Ebs: expect.objectContaining({ Encrypted: true }) })],
      }),
    );
    dev.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
    });
    // Inbound only from the VPC's range (the provider's default admits 0.0.0.0/0).
    const groups = dev.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('NAT instances') },
    });
    expect(Object.values(groups).map((g) => g.Properties.SecurityGroupIngress)).toEqual([
      [expect.objectContaining({ CidrIp: '10.10.0.0/16', IpProtocol: '-1' })],
    ]);
    // Every private subnet's default route goes to it.
    const privateRoutes = Object.entries(dev.findResources('AWS::EC2::Route')).filter(([rid]) =>
      rid.includes('Private'),
    );
    expect(privateRoutes.map(([, r]) => r.Properties.InstanceId)).toEqual([{ Ref: id }, { Ref: id }]);
  });

  test('gives isolated subnets no route out', () => {
    const isolatedTables = Object.entries(prod.findResources('AWS::EC2::RouteTable'))
      .filter(([id]) => id.includes('Isolated'))
      .map(([id]) => id);
    expect(isolatedTables).toHaveLength(3);
    const routesFromIsolated = Object.values(prod.findResources('AWS::EC2::Route')).filter((r) =>
      isolatedTables.includes(r.Properties.RouteTableId.Ref),
    );
    expect(routesFromIsolated).toEqual([]);
  });

  test('logs all VPC traffic to a log group kept for the tier retention', () => {
    for (const [template, days] of [
      [dev, 14],
      [prod, 365],
    ] as const) {
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
        LogGroupName: { Ref: Match.stringLikeRegexp('FlowLogs') },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: days });
    }
  });

  test('keeps prod flow logs when the stack goes, drops dev ones', () => {
    prod.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    dev.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('routes S3 through a gateway endpoint', () => {
    dev.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
  });

  test('creates the interface endpoints the tier switches on, open on 443 to the VPC only', () => {
    dev.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
    staging.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 4);
    prod.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 6);
    prod.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.us-east-1.ecr.dkr',
      PrivateDnsEnabled: true,
    });
    prod.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('endpoints'),
      SecurityGroupIngress: [{ CidrIp: '10.22.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
  });

  test('tags resources with system, stage and cost centre', () => {
    prod.hasResourceProperties('AWS::EC2::VPC', {
      Tags: Match.arrayWith([
        { Key: 'CostCenter', Value: 'shipmentapp' },
        { Key: 'Stage', Value: 'prod' },
        { Key: 'System', Value: 'shipment' },
      ]),
    });
  });
});

describe('Network', () => {
  const props = { cidr: '10.0.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'] };

  test('rejects more NAT gateways than zones', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    expect(() => new Network(stack, 'Net', { ...props, natGateways: 3 })).toThrow(
      'Network natGateways: 3 is outside 1..2 (one per zone at most)',
    );
  });

  test('rejects an endpoint it does not know', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'S');
    expect(() => new Network(stack, 'Net', { ...props, interfaceEndpoints: ['dynamo'] })).toThrow(
      /interfaceEndpoints: 'dynamo' is not supported/,
    );
  });
});
