import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  CfnResource,
  CloudFormationValidatePlugin,
  Stack,
  Validations,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  type PolicyViolation,
} from 'aws-cdk-lib';
import { CachedCloudFormationValidation } from '../../../lib/shared/validation-cache';

/** An app with one stack holding an SQS queue, validated through a cache in `dir`. */
function synth(dir: string, visibilityTimeout: unknown): () => unknown {
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'vc-')),
    // Findings fail the synth, as cdk.json has it.
    context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  Validations.of(app).addPlugins(new CachedCloudFormationValidation(dir));
  const stack = new Stack(app, 'Queues', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: visibilityTimeout } });
  return () => app.synth();
}

/**
 * The validator stands in for the built-in engine: it reports a non-integer VisibilityTimeout
 * exactly as the engine does (rule F3012, the violating resource under the template path it was
 * given; the shape is copied from a finding the engine wrote to build/validation-cache). The real
 * engine takes about 6 s of CPU to start, and it runs on every stage where it counts: in the
 * fixture of test/lib/stages.test.ts and in the compliance-gate tests of test/lib/app.test.ts,
 * whose BadQueue finding goes through this same cache.
 */
function engineLike(context: IPolicyValidationContext): PolicyValidationPluginReport {
  const violations: PolicyViolation[] = [];
  for (const templatePath of context.templatePaths) {
    const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as {
      Resources: Record<string, { Properties?: { VisibilityTimeout?: unknown } }>;
    };
    for (const [id, resource] of Object.entries(template.Resources)) {
      const value = resource.Properties?.VisibilityTimeout;
      if (value === undefined || Number.isInteger(value)) continue;
      violations.push({
        ruleName: 'F3012',
        description: `VisibilityTimeout: '${String(value)}' is not of type 'integer'`,
        severity: 'error',
        violatingResources: [{ resourceLogicalId: id, templatePath, locations: ['Properties.VisibilityTimeout'] }],
        ruleMetadata: { category: 'Schema' },
      });
    }
  }
  return { success: violations.length === 0, violations };
}

describe('CloudFormation validation with a cache of findings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
  const engine = jest.spyOn(CloudFormationValidatePlugin.prototype, 'validate').mockImplementation(engineLike);
  afterAll(() => engine.mockRestore());

  test('a finding is reported from the cache as it was from the validator, with the new template path', () => {
    expect(synth(dir, 'forever')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(1);
    expect(fs.readdirSync(dir)).toHaveLength(1);

    // Same template bytes in a new synth (another outdir): the validator is not started again,
    // and the same finding fails the synth.
    expect(synth(dir, 'forever')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(1);
  });

  test('a changed template is validated again', () => {
    expect(synth(dir, 30)).not.toThrow();
    expect(engine).toHaveBeenCalledTimes(2);
    expect(synth(dir, 'never')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(3);
  });
});
