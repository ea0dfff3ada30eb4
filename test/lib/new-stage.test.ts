import { Template } from 'aws-cdk-lib/assertions';
import { resolveAll, resolvePipeline, type SystemDefinition } from '../../config';
import { csl } from '../../config/systems/csl';
import { PipelineStack } from '../../lib/stacks/pipeline-stack';
import { RegistryStack } from '../../lib/stacks/registry-stack';
import { testApp } from '../helpers';

/** `csl` with a `qa` stage that reuses the staging tier, placed between dev and staging. */
const withQa = structuredClone(csl) as any;
withQa.pipeline.order = ['dev', 'qa', 'staging', 'prod'];
withQa.stages.qa = {
  ...structuredClone(withQa.stages.staging),
  tier: 'staging',
  domainName: 'qa.cfpcsl.com',
  network: { cidr: '10.14.0.0/16' },
};
// Amazon MQ broker names are unique per account: qa takes its default name, not staging's.
delete withQa.stages.qa.rabbitmq;

test('the pipeline deploys a stage added in the system file where pipeline.order puts it', () => {
  const system = withQa as SystemDefinition;
  const pipeline = resolvePipeline(system);
  const configs = resolveAll([system]);
  const stages = pipeline.order!.map((s) => configs.find((c) => c.stage === s)!);
  // Stage order only; the fixture of test/lib/stages.test.ts validates the real pipelines.
  const app = testApp({}, { validation: false });
  const registry = new RegistryStack(app, 'Csl-Registry', { system: 'csl', pipeline, stages });
  const stack = new PipelineStack(app, 'Csl-Pipeline', { system: 'csl', pipeline, stages, registry });
  const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline'));
  const names = (resource.Properties.Stages as { Name: string }[]).map((s) => s.Name);
  expect(names.filter((n) => ['Dev', 'Qa', 'Staging', 'Prod'].includes(n))).toEqual(['Dev', 'Qa', 'Staging', 'Prod']);
});

test('a pipeline given stages out of order is refused with the config key to set', () => {
  const configs = resolveAll([withQa as SystemDefinition]);
  const pipeline = resolvePipeline(withQa as SystemDefinition);
  const stages = [configs[1], configs[0], configs[2], configs[3]];
  const app = testApp({}, { validation: false });
  const registry = new RegistryStack(app, 'Csl-Registry', { system: 'csl', pipeline, stages });
  expect(() => new PipelineStack(app, 'Csl-Pipeline', { system: 'csl', pipeline, stages, registry })).toThrow(
    /stages run from dev to prod, each once \(set pipeline.order\)/,
  );
});
