#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfigs } from '../config';
import { buildApp } from '../lib/app';

/**
 * The CDK app: one Stage per (system, stage). This is the only file that reads context.
 *
 * Narrow what synthesizes with context, comma-separated:
 *   npx cdk synth -c systems=csl -c stages=prod
 */
const app = new App();
const list = (key: string): string[] =>
  String(app.node.tryGetContext(key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

try {
  buildApp(app, loadConfigs({ systems: list('systems'), stages: list('stages') }));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
