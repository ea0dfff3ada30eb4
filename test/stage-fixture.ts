import type * as cxapi from 'aws-cdk-lib/cx-api';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ResolvedConfig } from '../config';
import { pipelineStackId } from '../lib/constructs/delivery-pipeline';
import type { SystemStage } from '../lib/stages/system-stage';
import { buildTestApp } from './helpers';

/** The stacks of a stage, by the names the tests use. */
export type StackName = 'network' | 'data' | 'app' | 'edge';

/**
 * Every stage of every system, synthesized once (without cdk-nag, which `test/lib/app.test.ts`
 * runs) and shared by the template tests in `test/lib/stages.test.ts`. Synthesizing six stages
 * takes seconds; doing it once per file would take most of the suite's time.
 */
export interface StageFixture {
  /** The stage with this id (`Csl-Prod`). */
  stage(id: string): SystemStage;
  /** The resolved configuration of a stage. */
  config(id: string): ResolvedConfig;
  /** The template of one stack of a stage. */
  template(id: string, stack: StackName): Template;
  /** The template of a system's pipeline stack. */
  pipeline(system: string): Template;
  /** The cloud assembly of the whole app. */
  readonly assembly: cxapi.CloudAssembly;
  /** Where the assembly was written. */
  readonly outdir: string;
  /** Ids of all stages, in app order. */
  readonly ids: string[];
}

/** Builds the app now and synthesizes it in `beforeAll`; call at the top of a test file. */
export function stageFixture(): StageFixture {
  // Templates only: cdk-nag and the built-in validation run over every stage in test/lib/app.test.ts;
  // running the validator here too would only repeat it (cold, in CI) in a second worker.
  const { app, stages } = buildTestApp({}, { compliance: false, validation: false });
  const byId = new Map(stages.map((s) => [s.stageName, s]));
  const templates = new Map<string, Template>();
  let assembly: cxapi.CloudAssembly | undefined;
  beforeAll(() => {
    assembly = app.synth();
  });
  const stage = (id: string) => {
    const found = byId.get(id);
    if (!found) throw new Error(`no stage '${id}' (have ${[...byId.keys()].join(', ')})`);
    return found;
  };
  return {
    stage,
    config: (id) => stage(id).data.config,
    template(id, stack) {
      const key = `${id}/${stack}`;
      if (!templates.has(key)) templates.set(key, Template.fromStack(stage(id)[stack]));
      return templates.get(key)!;
    },
    pipeline(system) {
      const key = `pipeline/${system}`;
      if (!templates.has(key)) {
        const stack = app.node.tryFindChild(pipelineStackId(system));
        if (!(stack instanceof Stack)) throw new Error(`no pipeline stack for '${system}'`);
        templates.set(key, Template.fromStack(stack));
      }
      return templates.get(key)!;
    },
    get assembly() {
      if (!assembly) throw new Error('the fixture is synthesized in beforeAll; use it inside a test');
      return assembly;
    },
    outdir: app.outdir,
    ids: stages.map((s) => s.stageName),
  };
}
