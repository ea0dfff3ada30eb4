import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/** Properties of {@link Cdn}. */
export interface CdnProps {
  /** Every public host of the stage; each becomes an alias of the distribution. */
  readonly hosts: string[];
  /** The zone the hosts and the certificate's validation records live in. */
  readonly hostedZone: route53.IHostedZone;
  /** The internal load balancer: the origin of everything but static assets. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The static-assets bucket, read through origin access control. */
  readonly assetsBucket: s3.IBucket;
  /** The bucket for standard logs. */
  readonly logBucket: s3.IBucket;
  /**
   * Path patterns served from the assets bucket.
   *
   * @default - none; everything goes to the load balancer
   */
  readonly staticPaths?: string[];
  /**
   * Requests per five minutes from one IP before the web ACL blocks it.
   *
   * @default 2000
   */
  readonly rateLimitPerIp?: number;
  /** Prefix of the web ACL's metric names. */
  readonly metricPrefix: string;
}

/**
 * CloudFront in front of a stage, replacing Cloudflare: TLS 1.2 (2021) for viewers with a
 * us-east-1 certificate for every host; the default behaviour goes to the internal load
 * balancer through a VPC origin (so nothing reaches the load balancer around CloudFront),
 * uncached, with the viewer's Host header so the load balancer can route by host; static paths
 * come from the assets bucket through origin access control, cached; standard logs; a WAF web
 * ACL with AWS managed rule groups and a per-IP rate limit; alias records for every host.
 */
export class Cdn extends Construct {
  /** The distribution. */
  public readonly distribution: cloudfront.Distribution;
  /** The web ACL associated with it. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** The viewer certificate (us-east-1). */
  public readonly certificate: acm.Certificate;

  constructor(scope: Construct, id: string, props: CdnProps) {
    super(scope, id);
    if (props.hosts.length === 0) throw new Error(`${this.node.path}: hosts is empty; a distribution needs a host`);

    this.webAcl = webAcl(this, props.metricPrefix, props.rateLimitPerIp ?? 2000);
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.hosts[0],
      subjectAlternativeNames: props.hosts.slice(1),
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });

    const assets = origins.S3BucketOrigin.withOriginAccessControl(props.assetsBucket);
    const staticBehavior: cloudfront.BehaviorOptions = {
      origin: assets,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      compress: true,
    };
    this.distribution = new cloudfront.Distribution(this, 'Resource', {
      comment: props.metricPrefix,
      domainNames: props.hosts,
      certificate: this.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: this.webAcl.attrArn,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.VpcOrigin.withApplicationLoadBalancer(props.loadBalancer, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          readTimeout: Duration.seconds(60),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        compress: true,
      },
      additionalBehaviors: Object.fromEntries((props.staticPaths ?? []).map((path) => [path, staticBehavior])),
    });
    acknowledge(
      this,
      'Annotation::@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      "The assets bucket lives in the stage's data stack, which grants CloudFront read access itself (AppBuckets).",
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The platforms serve users worldwide; there is no country to block. The WAF rate limit and managed rules apply instead.',
    );

    for (const host of props.hosts) {
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      const id = host.replace(/[^A-Za-z0-9]/g, '-');
      new route53.ARecord(this, `${id}-A`, { zone: props.hostedZone, recordName: host, target });
      new route53.AaaaRecord(this, `${id}-AAAA`, { zone: props.hostedZone, recordName: host, target });
    }
  }
}

/** AWS managed rule groups for a PHP application, and a per-IP rate limit. */
function webAcl(scope: Construct, metricPrefix: string, rateLimit: number): wafv2.CfnWebACL {
  const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: `${metricPrefix}-${name}`,
  });
  const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: visibility(name),
  });
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('web-acl'),
    rules: [
      managed('AWSManagedRulesAmazonIpReputationList', 0),
      managed('AWSManagedRulesCommonRuleSet', 1),
      managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
      managed('AWSManagedRulesPHPRuleSet', 3),
      managed('AWSManagedRulesSQLiRuleSet', 4),
      {
        name: 'RateLimitPerIp',
        priority: 10,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('rate-limit'),
      },
    ],
  });
}
