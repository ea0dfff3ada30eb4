/**
 * After a synth, prints a table per stage: its monthly cost estimate (`npm run cost` has the
 * lines), its stacks, their resource counts and template size, and the cdk-nag /
 * template-validation result of each (`pass`, or the number of open findings).
 * `npm run synth` runs it; `npm run synth:summary` prints it for an existing cdk.out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadConfigs } from '../config';
import { estimateAssembly, MissingPriceError } from '../lib/cost/estimate';
import { stageId } from '../config/names';

interface Artifact {
  type: string;
  displayName?: string;
  properties?: { templateFile?: string; directoryName?: string };
}

interface StackRow {
  stage: string;
  stack: string;
  resources: number;
  bytes: number;
}

/** Every stack of an assembly, nested stage assemblies included. */
export function stackRows(dir: string): StackRow[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, Artifact>;
  };
  const rows: StackRow[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const file = path.join(dir, artifact.properties.templateFile);
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: object };
      const [stage, stack] = (artifact.displayName ?? id).includes('/')
        ? (artifact.displayName ?? id).split('/')
        : ['(tooling)', artifact.displayName ?? id];
      rows.push({
        stage,
        stack,
        resources: Object.keys(template.Resources ?? {}).length,
        bytes: fs.statSync(file).size,
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      rows.push(...stackRows(path.join(dir, artifact.properties.directoryName)));
    }
  }
  return rows;
}

/** Open findings per `Stage/Stack` (or per top-level stack) from the validation report. */
export function findings(dir: string): Map<string, { errors: number; warnings: number }> {
  const counts = new Map<string, { errors: number; warnings: number }>();
  const file = path.join(dir, 'validation-report.json');
  if (!fs.existsSync(file)) return counts;
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    pluginReports: { violations: { severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  for (const plugin of report.pluginReports) {
    for (const violation of plugin.violations) {
      for (const construct of violation.violatingConstructs) {
        const parts = construct.constructPath.split('/');
        const key = parts[0].includes('-Pipeline') ? parts[0] : parts.slice(0, 2).join('/');
        const entry = counts.get(key) ?? { errors: 0, warnings: 0 };
        if (violation.severity === 'error') entry.errors++;
        else entry.warnings++;
        counts.set(key, entry);
      }
    }
  }
  return counts;
}

/** Each stage's monthly estimate in USD, by stage id, for the stages config knows. */
export function stageCosts(dir: string): Map<string, number> {
  const costs = new Map<string, number>();
  for (const config of loadConfigs()) {
    try {
      for (const { estimate } of estimateAssembly(dir, [config])) costs.set(stageId(config), estimate.total);
    } catch (err) {
      // A region without prices leaves that stage's header without a figure; npm run cost says why.
      if (!(err instanceof MissingPriceError)) throw err;
    }
  }
  return costs;
}

/** The summary as text; with `costs`, each stage's header carries its monthly estimate. */
export function summary(dir: string, costs: ReadonlyMap<string, number> = new Map()): string {
  const rows = stackRows(dir);
  const open = findings(dir);
  const lines: string[] = [];
  for (const stage of [...new Set(rows.map((r) => r.stage))]) {
    const cost = costs.get(stage);
    lines.push('', cost === undefined ? stage : `${stage}   ~$${cost.toFixed(0)} a month at list price (npm run cost)`);
    lines.push(`  ${'stack'.padEnd(20)} ${'resources'.padStart(9)} ${'KB'.padStart(7)}   cdk-nag + validation`);
    for (const row of rows.filter((r) => r.stage === stage)) {
      const key = stage === '(tooling)' ? row.stack : `${stage}/${row.stack}`;
      const found = open.get(key);
      const verdict = found ? `${found.errors} error(s), ${found.warnings} warning(s)` : 'pass';
      lines.push(
        `  ${row.stack.padEnd(20)} ${String(row.resources).padStart(9)} ${(row.bytes / 1024).toFixed(0).padStart(7)}   ${verdict}`,
      );
    }
  }
  return lines.join('\n');
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? 'cdk.out');
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    console.error(`no cloud assembly in ${dir}: run npm run synth first`);
    process.exit(1);
  }
  console.log(summary(dir, stageCosts(dir)));
}
