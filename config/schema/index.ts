import { checkRules } from '../rules';
import { resolvedShape } from './resolved';

/**
 * The schema of one resolved (system, stage) configuration, by domain: `stage.ts` (where it
 * lives, removal, backups, alarms), `network.ts`, `data-stores.ts` (its own stores and the
 * external databases), `services.ts` (services, images, scaling), `edge.ts`, `deployment.ts`
 * and `pipeline.ts`. A resolved configuration is what the stage tier, the system file and the
 * system's per-stage overrides add up to (see `loader.ts`). It is validated once, here, and
 * every construct below `lib/` trusts it: first its shape, then the rules across fields
 * (`config/rules/`), each issue naming its path and the fix.
 */

export * from './stage';
export * from './network';
export * from './data-stores';
export * from './services';
export * from './edge';
export * from './deployment';
export * from './pipeline';
export * from './resolved';
export { LOG_RETENTION_DAYS, appSecretSchema, secretRefSchema } from './common';

/** Everything about one system in one stage: its shape, then the rules across fields. */
export const resolvedConfigSchema = resolvedShape.superRefine((config, ctx) =>
  checkRules(config, (path, message) => ctx.addIssue({ code: 'custom', path, message })),
);
