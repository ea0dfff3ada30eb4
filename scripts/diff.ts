/**
 * Review one stage before deploying it: `npm run diff -- <system> <stage> [--offline | --deployed]`.
 *
 * 1. Against the committed baselines (`test/baselines/`, the last reviewed templates), offline,
 *    no credentials: resources added, removed and replaced, and each changed value from → to.
 * 2. The destructive changes among them (stateful resources replaced, destroyed or orphaned),
 *    found by the replacement guard, and the updates CloudFormation would refuse (an export
 *    another stack of the stage imports removed or changed), with the allowlist applied.
 * 3. Against the deployed stacks, the same short summary, when credentials are present (or with
 *    `--deployed`): templates are read with `aws cloudformation get-template` through the stage
 *    account's CDK lookup role. `--offline` skips it. `npx cdk diff "<Stage>/*"` still gives the
 *    full picture.
 *
 * Exits non-zero when a destructive change is not covered by the allowlist, against the
 * baselines or against the deployed stacks (what prod actually runs may be several reviewed
 * commits behind the baselines). With `--deployed` (the pipeline's Diff step passes it) a
 * deployed stack that cannot be read fails the run rather than passing unseen. The pipeline's
 * approval step runs this same command, so the approver reads the same summary.
 * `-c imageTag=<tag>` and `-c imageTag.<image>=<tag>` synthesize with those image tags, as
 * `cdk deploy` would.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { ConfigError } from '../config';
import { estimateStage, MissingPriceError, type Template } from '../lib/cost/estimate';
import { buildOfflineApp } from '../lib/offline-app';
import { BASELINES_DIR } from '../lib/shared/paths';
import {
  applyAllowlist,
  compareWithBaselines,
  findDestructiveChanges,
  findExportsInUse,
  formatChange,
  readAllowlist,
  readBaselines,
  type DestructiveChange,
} from '../lib/guard/guard';
import { formatChanges, stackChanges } from '../lib/guard/template-diff';
import { stageId } from '../config/names';

const argv = process.argv.slice(2);
/** `-c imageTag=...` / `-c imageTag.<image>=...`, as `cdk deploy` takes them. */
const imageTags: Record<string, string> = {};
let imageTag: string | undefined;
const args: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] !== '-c' && argv[i] !== '--context') {
    args.push(argv[i]);
    continue;
  }
  const [key, value] = (argv[++i] ?? '').split(/=(.*)/);
  if (key === 'imageTag') imageTag = value;
  else if (key.startsWith('imageTag.')) imageTags[key.slice('imageTag.'.length)] = value;
}
const [system, stage] = args.filter((a) => !a.startsWith('--'));
if (!system || !stage) {
  console.error('usage: npm run diff -- <system> <stage> [--offline | --deployed]   e.g. npm run diff -- csl prod');
  process.exit(2);
}
/** Credentials the AWS CLI would find: keys, a profile, or a container/web-identity role (CodeBuild). */
const hasCredentials = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
].some((v) => process.env[v]);
const deployed = !args.includes('--offline') && (args.includes('--deployed') || hasCredentials);

