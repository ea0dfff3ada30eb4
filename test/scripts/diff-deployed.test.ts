/**
 * The pipeline's Diff step runs `scripts/diff.ts --deployed`. Read as the tooling account, every
 * stage stack would look absent ("does not exist") and the comparison would pass having compared
 * nothing; so when the stage account's lookup role cannot be assumed, the diff must fail.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../lib/shared/paths';

const root = REPO_ROOT;

test('a --deployed diff that cannot assume the stage account’s role fails, naming the role', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-aws-'));
  fs.writeFileSync(
    path.join(bin, 'aws'),
    `#!/usr/bin/env bash
if [ "$1 $2" = "sts assume-role" ]; then echo "An error occurred (AccessDenied) when calling the AssumeRole operation: not authorized" >&2; exit 254; fi
if [ "$1 $2" = "cloudformation get-template" ]; then echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id x does not exist" >&2; exit 254; fi
exit 0
`,
    { mode: 0o755 },
  );
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/diff.ts', 'shipment', 'dev', '--deployed'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  expect(result.stdout).toMatch(/not available: could not assume arn:aws:iam::444444444444:role\/cdk-/);
  expect(result.status).toBe(1);
}, 120_000);
