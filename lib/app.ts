import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolvePipeline, SYSTEMS, type ResolvedConfig } from '../config';
import { PipelineStack } from './stacks/pipeline-stack';
import { RegistryStack } from './stacks/registry-stack';
import { SystemStage } from './stages/system-stage';
import { pipelineStackId, registryStackId, stageId } from '../config/names';

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
  const stages = configs.map((config) => new SystemStage(app, stageId(config), { config }));

  // A system's pipeline needs all of its stages; a narrowed synth leaves it out. The pipeline
  // deploys them in the order its config gives (`pipeline.order`, validated with the config).
  for (const system of SYSTEMS) {
    const own = configs.filter((c) => c.system === system.name);
    const pipeline = resolvePipeline(system);
    const order = pipeline.order ?? [];
    if (own.length === 0 || !order.every((stage) => own.some((c) => c.stage === stage))) continue;
    const systemStages = order.map((stage) => own.find((c) => c.stage === stage)!);
    const registry = new RegistryStack(app, registryStackId(system.name), {
      system: system.name,
      pipeline,
      stages: systemStages,
    });
    new PipelineStack(app, pipelineStackId(system.name), {
      system: system.name,
      pipeline,
      stages: systemStages,
      registry,
    });
  }
  return stages;
}
