/**
 * The replacement guard: finds changes to the CDK app that would replace, destroy or orphan a
 * stateful resource (a database, a bucket, a key, ...), by diffing each stack's synthesized
 * template against a committed baseline with `@aws-cdk/cloudformation-diff`, the diff engine
 * behind `cdk diff`.
 *
 * How it is used:
 * - `test/baselines/<StageId>/<Stack>.template.json` hold the reviewed, normalised templates of
 *   every stack; `npm run baselines:update` rewrites them from the current app.
 * - `test/lib/guard/guard.test.ts` synthesizes the app and fails on every destructive
 *   change against the baselines that `test/baselines/allowlist.json` does not acknowledge.
 * - An intended destructive change gets an allowlist entry whose reason says why losing or
 *   moving the data is acceptable. Once the baselines are regenerated the entry matches nothing
 *   and must be removed: a stale entry would wave through the next replacement of that resource.
 *
 * This module has no side effects on import; scripts and tests call it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fullDiff, ResourceImpact, type ResourceDifference } from '@aws-cdk/cloudformation-diff';
import { z } from 'zod';

/**
 * CloudFormation types whose resources hold data (or guard it, like KMS keys and secrets), so
 * replacing or deleting one loses that data or cuts access to it.
 *
 * Not listed on purpose: `AWS::RDS::DBSubnetGroup` and other supporting resources hold no data
 * themselves. A change to them that replaces a database (a new `DBSubnetGroupName` on a
 * `DBInstance`) is still caught, because the diff propagates the replacement to the resources
 * that reference the replaced one.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::AmazonMQ::Broker',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::EFS::FileSystem',
  'AWS::DynamoDB::Table',
  'AWS::ECR::Repository',
  'AWS::Backup::BackupVault',
]);

/**
 * Properties whose replacement the resource specification can only call "conditional"
 * (`may-replace`), with the condition CloudFormation documents, so the guard can say for sure.
 * Each rule answers, for the resource before and after, whether changing the property replaces it.
 */
export const CONDITIONAL_REPLACEMENTS: Readonly<
  Record<string, Readonly<Record<string, (before: ResourceBody, after: ResourceBody) => boolean>>>
> = {
  'AWS::RDS::DBInstance': {
    // The resource provider's reference (aws-cloudformation-resource-providers-rds,
    // aws-rds-dbinstance/docs/README.md) lists both as "Update requires: No interruption"; the
    // specification says "conditional" because of Aurora cluster members. A new parameter group
    // comes with every major version (mysql8.0 -> mysql8.4) and is applied in place.
    BackupRetentionPeriod: () => false,
    DBParameterGroupName: (_before, after) => after.Properties?.DBClusterIdentifier !== undefined,
  },
  'AWS::ElastiCache::ReplicationGroup': {
    // CloudFormation UpdatePolicy attribute, UseOnlineResharding: "To modify a replication
    // group's shards by adding or removing shards, rather than replacing the entire
    // AWS::ElastiCache::ReplicationGroup resource, use UseOnlineResharding". Without it a new
    // NumNodeGroups replaces the cluster: a new, empty cache behind a new endpoint.
    NumNodeGroups: (_before, after) => after.UpdatePolicy?.UseOnlineResharding !== true,
  },
};

