import { formatIssues } from './format-issues';
import { crossStageProblems } from './rules';
import {
  LARAVEL_HEALTH_PATH,
  laravelMajor,
  pipelineSchema,
  resolvedConfigSchema,
  type PipelineConfig,
  SERVICE_KINDS,
  STAGE_NAMES,
  TIER_NAMES,
  type ResolvedConfig,
  type ServiceConfig,
  type ServiceKind,
  type StageName,
  type TierName,
} from './schema';
import { KIND_DEFAULTS, TIERS, type Tier } from './tiers';

/** Every property optional, all the way down; arrays are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A service as a system file declares it: kind and image, the rest from the tier and kind. */
export type ServiceDefinition = Pick<ServiceConfig, 'kind' | 'image'> &
  DeepPartial<Omit<ServiceConfig, 'kind' | 'image'>>;

type StageSpecific = 'account' | 'region' | 'availabilityZones' | 'domainName' | 'hostedZoneId' | 'alertEmails';

/**
 * What a system's file says about one stage: where it lives, and what it overrides. A stage
 * named like a tier (`dev`, `staging`, `prod`) takes that tier; any other stage names one with
 * `tier` (a `qa` stage with `tier: 'staging'`).
 */
export type StageDefinition = Pick<ResolvedConfig, StageSpecific> & { readonly tier?: TierName } & DeepPartial<
    Omit<ResolvedConfig, StageSpecific | 'system' | 'stage' | 'tier'>
  >;

/**
 * A system file: what the system is (images, services, data stores) and, per stage, where it
 * runs and which tier defaults it overrides. Any tier setting may also be set once for all of
 * the system's stages at the top level (`cdn`, `scaling`, `mysql`, ...).
 */
export type SystemDefinition = {
  /** Lower-case name, used in stage ids (`Csl-Prod`) and tags. */
  readonly name: string;
  readonly costCenter: string;
  readonly images: ResolvedConfig['images'];
  readonly services: Record<string, ServiceDefinition>;
  readonly externalDatabases?: ResolvedConfig['externalDatabases'];
  /** `dev`, `staging` and `prod`, and any stage of the system's own (see {@link StageDefinition}). */
  readonly stages: Record<StageName, StageDefinition>;
  /** Where the system's pipeline runs (tooling account) and what it watches. */
  readonly pipeline: PipelineConfig;
} & DeepPartial<
  Omit<ResolvedConfig, StageSpecific | 'system' | 'stage' | 'costCenter' | 'images' | 'services' | 'externalDatabases'>
>;

