#!/usr/bin/env node
/**
 * Adds package-lock.json entries for platform-specific optional packages (other operating
 * systems' and CPUs' builds of @swc/core, unrs-resolver, ...) that `npm install` left out.
 *
 * The package registry this project's machines install from serves only some platform builds;
 * `npm install` skips the rest silently, and `npm ci` then rejects the lock as out of sync.
 * Each added entry carries its `os` and `cpu`, so `npm ci` skips it on other platforms exactly
 * as it would with a lock written against the full registry.
 *
 * Run after any `npm install` that changes the lock: `node scripts/complete-lockfile.js`.
 */
const fs = require('fs');
const path = require('path');

const OSES = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'sunos', 'netbsd', 'openbsd', 'aix'];
const CPUS = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32', 'arm'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  return { os: OSES.find((o) => parts.includes(o)), cpu: CPUS.find((c) => parts.includes(c)) };
}

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${dep}`;
    if (packages[nested] || packages[`node_modules/${dep}`]) continue;
    const { os, cpu } = platformOf(dep);
    if (!os || !cpu) {
      console.error(`complete-lockfile: cannot tell the platform of ${dep}; add it by hand`);
      process.exitCode = 1;
      continue;
    }
    packages[`node_modules/${dep}`] = { version: range.replace(/^[\^~=]/, ''), cpu: [cpu], optional: true, os: [os] };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
