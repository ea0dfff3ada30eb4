#!/usr/bin/env node
// The static checks of `npm test` side by side: the type check and the lint each take one core
// for 10-15 s, and neither waits for the other. Each one's output is printed whole when it ends,
// under its name; the exit code is non-zero when either fails.
import { spawn } from 'node:child_process';

const CHECKS = ['typecheck', 'lint'];

/**
 * npm itself: the npm that runs this script (`npm_execpath`, through node, so Windows needs no
 * shell), else the `npm` on PATH.
 */
function npm(args) {
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli)) return [process.execPath, [cli, ...args]];
  return process.platform === 'win32' ? ['npm.cmd', args, { shell: true }] : ['npm', args];
}

function run(script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const [command, args, options] = npm(['run', script]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (err) => {
      process.stdout.write(`FAIL npm run ${script}: ${err.message}\n`);
      resolve(false);
    });
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${code === 0 ? 'ok  ' : 'FAIL'} npm run ${script} (${seconds} s)\n`);
      if (output.length > 0) process.stdout.write(Buffer.concat(output));
      else if (code !== 0) process.stdout.write(`(no output; exit code ${code})\n`);
      resolve(code === 0);
    });
  });
}

const results = await Promise.all(CHECKS.map(run));
process.exitCode = results.every(Boolean) ? 0 : 1;
