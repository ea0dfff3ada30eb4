/**
 * A monthly list-price estimate of one stage at 24/7, read from its synthesized templates: what
 * they create (tasks, instances, gateways, endpoints, alarms, ...) times the dated prices of
 * `config/prices.ts`, plus the usage assumptions stated there for what templates cannot show
 * (NAT traffic, load-balancer capacity, requests, log volume).
 *
 * Not counted: data transfer out, S3 and backup storage (small until data grows), CloudFront
 * requests (no base fee), Lambda, Step Functions and CodeDeploy (ECS deployments are free),
 * Route 53's public zone (it exists before the stage) and DNS queries, transit-gateway and VPN
 * traffic, taxes, and discounts.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ResolvedConfig } from '../../config';
import { PRICES, PRICES_DATE, USAGE } from '../../config/prices';
import { stageId } from '../../config/names';
import { LINE_ITEMS, MissingPriceError, round, type CostLine, type EstimateContext } from './line-items';

export { MissingPriceError, type CostLine } from './line-items';

/** A CloudFormation template, as far as the estimate reads it. */
export interface Template {
  // Template properties are untyped JSON; the estimate reads a handful of well-known keys.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
}

/** The estimate of one stage. */
export interface StageEstimate {
  readonly region: string;
  readonly lines: readonly CostLine[];
  /** USD a month, all lines. */
  readonly total: number;
  /** The date of the prices. */
  readonly pricesDate: string;
}

/** Where the stage runs and which tier's usage assumptions apply. */
export interface EstimateInput {
  readonly region: string;
  readonly tier: string;
  readonly templates: readonly Template[];
  /** The day the estimate is for (Extended Support starts on a date). @default the prices' date */
  readonly on?: string;
}

/**
 * Estimates a stage's monthly cost from its templates: the lines of every estimator of
 * `line-items.ts`, in order, and their total.
 *
 * @throws MissingPriceError naming the region or instance class to add to `config/prices.ts`
 */
export function estimateStage(input: EstimateInput): StageEstimate {
  const context = estimateContext(input);
  const lines = LINE_ITEMS.flatMap((estimate) => estimate(context));
  return {
    region: input.region,
    lines,
    total: round(lines.reduce((sum, l) => sum + l.usd, 0)),
    pricesDate: PRICES_DATE,
  };
}

/**
 * What the estimators read of one stage: its resources, its region's prices, its tier's usage.
 *
 * @throws MissingPriceError naming the region to add to `config/prices.ts`
 */
function estimateContext(input: EstimateInput): EstimateContext {
  const prices = PRICES[input.region];
  if (!prices) {
    throw new MissingPriceError(
      `no prices for region ${input.region}; add them to config/prices.ts (has: ${Object.keys(PRICES).join(', ')})`,
    );
  }
  return {
    region: input.region,
    prices,
    usage: USAGE[input.tier] ?? USAGE.prod,
    on: input.on ?? PRICES_DATE,
    resources: input.templates.flatMap((t) =>
      Object.entries(t.Resources ?? {}).map(([id, r]) => ({ id, type: r.Type, props: r.Properties ?? {} })),
    ),
  };
}

/** The estimate as a short table. */
export function formatEstimate(title: string, estimate: StageEstimate): string {
  const rows = estimate.lines.map(
    (l) => `  ${l.item.padEnd(22)} ${`$${l.usd.toFixed(2)}`.padStart(10)}${l.assumed ? '*' : ' '}  ${l.detail}`,
  );
  return [
    `${title} (${estimate.region}, list prices of ${estimate.pricesDate}, 24/7)`,
    ...rows,
    `  ${'total'.padEnd(22)} ${`$${estimate.total.toFixed(2)}`.padStart(10)}   a month`,
  ].join('\n');
}

/**
 * The templates of every stage in a cloud assembly directory, by stage id (`Csl-Dev`); stacks
 * outside a stage (the pipelines) are left out.
 */
export function stageTemplates(dir: string): Map<string, Template[]> {
  const out = new Map<string, Template[]>();
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; displayName?: string; properties?: Record<string, string> }>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const name = artifact.displayName ?? id;
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile && name.includes('/')) {
      const stage = name.split('/')[0];
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
      out.set(stage, [...(out.get(stage) ?? []), template as Template]);
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      for (const [stage, templates] of stageTemplates(path.join(dir, artifact.properties.directoryName))) {
        out.set(stage, [...(out.get(stage) ?? []), ...templates]);
      }
    }
  }
  return out;
}

/** Estimates every configured stage found in an assembly directory. */
export function estimateAssembly(
  dir: string,
  configs: readonly ResolvedConfig[],
): { config: ResolvedConfig; estimate: StageEstimate }[] {
  const templates = stageTemplates(dir);
  return configs
    .filter((config) => templates.has(stageId(config)))
    .map((config) => ({
      config,
      estimate: estimateStage({ region: config.region, tier: config.tier, templates: templates.get(stageId(config))! }),
    }));
}

/**
 * One line per stage whose estimate is above its `budgetUsd`, in the config error format.
 */
export function budgetProblems(dir: string, configs: readonly ResolvedConfig[]): string[] {
  const problems: string[] = [];
  for (const config of configs.filter((c) => c.budgetUsd !== undefined)) {
    let estimates: ReturnType<typeof estimateAssembly>;
    try {
      estimates = estimateAssembly(dir, [config]);
    } catch (err) {
      if (!(err instanceof MissingPriceError)) throw err;
      problems.push(`${config.system}.${config.stage}.budgetUsd: cannot be checked, ${err.message}`);
      continue;
    }
    for (const { estimate } of estimates.filter(({ estimate }) => estimate.total > config.budgetUsd!)) {
      problems.push(
        `${config.system}.${config.stage}.budgetUsd: the estimate is $${estimate.total.toFixed(2)} a month, above the budget of $${config.budgetUsd} (raise budgetUsd, or shrink the stage; npm run cost -- ${config.system} ${config.stage} shows the lines)`,
      );
    }
  }
  return problems;
}
