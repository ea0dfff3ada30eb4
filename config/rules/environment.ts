import type { ResolvedConfig, ServiceConfig } from '../schema/resolved';
import { cacheVariable, laravelMajor } from '../schema/services';
import type { Report } from './report';

/**
 * Environment variable names that must never carry a literal value: passwords (`*_PASS`,
 * `*_PASSWD`), keys (`*_KEY`, except `NEXT_PUBLIC_*`, which Next.js ships to browsers anyway),
 * tokens, credentials and connection strings (`DSN`, which carry the password).
 */
const SECRET_LIKE_KEY =
  /(PASSWORD|PASSWD|(^|_)PASS($|_)|(^|_)PWD($|_)|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|(^|_)DSN($|_)|(^|_)KEY($|_)|_KEY$)/;
/** A URL with `user:password@` in it. */
const URL_WITH_PASSWORD = /:\/\/[^/\s:@]+:[^/\s@]+@/;
/** The variables the AWS SDKs read static credentials from. */
const AWS_CREDENTIAL_KEY = /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/;
/** Access key ids: `AKIA` long-term, `ASIA` temporary (IAM user guide, "Unique identifiers"). */
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/;

const REMOVE_AWS_KEY =
  'AWS access keys are removed, not moved: tasks call AWS with their task role (S3 through uses: uploads); delete it, and deactivate the key in IAM';

/** Values whose shape gives them away as a secret, whatever the variable is called. */
const SECRET_VALUES: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\b[rs]k_(live|test)_[0-9A-Za-z]{10,}/, what: 'a Stripe secret key' },
  { pattern: /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/, what: 'a PEM private key' },
  { pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})/, what: 'a GitHub token' },
  { pattern: /\bxox[abposr]-[0-9A-Za-z-]{10,}/, what: 'a Slack token' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}/, what: 'a Google API key' },
  { pattern: /\bSG\.[\w-]{16,}\.[\w-]{16,}/, what: 'a SendGrid API key' },
  { pattern: /^base64:[A-Za-z0-9+/]{40,}={0,2}$/, what: 'a Laravel encryption key' },
];

/**
 * The variables the stage sets for a service from its own secrets (lib/services/laravel-environment.ts), by
 * name, each with where it comes from. Next.js services get none.
 */
export function stageSecretVariables(c: ResolvedConfig, s: ServiceConfig): Map<string, string> {
  const out = new Map<string, string>();
  if (s.kind === 'nextjs' || c.images[s.image]?.runtime !== 'laravel') return out;
  out.set('APP_KEY', `the image's own APP_KEY secret`);
  for (const use of s.uses) {
    const pair = (user: string, password: string, origin: string) => {
      out.set(user, origin);
      out.set(password, origin);
    };
    if (use === 'mysql') pair('DB_USERNAME', 'DB_PASSWORD', "the MySQL app user's secret, rotated");
    else if (use === 'postgres') pair('DB_PGSQL_USERNAME', 'DB_PGSQL_PASSWORD', "the PostgreSQL app user's secret");
    else if (use === 'redis') out.set('REDIS_PASSWORD', "the cache's auth token");
    else if (use === 'rabbitmq') pair('RABBITMQ_USER', 'RABBITMQ_PASSWORD', "the broker's secret");
    else if (c.externalDatabases[use]) {
      const prefix = c.externalDatabases[use].envPrefix;
      pair(`${prefix}_USERNAME`, `${prefix}_PASSWORD`, `externalDatabases.${use}.credentials`);
    }
  }
  return out;
}

/** Why a plain environment variable must not be one, or undefined when it may. */
function secretProblem(key: string, value: string, provided: Map<string, string>): string | undefined {
  if (provided.has(key)) {
    return `the stage already sets ${key} from ${provided.get(key)}; remove it here (it would override the stage's)`;
  }
  if (AWS_CREDENTIAL_KEY.test(key) || AWS_ACCESS_KEY_ID.test(value)) return REMOVE_AWS_KEY;
  const shape = SECRET_VALUES.find((v) => v.pattern.test(value));
  if (shape) {
    return `holds ${shape.what}; plain environment values end up in the template (store it in Secrets Manager, set secrets: { ${key}: { secretName: '...' } }, and rotate it: it is in git now)`;
  }
  if (URL_WITH_PASSWORD.test(value)) {
    return 'holds a URL with a password in it; plain environment values end up in the template (keep the password in Secrets Manager)';
  }
  if (SECRET_LIKE_KEY.test(key) && !(key.startsWith('NEXT_PUBLIC_') && /_KEY$/.test(key))) {
    return `looks like a secret; plain environment values end up in the template (move it to secrets: { ${key}: { secretName: '...' } })`;
  }
  return undefined;
}

/** Host placeholders that name a host, no secret in plain values, and variable names the runtime reads. */
export function checkEnvironment(c: ResolvedConfig, report: Report): void {
  for (const [name, s] of Object.entries(c.services)) {
    const image = c.images[s.image];
    const provided = stageSecretVariables(c, s);
    for (const [key, value] of Object.entries(s.environment)) {
      const path = ['services', name, 'environment', key];
      for (const [, target] of value.matchAll(/\{host:([^}]*)\}/g)) {
        if (!c.services[target]?.host) {
          const hosts = Object.keys(c.services).filter((n) => c.services[n].host);
          report(path, `{host:${target}} names no service with a host (use one of: ${hosts.join(', ')})`);
        }
      }
      const secret = secretProblem(key, value, provided);
      if (secret) report(path, secret);
      if (image?.runtime === 'nextjs' && key.startsWith('NEXT_PUBLIC_')) {
        report(
          path,
          `Next.js inlines NEXT_PUBLIC_* at build time and one image runs in every stage, so a run-time value never reaches the browser (name it ${key.slice('NEXT_PUBLIC_'.length)} and read it on the server; see docs/image-contract-${c.system}.md)`,
        );
      }
      if (image?.runtime === 'laravel') {
        const wanted = cacheVariable(laravelMajor(image));
        const other = wanted === 'CACHE_STORE' ? 'CACHE_DRIVER' : 'CACHE_STORE';
        if (key === other) {
          report(path, `Laravel ${laravelMajor(image)} reads ${wanted}, not ${other} (rename it to ${wanted})`);
        }
      }
    }
  }
}

/** App secrets: each variable in one place, none the stage sets itself, no AWS access keys. */
export function checkAppSecrets(c: ResolvedConfig, report: Report): void {
  for (const [name, s] of Object.entries(c.services)) {
    const provided = stageSecretVariables(c, s);
    for (const key of Object.keys(s.secrets ?? {})) {
      const path = ['services', name, 'secrets', key];
      if (provided.has(key)) {
        report(path, `the stage already sets ${key} from ${provided.get(key)}; remove it from secrets`);
      } else if (AWS_CREDENTIAL_KEY.test(key)) {
        report(path, REMOVE_AWS_KEY);
      } else if (key in s.environment) {
        report(path, `is also a plain environment variable; keep it in one place (remove it from environment)`);
      }
    }
  }
}