/** Bad configuration: every problem found, each naming `system.stage.path` and the fix. */
export class ConfigError extends Error {
  /** One line per problem, `system.stage.path: message`. */
  public readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const DATA_STORE_KEYS = ['mysql', 'postgres', 'redis', 'rabbitmq'] as const;

/**
 * Resolves and validates one (system, stage): tier defaults, then the system file, then the
 * system's overrides for that stage.
 *
 * The input is typed loosely on purpose: system files are checked by the compiler, but this
 * is also the gate for anything else (tests, generated files), and it must name every problem.
 *
 * @throws ConfigError naming each bad path and its fix
 */
export function resolveStage(system: SystemDefinition, stage: StageName): ResolvedConfig {
  const raw = system as unknown as Record<string, unknown>;
  const label = typeof raw.name === 'string' ? raw.name : '<unnamed>';
  const stages = raw.stages as Record<string, unknown> | undefined;
  if (!isPlainObject(stages) || !isPlainObject(stages[stage])) {
    throw new ConfigError([
      `${label}.${stage}: the system file has no stages.${stage} entry (add one with account, region, ...)`,
    ]);
  }
  const definition = stages[stage] as Record<string, unknown>;
  const tier = definition.tier ?? stage;
  if (typeof tier !== 'string' || !(TIER_NAMES as readonly string[]).includes(tier)) {
    const named = definition.tier === undefined ? `stage '${stage}' names no tier` : `'${String(tier)}' is no tier`;
    throw new ConfigError([
      `${label}.${stage}.tier: ${named} (set tier: ${TIER_NAMES.map((t) => `'${t}'`).join(', ')} to reuse one, or add a tier to config/tiers.ts)`,
    ]);
  }
  try {
    return parseStage(raw, label, stage, tier as TierName, definition);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // A value of a shape nobody expected (null where an object belongs, ...): name the stage
    // rather than show a stack trace.
    throw new ConfigError([`${label}.${stage}: could not be read (${(err as Error).message})`]);
  }
}

function parseStage(
  raw: Record<string, unknown>,
  label: string,
  stage: string,
  tier: TierName,
  definition: Record<string, unknown>,
): ResolvedConfig {
  const { name, stages: _stages, pipeline: _pipeline, ...common } = raw;
  const tooling = toolingOf(raw.pipeline, label);
  const merged = deepMerge({ system: name, stage, ...common, ...tooling.fields }, { ...definition, tier });
  const withDefaults = applyTier(merged, TIERS[tier]);

  const result = resolvedConfigSchema.safeParse(withDefaults);
  if (tooling.problems.length > 0 && result.success) throw new ConfigError(tooling.problems);
  if (!result.success) {
    throw new ConfigError([
      ...tooling.problems,
      ...formatIssues(`${label}.${stage}`, result.error.issues, withDefaults, resolvedConfigSchema),
    ]);
  }
  return result.data;
}

/**
 * The tooling account and region every stage takes from the system's pipeline, where they are
 * valid; a bad one is reported at `<system>.pipeline.<field>`, where it was written, and left out.
 */
function toolingOf(pipeline: unknown, label: string): { fields: Record<string, unknown>; problems: string[] } {
  const fields: Record<string, unknown> = {};
  const problems: string[] = [];
  if (!isPlainObject(pipeline)) {
    const got = pipeline === undefined ? 'missing' : `${pipeline === null ? 'null' : typeof pipeline}, not an object`;
    problems.push(
      `${label}.pipeline: ${got} (add pipeline: { account, region, connectionArn, repository, branch: 'main' }; every stage pulls its images from the registry there)`,
    );
    return { fields, problems };
  }
  for (const [field, target] of [
    ['account', 'toolingAccount'],
    ['region', 'toolingRegion'],
  ] as const) {
    if (pipeline[field] === undefined) continue;
    const result = pipelineSchema.shape[field].safeParse(pipeline[field]);
    if (result.success) fields[target] = pipeline[field];
    else
      problems.push(
        ...formatIssues(`${label}.pipeline.${field}`, result.error.issues, pipeline[field], pipelineSchema),
      );
  }
  return { fields, problems };
}

/** The stages a system has, in its pipeline's order (`pipeline.order`, or dev, staging, prod, others). */
export function stagesOf(system: SystemDefinition): string[] {
  const declared = isPlainObject(system.stages) ? Object.keys(system.stages) : [];
  const order = isPlainObject(system.pipeline) && Array.isArray(system.pipeline.order) ? system.pipeline.order : [];
  return [
    ...order.filter((s) => declared.includes(s)),
    ...STAGE_NAMES.filter((s) => declared.includes(s) && !order.includes(s)),
    ...declared.filter((s) => !order.includes(s) && !(STAGE_NAMES as readonly string[]).includes(s)),
  ];
}

/**
 * Validates a system's pipeline settings.
 *
 * @throws ConfigError naming each bad path and its fix
 */
export function resolvePipeline(system: SystemDefinition): PipelineConfig {
  const raw = system as unknown as Record<string, unknown>;
  const label = `${String(raw.name)}.pipeline`;
  if (raw.pipeline === undefined) {
    throw new ConfigError([
      `${label}: missing (add pipeline: { account, region, connectionArn, repository, branch: 'main' })`,
    ]);
  }
  const result = pipelineSchema.safeParse(raw.pipeline);
  if (!result.success) throw new ConfigError(formatIssues(label, result.error.issues, raw.pipeline, pipelineSchema));
  const declared = Object.keys(system.stages);
  // Without an order, the stages named after a tier that the system has, dev first.
  const order = result.data.order ?? STAGE_NAMES.filter((s) => declared.includes(s));
  const example = `order: [${['dev', ...declared.filter((s) => s !== 'dev' && s !== 'prod'), 'prod']
    .map((s) => `'${s}'`)
    .join(', ')}]`;
  const problems = [
    ...declared
      .filter((s) => !order.includes(s))
      .map((s) => `${label}.order: stage '${s}' has no place in the pipeline (list it, e.g. ${example})`),
    ...order
      .filter((s) => !declared.includes(s))
      .map((s) => `${label}.order: '${s}' is no stage of this system (remove it, or add stages.${s})`),
    ...(order[0] !== 'dev' || order.at(-1) !== 'prod' || new Set(order).size !== order.length
      ? [`${label}.order: the pipeline starts at 'dev' and ends at 'prod', each stage once (e.g. ${example})`]
      : []),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...result.data, order };
}

/**
 * Resolves the given stages of every system (each system's own stages when none are given; a
 * system without one of the given stages skips it), collecting all problems before throwing:
 * each stage's own, then those across stages (a domain, hosted zone, host or VPC range claimed
 * twice; see `rules/cross-stage.ts`), checked among the stages resolved here and any `others`.
 */
export function resolveAll(
  systems: readonly SystemDefinition[],
  stages?: readonly StageName[],
  others: readonly ResolvedConfig[] = [],
): ResolvedConfig[] {
  const { configs, problems } = resolveEach(systems, stages);
  const selected = new Set(configs);
  problems.push(...crossStageProblems([...configs, ...others], (c) => selected.has(c)));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return configs;
}

/**
 * Resolves each selected (system, stage) on its own.
 *
 * @returns the configurations that resolved, and the problems of those that did not
 */
export function resolveEach(
  systems: readonly SystemDefinition[],
  stages?: readonly StageName[],
): { configs: ResolvedConfig[]; problems: string[] } {
  const configs: ResolvedConfig[] = [];
  const problems: string[] = [];
  for (const system of systems) {
    const own = stagesOf(system);
    for (const stage of stages ? own.filter((s) => stages.includes(s)) : own) {
      try {
        configs.push(resolveStage(system, stage));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
      }
    }
  }
  return { configs, problems };
}

function applyTier(merged: Record<string, unknown>, tier: Tier): Record<string, unknown> {
  const { mysql, postgres, redis, rabbitmq, services: sizing, ...common } = tier;
  const storeDefaults = { mysql, postgres, redis, rabbitmq };
  const out = deepMerge(common as unknown as Record<string, unknown>, merged);
  for (const key of DATA_STORE_KEYS) {
    if (out[key] !== undefined) {
      out[key] = deepMerge(storeDefaults[key] as unknown as Record<string, unknown>, out[key]);
    }
  }
  if (out.externalDatabases === undefined) out.externalDatabases = {};
  if (isPlainObject(out.services)) {
    out.services = Object.fromEntries(
      Object.entries(out.services).map(([serviceName, service]) => {
        const kind = isPlainObject(service) ? (service.kind as ServiceKind) : undefined;
        if (!kind || !(SERVICE_KINDS as readonly string[]).includes(kind)) return [serviceName, service];
        const defaults = deepMerge(KIND_DEFAULTS[kind] as Record<string, unknown>, sizing[kind]);
        const image =
          isPlainObject(out.images) && isPlainObject(service) ? out.images[String(service.image)] : undefined;
        if (kind === 'laravel-web' && isPlainObject(image)) {
          defaults.healthCheckPath = LARAVEL_HEALTH_PATH[laravelMajor(image)];
        }
        return [serviceName, deepMerge(defaults, service)];
      }),
    );
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `override` into `base`: objects recursively, everything else replaced; undefined is ignored. */
export function deepMerge(base: unknown, override: unknown): Record<string, unknown> {
  if (!isPlainObject(override)) return override as Record<string, unknown>;
  if (!isPlainObject(base)) return deepMerge({}, override);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}
