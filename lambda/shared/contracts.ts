/**
 * What the CDK app and the Lambda handlers agree on: the shapes of the environment the app sets
 * and the names the handlers report with. The app reads this file at synth time through
 * `lib/deployment/handlers.ts` only; values come from SDK-free modules, types from the handlers.
 */

export { NOT_REPORTED_ERROR, REPORTED_ERROR } from './migration-contract';

/** A service whose tasks read a rotated secret: one entry of credential-refresh's `TARGETS`. */
export type { RefreshTarget } from '../credential-refresh';
