/**
 * A script that synthesizes in-process (through `test/helpers`) packages the bundled Lambda
 * handlers from `build/lambda/`, which is not in the repository: aws-cdk-lib refuses a missing
 * asset path (`Cannot find asset`). `cdk synth` bundles through cdk.json's app command and jest
 * through its global setup; every other entry point must bundle first. A fresh clone (or the
 * pipeline's Diff step) has no `build/`.
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const BUNDLE = 'build-lambdas.mjs';

/** Scripts under scripts/ that synthesize in-process. */
const synthesizing = fs
  .readdirSync(path.join(root, 'scripts'))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => /from '\.\.\/test\/helpers'/.test(fs.readFileSync(path.join(root, 'scripts', f), 'utf8')));

test('the scripts that synthesize in-process are known', () => {
  expect(synthesizing.sort()).toEqual(['cost.ts', 'diff.ts', 'update-baselines.ts']);
});

test('every npm script that runs one bundles the handlers first', () => {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const unbundled = Object.entries(scripts).filter(([, command]) =>
    synthesizing.some((f) => {
      const at = command.indexOf(`scripts/${f}`);
      return at >= 0 && !command.slice(0, at).includes(BUNDLE);
    }),
  );
  expect(unbundled).toEqual([]);
});

test('every pipeline step that runs one bundles the handlers first', () => {
  const dir = path.join(root, 'scripts', 'pipeline');
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
