import * as path from 'path';

/**
 * Where things are in this repository, for the code that reads or writes files: one module, so
 * a file that moves changes one line here rather than a `__dirname` chain in each reader.
 */

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Build output that is never committed (`.gitignore`). */
export const BUILD_DIR = path.join(REPO_ROOT, 'build');

/** Where `scripts/build-lambdas.mjs` writes each bundled handler (`<dir>/<handler>/index.js`). */
export const HANDLER_BUILD_DIR = path.join(BUILD_DIR, 'lambda');

/** Findings of the CloudFormation validation per template (`lib/shared/validation-cache.ts`). */
export const VALIDATION_CACHE_DIR = path.join(BUILD_DIR, 'validation-cache');

/** The CDK app's settings: feature flags and context every synthesis uses. */
export const CDK_JSON = path.join(REPO_ROOT, 'cdk.json');

/** The replacement guard's committed baselines, one template per stack. */
export const BASELINES_DIR = path.join(REPO_ROOT, 'test', 'baselines');

/** Generated and hand-written documentation. */
export const DOCS_DIR = path.join(REPO_ROOT, 'docs');

/** The scripts the pipeline's CodeBuild steps run (`bash lib/pipeline/steps/<step>.sh`). */
export const PIPELINE_STEPS_DIR = path.join(REPO_ROOT, 'lib', 'pipeline', 'steps');

/** A path relative to the repository root, as buildspecs and messages name it. */
export function repoRelative(file: string): string {
  return path.relative(REPO_ROOT, file).split(path.sep).join('/');
}
