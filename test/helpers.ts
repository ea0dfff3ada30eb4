import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stage, type Stack } from 'aws-cdk-lib';
import { loadConfigs, type ConfigFilter } from '../config';
import { buildApp } from '../lib/app';
import { appWithCachedValidation } from '../lib/validation-cache';
import type { SystemStage } from '../lib/stages/system-stage';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * No stack trace in construct metadata, as the CDK CLI does without --debug. Tests read
 * templates, never the traces; capturing them costs a tenth of each synthesis under jest.
 */
export const NO_STACK_TRACES = {
  'aws:cdk:disable-stack-trace': true,
  'aws:cdk:disable-creation-stack-traces': true,
} as const;

/**
 * An App with the same feature flags as `cdk.json` (so template validation findings are
 * errors), asset bundling skipped, and validation failures thrown from `synth()` with the
 * report in the message.
 */
export function testApp(extraContext: Record<string, unknown> = {}, options: { validation?: boolean } = {}): App {
  const props = {
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-')),
    context: {
      ...cdkJson.context,
      '@aws-cdk/core:appMode': 'inmemory',
      'aws:cdk:bundling-stacks': [],
      ...NO_STACK_TRACES,
      ...extraContext,
    },
  };
  // `validation: false` is for tests that read templates of edited variants (a producer or a
  // config changed on purpose); every real stage is validated by test/lib/app.test.ts and the
  // shared fixture. Starting the validator costs seconds of CPU per test file.
  if (options.validation === false) return new App({ ...props, builtinCloudFormationValidation: false });
  // The built-in CloudFormation validation through a cache of findings per template, as in
  // bin/app.ts: the same findings, without starting the validator for templates seen before.
  return appWithCachedValidation(props);
}

/**
 * Builds the app for the selected (system, stage) pairs as `bin/app.ts` does. With
 * `compliance: false` the cdk-nag plugin is left off, for tests that only read templates
 * (`test/lib/app.test.ts` runs the full gate over every stage).
 */
export function buildTestApp(
  filter: ConfigFilter = {},
  options: { compliance?: boolean; validation?: boolean } = {},
): { app: App; stages: SystemStage[] } {
  const app = testApp({}, { validation: options.validation });
  const stages = buildApp(app, loadConfigs(filter), options);
  return { app, stages };
}

/**
 * A stack's template as synthesized (its stage synthesizes once). `Template.fromStack` gives the
 * same JSON but first checks the template for dependency cycles, which on an App stack costs
 * more than the synthesis: use it where its assertions are wanted, this where JSON is.
 */
export function templateOf(stack: Stack): { [key: string]: any } {
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`${stack.node.path} is in no stage`);
  return stage.synth().getStackArtifact(stack.artifactId).template as { [key: string]: any };
}
