import { ConfigError, resolveAll, resolveEach, stagesOf, type SystemDefinition } from './loader';
import { IMAGE_TAG } from './schema/common';
import type { ResolvedConfig } from './schema';
import { csl } from './systems/csl';
import { shipment } from './systems/shipment';

export * from './schema';
export * from './loader';
export * from './ipv4';
export { closestName, editDistance } from './closest';
export { TIER_REQUIREMENTS, type TierRequirement } from './rules';

/** Every system this app deploys. */
export const SYSTEMS: readonly SystemDefinition[] = [csl, shipment];

/** Which (system, stage) pairs a command works on; empty or absent lists mean all. */
export interface ConfigFilter {
  readonly systems?: readonly string[];
  readonly stages?: readonly string[];
  /** Image tag every image runs, e.g. the commit a pipeline built (wins over config). */
  readonly imageTag?: string;
  /** Image tags per image key (`api`, `web`, ...); win over `imageTag`. */
  readonly imageTags?: Readonly<Record<string, string>>;
}

/**
 * Resolves the (system, stage) pairs a command asks for; all of them when no filter is given.
 *
 * @throws ConfigError when a name is unknown or any selected configuration is invalid
 */
export function loadConfigs(filter: ConfigFilter = {}): ResolvedConfig[] {
  const wanted = { systems: filter.systems ?? [], stages: filter.stages ?? [] };
  const known = [...new Set(SYSTEMS.flatMap(stagesOf))];
  const problems = [
    ...wanted.systems
      .filter((s) => !SYSTEMS.some((d) => d.name === s))
      .map((s) => `system '${s}' is unknown (use one of: ${SYSTEMS.map((d) => d.name).join(', ')})`),
    ...wanted.stages
      .filter((s) => !known.includes(s))
      .map((s) => `stage '${s}' is unknown (use one of: ${known.join(', ')})`),
  ];
  for (const [image, tag] of Object.entries({ '*': filter.imageTag, ...filter.imageTags })) {
    if (tag !== undefined && !IMAGE_TAG.test(tag)) {
      problems.push(
        `imageTag${image === '*' ? '' : `.${image}`}: '${tag}' is not a valid image tag (letters, digits, '_', '.', '-')`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const systems = wanted.systems.length > 0 ? SYSTEMS.filter((d) => wanted.systems.includes(d.name)) : SYSTEMS;
  const stages = wanted.stages.length > 0 ? wanted.stages : undefined;
  return resolveAll(systems, stages, unselected(systems, stages)).map((config) => withImageTags(config, filter));
}

/**
 * The stages a filter leaves out that resolve, so that the selected ones are still checked
 * against them (a domain or VPC range claimed twice); their own problems are reported when
 * they are selected.
 */
function unselected(systems: readonly SystemDefinition[], stages?: readonly string[]): ResolvedConfig[] {
  if (systems === SYSTEMS && stages === undefined) return [];
  const isSelected = (system: SystemDefinition, stage: string) =>
    systems.includes(system) && (stages === undefined || stages.includes(stage));
  return SYSTEMS.flatMap((system) =>
    stagesOf(system)
      .filter((stage) => !isSelected(system, stage))
      .flatMap((stage) => resolveEach([system], [stage]).configs),
  );
}

/**
 * Fixes the tag of every image: per-image tag from the command, then the command's tag, then
 * the image's own `tag`, then the tier's `deployment.imageTag`.
 */
function withImageTags(config: ResolvedConfig, filter: ConfigFilter): ResolvedConfig {
  const images = Object.fromEntries(
    Object.entries(config.images).map(([key, image]) => [
      key,
      { ...image, tag: filter.imageTags?.[key] ?? filter.imageTag ?? image.tag ?? config.deployment.imageTag },
    ]),
  );
  return { ...config, images };
}
