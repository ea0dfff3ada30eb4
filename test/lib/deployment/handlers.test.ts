import * as fs from 'fs';
import * as path from 'path';
import * as contracts from '../../../lambda/shared/contracts';
import {
  handlerBundleDir,
  handlerCode,
  NOT_REPORTED_ERROR,
  REPORTED_ERROR,
  type HandlerName,
} from '../../../lib/deployment/handlers';
import { HANDLER_BUILD_DIR, REPO_ROOT } from '../../../lib/shared/paths';

/** Every handler folder under lambda/ (shared/ holds what they share, not a handler). */
const HANDLERS = fs
  .readdirSync(path.join(REPO_ROOT, 'lambda'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'shared')
  .map((e) => e.name as HandlerName);

describe('handlers, the one door to lambda/', () => {
  test('every handler under lambda/ has its bundle in build/lambda/<handler>/index.js', () => {
    expect(HANDLERS.length).toBeGreaterThan(0);
    for (const handler of HANDLERS) {
      expect(handlerBundleDir(handler)).toBe(path.join(HANDLER_BUILD_DIR, handler));
      expect([handler, fs.existsSync(path.join(handlerBundleDir(handler), 'index.js'))]).toEqual([handler, true]);
    }
  });

  test('a handler’s code is an asset of its bundle directory', () => {
    expect(handlerCode('smoke-test').path).toBe(handlerBundleDir('smoke-test'));
  });

  test('passes the shared contracts through unchanged', () => {
    expect({ REPORTED_ERROR, NOT_REPORTED_ERROR }).toEqual({
      REPORTED_ERROR: contracts.REPORTED_ERROR,
      NOT_REPORTED_ERROR: contracts.NOT_REPORTED_ERROR,
    });
    expect(REPORTED_ERROR).not.toBe(NOT_REPORTED_ERROR);
  });
});
