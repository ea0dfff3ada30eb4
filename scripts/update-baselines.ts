/**
 * Rewrites the replacement guard's baselines (`test/baselines/<StageId>/<Stack>.template.json`)
 * from the app as it is now: synthesizes every stage in-process exactly as the tests do,
 * normalises each template, writes it, and deletes baselines of stacks that no longer exist.
 * `test/baselines/allowlist.json` is kept (created as `[]` when missing).
 *
 * Run with `npm run baselines:update`, then review the diff of `test/baselines/` like code:
 * it is the record of what each stack is expected to hold. The script prints the destructive
 * changes it accepts into the baselines and allowlist entries that become stale.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildOfflineApp } from '../lib/offline-app';
import { BASELINES_DIR } from '../lib/shared/paths';
import {
  applyAllowlist,
  baselinePath,
  compareWithBaselines,
  formatChange,
  readAllowlist,
  readBaselines,
  serializeBaseline,
  synthTemplates,
} from '../lib/guard/guard';

const baselineDir = BASELINES_DIR;
const allowlistFile = path.join(baselineDir, 'allowlist.json');

// The same App, feature flags and stages as test/lib/guard/guard.test.ts, so the
// baselines match what the guard compares them with.
const { app } = buildOfflineApp({}, { compliance: false });
app.synth();
const current = synthTemplates(app.outdir);

const previous = readBaselines(baselineDir);
const { changes } = compareWithBaselines(previous, current);
if (!fs.existsSync(allowlistFile)) {
  fs.mkdirSync(baselineDir, { recursive: true });
  fs.writeFileSync(allowlistFile, '[]\n');
}
const allowlist = readAllowlist(allowlistFile);
const { blocked } = applyAllowlist(changes, allowlist);

// Stale files go first, so a stack that moved between stages leaves nothing behind.
const removed = [...previous.keys()].filter((stack) => !current.has(stack));
for (const stack of removed) fs.rmSync(baselinePath(baselineDir, stack));
removeEmptyDirectories(baselineDir);

let written = 0;
for (const [stack, template] of current) {
  const file = baselinePath(baselineDir, stack);
  const text = serializeBaseline(template);
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  written += 1;
}
fs.rmSync(app.outdir, { recursive: true, force: true });

console.log(
  `${current.size} stacks: ${written} baseline(s) written, ${current.size - written} unchanged, ` +
    `${removed.length} removed${removed.length > 0 ? ` (${removed.join(', ')})` : ''}.`,
);
if (blocked.length > 0) {
  console.warn(
    `\nThese baselines now accept ${blocked.length} destructive change(s) that no allowlist entry explains; ` +
      'make sure the review of this diff covers them:\n' +
      blocked.map((c) => `  ${formatChange(c)}`).join('\n'),
  );
}
// The new baselines equal the app, so no entry matches a change any more.
if (allowlist.length > 0) {
  console.warn(
    `\nRemove these entries from ${path.relative(process.cwd(), allowlistFile)}; the new baselines ` +
      'already contain their change, and a stale entry would wave through the next one:\n' +
      allowlist.map((e) => `  ${e.stack} ${e.logicalId}`).join('\n'),
  );
}

/** Deletes directories under `dir` that hold no files, deepest first. */
function removeEmptyDirectories(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = path.join(dir, entry.name);
    removeEmptyDirectories(sub);
    if (fs.readdirSync(sub).length === 0) fs.rmdirSync(sub);
  }
}
