import type { App } from 'aws-cdk-lib';
import { loadConfigs, type ConfigFilter } from '../config';
import { buildApp } from './app';
import { offlineApp, type OfflineAppOptions } from './shared/offline-app';
import type { SystemStage } from './stages/system-stage';

export { cdkContext, NO_STACK_TRACES, offlineApp, type OfflineAppOptions } from './shared/offline-app';

/**
 * Builds the app for the selected (system, stage) pairs as `bin/app.ts` does, on an
 * {@link offlineApp}. With `compliance: false` the cdk-nag plugin is left off, for callers that
 * only read templates.
 */
export function buildOfflineApp(
  filter: ConfigFilter = {},
  options: OfflineAppOptions = {},
): { app: App; stages: SystemStage[] } {
  const app = offlineApp({}, { validation: options.validation });
  const stages = buildApp(app, loadConfigs(filter), { compliance: options.compliance });
  return { app, stages };
}
