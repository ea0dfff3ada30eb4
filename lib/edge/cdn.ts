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
import { acknowledge } from '../shared/nag';

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
   * 64 KB, the most of a body WAF can inspect behind CloudFront.
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

/** The body limit of the paths under one prefix. */
export interface BodyLimit {
  /** Requests whose URI path starts with this. */
  readonly pathPrefix: string;
  /** Largest body, in bytes. */
  readonly maxBodyBytes: number;
}

/** Body inspection windows WAF offers for CloudFront, in bytes, with their AssociationConfig names. */
const INSPECTION_WINDOWS: readonly [number, string][] = [
  [16_384, 'KB_16'],
  [32_768, 'KB_32'],
  [49_152, 'KB_48'],
  [65_536, 'KB_64'],
];

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

    const maxBodyBytes = props.maxBodyBytes ?? 65_536;
    const windowBytes = INSPECTION_WINDOWS[INSPECTION_WINDOWS.length - 1][0];
    if (maxBodyBytes < 1 || maxBodyBytes > windowBytes) {
      throw new Error(
        `${this.node.path}: maxBodyBytes ${maxBodyBytes} is outside 1..${windowBytes} (WAF's largest body window)`,
      );
    }
    this.webAcl = webAcl(this, props.metricPrefix, props.rateLimitPerIp ?? 2000, maxBodyBytes, props.bodyLimits ?? []);
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

/**
 * AWS managed rule groups for a PHP application, request-body limits per path, and a per-IP
 * rate limit.
 *
 * `AWSManagedRulesCommonRuleSet`'s `SizeRestrictions_BODY` blocks every body over 8 KB (AWS WAF
 * developer guide, "Core rule set (CRS) managed rule group"), which turns uploads and large forms
 * into 403s. It is set to count, and the size rules below take its place with limits from config.
 */
function webAcl(
  scope: Construct,
  metricPrefix: string,
  rateLimit: number,
  maxBodyBytes: number,
  bodyLimits: readonly BodyLimit[],
): wafv2.CfnWebACL {
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
  const windowBytes = INSPECTION_WINDOWS[INSPECTION_WINDOWS.length - 1][0];
  const startsWith = (prefix: string): wafv2.CfnWebACL.StatementProperty => ({
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'STARTS_WITH',
      searchString: prefix,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  });
  // A body past the inspection window counts as too large (`OversizeHandling: MATCH`): every
  // limit enforced here lies within the window, so a body WAF cannot see whole is over it.
  const bodyOver = (bytes: number): wafv2.CfnWebACL.StatementProperty => ({
    sizeConstraintStatement: {
      fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
      comparisonOperator: 'GT',
      size: bytes,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  });
  const enforced = bodyLimits.filter((l) => l.maxBodyBytes <= windowBytes);
  const sizeRules: wafv2.CfnWebACL.RuleProperty[] = enforced.map((limit, i) => ({
    name: `BodySize${i + 1}`,
    priority: 21 + i,
    action: { block: {} },
    statement: { andStatement: { statements: [startsWith(limit.pathPrefix), bodyOver(limit.maxBodyBytes)] } },
    visibilityConfig: visibility(`body-size-${i + 1}`),
  }));
  // Paths with their own limit (enforced above, or exempt beyond the window) skip the default.
  const exempt = bodyLimits.map((l) => startsWith(l.pathPrefix));
  const notExempt: wafv2.CfnWebACL.StatementProperty[] =
    exempt.length === 0
      ? []
      : [{ notStatement: { statement: exempt.length === 1 ? exempt[0] : { orStatement: { statements: exempt } } } }];
  sizeRules.push({
    name: 'BodySizeDefault',
    priority: 20,
    action: { block: {} },
    statement:
      notExempt.length === 0
        ? bodyOver(maxBodyBytes)
        : { andStatement: { statements: [bodyOver(maxBodyBytes), ...notExempt] } },
    visibilityConfig: visibility('body-size-default'),
  });
  const largest = Math.max(maxBodyBytes, ...enforced.map((l) => l.maxBodyBytes));
  const inspection = INSPECTION_WINDOWS.find(([bytes]) => bytes >= largest)![1];
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('web-acl'),
    // CloudFront forwards 16 KB of a body to WAF unless the web ACL asks for more (extra fees).
    associationConfig: { requestBody: { CLOUDFRONT: { defaultSizeInspectionLimit: inspection } } },
    rules: [
      managed('AWSManagedRulesAmazonIpReputationList', 0),
      {
        ...managed('AWSManagedRulesCommonRuleSet', 1),
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: 'AWSManagedRulesCommonRuleSet',
            ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
          },
        },
      },
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
      ...sizeRules,
    ],
  });
}
