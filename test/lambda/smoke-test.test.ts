import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import * as https from 'https';
import {
  configFromEnv,
  findInsecureUrl,
  handler,
  httpsGetWith,
  MAX_BODY_BYTES,
  smokeTest,
  type Fetch,
  type RequestFn,
  type SmokeConfig,
} from '../../lambda/smoke-test';

const codedeployMock = mockClient(CodeDeployClient);
const config: SmokeConfig = {
  loadBalancer: 'internal-csl-prod-123.eu-west-1.elb.amazonaws.com',
  port: 8443,
  host: 'api.cfpcsl.com',
  paths: ['/up', '/api/health'],
  attempts: 3,
  delayMs: 1,
  timeoutMs: 100,
};
const noWait = async () => undefined;

/** A request function that answers with this status, headers and body, in chunks as a socket would. */
function answering(
  statusCode: number,
  headers: Record<string, string> = {},
  body = '',
  calls: https.RequestOptions[] = [],
): RequestFn {
  return (options, callback) => {
    calls.push(options);
    const req = {
      on: () => req,
      destroy: () => undefined,
      end: () => {
        const listeners: Record<string, ((chunk?: Buffer) => void)[]> = {};
        let destroyed = false;
        callback({
          statusCode,
          headers,
          on: (event: string, listener: (chunk?: Buffer) => void) =>
            (listeners[event] = [...(listeners[event] ?? []), listener]),
          destroy: () => {
            destroyed = true;
          },
        } as never);
        const bytes = Buffer.from(body);
        for (let i = 0; i < bytes.length && !destroyed; i += 64 * 1024) {
          listeners.data?.forEach((l) => l(bytes.subarray(i, i + 64 * 1024)));
        }
        if (!destroyed) listeners.end?.forEach((l) => l());
      },
    };
    return req;
  };
}
const event = { DeploymentId: 'd-ABC', LifecycleEventHookExecutionId: 'hook-1' };

beforeEach(() => codedeployMock.reset());

test('passes when every path answers 2xx or 3xx', async () => {
  const fetch: Fetch = async (_c, path) => ({ status: path === '/up' ? 200 : 302 });
  await expect(smokeTest(config, fetch, noWait)).resolves.toEqual({
    passed: true,
    results: [
      { path: '/up', status: 200, attempts: 1 },
      { path: '/api/health', status: 302, attempts: 1 },
    ],
  });
});

test('retries a path until green answers, within the attempts', async () => {
  const answers = [{ error: 'ECONNREFUSED' }, { status: 503 }, { status: 200 }];
  const fetch: Fetch = async () => answers.shift()!;
  const result = await smokeTest({ ...config, paths: ['/up'] }, fetch, noWait);
  expect(result).toEqual({ passed: true, results: [{ path: '/up', status: 200, attempts: 3 }] });
});

test('fails when a path keeps failing, and says how', async () => {
  const fetch: Fetch = async (_c, path) => (path === '/up' ? { status: 200 } : { status: 500 });
  const result = await smokeTest(config, fetch, noWait);
  expect(result.passed).toBe(false);
  expect(result.results[1]).toEqual({ path: '/api/health', status: 500, attempts: 3 });
});

test('sends SNI and Host for the service, to the test listener', async () => {
  const calls: https.RequestOptions[] = [];
  const fetch = httpsGetWith(answering(204, {}, '', calls));
  await expect(fetch(config, '/up')).resolves.toEqual({ status: 204 });
  expect(calls[0]).toEqual(
    expect.objectContaining({
      host: config.loadBalancer,
      port: 8443,
      path: '/up',
      servername: 'api.cfpcsl.com',
      headers: expect.objectContaining({ Host: 'api.cfpcsl.com' }),
    }),
  );
});

test('reports a connection error instead of throwing', async () => {
  const fetch = httpsGetWith(() => {
    const handlers: Record<string, (err: Error) => void> = {};
    return {
      on: (event: string, listener: (err: Error) => void) => (handlers[event] = listener),
      destroy: () => undefined,
      end: () => handlers.error(new Error('connect ECONNREFUSED')),
    };
  });
  await expect(fetch(config, '/up')).resolves.toEqual({ error: 'connect ECONNREFUSED' });
});

