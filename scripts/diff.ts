/**
 * Review one stage before deploying it: `npm run diff -- <system> <stage> [cdk options]`.
 *
 * Prints first the destructive changes of that stage — stateful resources that would be
 * replaced, destroyed or orphaned — found by the replacement guard's logic against the committed
 * baselines (offline), then `cdk diff` of the stage against what is deployed (needs credentials
 * for the stage's account). Extra options go to `cdk diff`, e.g. `-c imageTag=3f2a9c1`.
 * Exits non-zero when a destructive change is not covered by the allowlist.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { stageId } from '../lib/stages/system-stage';
import { buildTestApp } from '../test/helpers';
import {
  applyAllowlist,
  compareWithBaselines,
  formatChange,
  readAllowlist,
  readBaselines,
  synthTemplates,
} from './guard';

const [system, stage, ...cdkArgs] = process.argv.slice(2);
if (!system || !stage) {
  console.error('usage: npm run diff -- <system> <stage> [cdk diff options]   e.g. npm run diff -- csl prod');
  process.exit(2);
}

const root = path.resolve(__dirname, '..');
const baselineDir = path.join(root, 'test', 'baselines');
const { app, stages } = buildTestApp({ systems: [system], stages: [stage] }, { compliance: false });
const id = stageId(stages[0].data.config);
app.synth();
const current = synthTemplates(app.outdir);
const baselines = new Map([...readBaselines(baselineDir)].filter(([stack]) => stack.startsWith(`${id}/`)));
const { changes, newStacks } = compareWithBaselines(baselines, current);
const { blocked, allowed } = applyAllowlist(changes, readAllowlist(path.join(baselineDir, 'allowlist.json')));

console.log(`Destructive changes in ${id} (stateful resources, against test/baselines):`);
if (changes.length === 0) console.log('  none');
for (const change of blocked) console.log(`  ${formatChange(change)}`);
for (const change of allowed) console.log(`  ${formatChange(change)}   [allowlisted]`);
for (const stack of newStacks) console.log(`  (new stack ${stack}: no baseline yet)`);
console.log('');

const result = spawnSync('npx', ['cdk', 'diff', `${id}/*`, ...cdkArgs], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`\ncdk diff exited with ${result.status}: it needs credentials for ${id}'s account.`);
}
process.exit(blocked.length > 0 ? 1 : (result.status ?? 1));
