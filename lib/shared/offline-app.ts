import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CDK_JSON } from './paths';
import { appWithCachedValidation } from './validation-cache';

/** The context of `cdk.json`: the feature flags every synthesis of this app uses. */
export function cdkContext(): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
}

/**
 * No stack trace in construct metadata, as the CDK CLI does without --debug. Templates never
 * carry the traces; capturing them costs a tenth of each synthesis.
 */
export const NO_STACK_TRACES = {
  'aws:cdk:disable-stack-trace': true,
  'aws:cdk:disable-creation-stack-traces': true,
} as const;

/** Options of {@link offlineApp} (and of `buildOfflineApp` in lib/offline-app.ts). */
export interface OfflineAppOptions {
  /**
   * Run the built-in CloudFormation validation (through its cache of findings).
   *
   * @default true
   */
  readonly validation?: boolean;
  /**
   * Turn on the cdk-nag checks.
   *
   * @default true
   */
  readonly compliance?: boolean;
}

/**
 * An App for synthesizing in-process, without the CDK CLI and without AWS credentials: the
 * feature flags of `cdk.json` (so validation findings are errors), asset bundling skipped, an
 * output directory of its own under the temp directory, and validation failures thrown from
 * `synth()` with the report in the message. The review tools (`npm run diff`, `npm run cost`,
 * the baselines) and the tests synthesize through here.
 */
export function offlineApp(extraContext: Record<string, unknown> = {}, options: OfflineAppOptions = {}): App {
  const props = {
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-offline-')),
    context: {
      ...cdkContext(),
      '@aws-cdk/core:appMode': 'inmemory',
      'aws:cdk:bundling-stacks': [],
      ...NO_STACK_TRACES,
      ...extraContext,
    },
  };
  // Starting the validator costs seconds of CPU; tools that only read templates turn it off.
  if (options.validation === false) return new App({ ...props, builtinCloudFormationValidation: false });
  // The built-in CloudFormation validation through a cache of findings per template, as in
  // bin/app.ts: the same findings, without starting the validator for templates seen before.
  return appWithCachedValidation(props);
}