describe('handler', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
    jest.restoreAllMocks();
  });

  test('reports Failed to CodeDeploy when the configuration is broken', async () => {
    process.env.LOAD_BALANCER = 'lb';
    process.env.PORT = '8443';
    process.env.HOST = 'api.cfpcsl.com';
    process.env.PATHS = 'not json';
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
    const result = await handler(event);
    expect(result.passed).toBe(false);
    expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0].args[0].input.status).toBe(
      'Failed',
    );
  });

  test('a repeated event whose hook already completed is not an error', async () => {
    process.env.LOAD_BALANCER = 'lb';
    process.env.PORT = '8443';
    process.env.HOST = 'api.cfpcsl.com';
    process.env.PATHS = '[]';
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    codedeployMock
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejects(Object.assign(new Error('done'), { name: 'LifecycleEventAlreadyCompletedException' }));
    await expect(handler(event)).resolves.toEqual(expect.objectContaining({ passed: false }));
  });
});

test('configFromEnv insists on a list of paths', () => {
  expect(() => configFromEnv({ LOAD_BALANCER: 'lb', PORT: '8443', HOST: 'h', PATHS: '["up"]' })).toThrow(
    /PATHS must be a JSON array of paths starting with/,
  );
  expect(configFromEnv({ LOAD_BALANCER: 'lb', PORT: '8443', HOST: 'h', PATHS: '["/up"]' })).toEqual(
    expect.objectContaining({ paths: ['/up'], attempts: 5 }),
  );
});

describe('http:// links to the stage (untrusted proxies)', () => {
  test('a redirect to http:// of the service host fails the path, even after retries', async () => {
    const fetch = httpsGetWith(answering(302, { location: 'http://api.cfpcsl.com/login' }));
    const result = await smokeTest({ ...config, paths: ['/dashboard'] }, fetch, noWait);
    expect(result).toEqual({
      passed: false,
      results: [{ path: '/dashboard', status: 302, insecureUrl: 'http://api.cfpcsl.com/login', attempts: 3 }],
    });
  });

  test('a page or JSON carrying an http:// URL of the host fails', async () => {
    const html = '<link rel="stylesheet" href="http://api.cfpcsl.com/build/app.css">';
    await expect(httpsGetWith(answering(200, {}, html))(config, '/')).resolves.toEqual({
      status: 200,
      insecureUrl: 'http://api.cfpcsl.com/build/app.css',
    });
    const json = JSON.stringify({ next_page_url: 'http://api.cfpcsl.com/api/courses?page=2' });
    await expect(httpsGetWith(answering(200, {}, json))(config, '/api/courses')).resolves.toEqual({
      status: 200,
      insecureUrl: 'http://api.cfpcsl.com/api/courses?page=2',
    });
  });

  test('https links, other hosts and look-alike hosts pass', async () => {
    const body =
      '<svg xmlns="http://www.w3.org/2000/svg"></svg><a href="https://api.cfpcsl.com/x">x</a>' +
      '<a href="http://api.cfpcsl.com.example.org/">y</a>';
    await expect(
      httpsGetWith(answering(200, { location: 'https://api.cfpcsl.com/' }, body))(config, '/'),
    ).resolves.toEqual({
      status: 200,
    });
  });

  test('finds the escaped form and a port, and reads only the first part of a huge body', async () => {
    expect(findInsecureUrl('api.cfpcsl.com', undefined, '{"u":"http:\\/\\/api.cfpcsl.com\\/x"}')).toBe(
      'http:\\/\\/api.cfpcsl.com\\/x',
    );
    expect(findInsecureUrl('api.cfpcsl.com', 'HTTP://API.CFPCSL.COM:80/', '')).toBe('HTTP://API.CFPCSL.COM:80/');
    const late = 'x'.repeat(MAX_BODY_BYTES + 1024) + 'http://api.cfpcsl.com/';
    await expect(httpsGetWith(answering(200, {}, late))(config, '/')).resolves.toEqual({ status: 200 });
  });
});
