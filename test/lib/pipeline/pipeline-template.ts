import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfigs, resolvePipeline, SYSTEMS } from '../../../config';
import { PipelineStack } from '../../../lib/stacks/pipeline-stack';
import { RegistryStack } from '../../../lib/stacks/registry-stack';
import { testApp } from '../../helpers';
import type { Fakes } from './steps/fakes';
import { pipelineStackId, registryStackId } from '../../../config/names';

/** One action of the synthesized pipeline, as CloudFormation sees it. */
export interface PipelineAction {
  Name: string;
  RunOrder?: number;
  RoleArn?: unknown;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, any>;
  InputArtifacts?: { Name: string }[];
  OutputArtifacts?: { Name: string }[];
}

/** The pipeline stack of one system, synthesized alone (no stage stacks, no cdk-nag). */
export function pipelineTemplate(system: string): Template {
  // The fixture of test/lib/stages.test.ts validates the pipeline stacks as deployed.
  const app = testApp({}, { validation: false });
  const definition = SYSTEMS.find((s) => s.name === system)!;
  const pipeline = resolvePipeline(definition);
  const stages = loadConfigs({ systems: [system] });
  const registry = new RegistryStack(app, registryStackId(system), { system, pipeline, stages });
  const stack = new PipelineStack(app, pipelineStackId(system), {
    system,
    pipeline,
    stages,
    registry,
  });
  return Template.fromStack(stack);
}

/** Flattens a CloudFormation value to text: `{Ref: X}` reads `X`, a join is joined. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const obj = value as Record<string, any>;
  if (obj.Ref) return String(obj.Ref);
  if (obj['Fn::GetAtt']) return (obj['Fn::GetAtt'] as string[]).join('.');
  if (obj['Fn::Join']) return (obj['Fn::Join'][1] as unknown[]).map(flatten).join(obj['Fn::Join'][0]);
  return JSON.stringify(value);
}

/** The action of a pipeline stage by names. */
export function actionOf(t: Template, stage: string, action: string): PipelineAction {
  const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
  const found = (pipeline.Stages as { Name: string; Actions: PipelineAction[] }[])
    .find((s) => s.Name === stage)
    ?.Actions.find((a) => a.Name === action);
  if (!found) throw new Error(`no action ${stage}/${action}`);
  return found;
}

/** Every action of the pipeline. */
export function allActions(t: Template): PipelineAction[] {
  const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
  return (pipeline.Stages as { Actions: PipelineAction[] }[]).flatMap((s) => s.Actions);
}

/** Pipeline variables a run would resolve, by the values the tests use. */
const VARIABLES: Record<string, string> = { 'codepipeline.PipelineExecutionId': 'exec-1' };

/** The environment CodeBuild gives a build of this action: project variables, then the action's. */
export function actionEnv(t: Template, action: PipelineAction): Record<string, string> {
  const project = projectOf(t, action);
  const fromProject = Object.fromEntries(
    ((project.Environment.EnvironmentVariables ?? []) as { Name: string; Value: unknown }[]).map((v) => [
      v.Name,
      flatten(v.Value),
    ]),
  );
  const raw = action.Configuration.EnvironmentVariables;
  const vars = raw ? (JSON.parse(flatten(raw)) as { name: string; value: string }[]) : [];
  const resolve = (value: string) =>
    value.replace(
      /#\{([\w.]+)\}/g,
      (_, name: string) => VARIABLES[name] ?? (name.endsWith('.CommitId') ? 'c0ffee1' : name),
    );
  return { ...fromProject, ...Object.fromEntries(vars.map((v) => [v.name, resolve(v.value)])) };
}

/** The CodeBuild project an action runs. */
export function projectOf(t: Template, action: PipelineAction): Record<string, any> {
  const id = flatten(action.Configuration.ProjectName);
  const project = t.toJSON().Resources[id];
  if (!project) throw new Error(`action ${action.Name} names no project in the template (${id})`);
  return project.Properties;
}

/** The shell commands of a project's buildspec, phase by phase, in the order CodeBuild runs them. */
export function buildspecCommands(t: Template, action: PipelineAction): string[] {
  const spec = JSON.parse(flatten(projectOf(t, action).Source.BuildSpec)) as {
    phases: Record<string, { commands?: string[] }>;
  };
  return ['install', 'pre_build', 'build', 'post_build'].flatMap((phase) => spec.phases[phase]?.commands ?? []);
}

/**
 * Runs an action's buildspec as CodeBuild would (`sh`, stop at the first failing command), with
 * the fakes first on PATH. Input artifacts: the primary source is the working directory; every
 * other input is a directory named by `CODEBUILD_SRC_DIR_<artifact>`.
 */
export function runAction(
  fakes: Fakes,
  t: Template,
  action: PipelineAction,
  options: { primary?: string; inputs?: Record<string, string>; env?: Record<string, string> } = {},
): { status: number; stdout: string; stderr: string; env: Record<string, string> } {
  const primary = options.primary ?? fakes.workdir;
  const inputs = action.InputArtifacts ?? [];
  const primaryName = action.Configuration.PrimarySource ?? inputs[0]?.Name;
  const env: Record<string, string> = {
    ...actionEnv(t, action),
    CODEBUILD_SRC_DIR: primary,
    ...Object.fromEntries(
      inputs
        .filter((i) => i.Name !== primaryName)
        .map((i) => [`CODEBUILD_SRC_DIR_${i.Name}`, options.inputs?.[i.Name] ?? fakes.workdir]),
    ),
    ...options.env,
  };
  const result = fakes.sh(buildspecCommands(t, action).join('\n'), env, primary);
  return { ...result, env };
}

/** A directory with these files (paths relative to it, contents). */
export function filesIn(dir: string, files: Record<string, string>): string {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}
