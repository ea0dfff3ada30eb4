import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import * as https from 'https';
import { assertHookEvent, reportHook } from '../shared/codedeploy';
import { requiredEnv, sleep as realSleep, type Sleep } from '../shared/retry';

/**
 * CodeDeploy's AfterAllowTestTraffic hook: requests the health path and the configured paths
 * of the green tasks through the load balancer's test listener, and tells CodeDeploy whether
 * they answered, over HTTPS links only. Production traffic moves only after this succeeds.
 *
 * An app that does not trust the proxies in front of it (CloudFront, then the ALB, which
 * speaks HTTP to the task) believes it is served over HTTP and builds `http://` links and
 * redirects to its own host; a redirect or a page carrying one fails the test.
 */

/** Where and what to check. */
export interface SmokeConfig {
  /** The load balancer's DNS name. */
  readonly loadBalancer: string;
  /** The test listener's port. */
  readonly port: number;
  /** The service's host name: sent as SNI and `Host`, so the listener rule and certificate match. */
  readonly host: string;
  /** Paths to request; the health path first. */
  readonly paths: string[];
  /** Tries per path before it counts as failed. */
  readonly attempts: number;
  /** Milliseconds between tries. */
  readonly delayMs: number;
  /** Milliseconds one request may take. */
  readonly timeoutMs: number;
}

/** One request's answer. */
export interface Probe {
  readonly status?: number;
  readonly error?: string;
  /** An `http://` URL of the service's own host found in the redirect or the body. */
  readonly insecureUrl?: string;
}

/** At most this much of a body is read and searched. */
export const MAX_BODY_BYTES = 512 * 1024;

/**
 * The first `http://` URL of `host` in a `Location` header or a body, also in its JSON-escaped
 * form (`http:\/\/host`); undefined when there is none.
 */
export function findInsecureUrl(host: string, location: string | undefined, body: string): string | undefined {
  const name = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`http:(?:\\\\?/){2}${name}(?![\\w.-])[^\\s"'<>]*`, 'i');
  return pattern.exec(location ?? '')?.[0] ?? pattern.exec(body)?.[0];
}

/** Sends one GET; tests pass their own. */
export type Fetch = (config: SmokeConfig, path: string) => Promise<Probe>;

/** What the smoke test found, per path. */
export interface SmokeResult {
  readonly passed: boolean;
  readonly results: { path: string; status?: number; error?: string; attempts: number }[];
}

const codedeploy = new CodeDeployClient({});

/** The part of a response the smoke test reads. */
export interface Response {
  readonly statusCode?: number;
  readonly headers: Record<string, string | string[] | undefined>;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  destroy(): void;
}

/** Opens an HTTPS request; tests pass their own. */
export type RequestFn = (
  options: https.RequestOptions,
  callback: (res: Response) => void,
) => {
  on(event: string, listener: (err: Error) => void): unknown;
  destroy(error?: Error): void;
  end(): void;
};

/** A GET through the test listener, with SNI and Host set to the service's host. */
export const httpsGetWith =
  (requestFn: RequestFn): Fetch =>
  (config, path) =>
    new Promise((resolve) => {
      const req = requestFn(
        {
          host: config.loadBalancer,
          port: config.port,
          path,
          method: 'GET',
          servername: config.host,
          headers: { Host: config.host, 'User-Agent': 'deploy-smoke-test' },
          timeout: config.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            const location = res.headers.location;
            const body = Buffer.concat(chunks).toString('utf8');
            const insecureUrl = findInsecureUrl(config.host, Array.isArray(location) ? location[0] : location, body);
            resolve({ status: res.statusCode, ...(insecureUrl ? { insecureUrl } : {}) });
          };
          res.on('data', (chunk: Buffer) => {
            if (size >= MAX_BODY_BYTES) return;
            chunks.push(chunk);
            size += chunk.length;
            if (size >= MAX_BODY_BYTES) {
              res.destroy();
              done();
            }
          });
          res.on('end', done);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)));
      req.on('error', (err: Error) => resolve({ error: err.message }));
      req.end();
    });

/** {@link httpsGetWith} over Node's `https`. */
export const httpsGet: Fetch = httpsGetWith(https.request as unknown as RequestFn);

const ok = (probe: Probe) =>
  probe.status !== undefined && probe.status >= 200 && probe.status < 400 && probe.insecureUrl === undefined;

/**
 * Requests every path, retrying each a few times, and says whether all answered 2xx or 3xx
 * without an `http://` link to the service's host.
 */
export async function smokeTest(
  config: SmokeConfig,
  fetch: Fetch = httpsGet,
  sleep: Sleep = realSleep,
): Promise<SmokeResult> {
  const results: SmokeResult['results'] = [];
  for (const path of config.paths) {
    let probe: Probe = {};
    let attempts = 0;
    while (attempts < config.attempts) {
      attempts++;
      probe = await fetch(config, path);
      if (ok(probe)) break;
      if (attempts < config.attempts) await sleep(config.delayMs);
    }
    results.push({ path, ...probe, attempts });
  }
  return { passed: results.every(ok), results };
}

/** Reads the configuration from the function's environment. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SmokeConfig {
  const paths = JSON.parse(requiredEnv('PATHS', env)) as unknown;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && p.startsWith('/'))) {
    throw new Error(`PATHS must be a JSON array of paths starting with '/', got '${env.PATHS}'`);
  }
  return {
    loadBalancer: requiredEnv('LOAD_BALANCER', env),
    port: Number(requiredEnv('PORT', env)),
    host: requiredEnv('HOST', env),
    paths,
    attempts: Number(env.ATTEMPTS ?? 5),
    delayMs: Number(env.DELAY_MS ?? 3000),
    timeoutMs: Number(env.TIMEOUT_MS ?? 5000),
  };
}

/** Lambda entry point: runs the smoke test and reports it; a failure rolls the deployment back. */
export async function handler(event: unknown): Promise<SmokeResult> {
  assertHookEvent(event);
  let result: SmokeResult;
  try {
    result = await smokeTest(configFromEnv());
  } catch (err) {
    result = { passed: false, results: [{ path: '(setup)', error: String(err), attempts: 0 }] };
  }
  console.log(JSON.stringify({ deploymentId: event.DeploymentId, ...result }));
  await reportHook(codedeploy, event, result.passed ? 'Succeeded' : 'Failed');
  return result;
}
