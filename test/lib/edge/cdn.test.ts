import { Template, Match } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Cdn, type CdnProps } from '../../../lib/edge/cdn';
import { bareStack } from '../../helpers';

/** A distribution for two hosts, with everything it takes as references. */
function cdn(overrides: Partial<CdnProps> = {}): Template {
  const stack = bareStack('Edge');
  new Cdn(stack, 'Cdn', {
    hosts: ['api.example.com', 'www.example.com'],
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z123',
      zoneName: 'example.com',
    }),
    loadBalancer: elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
      loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/x/0123456789abcdef',
      securityGroupId: 'sg-12345678',
      loadBalancerDnsName: 'internal-x.eu-west-1.elb.amazonaws.com',
    }),
    assetsBucket: s3.Bucket.fromBucketName(stack, 'Assets', 'assets'),
    logBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs'),
    metricPrefix: 'test',
    staticPaths: ['/build/*'],
    ...overrides,
  });
  return Template.fromStack(stack);
}

describe('Cdn', () => {
  test('serves every host over TLS 1.2 with one certificate validated in the zone', () => {
    const t = cdn();
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.example.com',
      SubjectAlternativeNames: ['www.example.com'],
      ValidationMethod: 'DNS',
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['api.example.com', 'www.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
        WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CdnWebAcl'), 'Arn'] },
        Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
      }),
    });
  });

  test('sends everything to the load balancer through a VPC origin, uncached, and static paths to the bucket, cached', () => {
    const t = cdn();
    t.resourceCountIs('AWS::CloudFront::VpcOrigin', 1);
    const config = Object.values(t.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
    // AWS managed cache policies: CachingDisabled and CachingOptimized.
    expect(config.DefaultCacheBehavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(config.DefaultCacheBehavior.AllowedMethods).toHaveLength(7);
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({ PathPattern: '/build/*', CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' }),
    ]);
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  test('writes no DNS record before cut-over, and an A and AAAA alias per host after', () => {
    cdn().resourceCountIs('AWS::Route53::RecordSet', 0);
    const after = cdn({ cutover: true });
    for (const type of ['A', 'AAAA']) {
      for (const host of ['api.example.com', 'www.example.com']) {
        after.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${host}.`, Type: type });
      }
    }
  });

  test('refuses a distribution without a host', () => {
    expect(() => cdn({ hosts: [] })).toThrow(/hosts is empty/);
  });
});
