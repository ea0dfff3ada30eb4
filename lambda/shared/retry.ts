/** Error names AWS services use when they throttle a caller. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/** Whether an SDK error is a throttle that a later attempt may get past. */
export function isThrottle(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return !!e && (THROTTLING.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429);
}

/** How {@link retryOnThrottle} waits; tests pass one that does not. */
export type Sleep = (ms: number) => Promise<void>;

/** Waits for real. */
export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn`, and again with exponential back-off while AWS throttles it; any other error, or
 * a throttle on the last attempt, is thrown as it is.
 */
export async function retryOnThrottle<T>(
  fn: () => Promise<T>,
  options: { attempts?: number; baseDelayMs?: number; sleep?: Sleep } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isThrottle(err) || attempt >= attempts) throw err;
      await wait(baseDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** Reads a required environment variable, naming it when it is missing. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
