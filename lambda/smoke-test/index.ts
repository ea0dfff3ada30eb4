import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import * as https from 'https';
import { assertHookEvent, reportHook } from '../shared/codedeploy';
import { requiredEnv, sleep as realSleep, type Sleep } from '../shared/retry';

/**
 * CodeDeploy's AfterAllowTestTraffic hook: requests the health path and the configured paths
 * of the green tasks through the load balancer's test listener, and tells CodeDeploy whether
 * they answered. Production traffic moves only after this succeeds.
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
}

/** Sends one GET; tests pass their own. */
export type Fetch = (config: SmokeConfig, path: string) => Promise<Probe>;

/** What the smoke test found, per path. */
export interface SmokeResult {
  readonly passed: boolean;
  readonly results: { path: string; status?: number; error?: string; attempts: number }[];
}

const codedeploy = new CodeDeployClient({});

/** Opens an HTTPS request; tests pass their own. */
export type RequestFn = (
  options: https.RequestOptions,
  callback: (res: { statusCode?: number; resume(): void }) => void,
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
          res.resume();
          resolve({ status: res.statusCode });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)));
      req.on('error', (err: Error) => resolve({ error: err.message }));
      req.end();
    });

/** {@link httpsGetWith} over Node's `https`. */
export const httpsGet: Fetch = httpsGetWith(https.request as unknown as RequestFn);

const ok = (probe: Probe) => probe.status !== undefined && probe.status >= 200 && probe.status < 400;

/** Requests every path, retrying each a few times, and says whether all answered 2xx or 3xx. */
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
