import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { resolveStage, type StageName } from '../../../config';
import { csl } from '../../../config/systems/csl';
import { shipment } from '../../../config/systems/shipment';
import { natUserData } from '../../../lib/network/network';
import { NetworkStack } from '../../../lib/stacks/network-stack';
import { testApp } from '../../helpers';

function networkTemplate(system: typeof csl, stage: StageName): Template {
  const config = resolveStage(system, stage);
  // Stacks built alone, for their shape: the fixture of test/lib/stages.test.ts validates every
  // stage's Network stack as it deploys.
  const app = testApp({}, { validation: false });
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

  describe('the NAT instance’s boot script, run with fake dnf, iptables and aws', () => {
    const [[logicalId, instance]] = Object.entries(dev.findResources('AWS::EC2::Instance'));
    const script = instance.Properties.UserData['Fn::Base64'] as string;

    /** Runs the script with fakes on PATH and its files under a scratch directory; returns what it did. */
    function boot(world: { dnfFailures: number; saved?: string }) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nat-user-data-'));
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const fake = (name: string, body: string) =>
        fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${dir}/calls\n${body}\n`, {
          mode: 0o755,
        });
      // dnf loses the first-boot race (aws/aws-cdk#36717) this many times, then installs.
      fake('dnf', `n=$(grep -c '^dnf' ${dir}/calls); [ "$n" -gt ${world.dnfFailures} ]`);
      fake('ip', 'echo "default via 10.10.0.1 dev ens5 proto dhcp src 10.10.0.10 metric 512"');
      fake('sysctl', `[ "$1" = -n ] && cut -d= -f2 ${dir}/custom-ip-forwarding.conf; exit 0`);
      fake('iptables-save', `printf '%s\\n' ${JSON.stringify(world.saved ?? '-A POSTROUTING -o ens5 -j MASQUERADE')}`);
      fake('curl', 'case "$*" in *api/token*) echo tok ;; *instance-id*) echo i-0123 ;; esac');
      for (const name of ['systemctl', 'iptables', 'aws', 'sleep', 'dd', 'chmod', 'mkswap', 'swapon'])
        fake(name, 'exit 0');
      const local = script
        .replaceAll('/etc/sysctl.d/', `${dir}/`)
        .replaceAll('/etc/sysconfig/', `${dir}/`)
        .replaceAll('/swapfile', `${dir}/swapfile`);
      const run = spawnSync('/bin/bash', ['-c', local], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
      const calls = fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
      fs.rmSync(dir, { recursive: true, force: true });
      return {
        status: run.status,
        calls,
        signals: calls.filter((c) => c.startsWith('aws cloudformation signal-resource')),
      };
    }
    const signal = (status: string) =>
      `aws cloudformation signal-resource --region eu-west-1 --stack-name Network --logical-resource-id ${logicalId} --unique-id i-0123 --status ${status}`;

    test('is the script the template deploys, and CloudFormation waits for its signal', () => {
      expect(script).toBe(natUserData({ region: 'eu-west-1', stackName: 'Network', logicalId }));
      expect(instance.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT15M' } });
      // An edited script replaces the instance (cloud-init would not run it again on a stop/start).
      const version = createHash('sha256')
        .update(natUserData({ region: '', stackName: '', logicalId: '' }))
        .digest('hex')
        .slice(0, 8)
        .toUpperCase();
      expect(logicalId).toMatch(new RegExp(`Boot${version}$`));
      // The private subnets' routes move to the instance only once it has signalled.
      const routes = Object.values(dev.findResources('AWS::EC2::Route')).filter((r) => r.Properties.InstanceId);
      expect(routes.length).toBeGreaterThan(0);
      for (const route of routes) expect(route.Properties.InstanceId).toEqual({ Ref: logicalId });
    });

    test('retries the install, masquerades out of the default route, keeps the rules for the next boot, signals SUCCESS', () => {
      const { status, calls, signals } = boot({ dnfFailures: 2 });
      expect(status).toBe(0);
      expect(calls.filter((c) => c.startsWith('dnf '))).toHaveLength(3);
      expect(calls).toEqual(
        expect.arrayContaining([
          'systemctl enable --now iptables',
          'iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE',
          'iptables -F FORWARD',
          'iptables-save ',
        ]),
      );
      expect(signals).toEqual([signal('SUCCESS')]);
    });

    test('an install that never succeeds signals FAILURE, so the deploy fails before any route moves', () => {
      const { status, calls, signals } = boot({ dnfFailures: 99 });
      expect(status).toBe(1);
      expect(calls.filter((c) => c.startsWith('dnf '))).toHaveLength(6);
      expect(calls.some((c) => c.startsWith('iptables '))).toBe(false);
      expect(signals).toEqual([signal('FAILURE')]);
    });

    test('rules that would not survive a reboot signal FAILURE', () => {
      const { status, signals } = boot({ dnfFailures: 0, saved: '-A FORWARD -j REJECT' });
      expect(status).toBe(1);
      expect(signals).toEqual([signal('FAILURE')]);
    });
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
