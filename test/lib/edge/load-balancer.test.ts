import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { listenerPriority, LoadBalancer } from '../../../lib/edge/load-balancer';

/** The priority of each host's rule on both listeners, for services added in this order. */
function priorities(hosts: string[]): Record<string, number[]> {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Lb', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-a', 'subnet-b'],
  });
  const lb = new LoadBalancer(stack, 'LoadBalancer', {
    vpc,
    hosts,
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.com',
    }),
    accessLogBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs'),
  });
  for (const host of hosts) {
    lb.addTarget({
      name: host.split('.')[0].replace(/^./, (c) => c.toUpperCase()),
      host,
      port: 80,
      healthCheckPath: '/',
      deregistrationDelay: Duration.seconds(10),
    });
  }
  const rules = Template.fromStack(stack).findResources('AWS::ElasticLoadBalancingV2::ListenerRule');
  const byHost: Record<string, number[]> = {};
  for (const rule of Object.values(rules)) {
    const host = rule.Properties.Conditions[0].HostHeaderConfig.Values[0] as string;
    (byHost[host] ??= []).push(rule.Properties.Priority as number);
  }
  return byHost;
}

describe('listener rule priorities (CodeDeploy owns the rules’ target groups after the first swap)', () => {
  const hosts = ['api.example.com', 'certification.example.com', 'admin.example.com'];
  const before = priorities(hosts);

  test('each host has one priority, the same on the production and test listeners, derived from its name', () => {
    for (const host of hosts) expect(before[host]).toEqual([listenerPriority(host), listenerPriority(host)]);
  });

  test('adding a service, reordering services or removing one changes no remaining rule’s priority', () => {
    // A synthesis costs about a second: one covers adding first, reordering and removing.
    const after = priorities(['shop.example.com', 'admin.example.com', 'certification.example.com']);
    for (const host of ['admin.example.com', 'certification.example.com']) expect(after[host]).toEqual(before[host]);
    expect(after['shop.example.com']).toEqual([
      listenerPriority('shop.example.com'),
      listenerPriority('shop.example.com'),
    ]);
  });

  test('priorities stay within the 1–50000 ALB allows', () => {
    for (const host of ['a.example.com', 'x'.repeat(60) + '.example.com']) {
      expect(listenerPriority(host)).toBeGreaterThanOrEqual(1);
      expect(listenerPriority(host)).toBeLessThanOrEqual(50000);
    }
  });
});
