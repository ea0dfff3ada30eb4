/**
 * Offline checks before the first deploy: `npm run preflight [-- <system>...]`.
 *
 * Config ships with placeholders that synthesize offline (accounts 111111111111, zone ids
 * Z0000…, example.com addresses, a zero connection id); deploying them fails late or, worse,
 * reaches someone else's account. This names every placeholder still in config, the pipeline
 * scripts that do not parse, and the settings the first run depends on. What only AWS can answer
 * (bootstrap trust, the connection's status, secrets) is listed as a reminder, see
 * docs/first-deploy.md. Exits non-zero when a problem is found.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { resolveAll, resolvePipeline, SYSTEMS, type SystemDefinition } from '../config';
import { PIPELINE_STEPS_DIR, repoRelative } from '../lib/shared/paths';

/** One finding: `system.stage.path: what is wrong (fix)`. */
export interface Finding {
  readonly level: 'problem' | 'note';
  readonly message: string;
}

/**
 * A 12-digit id made of a repeated run of one to four digits, as the config's examples are
 * (`111111111111`, `121212121212`); a real account id is random.
 */
const PLACEHOLDER_ACCOUNT = /^(\d{1,4})\1+$/;
/** The config's example hosted-zone ids (`Z0000000000CSLDEV`). */
const PLACEHOLDER_ZONE = /^Z0{6,}/;
/** Domains reserved for documentation (RFC 2606), in an address. */
const PLACEHOLDER_EMAIL = /@(example\.(com|org|net)|[\w.-]+\.example)$/i;
/** A domain reserved for documentation (RFC 2606), or one under it. */
const PLACEHOLDER_DOMAIN = /(^|\.)example(\.(com|org|net))?$/i;
/** The config's example connection (`connection/00000000-0000-…`). */
const PLACEHOLDER_CONNECTION = /connection\/0{8}-0{4}-0{4}-0{4}-/;

/** Checks the configuration of the given systems (all of them by default). */
export function checkConfig(systems: readonly SystemDefinition[] = SYSTEMS): Finding[] {
  const findings: Finding[] = [];
  const problem = (message: string) => findings.push({ level: 'problem', message });
  const note = (message: string) => findings.push({ level: 'note', message });
  for (const system of systems) {
    const pipeline = resolvePipeline(system);
    const where = `${system.name}.pipeline`;
    if (PLACEHOLDER_ACCOUNT.test(pipeline.account)) {
      problem(`${where}.account: ${pipeline.account} is a placeholder (set the tooling account id)`);
    }
    if (PLACEHOLDER_CONNECTION.test(pipeline.connectionArn)) {
      problem(
        `${where}.connectionArn: a placeholder (create the connection in the tooling account, approve it, paste its ARN)`,
      );
    }
    const connectionRegion = pipeline.connectionArn.split(':')[3];
    if (connectionRegion !== pipeline.region) {
      note(
        `${where}.connectionArn: in ${connectionRegion}, the pipeline in ${pipeline.region} (a connection is used from its region)`,
      );
    }
    const accounts = new Map<string, string>();
    for (const config of resolveAll([system])) {
      const at = `${system.name}.${config.stage}`;
      if (PLACEHOLDER_ACCOUNT.test(config.account)) {
        problem(`${at}.account: ${config.account} is a placeholder (set the stage's account id)`);
      }
      if (config.account === pipeline.account) {
        note(`${at}.account: the same as the tooling account (separate accounts keep the pipeline's rights apart)`);
      }
      const other = accounts.get(config.account);
      if (other) note(`${at}.account: shared with ${other}; resources are named per stage, so this works`);
      accounts.set(config.account, at);
      if (PLACEHOLDER_DOMAIN.test(config.domainName)) {
        problem(
          `${at}.domainName: ${config.domainName} is reserved for documentation (set the domain the stage serves)`,
        );
      }
      if (PLACEHOLDER_ZONE.test(config.hostedZoneId)) {
        problem(
          `${at}.hostedZoneId: ${config.hostedZoneId} is a placeholder (create the zone for ${config.domainName}, paste its id)`,
        );
      }
      for (const email of config.alertEmails.filter((e) => PLACEHOLDER_EMAIL.test(e))) {
        problem(`${at}.alertEmails: ${email} is a placeholder (set an address someone reads)`);
      }
      if (config.region !== pipeline.region) {
        note(
          `${at}.region: ${config.region}, the registry in ${pipeline.region}: tasks pull images across regions through NAT`,
        );
      }
      for (const [name, db] of Object.entries(config.externalDatabases)) {
        if (!('secretName' in db.credentials)) continue;
        note(
          `${at}.externalDatabases.${name}: create the secret '${db.credentials.secretName}' in ${config.account} before the first deploy`,
        );
      }
    }
  }
  return findings;
}

/** Checks that every pipeline script parses (`bash -n`) and is a file the buildspecs can run. */
export function checkScripts(dir = PIPELINE_STEPS_DIR): Finding[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .flatMap((f) => {
      const result = spawnSync('bash', ['-n', path.join(dir, f)], { encoding: 'utf8' });
      return result.status === 0
        ? []
        : [
            {
              level: 'problem' as const,
              message: `${repoRelative(path.join(dir, f))}: does not parse (${result.stderr.trim()})`,
            },
          ];
    });
}

if (require.main === module) {
  const wanted = process.argv.slice(2);
  const systems = wanted.length > 0 ? SYSTEMS.filter((s) => wanted.includes(s.name)) : SYSTEMS;
  const findings = [...checkConfig(systems), ...checkScripts()];
  for (const f of findings) console.log(`${f.level === 'problem' ? 'PROBLEM' : 'note   '} ${f.message}`);
  console.log(
    '\nNot checkable offline (docs/first-deploy.md): bootstrap with --trust in each stage region and us-east-1, ' +
      'the connection approved (AVAILABLE), hosted zones delegated, secrets created, SES/e-mail subscriptions confirmed.',
  );
  const problems = findings.filter((f) => f.level === 'problem').length;
  console.log(problems === 0 ? 'preflight: no problems found' : `preflight: ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
}
