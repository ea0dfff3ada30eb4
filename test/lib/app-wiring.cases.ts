import { containers } from '../helpers';
import type { StageFixture } from '../stage-fixture';

/**
 * What the running apps of each stage get: the variable names of their Laravel major, what the
 * front ends read, and shipment's queues on cluster-mode Valkey. What laravelWiring and
 * nextjsWiring do with given props is tested in test/lib/services/. Registered by
 * test/lib/stages.test.ts.
 */
export function appWiringCases(f: StageFixture): void {
  const appEnv = (id: string, prefix: string) =>
    Object.fromEntries(
      (containers(f.template(id, 'app'), prefix).find((c) => c.Name === 'App')!.Environment ?? []).map((e) => [
        e.Name,
        e.Value,
      ]),
    );
  const joined = (value: unknown) => JSON.stringify(value);

  describe('Laravel major', () => {
    test('shipment (Laravel 10) gets CACHE_DRIVER, csl (Laravel 11) CACHE_STORE; neither the other', () => {
      for (const prefix of ['WebWebTask', 'WebWorkerTask', 'WebSchedulerTask', 'WebMigrationTask']) {
        const env = appEnv('Shipment-Prod', prefix);
        expect({ prefix, driver: env.CACHE_DRIVER, store: env.CACHE_STORE }).toEqual({
          prefix,
          driver: 'redis',
          store: undefined,
        });
      }
      const csl = appEnv('Csl-Prod', 'ApiApiTask');
      expect([csl.CACHE_STORE, csl.CACHE_DRIVER]).toEqual(['redis', undefined]);
    });

    test('Redis TLS reaches Laravel 10 and 11 alike through REDIS_URL (their default config reads no REDIS_SCHEME)', () => {
      for (const [id, prefix] of [
        ['Shipment-Prod', 'WebWebTask'],
        ['Csl-Prod', 'ApiApiTask'],
      ] as const) {
        expect(joined(appEnv(id, prefix).REDIS_URL)).toMatch(/^\{"Fn::Join":\["",\["tls:\/\/",/);
        expect(joined(appEnv(id, prefix).REDIS_URL)).toContain('":6379"');
      }
    });

    test('the load balancer and the container check the health path the version serves', () => {
      const t = f.template('Shipment-Prod', 'app');
      const groups = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
      expect(new Set(groups.map((g) => g.Properties.HealthCheckPath))).toEqual(new Set(['/health']));
      const web = containers(t, 'WebWebTask')[0];
      expect(joined(web.HealthCheck)).toContain('http://127.0.0.1:8080/health');
      const csl = Object.values(
        f.template('Csl-Prod', 'app').findResources('AWS::ElasticLoadBalancingV2::TargetGroup'),
      );
      expect(csl.map((g) => g.Properties.HealthCheckPath)).toContain('/up');
    });
  });

  describe('shipment queues on cluster-mode Valkey', () => {
    test('the queue name carries a hash tag, so its keys share one slot', () => {
      for (const prefix of ['WebWebTask', 'WebWorkerTask', 'WebSchedulerTask']) {
        expect(appEnv('Shipment-Staging', prefix)).toEqual(
          expect.objectContaining({ QUEUE_CONNECTION: 'redis', REDIS_CLUSTER: 'redis', REDIS_QUEUE: '{default}' }),
        );
      }
      // csl has no cluster mode, and queues on RabbitMQ: no hash tag there.
      expect(appEnv('Csl-Prod', 'ApiApiTask').REDIS_QUEUE).toBeUndefined();
    });
  });

  describe('proxies and cross-site settings', () => {
    test('Laravel trusts exactly the VPC range, where CloudFront’s VPC origin and the internal ALB live', () => {
      expect(appEnv('Csl-Prod', 'ApiApiTask').TRUSTED_PROXIES).toBe('10.12.0.0/16');
      expect(appEnv('Shipment-Dev', 'WebWebTask').TRUSTED_PROXIES).toBe('10.20.0.0/16');
    });

    test('csl: CORS, Sanctum and the session cookie follow the stage’s hosts', () => {
      expect(appEnv('Csl-Staging', 'ApiApiTask')).toEqual(
        expect.objectContaining({
          CORS_ALLOWED_ORIGINS: 'https://certification.staging.cfpcsl.com,https://admin.staging.cfpcsl.com',
          SANCTUM_STATEFUL_DOMAINS: 'certification.staging.cfpcsl.com,admin.staging.cfpcsl.com',
          SESSION_DOMAIN: '.staging.cfpcsl.com',
          SESSION_SECURE_COOKIE: 'true',
          SESSION_SAME_SITE: 'lax',
          SESSION_COOKIE: 'csl_staging_session',
        }),
      );
      expect(appEnv('Csl-Prod', 'ApiApiTask').SESSION_DOMAIN).toBe('.cfpcsl.com');
    });

    test('shipment has no front end on another host: no CORS origins, but secure cookies', () => {
      const env = appEnv('Shipment-Prod', 'WebWebTask');
      expect(env.CORS_ALLOWED_ORIGINS).toBeUndefined();
      expect(env.SESSION_SECURE_COOKIE).toBe('true');
    });
  });

  describe('RabbitMQ over AMQPS (vladimir-yuldashev/laravel-queue-rabbitmq)', () => {
    test('sets the names the driver reads, and nothing it does not', () => {
      const env = appEnv('Csl-Prod', 'ApiWorkerTask');
      expect(env).toEqual(
        expect.objectContaining({ RABBITMQ_PORT: '5671', RABBITMQ_VHOST: '/', RABBITMQ_SSL_VERIFY_PEER: 'true' }),
      );
      expect(env.RABBITMQ_HOST).toEqual(expect.anything());
      expect(env.RABBITMQ_SSL).toBeUndefined();
    });
  });

  describe('Next.js run-time environment', () => {
    test('every Next.js service, admin included, gets its own URL and the API base URL at run time', () => {
      for (const prefix of ['CertificationTask', 'AdminTask']) {
        const env = appEnv('Csl-Staging', prefix);
        expect(env).toEqual(
          expect.objectContaining({
            API_BASE_URL: 'https://api.staging.cfpcsl.com/api',
            SITE_URL: `https://${prefix === 'AdminTask' ? 'admin' : 'certification'}.staging.cfpcsl.com`,
          }),
        );
        expect(Object.keys(env).filter((k) => k.startsWith('NEXT_PUBLIC_'))).toEqual([]);
      }
    });
  });

  describe('shipment web runs as the reference image does', () => {
    test('non-root on 8080 with a read-only root and scratch volumes', () => {
      const [web] = containers(f.template('Shipment-Prod', 'app'), 'WebWebTask');
      expect(web).toEqual(
        expect.objectContaining({
          User: 'www-data',
          ReadonlyRootFilesystem: true,
          PortMappings: [expect.objectContaining({ ContainerPort: 8080 })],
        }),
      );
      expect((web.MountPoints as { ContainerPath: string }[]).map((m) => m.ContainerPath)).toEqual([
        '/var/www/html/storage',
        '/var/www/html/bootstrap/cache',
        '/tmp',
      ]);
    });
  });
}