/** The parts of a template resource the guard reads. */
export interface ResourceBody {
  readonly Type?: string;
  readonly Properties?: Record<string, unknown>;
  readonly UpdatePolicy?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

/**
 * What a change would do to an existing stateful resource, or (`refused`) an update AWS
 * rejects, which fails the stack update halfway.
 */
export type DestructiveImpact = 'replace' | 'may-replace' | 'destroy' | 'orphan' | 'refused' | 'export-in-use';

/** One change that would replace, destroy or orphan a stateful resource. */
export interface DestructiveChange {
  /** The stack's display name, `Csl-Prod/Data`. */
  stack: string;
  /** The resource's logical id in the baseline (the old id when a construct was renamed). */
  logicalId: string;
  /** Its CloudFormation type, `AWS::RDS::DBInstance`. */
  type: string;
  /**
   * `replace`: CloudFormation creates a new resource and deletes the old one (or keeps it
   * unmanaged under `UpdateReplacePolicy: Retain`); the new one starts empty.
   * `may-replace`: a changed property replaces the resource under some conditions.
   * `destroy`: the resource left the template and is deleted (a `Snapshot` policy keeps a
   * final snapshot only).
   * `orphan`: the resource left the template and `DeletionPolicy: Retain` keeps it, no longer
   * managed by the stack.
   * `refused`: an update ECS rejects: the network or load-balancer settings of a service with
   * the `CODE_DEPLOY` deployment controller.
   * `export-in-use`: an export is removed or changed while another stack of the stage imports it;
   * CloudFormation refuses that update of the producer (see {@link findExportsInUse}).
   */
  impact: DestructiveImpact;
  /** Why: the properties that force the replacement, or the deletion policy of a removed resource. */
  reason: string;
}

/** A destructive change someone has reviewed and accepted. */
export interface AllowlistEntry {
  /** The stack's display name, `Csl-Prod/Data`. */
  stack: string;
  /** The logical id the change is reported under. */
  logicalId: string;
  /** Why losing, replacing or un-managing this resource is acceptable (at least 15 characters). */
  reason: string;
}

/** The outcome of {@link applyAllowlist}. */
export interface AllowlistResult {
  /** Changes no entry acknowledges: these fail the guard. */
  blocked: DestructiveChange[];
  /** Changes an entry acknowledges. */
  allowed: DestructiveChange[];
  /** Entries that match no change: stale, to be removed. */
  unusedEntries: AllowlistEntry[];
}

/** The result of comparing a whole cloud assembly with its baselines. */
export interface AssemblyComparison {
  /** Destructive changes across all stacks, including stacks that no longer exist. */
  changes: DestructiveChange[];
  /** Current stacks with no baseline, by display name. */
  newStacks: string[];
}

/** Shortest allowlist reason accepted: long enough that it has to say something. */
const MIN_REASON_LENGTH = 15;

/** The CloudFormation-diff impacts the guard reports, and how it names them. */
const REPORTED_IMPACTS: Partial<Record<ResourceImpact, DestructiveImpact>> = {
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'may-replace',
  [ResourceImpact.WILL_DESTROY]: 'destroy',
  [ResourceImpact.WILL_ORPHAN]: 'orphan',
};

/** How {@link formatChange} words each impact. */
const VERBS: Record<DestructiveImpact, string> = {
  replace: 'REPLACED',
  'may-replace': 'MAYBE REPLACED',
  destroy: 'DESTROYED',
  orphan: 'ORPHANED',
  refused: 'REFUSED BY ECS',
  'export-in-use': 'REFUSED BY CLOUDFORMATION',
};

/**
 * Properties of an `AWS::ECS::Service` that ECS does not update on a service with the
 * `CODE_DEPLOY` deployment controller: for such a service UpdateService changes only the
 * desired count, deployment configuration, health check grace period, placement and tag
 * settings; "if the network configuration, platform version, task definition, or load balancer
 * need to be updated, create a new CodeDeploy deployment" (ECS API reference, UpdateService).
 * The task definition goes through the app's CodeDeploy deployment already. A new capacity
 * provider strategy needs a forced new deployment, which a CODE_DEPLOY service refuses
 * (aws/aws-cdk#34631); this app's deployments carry the strategy in their AppSpec instead.
 */
const CODE_DEPLOY_FIXED = ['NetworkConfiguration', 'LoadBalancers', 'CapacityProviderStrategy'];

/** What to do instead of a refused update of a CODE_DEPLOY service. */
const CODE_DEPLOY_FIX =
  'ECS rejects this update on a CODE_DEPLOY service and the stack update fails. Revert it; ' +
  'to change subnets or security groups, change them in the deployment (AppSpec networkConfiguration) ' +
  'instead; to change its load balancer or target groups, create the service anew under a new construct ' +
  'id (a new logical id), shift traffic to it, then remove the old one';

/** An asset hash as the default synthesizer writes it into `S3Key`s: 64 hex digits, maybe a suffix. */
const ASSET_HASH = /^[0-9a-f]{64}(\.[a-z]+)?$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Template = { [key: string]: Json };

/**
 * A deep copy of a template without what changes from synth to synth or between CDK versions
 * but never touches a deployed resource, so baselines only change when the infrastructure does:
 * the `AWS::CDK::Metadata` resource (and the condition it may come with), the `BootstrapVersion`
 * parameter and rule, `aws:asset:*` resource metadata, and asset hashes in string values.
 */
export function normalizeTemplate(template: object): Template {
  const copy = structuredClone(template) as Template;
  const resources = asObject(copy.Resources) ?? {};
  for (const [id, resource] of Object.entries(resources)) {
    const body = asObject(resource);
    if (body?.Type === 'AWS::CDK::Metadata') {
      delete resources[id];
      continue;
    }
    const metadata = asObject(body?.Metadata) ?? {};
    for (const key of Object.keys(metadata)) if (key.startsWith('aws:asset:')) delete metadata[key];
  }
  removeEntry(copy, 'Parameters', 'BootstrapVersion');
  removeEntry(copy, 'Rules', 'CheckBootstrapVersion');
  removeEntry(copy, 'Conditions', 'CDKMetadataAvailable');
  return replaceAssetHashes(copy) as Template;
}

/**
 * The changes between two templates of one stack that would replace, destroy or orphan a
 * resource of a {@link STATEFUL_TYPES} type. Templates are normalised first
 * ({@link normalizeTemplate}); an absent stack is `{}`.
 *
 * @param stack  the stack's display name, copied into each change
 * @param before the baseline (deployed) template
 * @param after  the template the app synthesizes now
 */
export function findDestructiveChanges(stack: string, before: object, after: object): DestructiveChange[] {
  // Only the resources that can bear on a verdict are diffed: an App stack is half a megabyte of
  // template, and diffing all of it was most of the guard's time.
  const relevant = new Set([...guardedClosure(before), ...guardedClosure(after)]);
  const diff = fullDiff(
    canonicalReferences(normalizeTemplate(onlyResources(before, relevant))) as Template,
    canonicalReferences(normalizeTemplate(onlyResources(after, relevant))) as Template,
  );
  const changes: DestructiveChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.oldResourceType ?? change.newResourceType;
    const codeDeploy = codeDeployServiceChange(change);
    if (codeDeploy) changes.push({ stack, logicalId, type: type!, ...codeDeploy });
    if (type === undefined || !isStateful(change)) return;
    const impact = refineImpact(type, change) ?? REPORTED_IMPACTS[change.changeImpact];
    if (impact === undefined || impact === 'none') return;
    changes.push({ stack, logicalId, type, impact, reason: explain(change, impact, diff.resources.changes) });
  });
  return changes.sort(byStackThenId);
}

