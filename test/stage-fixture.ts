import type * as cxapi from 'aws-cdk-lib/cx-api';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ResolvedConfig } from '../config';
import type { SystemStage } from '../lib/stages/system-stage';
import { buildOfflineApp as buildTestApp } from '../lib/offline-app';
import { pipelineStackId } from '../config/names';

/** The stacks of a stage, by the names the tests use. */
export type StackName = 'network' | 'data' | 'app' | 'edge';

/**
 * Every stage of every system, synthesized once as a deploy synthesizes it (tagged, with cdk-nag
 * and the CloudFormation validation) and shared by the compliance and template tests in
 * `test/lib/stages.test.ts`. Synthesizing six stages takes seconds; doing it once per file, or
 * once for the checks and again for the templates, would take most of the suite's time.
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
  /** The error synthesis threw (a cdk-nag or validation finding), if it threw. */
  readonly synthError: unknown;
  /** The stages, in app order. */
  readonly stages: SystemStage[];
}

/**
 * The tag the fixture deploys, as the pipeline passes its commit: the deploy-time resources (the
 * registry check of each tag) go through cdk-nag and the validation too. Baselines are
 * synthesized untagged; the tag changes the App stacks only (image references, the registry
 * checks with their roles and policies, no ImageTagRequired rule), none of a type the guard
 * weighs. test/lib/pipeline/image-tag.test.ts covers the untagged stage.
 */
export const FIXTURE_IMAGE_TAG = 'c0ffee1';

/** Builds the app now and synthesizes it in `beforeAll`; call at the top of a test file. */
export function stageFixture(): StageFixture {
  // The compliance gate (cdk-nag) and the validation (through its cache of findings) run in this
  // one synthesis, as in `cdk synth`: a second synthesis of every stage for the templates alone
  // would cost as much again.
  const { app, stages } = buildTestApp({ imageTag: FIXTURE_IMAGE_TAG });
  const byId = new Map(stages.map((s) => [s.stageName, s]));
  const templates = new Map<string, Template>();
  let assembly: cxapi.CloudAssembly | undefined;
  let synthError: unknown;
  beforeAll(() => {
    // A finding fails the compliance test with its report; the template tests fail on the same.
    try {
      assembly = app.synth();
    } catch (err) {
      synthError = err;
    }
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
      if (synthError) throw synthError;
      const key = `${id}/${stack}`;
      if (!templates.has(key)) templates.set(key, Template.fromStack(stage(id)[stack]));
      return templates.get(key)!;
    },
    pipeline(system) {
      if (synthError) throw synthError;
      const key = `pipeline/${system}`;
      if (!templates.has(key)) {
        const stack = app.node.tryFindChild(pipelineStackId(system));
        if (!(stack instanceof Stack)) throw new Error(`no pipeline stack for '${system}'`);
        templates.set(key, Template.fromStack(stack));
      }
      return templates.get(key)!;
    },
    get assembly() {
      if (synthError) throw synthError;
      if (!assembly) throw new Error('the fixture is synthesized in beforeAll; use it inside a test');
      return assembly;
    },
    outdir: app.outdir,
    ids: stages.map((s) => s.stageName),
    get synthError() {
      return synthError;
    },
    stages,
  };
}