const baselineDir = BASELINES_DIR;
let built: ReturnType<typeof buildOfflineApp>;
try {
  // Templates only: cdk-nag and the template validation are `npm test`'s and the pipeline's job,
  // not the review's (the validator alone takes seconds to start).
  built = buildOfflineApp(
    { systems: [system], stages: [stage], imageTag, imageTags },
    { compliance: false, validation: false },
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const id = stageId(built.stages[0].data.config);
const stacks = built.app
  .synth()
  .stacksRecursively.filter((s: CloudFormationStackArtifact) => s.hierarchicalId.startsWith(`${id}/`));
const current = new Map(stacks.map((s) => [s.hierarchicalId, s.template as object]));
const baselines = new Map([...readBaselines(baselineDir)].filter(([stack]) => stack.startsWith(`${id}/`)));

console.log(`${id} against test/baselines (the last reviewed templates):`);
const names = [...new Set([...baselines.keys(), ...current.keys()])];
console.log(indent(formatChanges(names.map((n) => stackChanges(n, baselines.get(n) ?? {}, current.get(n) ?? {})))));

const config = built.stages[0].data.config;
const cost = (templates: Map<string, object>) =>
  estimateStage({ region: config.region, tier: config.tier, templates: [...templates.values()] as Template[] }).total;
try {
  console.log(`\nEstimated cost (npm run cost): $${cost(baselines).toFixed(2)} → $${cost(current).toFixed(2)} a month`);
} catch (err) {
  // A region without prices must not keep the destructive-change report from the approver.
  if (!(err instanceof MissingPriceError)) throw err;
  console.log(`\nEstimated cost: n/a (${err.message})`);
}

const { changes, newStacks } = compareWithBaselines(baselines, current);
const allowlist = readAllowlist(path.join(baselineDir, 'allowlist.json'));
let blockedCount = report('against the baselines', changes);
for (const stack of newStacks) console.log(`  (new stack ${stack}: no baseline yet; npm run baselines:update)`);

if (deployed) {
  console.log(`\n${id} against the deployed stacks:`);
  try {
    const live = stacks.map((s) => ({ s, before: deployedTemplate(s) }));
    console.log(
      indent(formatChanges(live.map(({ s, before }) => stackChanges(s.hierarchicalId, before, s.template as object)))),
    );
    blockedCount += report('against the deployed stacks', [
      ...live.flatMap(({ s, before }) => findDestructiveChanges(s.hierarchicalId, before, s.template as object)),
      ...findExportsInUse(
        new Map(live.map(({ s, before }) => [s.hierarchicalId, before])),
        new Map(live.map(({ s }) => [s.hierarchicalId, s.template as object])),
      ),
    ]);
  } catch (err) {
    console.log(`  not available: ${(err as Error).message}`);
    // The pipeline must not approve what it could not compare.
    if (args.includes('--deployed')) blockedCount += 1;
  }
} else {
  console.log('\n(no credentials: the deployed stacks were not compared; --deployed forces it)');
}
process.exit(blockedCount > 0 ? 1 : 0);

/** Prints destructive changes with the allowlist applied; returns how many it does not cover. */
function report(against: string, found: DestructiveChange[]): number {
  const { blocked, allowed } = applyAllowlist(found, allowlist);
  console.log(
    `\nDestructive or refused changes ${against} (stateful resources, exports in use):${found.length === 0 ? ' none' : ''}`,
  );
  for (const change of blocked) console.log(`  ${formatChange(change)}`);
  for (const change of allowed) console.log(`  ${formatChange(change)}   [allowlisted]`);
  return blocked.length;
}

/** The deployed template of a stack, `{}` when the stack does not exist yet. */
function deployedTemplate(stack: CloudFormationStackArtifact): object {
  const { account, region } = stack.environment;
  const env = { ...process.env, ...assumeLookupRole(stack) };
  const result = spawnSync(
    'aws',
    ['cloudformation', 'get-template', '--stack-name', stack.stackName, '--region', region, '--output', 'json'],
    { encoding: 'utf8', env },
  );
  if (result.error) throw new Error(`the AWS CLI is not installed (${result.error.message})`);
  if (result.status !== 0) {
    if (/does not exist/.test(result.stderr)) return {};
    throw new Error(`${stack.stackName} in ${account}/${region}: ${result.stderr.trim().split('\n').pop()}`);
  }
  const body = (JSON.parse(result.stdout) as { TemplateBody: string | object }).TemplateBody;
  return typeof body === 'string' ? (JSON.parse(body) as object) : body;
}

/** Credentials of the stage account's CDK lookup role (read-only), when the stack names one. */
function assumeLookupRole(stack: CloudFormationStackArtifact): Record<string, string> {
  const arn = stack.lookupRole?.arn.replace('${AWS::Partition}', 'aws');
  if (!arn) return {};
  const result = spawnSync(
    'aws',
    ['sts', 'assume-role', '--role-arn', arn, '--role-session-name', 'npm-run-diff', '--output', 'json'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    // The pipeline (--deployed) must read the stage's own account: as the tooling account, every
    // stack would look absent ("does not exist") and the comparison would pass without comparing.
    if (args.includes('--deployed')) {
      throw new Error(`could not assume ${arn}: ${result.stderr.trim().split('\n').pop()}`);
    }
    // By hand: perhaps already in the stage account with enough rights; try as we are.
    return {};
  }
  const c = (JSON.parse(result.stdout) as { Credentials: Record<string, string> }).Credentials;
  return {
    AWS_ACCESS_KEY_ID: c.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: c.SecretAccessKey,
    AWS_SESSION_TOKEN: c.SessionToken,
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}