/** Types the guard reports on: the stateful ones, and ECS services (CODE_DEPLOY updates). */
const GUARDED_TYPES = new Set([...STATEFUL_TYPES, 'AWS::ECS::Service']);

/**
 * The logical ids of the template's guarded resources ({@link GUARDED_TYPES}) and of every
 * resource they reference, transitively (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`). The rest
 * cannot change a verdict: the diff decides a resource's impact from its own properties, and a
 * replaced resource reaches another one only through such a reference (a renamed DB subnet group
 * replaces the instance whose `DBSubnetGroupName` refers to it), which the closure keeps.
 */
export function guardedClosure(template: object): Set<string> {
  const resources = asObject((template as Template).Resources) ?? {};
  const found = new Set<string>();
  const pending = Object.keys(resources).filter((id) => GUARDED_TYPES.has(String(asObject(resources[id])?.Type)));
  while (pending.length > 0) {
    const id = pending.pop()!;
    if (found.has(id) || resources[id] === undefined) continue;
    found.add(id);
    pending.push(...referencedIds(resources[id]));
  }
  return found;
}

/** The logical ids (and parameter names) a piece of template refers to. */
function referencedIds(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (typeof value !== 'object' || value === null) return [];
  const ids: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'Ref' && typeof inner === 'string') ids.push(inner);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(inner) ? inner[0] : typeof inner === 'string' ? inner.split('.')[0] : undefined;
      if (typeof target === 'string') ids.push(target);
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(inner) ? inner[0] : inner;
      if (typeof text === 'string') for (const m of text.matchAll(/\$\{([^!}][^}.]*)/g)) ids.push(m[1]);
    }
    ids.push(...referencedIds(inner));
  }
  return ids;
}

/** A shallow copy of a template whose Resources are only those in `ids`. */
function onlyResources(template: object, ids: ReadonlySet<string>): object {
  const resources = asObject((template as Template).Resources);
  if (!resources) return template;
  return { ...template, Resources: Object.fromEntries(Object.entries(resources).filter(([id]) => ids.has(id))) };
}

