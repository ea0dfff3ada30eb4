import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_BUILD_DIR } from '../shared/paths';

/**
 * The one door from the CDK app to `lambda/`: the bundled code of each handler, and the names
 * and environment shapes the app and the handlers share (`lambda/shared/contracts.ts`).
 * Constructs import these from here, never from a handler module.
 */
export { NOT_REPORTED_ERROR, REPORTED_ERROR, type RefreshTarget } from '../../lambda/shared/contracts';

/** The handlers under `lambda/`, each bundled by `scripts/build-lambdas.mjs` before synth. */
export type HandlerName =
  | 'credential-refresh'
  | 'deployment-hook'
  | 'deployment-waiter'
  | 'migration-runner'
  | 'pre-migration-snapshot'
  | 'smoke-test';

/** The directory a handler's bundle is written to (`build/lambda/<handler>`). */
export function handlerBundleDir(handler: HandlerName): string {
  return path.join(HANDLER_BUILD_DIR, handler);
}

/** A handler's bundle as Lambda code (an asset of its directory). */
export function handlerCode(handler: HandlerName): lambda.AssetCode {
  return lambda.Code.fromAsset(handlerBundleDir(handler));
}
