import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';
import { createWebAcl, type BodyLimit } from './web-acl';

export type { BodyLimit } from './web-acl';

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
  /**
   * Whether to create the hosts' A/AAAA alias records. Off until the stage takes its traffic:
   * Route 53 refuses to create a record that already exists (the old servers' record), and a
   * record here would point production at a stage whose data is not copied yet.
   *
   * @default false
   */
  readonly cutover?: boolean;
  /**
   * Largest request body (bytes) the web ACL admits on paths without their own limit; at most
   * 64 KB, the most of a body WAF can inspect behind CloudFront (config validates it).
   *
   * @default 65536
   */
  readonly maxBodyBytes?: number;
  /**
   * Per path-prefix body limits (uploads). A limit above the inspection window exempts the path
   * from the edge's size check; the application's own limit applies there.
   *
   * @default - none
   */
  readonly bodyLimits?: readonly BodyLimit[];
}

/**
 * CloudFront in front of a stage, replacing Cloudflare: TLS 1.2 (2021) for viewers with a
 * us-east-1 certificate for every host; the default behaviour goes to the internal load
 * balancer through a VPC origin (so nothing reaches the load balancer around CloudFront),
 * uncached, with the viewer's Host header so the load balancer can route by host; static paths
 * come from the assets bucket through origin access control, cached; standard logs; a WAF web
 * ACL with AWS managed rule groups, body-size limits per path and a per-IP rate limit; alias
 * records for every host once the stage is cut over.
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
    this.webAcl = createWebAcl(this, {
      metricPrefix: props.metricPrefix,
      rateLimitPerIp: props.rateLimitPerIp ?? 2000,
      maxBodyBytes: props.maxBodyBytes ?? 65_536,
      bodyLimits: props.bodyLimits ?? [],
    });
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

    // Records only after cut-over (docs/migration-guide.md): until then the old servers own the names.
    if (!props.cutover) return;
    for (const host of props.hosts) {
      const target = route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.distribution));
      const id = host.replace(/[^A-Za-z0-9]/g, '-');
      new route53.ARecord(this, `${id}-A`, { zone: props.hostedZone, recordName: host, target });
      new route53.AaaaRecord(this, `${id}-AAAA`, { zone: props.hostedZone, recordName: host, target });
    }
  }
}
