import { deploymentBudgetIssues } from '../deployment-budget';
import type { ResolvedConfig } from '../schema/resolved';
import { checkBroker, checkCache, checkDatabases, checkMigratedStores } from './data-stores';
import { checkBackup, checkEdge } from './edge';
import { checkAppSecrets, checkEnvironment } from './environment';
import { checkImages, checkPipelineImages } from './images';
import { checkExternalDatabases, checkVpc, checkZones } from './network';
import type { Report } from './report';
import { checkHosts, checkServiceKinds, checkServiceSizes, checkUses } from './services';
import { checkProductionTier, checkTierRequirements } from './tier-requirements';

export type { ConfigPath, Report } from './report';
export { TIER_REQUIREMENTS, checkTierRequirements, type TierRequirement } from './tier-requirements';
export { stageSecretVariables } from './environment';
export { crossStageProblems } from './cross-stage';

/**
 * The rules of one resolved (system, stage) that span fields, family by family, in the order
 * their messages are reported. Each reports its path and the fix; none throws.
 */
const RULES: readonly ((c: ResolvedConfig, report: Report) => void)[] = [
  checkZones,
  (c, report) => deploymentBudgetIssues(c.deployment).forEach(([path, message]) => report(path, message)),
  checkMigratedStores,
  checkVpc,
  checkTierRequirements,
  checkProductionTier,
  checkBackup,
  checkDatabases,
  checkCache,
  checkBroker,
  checkImages,
  checkPipelineImages,
  checkServiceKinds,
  checkServiceSizes,
  checkHosts,
  checkUses,
  checkEnvironment,
  checkAppSecrets,
  checkEdge,
  checkExternalDatabases,
];

/** Runs every rule of one resolved (system, stage). */
export function checkRules(c: ResolvedConfig, report: Report): void {
  for (const rule of RULES) rule(c, report);
}
