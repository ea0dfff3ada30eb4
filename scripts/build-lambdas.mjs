#!/usr/bin/env node
/**
 * Bundles every Lambda handler (`lambda/<name>/index.ts`) with esbuild into
 * `build/lambda/<name>/index.js`: one minified file each. The AWS SDK v3 is left out, as
 * NodejsFunction does by default: the Node.js Lambda runtime ships it, which keeps each bundle
 * a few kilobytes and its cold start short (the SDK clients alone minify to 300-400 KB per
 * handler). The CDK app packages these directories as
 * assets. Runs before every synth (cdk.json) and before the tests (jest global setup); takes
 * well under a second. Prints each bundle's size with `--report`.
 */
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Handler names: every folder under lambda/ with an index.ts, except shared code. */
export function handlerNames() {
  return readdirSync(join(root, 'lambda')).filter(
    (name) => name !== 'shared' && existsSync(join(root, 'lambda', name, 'index.ts')),
  );
}

/** Bundles all handlers; returns their output files. */
export async function buildLambdas() {
  const names = handlerNames();
  await Promise.all(
    names.map((name) =>
      build({
        entryPoints: [join(root, 'lambda', name, 'index.ts')],
        outfile: join(root, 'build', 'lambda', name, 'index.js'),
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        legalComments: 'none',
        external: ['@aws-sdk/*'],
        logLevel: 'warning',
      }),
    ),
  );
  return names.map((name) => join(root, 'build', 'lambda', name, 'index.js'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildLambdas();
  if (process.argv.includes('--report')) {
    for (const file of files) console.log(`${file.split('/').slice(-2, -1)[0]}\t${statSync(file).size}`);
  }
}
