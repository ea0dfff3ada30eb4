const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The temp directory before any run changed it (watch mode runs the setup again in one process). */
const SYSTEM_TMP = process.env.JEST_SYSTEM_TMPDIR || os.tmpdir();
process.env.JEST_SYSTEM_TMPDIR = SYSTEM_TMP;

/** True when a script written under `dir` runs: /dev/shm is often mounted noexec, and fakes live here. */
function canExecuteIn(dir) {
  const probe = path.join(dir, `exec-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return spawnSync(probe).status === 0;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

/**
 * Scratch space of one jest run. Every synthesis writes a cloud assembly (the whole app is about
 * 12 MB), and fakes, servers and scripts make their own directories: all of it goes under one
 * directory that global-teardown.js removes, instead of piling up in the system's temp directory
 * run after run. On Linux the directory is on /dev/shm (memory) when that has room and allows
 * executables, which spares the disk writes; containers often give /dev/shm only 64 MB, or mount
 * it noexec, hence the checks. (A run killed before teardown leaves its directory behind.)
 */
function scratchParent() {
  try {
    const { bavail, bsize } = fs.statfsSync('/dev/shm');
    if (bavail * bsize >= 1024 * 1024 * 1024 && canExecuteIn('/dev/shm')) return '/dev/shm';
  } catch {
    // No /dev/shm here (macOS, Windows): the system's temp directory.
  }
  return SYSTEM_TMP;
}

// Bundles the Lambda handlers once before the suite: the stacks package build/lambda/<name>.
module.exports = async () => {
  const dir = fs.mkdtempSync(path.join(scratchParent(), 'jest-run-'));
  // Traversable by other users: the PostgreSQL test runs its server as `postgres` under it.
  fs.chmodSync(dir, 0o755);
  // Workers start after this and inherit the environment: os.tmpdir() is the run's directory.
  process.env.JEST_RUN_SCRATCH = dir;
  process.env.TMPDIR = dir;
  const { buildLambdas } = await import('../scripts/build-lambdas.mjs');
  await buildLambdas();
};
