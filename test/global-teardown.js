const fs = require('fs');

/** Removes the run's scratch directory (see global-setup.js). */
module.exports = async () => {
  const dir = process.env.JEST_RUN_SCRATCH;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
