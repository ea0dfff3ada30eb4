import type { z } from 'zod';
import { closestName } from './closest';

/**
 * Zod's issues as one line each, `prefix.path: what is wrong (fix)`: unknown keys with the key
 * meant, missing values with what belongs there, enum values with the nearest allowed one.
 */

/** The lines of a failed parse of `input` against `schema`, each prefixed `prefix.path`. */
export function formatIssues(
  prefix: string,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  schema: z.core.$ZodType,
): string[] {
  return rootCauses(issues).flatMap((issue) => {
    const path = issue.path.map(String);
    const where = (p: string[]) => [prefix, ...p].join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(path, schema);
      return issue.keys.map((key) => {
        const guess = closestName(key, known);
        return `${where([...path, key])}: unknown key (${guess ? `did you mean '${guess}'?` : 'remove it'})`;
      });
    }
    return [`${where(path)}: ${describeIssue(issue, valueAt(input, path))}`];
  });
}

/** What is wrong with the value at one issue's path, and the fix. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v === 'string')) {
    const allowed = issue.values.map((v) => `'${String(v)}'`).join(', ');
    if (value === undefined) return `required, but missing (use one of ${allowed})`;
    if (issue.message.startsWith('Invalid')) {
      const guess = typeof value === 'string' ? closestName(value, issue.values as string[]) : undefined;
      return `${describe(value)} is not allowed (${guess ? `did you mean '${guess}'?` : `use one of ${allowed}`})`;
    }
  }
  const expected = issue.code === 'invalid_type' && issue.expected === 'int' ? 'a whole number' : undefined;
  if (issue.code === 'invalid_type' && value === undefined) {
    return `required, but missing (expected ${expected ?? issue.expected})`;
  }
  if (issue.code === 'invalid_type' && issue.expected !== 'never') {
    return `expected ${expected ?? issue.expected}, got ${describe(value)}`;
  }
  // A bad record key: the key's own check says what is wrong with it.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? 'is not an allowed key';
  if (issue.message.startsWith('Too ')) return describeBound(issue, value);
  if (issue.code === 'invalid_format' && issue.message.startsWith('Invalid')) {
    if (issue.format === 'email') return `${describe(value)} is not an e-mail address (e.g. 'oncall@example.com')`;
    if (issue.format === 'starts_with')
      return `${describe(value)} must start with '${(issue as { prefix?: string }).prefix}'`;
  }
  return issue.message;
}

/** A number, list or text past a bound zod's default message states in its own words. */
function describeBound(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code !== 'too_big' && issue.code !== 'too_small') return issue.message;
  const big = issue.code === 'too_big';
  const limit = Number(big ? issue.maximum : issue.minimum);
  const inclusive = issue.inclusive !== false;
  if (Array.isArray(value)) {
    return `lists ${value.length}; give ${big ? 'at most' : 'at least'} ${limit} (${big ? 'remove some' : 'add some'})`;
  }
  if (typeof value === 'string') {
    return `${describe(value)} is too ${big ? 'long' : 'short'}; use ${big ? 'at most' : 'at least'} ${limit} characters`;
  }
  const bound = inclusive ? `${big ? 'at most' : 'at least'} ${limit}` : `${big ? 'below' : 'above'} ${limit}`;
  return `${JSON.stringify(value)} is out of range; set ${bound}`;
}

/**
 * Drops the issues that follow from another: a value of the wrong type fails its length and
 * range checks too, and a service whose `kind` is unknown got no kind defaults, so its missing
 * `cpu`, `memoryMiB`, ... would only repeat the one mistake.
 */
function rootCauses(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const key = (path: readonly PropertyKey[]) => path.map(String).join('.');
  const badTypes = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => key(i.path)));
  const badKinds = new Set(
    issues
      .filter((i) => i.path.length === 3 && i.path[0] === 'services' && i.path[2] === 'kind')
      .map((i) => String(i.path[1])),
  );
  return issues.filter(
    (i) =>
      !(i.path[0] === 'services' && badKinds.has(String(i.path[1])) && i.path[2] !== 'kind') &&
      !(i.code !== 'invalid_type' && badTypes.has(key(i.path))),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(input: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (isPlainObject(node) || Array.isArray(node) ? (node as never)[key] : undefined),
    input,
  );
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string '${value}'`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Keys the schema allows at a path, for "did you mean" hints. */
function knownKeys(path: string[], root: z.core.$ZodType): string[] {
  let schema: z.core.$ZodType = root;
  for (const key of path) {
    schema = unwrap(schema);
    const def = schema._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'object') {
      schema = (def.shape as Record<string, z.core.$ZodType>)[key];
    } else if (def.type === 'record') {
      schema = def.valueType as z.core.$ZodType;
    } else if (def.type === 'array') {
      schema = def.element as z.core.$ZodType;
    } else {
      return [];
    }
    if (!schema) return [];
  }
  const def = unwrap(schema)._zod.def as unknown as Record<string, unknown>;
  return def.type === 'object' ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as Record<string, unknown>;
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') {
      current = def.innerType as z.core.$ZodType;
    } else if (def.type === 'pipe') {
      current = def.in as z.core.$ZodType;
    } else {
      return current;
    }
  }
}
