/**
 * Monthly list-price estimate of each stage at 24/7, by line, from its synthesized templates and
 * the dated prices in `config/prices.ts`:
 *
 *   npm run cost                     every stage
 *   npm run cost -- csl dev          one system, one stage
 *   npm run cost -- --from cdk.out   from an existing synth instead of synthesizing
 *
 * Lines marked `*` use at least one assumed price; usage the templates cannot show (NAT traffic,
 * requests, log volume) comes from `USAGE` in the same file. Exits non-zero when a stage is
 * above its `budgetUsd`.
 */
import * as path from 'path';
import { loadConfigs } from '../config';
import { PRICE_SOURCES } from '../config/prices';
import { budgetProblems, estimateAssembly, formatEstimate, MissingPriceError } from '../lib/cost/estimate';
import { buildOfflineApp } from '../lib/offline-app';
import { stageId } from '../config/names';

const args = process.argv.slice(2);
const fromIndex = args.indexOf('--from');
const from = fromIndex >= 0 ? path.resolve(args[fromIndex + 1] ?? 'cdk.out') : undefined;
const [system, stage] = args.filter((_, i) => fromIndex < 0 || (i !== fromIndex && i !== fromIndex + 1));
const filter = { systems: system ? [system] : [], stages: stage ? [stage] : [] };

const configs = loadConfigs(filter);
let dir = from;
if (!dir) {
  // Templates only: the compliance checks do not change what a stage costs.
  const { app } = buildOfflineApp(filter, { compliance: false, validation: false });
  dir = app.synth().directory;
}
let missing = 0;
for (const one of configs) {
  try {
    for (const { config, estimate } of estimateAssembly(dir, [one])) {
      const budget = config.budgetUsd === undefined ? '' : `, budget $${config.budgetUsd}`;
      console.log(`\n${formatEstimate(`${stageId(config)} (tier ${config.tier}${budget})`, estimate)}`);
    }
  } catch (err) {
    if (!(err instanceof MissingPriceError)) throw err;
    console.error(`\n${stageId(one)}: ${err.message}`);
    missing++;
  }
}
console.log('\n* includes an assumed price. Sources (see config/prices.ts):');
for (const [what, url] of Object.entries(PRICE_SOURCES)) console.log(`  ${what}: ${url}`);
const over = budgetProblems(dir, configs);
for (const problem of over) console.error(problem);
process.exit(over.length > 0 || missing > 0 ? 1 : 0);