/**
 * Splits changes into those an allowlist entry acknowledges (same stack and logical id) and
 * those it does not, and names the entries that matched nothing.
 *
 * @throws Error when an entry's reason is missing or shorter than 15 characters
 */
export function applyAllowlist(
  changes: readonly DestructiveChange[],
  allowlist: readonly AllowlistEntry[],
): AllowlistResult {
  const unexplained = allowlist.filter((e) => (e.reason ?? '').trim().length < MIN_REASON_LENGTH);
  if (unexplained.length > 0) {
    const which = unexplained.map((e) => `${e.stack} ${e.logicalId}`).join(', ');
    throw new Error(
      `every allowlist entry needs a reason of at least ${MIN_REASON_LENGTH} characters saying why the ` +
        `destructive change is acceptable; missing or too short for: ${which}`,
    );
  }
  const matches = (e: AllowlistEntry, c: DestructiveChange) => e.stack === c.stack && e.logicalId === c.logicalId;
  return {
    blocked: changes.filter((c) => !allowlist.some((e) => matches(e, c))),
    allowed: changes.filter((c) => allowlist.some((e) => matches(e, c))),
    unusedEntries: allowlist.filter((e) => !changes.some((c) => matches(e, c))),
  };
}

/**
 * Reads and checks an allowlist file: a JSON array of {@link AllowlistEntry}. Reasons are
 * checked by {@link applyAllowlist}.
 *
 * @throws Error naming the file when it is not such an array
 */
export function readAllowlist(file: string): AllowlistEntry[] {
  const schema = z.array(z.strictObject({ stack: z.string(), logicalId: z.string(), reason: z.string() }));
  const parsed = schema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} must be an array of { stack, logicalId, reason }: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * Every stack template of a synthesized cloud assembly directory, nested stage assemblies
 * included, keyed by the stack's display name (`Csl-Prod/Data`), in manifest order.
 *
 * @param outdir the assembly directory (`cdk.out`, or an App's `outdir` after `app.synth()`)
 */
export function synthTemplates(outdir: string): Map<string, object> {
  const manifest = readJson(path.join(outdir, 'manifest.json')) as {
    artifacts?: Record<
      string,
      { type: string; displayName?: string; properties?: { templateFile?: string; directoryName?: string } }
    >;
  };
  const templates = new Map<string, object>();
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      templates.set(artifact.displayName ?? id, readJson(path.join(outdir, artifact.properties.templateFile)));
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      for (const [name, template] of synthTemplates(path.join(outdir, artifact.properties.directoryName))) {
        templates.set(name, template);
      }
    }
  }
  return templates;
}

/** Where the baseline of a stack lives: `Csl-Prod/Data` → `<dir>/Csl-Prod/Data.template.json`. */
export function baselinePath(dir: string, stack: string): string {
  return path.join(dir, ...stack.split('/').slice(0, -1), `${stack.split('/').pop()}.template.json`);
}

/**
 * Every baseline under `dir`, keyed by stack display name (the inverse of {@link baselinePath}).
 * A missing directory holds no baselines.
 */
export function readBaselines(dir: string): Map<string, object> {
  const baselines = new Map<string, object>();
  if (!fs.existsSync(dir)) return baselines;
  const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((f) => f.endsWith('.template.json')).sort()) {
    const stack = file.slice(0, -'.template.json'.length).split(path.sep).join('/');
    baselines.set(stack, readJson(path.join(dir, file)));
  }
  return baselines;
}

/** A template as a baseline file holds it: normalised, pretty-printed, ending in a newline. */
export function serializeBaseline(template: object): string {
  return `${JSON.stringify(normalizeTemplate(template), null, 2)}\n`;
}

/**
 * Compares every stack of an assembly with its baseline. A baseline whose stack no longer
 * exists counts as a deleted stack: each stateful resource in it is destroyed or orphaned.
 * A stack with no baseline is listed in `newStacks` (it has nothing to lose yet, but it must
 * get a baseline so its resources are guarded from now on).
 */
export function compareWithBaselines(
  baselines: ReadonlyMap<string, object>,
  current: ReadonlyMap<string, object>,
): AssemblyComparison {
  const changes: DestructiveChange[] = [];
  for (const [stack, before] of baselines) {
    changes.push(...findDestructiveChanges(stack, before, current.get(stack) ?? {}));
  }
  changes.push(...findExportsInUse(baselines, current));
  const newStacks = [...current.keys()].filter((stack) => !baselines.has(stack));
  return { changes: changes.sort(byStackThenId), newStacks };
}

