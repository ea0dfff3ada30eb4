import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

/** The body limit of the paths under one prefix. */
export interface BodyLimit {
  /** Requests whose URI path starts with this. */
  readonly pathPrefix: string;
  /** Largest body, in bytes. */
  readonly maxBodyBytes: number;
}

/** What the web ACL of a distribution is built from. */
export interface WebAclOptions {
  /** Prefix of the web ACL's metric names. */
  readonly metricPrefix: string;
  /** Requests per five minutes from one IP before it is blocked. */
  readonly rateLimitPerIp: number;
  /** Largest body on paths without their own limit; within the inspection window (config validates it). */
  readonly maxBodyBytes: number;
  /** Per path-prefix body limits. */
  readonly bodyLimits: readonly BodyLimit[];
}

/** Body inspection windows WAF offers for CloudFront, in bytes, with their AssociationConfig names. */
const INSPECTION_WINDOWS: readonly [number, string][] = [
  [16_384, 'KB_16'],
  [32_768, 'KB_32'],
  [49_152, 'KB_48'],
  [65_536, 'KB_64'],
];

/** The largest body WAF can inspect behind CloudFront. */
const WINDOW_BYTES = INSPECTION_WINDOWS[INSPECTION_WINDOWS.length - 1][0];

/**
 * The web ACL of a distribution (child `WebAcl` of `scope`): AWS managed rule groups for a PHP
 * application, request-body limits per path, and a per-IP rate limit.
 *
 * `AWSManagedRulesCommonRuleSet`'s `SizeRestrictions_BODY` blocks every body over 8 KB (AWS WAF
 * developer guide, "Core rule set (CRS) managed rule group"), which turns uploads and large forms
 * into 403s. It is set to count, and the size rules take its place with limits from config.
 */
export function createWebAcl(scope: Construct, options: WebAclOptions): wafv2.CfnWebACL {
  const { metricPrefix } = options;
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'CLOUDFRONT',
    defaultAction: { allow: {} },
    visibilityConfig: visibility(metricPrefix, 'web-acl'),
    // CloudFront forwards 16 KB of a body to WAF unless the web ACL asks for more (extra fees).
    associationConfig: { requestBody: { CLOUDFRONT: { defaultSizeInspectionLimit: inspectionLimit(options) } } },
    rules: [
      managedRule(metricPrefix, 'AWSManagedRulesAmazonIpReputationList', 0),
      {
        ...managedRule(metricPrefix, 'AWSManagedRulesCommonRuleSet', 1),
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: 'AWSManagedRulesCommonRuleSet',
            ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
          },
        },
      },
      managedRule(metricPrefix, 'AWSManagedRulesKnownBadInputsRuleSet', 2),
      managedRule(metricPrefix, 'AWSManagedRulesPHPRuleSet', 3),
      managedRule(metricPrefix, 'AWSManagedRulesSQLiRuleSet', 4),
      {
        name: 'RateLimitPerIp',
        priority: 10,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: options.rateLimitPerIp, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility(metricPrefix, 'rate-limit'),
      },
      ...bodySizeRules(options),
    ],
  });
}

/** Metrics and sampled requests of one rule, named `<prefix>-<name>`. */
function visibility(metricPrefix: string, name: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${metricPrefix}-${name}` };
}

/** An AWS managed rule group, with its own actions. */
function managedRule(metricPrefix: string, name: string, priority: number): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: visibility(metricPrefix, name),
  };
}

/** Requests whose URI path starts with `prefix`. */
function uriStartsWith(prefix: string): wafv2.CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'STARTS_WITH',
      searchString: prefix,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/**
 * Requests with a body over `bytes`. A body past the inspection window counts as too large
 * (`OversizeHandling: MATCH`): every limit enforced here lies within the window, so a body WAF
 * cannot see whole is over it.
 */
function bodyOver(bytes: number): wafv2.CfnWebACL.StatementProperty {
  return {
    sizeConstraintStatement: {
      fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
      comparisonOperator: 'GT',
      size: bytes,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  };
}

/** The per-path limits WAF can enforce: those within its inspection window. */
function enforcedLimits(bodyLimits: readonly BodyLimit[]): BodyLimit[] {
  return bodyLimits.filter((l) => l.maxBodyBytes <= WINDOW_BYTES);
}

/**
 * One blocking rule per enforced path limit, and the default limit for every other path: paths
 * with their own limit (enforced, or exempt beyond the window) skip the default.
 */
function bodySizeRules(options: WebAclOptions): wafv2.CfnWebACL.RuleProperty[] {
  const { metricPrefix, bodyLimits } = options;
  const rules: wafv2.CfnWebACL.RuleProperty[] = enforcedLimits(bodyLimits).map((limit, i) => ({
    name: `BodySize${i + 1}`,
    priority: 21 + i,
    action: { block: {} },
    statement: { andStatement: { statements: [uriStartsWith(limit.pathPrefix), bodyOver(limit.maxBodyBytes)] } },
    visibilityConfig: visibility(metricPrefix, `body-size-${i + 1}`),
  }));
  const exempt = bodyLimits.map((l) => uriStartsWith(l.pathPrefix));
  const notExempt: wafv2.CfnWebACL.StatementProperty[] =
    exempt.length === 0
      ? []
      : [{ notStatement: { statement: exempt.length === 1 ? exempt[0] : { orStatement: { statements: exempt } } } }];
  rules.push({
    name: 'BodySizeDefault',
    priority: 20,
    action: { block: {} },
    statement:
      notExempt.length === 0
        ? bodyOver(options.maxBodyBytes)
        : { andStatement: { statements: [bodyOver(options.maxBodyBytes), ...notExempt] } },
    visibilityConfig: visibility(metricPrefix, 'body-size-default'),
  });
  return rules;
}

/** The smallest inspection window that holds the largest limit enforced. */
function inspectionLimit(options: WebAclOptions): string {
  const largest = Math.max(options.maxBodyBytes, ...enforcedLimits(options.bodyLimits).map((l) => l.maxBodyBytes));
  return INSPECTION_WINDOWS.find(([bytes]) => bytes >= largest)![1];
}
