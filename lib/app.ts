import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ResolvedConfig } from '../config';
import { SystemStage, stageId } from './stages/system-stage';

/**
 * Adds one {@link SystemStage} per configuration to the app and turns on the cdk-nag
 * AwsSolutions checks, which run as a policy-validation plugin when the app synthesizes.
 * `bin/app.ts` and the tests both build the app through here, so they check the same thing.
 */
export function buildApp(
  app: App,
  configs: readonly ResolvedConfig[],
  options: { readonly compliance?: boolean } = {},
): SystemStage[] {
  // Off only in tests that assert on templates and leave compliance to the test that checks it.
  if (options.compliance ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return configs.map((config) => new SystemStage(app, stageId(config), { config }));
}