/**
 * Exports that the new templates remove or change while another stack imports them in the old
 * (deployed) templates. CloudFormation refuses that update of the producer: "After another stack
 * imports an output value, you can't delete the stack that is exporting the output value or modify
 * the exported output value. All the imports must be removed before you can delete the exporting
 * stack or modify the output value" (CloudFormation template reference, `Fn::ImportValue`), and
 * CDK deploys the producer before its consumers, while they still import the old value. Lowering
 * `mysql.readReplicas` is the everyday case: the Data stack drops a replica's endpoint export in
 * the same synth in which the App stack stops reading it, and the Data update fails with "Export
 * … cannot be deleted as it is in use by …". Templates are compared across the stacks of one
 * assembly (a stage's, or all stages'; export names carry the stack name, so stages never mix).
 *
 * @param before the deployed (or baseline) templates by stack display name
 * @param after  the templates the app synthesizes now
 */
export function findExportsInUse(
  before: ReadonlyMap<string, object>,
  after: ReadonlyMap<string, object>,
): DestructiveChange[] {
  const importers = new Map<string, string[]>();
  for (const [stack, template] of before) {
    for (const name of importedNames(template)) importers.set(name, [...(importers.get(name) ?? []), stack]);
  }
  const changes: DestructiveChange[] = [];
  for (const [stack, template] of before) {
    const old = exportsOf(template);
    const now = exportsOf(after.get(stack) ?? {});
    for (const [name, { logicalId, value }] of old) {
      const users = (importers.get(name) ?? []).filter((s) => s !== stack);
      const next = now.get(name);
      if (users.length === 0 || (next !== undefined && next.value === value)) continue;
      const what = next === undefined ? 'removed' : 'changed';
      changes.push({
        stack,
        logicalId,
        type: 'AWS::CloudFormation::Export',
        impact: 'export-in-use',
        reason:
          `export ${name} is ${what} but ${users.join(', ')} imports it, and CloudFormation does not ` +
          `${what === 'removed' ? 'delete' : 'modify'} an export in use. Two deploys: keep the export for ` +
          `one deploy (in the producer, \`this.exportValue(<the same value>)\`) while the consumers stop ` +
          `importing it, then drop it; or first deploy the consumers alone (\`npx cdk deploy <Stage>/App ` +
          `--exclusively\`) with the new templates, then the producer`,
      });
    }
  }
  return changes.sort(byStackThenId);
}

/**
 * One line a reviewer can act on, e.g.
 * `Csl-Prod/Data MysqlPrimary1234 (AWS::RDS::DBInstance) would be REPLACED: Port`.
 */
export function formatChange(c: DestructiveChange): string {
  return `${c.stack} ${c.logicalId} (${c.type}) would be ${VERBS[c.impact]}: ${c.reason}`;
}

/**
 * What a change to a CODE_DEPLOY service costs, with what to do; undefined for other changes.
 *
 * - Updated in place: ECS rejects the properties in {@link CODE_DEPLOY_FIXED} (`refused`).
 * - Replaced (`replace`): CloudFormation knows the service's `LoadBalancers` as synthesized (the
 *   blue target group), not which group CodeDeploy left the listener on: after a swap the new
 *   service registers its tasks with the idle group while the listener keeps forwarding to the
 *   old service's group, which empties as the old service is deleted.
 */
function codeDeployServiceChange(
  change: ResourceDifference,
): { impact: 'refused' | 'replace'; reason: string } | undefined {
  if (change.oldResourceType !== 'AWS::ECS::Service' || change.newResourceType !== 'AWS::ECS::Service')
    return undefined;
  if (change.oldValue?.Properties?.DeploymentController?.Type !== 'CODE_DEPLOY') return undefined;
  if (change.changeImpact !== ResourceImpact.WILL_REPLACE) {
    const changed = CODE_DEPLOY_FIXED.filter((name) => change.propertyUpdates[name] !== undefined);
    return changed.length > 0
      ? { impact: 'refused', reason: `${changed.join(', ')} changed. ${CODE_DEPLOY_FIX}` }
      : undefined;
  }
  const causes = Object.entries(change.propertyUpdates)
    .filter(([, d]) => d.changeImpact === ResourceImpact.WILL_REPLACE)
    .map(([name]) => name);
  return {
    impact: 'replace',
    reason:
      `${causes.join(', ') || 'the service'}: CloudFormation replaces this CODE_DEPLOY service, and the new one ` +
      'registers with the blue target group while the listener may forward to green after a swap: the site goes ' +
      'dark until the next deployment. Before deploying, see which group the production listener forwards to; if ' +
      'green, run one more deployment so blue is live again (or accept the outage in dev); then allowlist it',
  };
}

