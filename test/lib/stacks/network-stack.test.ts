import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { resolveStage, type StageName } from '../../../config';
import { csl } from '../../../config/systems/csl';
import { shipment } from '../../../config/systems/shipment';
import { Network } from '../../../lib/constructs/network';
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

  test('has one NAT gateway in dev and staging, one per zone in prod', () => {
    dev.resourceCountIs('AWS::EC2::NatGateway', 1);
    staging.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.resourceCountIs('AWS::EC2::NatGateway', 3);
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
