import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import * as https from 'https';
import { configFromEnv, handler, httpsGetWith, smokeTest, type Fetch, type SmokeConfig } from '../../lambda/smoke-test';

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
  const fetch = httpsGetWith((options, callback) => {
    calls.push(options);
    const req = {
      on: () => req,
      destroy: () => undefined,
      end: () => callback({ statusCode: 204, resume: () => undefined }),
    };
    return req;
  });
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
