/**
 * A short, resource-level review of what a change does to a stack: resources added, removed and
 * replaced, and each changed property from its old to its new value, leaf by leaf. Metadata,
 * asset hashes and the CDK's bookkeeping are left out (the templates are normalised as the
 * baselines are), so `MinCapacity 2 → 4` is not buried under a hundred metadata-only entries.
 *
 * `npm run diff` prints it against the committed baselines (offline) and, with credentials,
 * against the deployed stacks; the pipeline's approval step runs the same command.
 */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { normalizeTemplate } from './guard';

/** What happens to one resource. */
export type ResourceAction = 'add' | 'remove' | 'replace' | 'may-replace' | 'update';

/** One changed resource. */
export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  readonly action: ResourceAction;
  /** Changed values, `Path.to.leaf: old → new`; empty for additions and removals. */
  readonly properties: readonly string[];
}

/** The changes of one stack. */
export interface StackChanges {
  /** Display name, `Csl-Prod/App`. */
  readonly stack: string;
  readonly resources: readonly ResourceChange[];
  /** Outputs added, removed or changed, by name. */
  readonly outputs: readonly string[];
}

/** Longest value shown before it is cut. */
const MAX_VALUE = 70;
/** Most changed leaves listed per resource; the rest are counted. */
const MAX_LEAVES = 8;

/**
 * The changes between two templates of a stack (`{}` for a stack that does not exist).
 */
export function stackChanges(stack: string, before: object, after: object): StackChanges {
  const diff = fullDiff(normalizeTemplate(before), normalizeTemplate(after));
  const resources: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.newResourceType ?? change.oldResourceType ?? '?';
    if (change.isAddition || change.isRemoval) {
      resources.push({ logicalId, type, action: change.isAddition ? 'add' : 'remove', properties: [] });
      return;
    }
    const leaves: string[] = [];
    for (const [name, property] of Object.entries(change.propertyUpdates)) {
      leaves.push(...leafChanges(name, property.oldValue, property.newValue));
    }
    // Metadata, DependsOn and the like: only a changed policy is worth a reviewer's eye.
    for (const [name, other] of Object.entries(change.otherChanges)) {
      if (['DeletionPolicy', 'UpdateReplacePolicy', 'UpdatePolicy', 'Condition'].includes(name)) {
        leaves.push(...leafChanges(name, other.oldValue, other.newValue));
      }
    }
    if (leaves.length === 0) return;
    const action: ResourceAction =
      change.changeImpact === ResourceImpact.WILL_REPLACE
        ? 'replace'
        : change.changeImpact === ResourceImpact.MAY_REPLACE
          ? 'may-replace'
          : 'update';
    const shown = leaves.slice(0, MAX_LEAVES);
    if (leaves.length > MAX_LEAVES) shown.push(`… and ${leaves.length - MAX_LEAVES} more`);
    resources.push({ logicalId, type, action, properties: shown });
  });
  const outputs: string[] = [];
  diff.outputs.forEachDifference((name) => outputs.push(name));
  return { stack, resources, outputs };
}

const SIGN: Record<ResourceAction, string> = {
  add: '+ added    ',
  remove: '- REMOVED  ',
  replace: '! REPLACED ',
  'may-replace': '! MAY BE REPLACED',
  update: '~ changed  ',
};

/**
 * The changes of some stacks as text: a count line, then one line per resource and one
 * indented line per changed value.
 */
export function formatChanges(all: readonly StackChanges[]): string {
  const changed = all.filter((s) => s.resources.length > 0 || s.outputs.length > 0);
  const count = (action: ResourceAction) =>
    changed.reduce((n, s) => n + s.resources.filter((r) => r.action === action).length, 0);
  const lines = [
    `${count('add')} added, ${count('remove')} removed, ${count('replace') + count('may-replace')} replaced, ` +
      `${count('update')} changed in place`,
  ];
  if (changed.length === 0) return `${lines[0]}: no changes`;
  for (const s of changed) {
    lines.push('', s.stack);
    const order: ResourceAction[] = ['remove', 'replace', 'may-replace', 'update', 'add'];
    for (const r of [...s.resources].sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action))) {
      lines.push(`  ${SIGN[r.action]} ${r.logicalId} (${r.type})`);
      for (const p of r.properties) lines.push(`      ${p}`);
    }
    if (s.outputs.length > 0) lines.push(`  ~ outputs: ${s.outputs.join(', ')}`);
  }
  return lines.join('\n');
}

/** `Path.leaf: old → new` for every leaf that differs between two JSON values. */
function leafChanges(path: string, before: unknown, after: unknown): string[] {
  if (isObject(before) && isObject(after) && !isIntrinsic(before) && !isIntrinsic(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => leafChanges(`${path}.${k}`, before[k], after[k]));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => leafChanges(`${path}[${i}]`, b, after[i]));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [`${path}: ${show(before)} → ${show(after)}`];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref }`, `{ Fn::GetAtt }`, ...: shown whole, not taken apart. */
function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