/**
 * The impact of a change once {@link CONDITIONAL_REPLACEMENTS} has decided the properties the
 * specification leaves open: `replace` or `none` when every replacing property has a rule (and
 * no other property certainly replaces), else undefined (keep the diff's own verdict).
 */
function refineImpact(type: string, change: ResourceDifference): DestructiveImpact | 'none' | undefined {
  const rules = CONDITIONAL_REPLACEMENTS[type];
  if (!rules || change.oldValue === undefined || change.newValue === undefined) return undefined;
  const before = change.oldValue as ResourceBody;
  const after = change.newValue as ResourceBody;
  let verdict: DestructiveImpact | 'none' = 'none';
  for (const [name, diff] of Object.entries(change.propertyUpdates)) {
    if (diff.changeImpact !== ResourceImpact.WILL_REPLACE && diff.changeImpact !== ResourceImpact.MAY_REPLACE) continue;
    const rule = rules[name];
    if (rule === undefined) return undefined;
    if (rule(before, after)) verdict = 'replace';
  }
  return verdict === 'none' && change.changeImpact !== ResourceImpact.MAY_REPLACE ? undefined : verdict;
}

/** True when the resource is stateful before or after the change (a type change counts too). */
function isStateful(change: ResourceDifference): boolean {
  // A read replica holds no data of its own: removing or replacing one loses nothing.
  const replica = [change.oldValue, change.newValue].some(
    (r) => r?.Properties?.SourceDBInstanceIdentifier !== undefined,
  );
  if (replica) return false;
  return [change.oldResourceType, change.newResourceType].some((t) => t !== undefined && STATEFUL_TYPES.has(t));
}

/** The `reason` of a change: what forces the replacement, or what deleting the resource does. */
function explain(
  change: ResourceDifference,
  impact: DestructiveImpact,
  all: Record<string, ResourceDifference>,
): string {
  if (impact === 'destroy' || impact === 'orphan') {
    return removalReason(change.oldValue?.DeletionPolicy) + renameHint(change, all);
  }
  if (change.oldResourceType !== change.newResourceType) {
    return `type changes from ${change.oldResourceType} to ${change.newResourceType}`;
  }
  // Only the properties that drive the impact: listing every updated property would hide the
  // one that matters among tags and descriptions.
  const replacing = (i?: ResourceImpact) => i === ResourceImpact.WILL_REPLACE || i === ResourceImpact.MAY_REPLACE;
  const properties = Object.entries(change.propertyUpdates)
    .filter(([, diff]) => replacing(diff.changeImpact))
    .map(([name, diff]) => {
      const decided = CONDITIONAL_REPLACEMENTS[change.newResourceType ?? '']?.[name] !== undefined;
      return diff.changeImpact === ResourceImpact.MAY_REPLACE && impact === 'replace' && !decided
        ? `${name} (may)`
        : name;
    })
    .sort();
  return properties.length > 0 ? properties.join(', ') : 'the diff names no property';
}

/** What happens to a resource that leaves the template, by its `DeletionPolicy`. */
function removalReason(policy: unknown): string {
  switch (policy) {
    case 'Retain':
    case 'RetainExceptOnCreate':
      return `removed from the template; DeletionPolicy ${policy} keeps it outside the stack`;
    case 'Snapshot':
      return 'removed from the template; DeletionPolicy Snapshot deletes it after a final snapshot';
    case undefined:
      return 'removed from the template; with no DeletionPolicy CloudFormation deletes it';
    default:
      return `removed from the template; DeletionPolicy ${String(policy)} deletes it`;
  }
}

/**
 * A removed resource next to an added one of the same type is most often a renamed construct
 * id or a moved construct, which changes the logical id: say so, because the fix is then to
 * keep the old id (`overrideLogicalId`), not to accept the loss.
 */
function renameHint(removed: ResourceDifference, all: Record<string, ResourceDifference>): string {
  const added = Object.entries(all)
    .filter(([, d]) => d.isAddition && d.newResourceType === removed.oldResourceType)
    .map(([id]) => id)
    .sort();
  return added.length > 0 ? ` (added in the same stack: ${added.join(', ')}; a changed logical id?)` : '';
}

