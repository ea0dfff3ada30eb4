#!/usr/bin/env node
import { ConfigError, loadConfigs } from '../config';
import { buildApp } from '../lib/app';
import { budgetProblems } from '../lib/cost/estimate';
import { appWithCachedValidation } from '../lib/shared/validation-cache';

/**
 * The CDK app: one Stage per (system, stage). This is the only file that reads context.
 *
 * Narrow what synthesizes with context, comma-separated:
 *   npx cdk synth "**" -c systems=csl -c stages=prod
 * Choose the image tag a deploy runs (all images, or one):
 *   npx cdk deploy "Csl-Prod/*" -c imageTag=3f2a9c1 -c imageTag.api=3f2a9c1
 */
// The built-in CloudFormation validation runs through lib/shared/validation-cache.ts instead (same
// findings; templates already validated are not validated again).
const app = appWithCachedValidation();
const list = (key: string): string[] =>
  String(app.node.tryGetContext(key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

try {
  const context = app.node.getAllContext() as Record<string, unknown>;
  const imageTags = Object.fromEntries(
    Object.entries(context)
      .filter(([key]) => key.startsWith('imageTag.'))
      .map(([key, value]) => [key.slice('imageTag.'.length), String(value)]),
  );
  const imageTag = app.node.tryGetContext('imageTag') as string | undefined;
  const configs = loadConfigs({
    systems: list('systems'),
    stages: list('stages'),
    imageTag: imageTag === undefined ? undefined : String(imageTag),
    imageTags,
  });
  buildApp(app, configs);
  // A stage whose estimate is above its budgetUsd fails the synth (and so the pipeline).
  const overBudget = budgetProblems(app.synth().directory, configs);
  if (overBudget.length > 0) throw new ConfigError(overBudget);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
