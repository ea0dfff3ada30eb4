import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DOCS_DIR, REPO_ROOT } from '../../lib/shared/paths';

/**
 * docs/configuration.md followed in a scratch copy of the repository, as a newcomer would: its
 * `qa` block goes into config/systems/csl.ts, its minimal `notes` system (MySQL only, no cache, no
 * broker) into config/systems/notes.ts with its line in SYSTEMS, and then the checks a deploy
 * runs: config loads, and the new stages synthesize with cdk-nag and the budget, as `cdk synth`
 * does (bin/app.ts); the CloudFormation validation of their templates is the full mode's.
 *
 * With NEW_SYSTEM_FULL=1 the copy also runs `npm run format`, `npm run baselines:update`,
 * `npm run docs` and the whole `npm test` (the shared fixture then validates every new template),
 * which shows that no test hard-codes the committed systems' stages or stores
 * (a few minutes; not part of the default run).
 */

/** The text of one `## ` section of a document. */
function section(doc: string, title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/configuration.md has no section '## ${title}'`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** The `ts` code blocks of a section, in order. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** The object literal that starts at `key: {` in code, braces balanced, with its trailing comma. */
function objectLiteral(code: string, key: string): string {
  const start = code.indexOf(`${key}: {`);
  if (start < 0) throw new Error(`no '${key}: {' in the block`);
  let depth = 0;
  for (let i = code.indexOf('{', start); i < code.length; i++) {
    if (code[i] === '{') depth++;
    if (code[i] === '}' && --depth === 0) return `${code.slice(start, i + 1)},`;
  }
  throw new Error(`unbalanced braces after '${key}: {'`);
}

/** Replaces `find` in `text`, which must occur exactly once: a recipe that no longer fits fails loudly. */
function replaceOnce(text: string, find: string | RegExp, replacement: string, what: string): string {
  const count =
    typeof find === 'string'
      ? text.split(find).length - 1
      : [...text.matchAll(new RegExp(find.source, `${find.flags}g`))].length;
  if (count !== 1) throw new Error(`${what}: expected one match of ${String(find)}, found ${count}`);
  return text.replace(find, replacement);
}

/** The repository's sources in a scratch directory, with node_modules and build/ linked, not copied. */
function scratchCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-recipe-'));
  for (const entry of fs.readdirSync(REPO_ROOT)) {
    if (['.git', 'node_modules', 'build', 'cdk.out'].includes(entry)) continue;
    fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  // Bundled handlers (and the validation's cache of findings), as global-setup.js built them.
  fs.symlinkSync(path.join(REPO_ROOT, 'build'), path.join(dir, 'build'), 'dir');
  return dir;
}

/** Applies the docs' qa stage and notes system to the copy. */
function followTheDocs(dir: string): void {
  const doc = fs.readFileSync(path.join(DOCS_DIR, 'configuration.md'), 'utf8');
  const [stageBlock] = codeBlocks(section(doc, 'A new stage: one block per system file'));
  const [systemFile, registration] = codeBlocks(section(doc, 'A new system'));

  const notesFile = path.join(dir, 'config', 'systems', 'notes.ts');
  if (fs.existsSync(notesFile)) throw new Error("a system file notes.ts exists: rename the docs' example system");
  const cslFile = path.join(dir, 'config', 'systems', 'csl.ts');
  const order = /order: (\[[^\]]*\])/.exec(stageBlock)![1];
  let csl = fs.readFileSync(cslFile, 'utf8');
  if (/^ {4}qa: \{/m.test(csl)) throw new Error("csl.ts has a qa stage: the docs' example stage needs another name");
  csl = replaceOnce(csl, '  pipeline: {\n', `  pipeline: {\n    order: ${order},\n`, 'csl pipeline');
  csl = replaceOnce(csl, '  stages: {\n', `  stages: {\n    ${objectLiteral(stageBlock, 'qa')}\n`, 'csl stages');
  fs.writeFileSync(cslFile, csl);

  const [target, ...body] = systemFile.split('\n');
  expect(target).toBe('// config/systems/notes.ts');
  fs.writeFileSync(notesFile, body.join('\n'));

  const [where, importLine, systemsLine] = registration.trim().split('\n');
  expect(where).toBe('// config/index.ts');
  const indexFile = path.join(dir, 'config', 'index.ts');
  let index = fs.readFileSync(indexFile, 'utf8');
  index = replaceOnce(index, /^(import .* from '\.\/systems\/shipment';)$/m, `$1\n${importLine}`, 'index imports');
  index = replaceOnce(index, /^export const SYSTEMS: .*$/m, systemsLine, 'SYSTEMS');
  fs.writeFileSync(indexFile, index);
}

/** What the copy reports after loading config and synthesizing the new stages. */
interface Report {
  readonly stages: string[];
  readonly order: Record<string, string[]>;
  readonly stacks: string[];
  readonly resources: Record<string, string[]>;
  readonly brokerName: string;
  readonly overBudget: string[];
  readonly pipelineDescription: string;
}

/** Loads config and synthesizes Csl-Qa and every notes stack, as bin/app.ts does; prints a report. */
const CHECK = `
import { loadConfigs, resolvePipeline, SYSTEMS } from './config';
import { buildApp } from './lib/app';
import { budgetProblems } from './lib/cost/estimate';
import { offlineApp } from './lib/shared/offline-app';

const configs = [...loadConfigs({ systems: ['csl'], stages: ['qa'] }), ...loadConfigs({ systems: ['notes'] })];
// cdk-nag on, the CloudFormation validation off: its engine costs ~12 s of CPU here, and the
// same constructs' templates are validated in the shared fixture (the copy's own suite, in
// the full mode, validates these stages' templates too).
const app = offlineApp({}, { validation: false });
buildApp(app, configs);
const assembly = app.synth();
const stacks = assembly.stacksRecursively;
type Resource = { Type: string; Properties: { BrokerName?: string } };
const template = (id: string) => stacks.find((s) => s.hierarchicalId === id)!.template as {
  Description?: string;
  Resources: Record<string, Resource>;
};
const resources = (id: string) => Object.values(template(id).Resources);
const types = (id: string) => [...new Set(resources(id).map((r) => r.Type))].sort();
const report = {
  stages: loadConfigs().map((c) => c.system + '/' + c.stage),
  order: Object.fromEntries(SYSTEMS.map((s) => [s.name, resolvePipeline(s).order])),
  stacks: stacks.map((s) => s.hierarchicalId).sort(),
  resources: { 'Notes-Dev/Data': types('Notes-Dev/Data'), 'Notes-Prod/Data': types('Notes-Prod/Data') },
  brokerName: resources('Csl-Qa/Data').find((r) => r.Type === 'AWS::AmazonMQ::Broker')?.Properties.BrokerName ?? '',
  overBudget: budgetProblems(assembly.directory, configs),
  pipelineDescription: template('Notes-Pipeline').Description ?? '',
};
console.log(JSON.stringify(report));
`;

function run(dir: string, command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  // The copy's own run of this file must not copy itself again.
  const env = { ...process.env, NEW_SYSTEM_FULL: undefined };
  const result = spawnSync(command, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("docs/configuration.md's new stage and new system, added in a scratch copy", () => {
  let dir: string;
  let report: Report;
  beforeAll(() => {
    dir = scratchCopy();
    followTheDocs(dir);
    fs.writeFileSync(path.join(dir, 'check-new-system.ts'), CHECK);
    const result = run(dir, process.execPath, ['--import', 'tsx', 'check-new-system.ts']);
    if (result.status !== 0) throw new Error(`the new stage and system do not synthesize:\n${result.stderr}`);
    report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Report;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('config loads: qa between dev and staging, notes with dev and prod', () => {
    expect(report.stages).toEqual(expect.arrayContaining(['csl/qa', 'notes/dev', 'notes/prod']));
    expect(report.order.csl).toEqual(['dev', 'qa', 'staging', 'prod']);
    // No staging stage, no order in the file: dev, then prod.
    expect(report.order.notes).toEqual(['dev', 'prod']);
  });

  test('the new stages, registry and pipeline synthesize through cdk-nag and the budget', () => {
    const stage = (id: string) => ['Network', 'Data', 'App', 'Edge', 'OriginAccess'].map((s) => `${id}/${s}`);
    expect(report.stacks).toEqual(
      [...stage('Csl-Qa'), ...stage('Notes-Dev'), ...stage('Notes-Prod'), 'Notes-Pipeline', 'Notes-Registry'].sort(),
    );
    expect(report.overBudget).toEqual([]);
    expect(report.pipelineDescription).toBe('notes: delivery pipeline (push to main → dev → approval → prod)');
  });

  test('the minimal system has MySQL and neither a cache nor a broker', () => {
    for (const types of Object.values(report.resources)) {
      expect(types).toContain('AWS::RDS::DBInstance');
      expect(types.filter((t) => /ElastiCache|AmazonMQ|DocDB/.test(t))).toEqual([]);
    }
  });

  test("the qa block takes a broker name of its own, not staging's (names are unique per account)", () => {
    // Amazon MQ broker names are unique per account and region; a copied staging block would
    // carry staging's pinned name (the cross-stage check refuses that when the account is shared).
    expect(report.brokerName).toBe('csl-qa');
  });

  const full = process.env.NEW_SYSTEM_FULL === '1' ? test : test.skip;
  full(
    'the whole suite passes in the copy after baselines:update and docs',
    () => {
      fs.rmSync(path.join(dir, 'check-new-system.ts'));
      // format first, as after pasting a block: its indentation is the docs', not the file's.
      for (const script of ['format', 'baselines:update', 'docs', 'test']) {
        // The copy's suite leaves out this file: its docs' system is already in the copy.
        const args = script === 'test' ? ['--', '--testPathIgnorePatterns', '/test/lib/new-system\\.test\\.ts$'] : [];
        const result = run(dir, 'npm', ['run', script, ...args]);
        expect({
          script,
          status: result.status,
          output: result.status === 0 ? '' : result.stdout + result.stderr,
        }).toEqual({
          script,
          status: 0,
          output: '',
        });
      }
    },
    30 * 60_000,
  );
});