/** The exports of a template: name → output logical id and value (as JSON text). */
function exportsOf(template: object): Map<string, { logicalId: string; value: string }> {
  const found = new Map<string, { logicalId: string; value: string }>();
  const outputs = asObject((normalizeTemplate(template) as Template).Outputs) ?? {};
  for (const [logicalId, output] of Object.entries(outputs)) {
    const body = asObject(output);
    const name = asObject(body?.Export)?.Name;
    if (typeof name === 'string') found.set(name, { logicalId, value: JSON.stringify(body?.Value ?? null) });
  }
  return found;
}

/** The export names a template reads with `Fn::ImportValue` (literal names, as CDK writes them). */
function importedNames(template: object): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== 'object' || value === null) return;
    const name = (value as Record<string, unknown>)['Fn::ImportValue'];
    if (typeof name === 'string') found.add(name);
    Object.values(value).forEach(walk);
  };
  walk(template);
  return found;
}

function byStackThenId(a: DestructiveChange, b: DestructiveChange): number {
  return a.stack.localeCompare(b.stack) || a.logicalId.localeCompare(b.logicalId);
}

function asObject(value: Json | undefined): { [key: string]: Json } | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/** Deletes `template[section][key]`, and the section when that leaves it empty. */
function removeEntry(template: Template, section: string, key: string): void {
  const entries = asObject(template[section]);
  if (!entries) return;
  delete entries[key];
  if (Object.keys(entries).length === 0) delete template[section];
}

function replaceAssetHashes(value: Json): Json {
  if (typeof value === 'string') return value.replace(ASSET_HASH, '<asset-hash>$1');
  if (Array.isArray(value)) return value.map(replaceAssetHashes);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceAssetHashes(v)]));
  }
  return value;
}

function readJson(file: string): object {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as object;
}

/**
 * The weak references (`Fn::GetStackOutput`) of a template that read a stack of the template's
 * own region. Within a region references must be strong (`Fn::ImportValue`): a weak one is read
 * only when the consumer's template changes, so a replaced producer leaves the consumer pointing
 * at the old resource. Across regions weak references are allowed, with a producer fingerprint.
 *
 * @returns `StackName/OutputName` of each such reference, sorted and unique
 */
export function sameRegionWeakReferences(template: object, region: string): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== 'object' || value === null) return;
    const ref = (value as Record<string, unknown>)['Fn::GetStackOutput'] as
      { StackName?: unknown; OutputName?: unknown; Region?: unknown } | undefined;
    if (ref && (ref.Region === undefined || ref.Region === region)) {
      found.add(`${JSON.stringify(ref.StackName)}/${JSON.stringify(ref.OutputName)}`);
    }
    Object.values(value).forEach(walk);
  };
  walk(template);
  return [...found].sort();
}

/**
 * A cross-stack reference written as the value it reads, whatever its strength: a weak
 * `Fn::GetStackOutput` of `<Stack>/PublishOutput<ref><hash>` and a strong `Fn::ImportValue` of
 * `<Stack>:ExportsOutput<ref><hash>` both become `<xref:<Stack>:<ref>>`. Moving a reference from
 * weak to strong (or back) changes the template text but not the value CloudFormation resolves,
 * so it replaces nothing; without this, every replace-on-update property fed by another stack
 * (a broker's SubnetIds) would look replaced. CDK's `Stack.exportValue` migration relies on the
 * same: swapping an import for the identical literal leaves the consumer's resources alone.
 */
export function canonicalReferences(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonicalReferences);
  if (typeof value !== 'object' || value === null) return value;
  const weak = asObject(value['Fn::GetStackOutput']);
  if (weak && typeof weak.StackName === 'string' && typeof weak.OutputName === 'string') {
    const ref = /^PublishOutput(.+)[0-9A-F]{8}$/.exec(weak.OutputName);
    if (ref) return `<xref:${weak.StackName}:${ref[1]}>`;
  }
  const strong = value['Fn::ImportValue'];
  if (typeof strong === 'string') {
    const ref = /^(.+):ExportsOutput(.+)[0-9A-F]{8}$/.exec(strong);
    if (ref) return `<xref:${ref[1]}:${ref[2]}>`;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonicalReferences(v)]));
}
