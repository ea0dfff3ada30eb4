const fs = require('fs');
const os = require('os');
const path = require('path');

/**
 * Scratch space of one jest run. Every synthesis writes a cloud assembly (the whole app is about
 * 12 MB), and fakes, servers and scripts make their own directories: all of it goes under one
 * directory that global-teardown.js removes, instead of piling up in the system's temp directory
 * run after run. On Linux the directory is on /dev/shm (memory) when that has room, which spares
 * the disk writes; containers often give /dev/shm only 64 MB, hence the check.
 */
function scratchParent() {
  try {
    const { bavail, bsize } = fs.statfsSync('/dev/shm');
    if (bavail * bsize >= 1024 * 1024 * 1024) {
      fs.accessSync('/dev/shm', fs.constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // No /dev/shm here (macOS, Windows): the system's temp directory.
  }
  return os.tmpdir();
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
