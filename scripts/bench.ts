/**
 * Prints the project's speed and size figures next to their targets. It measures; it does not
 * assert. Run with `npm run bench`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stackRows } from './synth-summary';

const root = path.resolve(__dirname, '..');
const outdir = path.join(root, 'cdk.out');

function timed(label: string, command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    console.error(`${label} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    process.exit(1);
  }
  return seconds;
}

const status = (value: number, target: number) => (value <= target ? 'ok' : 'OVER');

/** Size of each bundled handler, and the time Node takes to load it in a fresh process. */
function handlerFigures(): { name: string; bytes: number; loadMs: number }[] {
  const dir = path.join(root, 'build', 'lambda');
  return fs.readdirSync(dir).map((name) => {
    const file = path.join(dir, name, 'index.js');
    const probe = spawnSync(
      process.execPath,
      [
        '--no-warnings',
        '-e',
        `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); console.log(Number(process.hrtime.bigint() - t) / 1e6);`,
      ],
      { encoding: 'utf8' },
    );
    return { name, bytes: fs.statSync(file).size, loadMs: Number(probe.stdout.trim()) };
  });
}

fs.rmSync(outdir, { recursive: true, force: true });
const synthSeconds = timed('cdk synth', 'npx', ['cdk', 'synth', '--quiet', '**']);
const rows = stackRows(outdir);
const testSeconds = timed('jest', 'npx', ['jest', '--silent']);

console.log('\nSpeed (2-core machine targets)');
console.log(
  `  full CLI synth, all stages, empty cdk.out  ${synthSeconds.toFixed(1).padStart(6)} s   target <= 10 s  ${status(synthSeconds, 10)}`,
);
console.log(
  `  test suite (jest)                          ${testSeconds.toFixed(1).padStart(6)} s   target <= 60 s  ${status(testSeconds, 60)}`,
);

console.log('\nLambda handlers (bundled by scripts/build-lambdas.mjs; AWS SDK from the runtime)');
console.log(`  ${'handler'.padEnd(28)} ${'bytes'.padStart(9)} ${'load ms'.padStart(9)}   targets <= 350 KB, <= 60 ms`);
for (const h of handlerFigures()) {
  const verdict = h.bytes <= 350 * 1024 && h.loadMs <= 60 ? 'ok' : 'OVER';
  console.log(`  ${h.name.padEnd(28)} ${String(h.bytes).padStart(9)} ${h.loadMs.toFixed(1).padStart(9)}   ${verdict}`);
}

console.log('\nTemplates');
console.log(`  ${'stack'.padEnd(28)} ${'resources'.padStart(9)} ${'bytes'.padStart(9)}`);
for (const row of rows) {
  console.log(
    `  ${`${row.stage}/${row.stack}`.padEnd(28)} ${String(row.resources).padStart(9)} ${String(row.bytes).padStart(9)}`,
  );
}
const total = rows.reduce((acc, r) => ({ resources: acc.resources + r.resources, bytes: acc.bytes + r.bytes }), {
  resources: 0,
  bytes: 0,
});
console.log(`  ${'total'.padEnd(28)} ${String(total.resources).padStart(9)} ${String(total.bytes).padStart(9)}`);
