/**
 * Prints the project's speed and size figures next to their targets. It measures; it does not
 * assert. Run with `npm run bench`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stackRows } from './synth-summary';

const root = path.resolve(__dirname, '..');
const outdir = path.join(root, 'cdk.out');

/** Wall and CPU (user + system, children included) seconds of one command. */
interface Timing {
  readonly wall: number;
  readonly cpu: number | undefined;
}

/**
 * Runs a command and measures it. CPU time comes from `/usr/bin/time` where it exists: on a
 * machine shared with other work, wall time depends on the neighbours and CPU time does not.
 */
function timed(label: string, command: string, args: string[]): Timing {
  const cpuFile = path.join(os.tmpdir(), `bench-${process.pid}.cpu`);
  const useTime = fs.existsSync('/usr/bin/time');
  const [cmd, argv] = useTime ? ['/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const result = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    console.error(`${label} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    process.exit(1);
  }
  const cpu = useTime
    ? fs
        .readFileSync(cpuFile, 'utf8')
        .trim()
        .split('\n')
        .pop()!
        .split(' ')
        .reduce((sum, v) => sum + Number(v), 0)
    : undefined;
  return { wall, cpu };
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

const validationCache = path.join(root, 'build', 'validation-cache');
const synthAll = ['cdk', 'synth', '--quiet', '**'];
fs.rmSync(outdir, { recursive: true, force: true });
fs.rmSync(validationCache, { recursive: true, force: true });
const cold = timed('cdk synth (cold)', 'npx', synthAll);
fs.rmSync(outdir, { recursive: true, force: true });
const all = timed('cdk synth', 'npx', synthAll);
const rows = stackRows(outdir);
const one = timed('cdk synth one stage', 'npx', [...synthAll, '-c', 'systems=csl', '-c', 'stages=prod']);
// The suite twice: first with no validation cache (a fresh clone, or a change to every template;
// the validator starts in each test file that validates), then again with the templates unchanged
// since that run (the cache skips them), which is the everyday case the target is for.
fs.rmSync(validationCache, { recursive: true, force: true });
const jestCold = timed('jest (no validation cache)', 'npx', ['jest', '--silent']);
const jest = timed('jest', 'npx', ['jest', '--silent']);

/**
 * The verdict compares CPU time divided by the processes that can run at once (jest runs two
 * workers) with the target, so a busy neighbour does not turn a pass into a failure; without
 * CPU figures it compares wall time.
 */
const line = (label: string, t: Timing, target: number, parallel = 1) => {
  const cpu = t.cpu === undefined ? '    n/a' : `${t.cpu.toFixed(1).padStart(6)} s`;
  const judged = t.cpu === undefined ? t.wall : t.cpu / parallel;
  console.log(
    `  ${label.padEnd(44)} ${cpu} ${t.wall.toFixed(1).padStart(7)} s   <= ${target} s  ${status(judged, target)}`,
  );
};
console.log('\nSpeed (targets for 2 cores; CPU = user + system, the figure to compare on a shared machine)');
console.log(`  ${''.padEnd(44)} ${'CPU'.padStart(8)} ${'wall'.padStart(9)}`);
line('one stage, every check (Csl-Prod)', one, 6);
line('all stages, every check', all, 10);
line('all stages, every check, no validation cache', cold, 10);
line('test suite (jest, 2 workers: CPU / 2 judged)', jest, 30, 2);
line('test suite, no validation cache', jestCold, 30, 2);

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
