/**
 * A script that synthesizes in-process (through `lib/offline-app.ts`) packages the bundled Lambda
 * handlers from `build/lambda/`, which is not in the repository: aws-cdk-lib refuses a missing
 * asset path (`Cannot find asset`). `cdk synth` bundles through cdk.json's app command and jest
 * through its global setup; every other entry point must bundle first. A fresh clone (or the
 * pipeline's Diff step) has no `build/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PIPELINE_STEPS_DIR, REPO_ROOT } from '../../lib/shared/paths';

const root = REPO_ROOT;
const BUNDLE = 'build-lambdas.mjs';

/** Scripts under scripts/ that synthesize in-process. */
const synthesizing = fs
  .readdirSync(path.join(root, 'scripts'))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => /from '\.\.\/lib\/offline-app'/.test(fs.readFileSync(path.join(root, 'scripts', f), 'utf8')));

/** Scripts that bundle the handlers themselves before they synthesize. */
const selfBundling = synthesizing.filter((f) =>
  fs.readFileSync(path.join(root, 'scripts', f), 'utf8').includes('buildLambdas()'),
);

test('the scripts that synthesize in-process are known', () => {
  expect(synthesizing.sort()).toEqual(['cost.ts', 'diff.ts', 'image-contract.ts', 'update-baselines.ts']);
  expect(selfBundling).toEqual(['image-contract.ts']);
});

test('every npm script that runs one bundles the handlers first', () => {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const unbundled = Object.entries(scripts).filter(([, command]) =>
    synthesizing.some((f) => {
      if (selfBundling.includes(f)) return false;
      const at = command.indexOf(`scripts/${f}`);
      return at >= 0 && !command.slice(0, at).includes(BUNDLE);
    }),
  );
  expect(unbundled).toEqual([]);
});

test('every pipeline step that runs one bundles the handlers first', () => {
  const dir = PIPELINE_STEPS_DIR;
  const unbundled = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .filter((f) => {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      return synthesizing.some((s) => {
        const at = text.indexOf(`scripts/${s}`);
        return at >= 0 && !text.slice(0, at).includes(BUNDLE);
      });
    });
  expect(unbundled).toEqual([]);
});
