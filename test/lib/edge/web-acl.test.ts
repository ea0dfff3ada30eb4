import { Template } from 'aws-cdk-lib/assertions';
import { createWebAcl, type BodyLimit } from '../../../lib/edge/web-acl';
import { bareStack } from '../../helpers';

/** The web ACL's properties for these limits. */
function acl(bodyLimits: BodyLimit[], maxBodyBytes = 16_384, rateLimitPerIp = 2000) {
  const stack = bareStack();
  createWebAcl(stack, { metricPrefix: 'test', rateLimitPerIp, maxBodyBytes, bodyLimits });
  return Object.values(Template.fromStack(stack).findResources('AWS::WAFv2::WebACL'))[0].Properties;
}
const rule = (a: any, name: string) => a.Rules.find((r: any) => r.Name === name);

describe('web ACL', () => {
  test('runs the AWS managed groups for a PHP app, then the per-IP rate limit, for CloudFront', () => {
    const a = acl([], 16_384, 500);
    expect(a.Scope).toBe('CLOUDFRONT');
    expect(a.Rules.map((r: any) => [r.Name, r.Priority])).toEqual([
      ['AWSManagedRulesAmazonIpReputationList', 0],
      ['AWSManagedRulesCommonRuleSet', 1],
      ['AWSManagedRulesKnownBadInputsRuleSet', 2],
      ['AWSManagedRulesPHPRuleSet', 3],
      ['AWSManagedRulesSQLiRuleSet', 4],
      ['RateLimitPerIp', 10],
      ['BodySizeDefault', 20],
    ]);
    expect(rule(a, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP' });
    expect(rule(a, 'RateLimitPerIp').VisibilityConfig.MetricName).toBe('test-rate-limit');
  });

  test('counts the core rule set’s 8 KB body rule, so the size rules decide instead', () => {
    const overrides = rule(acl([]), 'AWSManagedRulesCommonRuleSet').Statement.ManagedRuleGroupStatement
      .RuleActionOverrides;
    expect(overrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
  });

  test('without per-path limits the default limit applies to every request, in the 16 KB window', () => {
    const a = acl([]);
    expect(rule(a, 'BodySizeDefault').Statement.SizeConstraintStatement).toMatchObject({
      Size: 16_384,
      ComparisonOperator: 'GT',
      FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
    });
    expect(a.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit).toBe('KB_16');
  });

  test('a path with a limit inside the window gets its own blocking rule, and the default skips it', () => {
    const a = acl([{ pathPrefix: '/api/forms', maxBodyBytes: 40_000 }]);
    const own = rule(a, 'BodySize1').Statement.AndStatement.Statements;
    expect(own[0].ByteMatchStatement).toMatchObject({
      SearchString: '/api/forms',
      PositionalConstraint: 'STARTS_WITH',
    });
    expect(own[1].SizeConstraintStatement).toMatchObject({
      Size: 40_000,
      FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
    });
    const def = rule(a, 'BodySizeDefault').Statement.AndStatement.Statements;
    expect(def[0].SizeConstraintStatement.Size).toBe(16_384);
    expect(def[1].NotStatement.Statement.ByteMatchStatement.SearchString).toBe('/api/forms');
    // WAF must see 40 000 bytes of the body to judge it: the 48 KB window.
    expect(a.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit).toBe('KB_48');
  });

  test('an upload path above the 64 KB window is exempt at the edge; the application limits it', () => {
    const a = acl([
      { pathPrefix: '/api/uploads', maxBodyBytes: 50 * 1024 * 1024 },
      { pathPrefix: '/livewire/upload-file', maxBodyBytes: 10 * 1024 * 1024 },
    ]);
    expect(rule(a, 'BodySize1')).toBeUndefined();
    const exempt = rule(a, 'BodySizeDefault').Statement.AndStatement.Statements[1].NotStatement.Statement.OrStatement
      .Statements;
    expect(exempt.map((s: any) => s.ByteMatchStatement.SearchString)).toEqual([
      '/api/uploads',
      '/livewire/upload-file',
    ]);
    expect(a.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit).toBe('KB_16');
  });
});
