import { ConfigError, STAGE_NAMES, type SystemDefinition } from '../../config';

/** A copy of a system file with one change applied, as a careless edit would make it. */
export function edited(system: SystemDefinition, edit: (draft: any) => void): SystemDefinition {
  const draft = structuredClone(system) as any;
  edit(draft);
  return draft;
}

/** The problems a configuration is rejected with; fails when it is accepted. */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/**
 * A system with only the stages named after a tier (dev, staging, prod) and no pipeline order:
 * the starting point of tests that add a stage, whatever stages the committed file has.
 */
export function tierStagesOnly(system: SystemDefinition): SystemDefinition {
  return edited(system, (d) => {
    d.stages = Object.fromEntries(
      Object.entries(d.stages).filter(([s]) => (STAGE_NAMES as readonly string[]).includes(s)),
    );
    delete d.pipeline.order;
  });
}
