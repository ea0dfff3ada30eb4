import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  laravelWiring,
  RDS_CA_BUNDLE,
  type LaravelStageSettings,
  type LaravelWiringProps,
} from '../../../lib/services/laravel-environment';
import type { Wiring } from '../../../lib/services/wiring';
import { bareStack } from '../../helpers';
import { DATA_KEY, fakeStageData, PROD_SETTINGS, secretArn, type FakeStores } from './bare-stage-data';

/** Every store of the fake data layer, the external database `erp` among them. */
const ALL_STORES: FakeStores = {
  mysql: { replicas: 1 },
  postgres: true,
  redis: { clusterMode: false },
  rabbitmq: true,
  external: { erp: 'ERP_DB' },
};

interface Options extends Partial<Omit<LaravelWiringProps, 'stage' | 'data'>> {
  readonly stores?: FakeStores;
  readonly stage?: Partial<LaravelStageSettings>;
  readonly uses?: string[];
  readonly environment?: Record<string, string>;
}

/** The wiring of a service `web` of image `web` on a fresh bare stack, with tokens resolved. */
function wire(options: Options = {}) {
  const stack = bareStack();
  const data = fakeStageData(stack, options.stores ?? ALL_STORES);
  const wiring = laravelWiring(stack, {
    serviceName: 'web',
    imageName: 'web',
    laravelVersion: 11,
    appUrl: 'https://web.example.com',
    ...options,
    service: { uses: options.uses ?? [], environment: options.environment ?? {} },
    stage: { ...PROD_SETTINGS, ...options.stage },
    data,
  });
  return { stack, wiring, env: resolvedEnvironment(stack, wiring), secrets: resolvedSecrets(stack, wiring) };
}

const resolvedEnvironment = (stack: Stack, w: Wiring): Record<string, unknown> =>
  stack.resolve(w.environment) as Record<string, unknown>;
/** Each secret's ARN as text, e.g. `{"Fn::Join":[... secret:MysqlApp-AbCdEf ... :username::]}`. */
const resolvedSecrets = (stack: Stack, w: Wiring): Record<string, string> =>
  Object.fromEntries(Object.entries(w.secrets).map(([name, s]) => [name, JSON.stringify(stack.resolve(s.arn))]));

/** The policy statements `grantExecution` gives a role, as synthesized. */
function executionStatements(stack: Stack, w: Wiring): Record<string, unknown>[] {
  const role = new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  w.grantExecution(role);
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('laravelWiring', () => {
  describe('what every Laravel container of the stage is told', () => {
    test('the tier, logging to stderr, the region, the trusted proxies and per-stage HTTPS-only cookies', () => {
      expect(wire().env).toEqual(
        expect.objectContaining({
          APP_ENV: 'production',
          APP_DEBUG: 'false',
          LOG_CHANNEL: 'stderr',
          LOG_LEVEL: 'info',
          AWS_DEFAULT_REGION: { Ref: 'AWS::Region' },
          TRUSTED_PROXIES: '10.30.0.0/16',
          SESSION_SECURE_COOKIE: 'true',
          SESSION_DOMAIN: '.example.com',
          SESSION_COOKIE: 'shop_prod_session',
          SESSION_SAME_SITE: 'lax',
        }),
      );
      expect(wire({ stage: { debug: true } }).env.APP_DEBUG).toBe('true');
    });

    test('its web service’s URL as APP_URL, where the image has one', () => {
      expect(wire().env.APP_URL).toBe('https://web.example.com');
      expect(wire({ appUrl: undefined }).env.APP_URL).toBeUndefined();
    });

    test('the front ends on other hosts as CORS origins and Sanctum stateful domains; none without front ends', () => {
      expect(wire({ stage: { frontEndHosts: ['shop.example.com', 'admin.example.com'] } }).env).toEqual(
        expect.objectContaining({
          CORS_ALLOWED_ORIGINS: 'https://shop.example.com,https://admin.example.com',
          SANCTUM_STATEFUL_DOMAINS: 'shop.example.com,admin.example.com',
        }),
      );
      const none = wire({ stage: { frontEndHosts: [] } }).env;
      expect([none.CORS_ALLOWED_ORIGINS, none.SANCTUM_STATEFUL_DOMAINS]).toEqual([undefined, undefined]);
    });

    test('the image’s APP_KEY, read through a reference owned by the scope (the data key stays out of the grant)', () => {
      const { secrets } = wire();
      expect(secrets.APP_KEY).toContain(`${secretArn('AppKeyweb')}:key::`);
      expect(() => wire({ imageName: 'api' })).toThrow(/image 'api' has no APP_KEY secret/);
    });
  });

  describe('what each store in uses adds, in Laravel’s own names', () => {
    test('MySQL as the app user over TLS, reading from the replicas with sticky reads', () => {
      const { env, secrets } = wire({ uses: ['mysql'] });
      expect(env).toEqual(
        expect.objectContaining({
          DB_CONNECTION: 'mysql',
          DB_HOST: 'mysql.internal',
          DB_PORT: '3306',
          DB_DATABASE: 'app',
          MYSQL_ATTR_SSL_CA: RDS_CA_BUNDLE,
          DB_READ_HOST: 'mysqlreplica1.internal',
          DB_STICKY: 'true',
        }),
      );
      expect(secrets.DB_USERNAME).toContain(`${secretArn('MysqlApp')}:username::`);
      expect(secrets.DB_PASSWORD).toContain(`${secretArn('MysqlApp')}:password::`);
      expect(JSON.stringify(secrets)).not.toContain('MysqlMaster');
    });

    test('MySQL without replicas: no read host, no sticky reads', () => {
      const { env } = wire({ uses: ['mysql'], stores: { mysql: {} } });
      expect([env.DB_READ_HOST, env.DB_STICKY]).toEqual([undefined, undefined]);
    });

    test('PostgreSQL as the pgsql connection, verifying the server against the RDS CA bundle', () => {
      const { env, secrets } = wire({ uses: ['postgres'] });
      expect(env).toEqual(
        expect.objectContaining({
          DB_PGSQL_CONNECTION: 'pgsql',
          DB_PGSQL_HOST: 'postgres.internal',
          DB_PGSQL_PORT: '5432',
          DB_PGSQL_DATABASE: 'sales',
          DB_PGSQL_SSLMODE: 'verify-full',
          DB_PGSQL_SSLROOTCERT: RDS_CA_BUNDLE,
        }),
      );
      expect(Object.keys(secrets)).toEqual(expect.arrayContaining(['DB_PGSQL_USERNAME', 'DB_PGSQL_PASSWORD']));
    });

    test('Redis over TLS through REDIS_URL (Laravel 10 and 11 read no REDIS_SCHEME), with its auth token', () => {
      const { env, secrets } = wire({ uses: ['redis'] });
      expect(env).toEqual(
        expect.objectContaining({
          REDIS_CLIENT: 'phpredis',
          REDIS_URL: 'tls://redis.internal:6379',
          REDIS_SCHEME: 'tls',
          REDIS_HOST: 'redis.internal',
          REDIS_PORT: '6379',
        }),
      );
      expect([env.REDIS_CLUSTER, env.REDIS_QUEUE]).toEqual([undefined, undefined]);
      expect(secrets.REDIS_PASSWORD).toContain(`${secretArn('RedisAuth')}:token::`);
    });

    test('Redis in cluster mode: the cluster client, and a hash-tagged queue whose keys share one slot', () => {
      const { env } = wire({ uses: ['redis'], stores: { redis: { clusterMode: true } } });
      expect(env).toEqual(expect.objectContaining({ REDIS_CLUSTER: 'redis', REDIS_QUEUE: '{default}' }));
    });

    test('RabbitMQ over AMQPS in the names laravel-queue-rabbitmq reads, and nothing it does not', () => {
      const { env, secrets } = wire({ uses: ['rabbitmq'] });
      expect(env).toEqual(
        expect.objectContaining({
          RABBITMQ_HOST: 'mq.internal',
          RABBITMQ_PORT: '5671',
          RABBITMQ_VHOST: '/',
          RABBITMQ_SSL_VERIFY_PEER: 'true',
        }),
      );
      expect(env.RABBITMQ_SSL).toBeUndefined();
      expect(Object.keys(secrets)).toEqual(expect.arrayContaining(['RABBITMQ_USER', 'RABBITMQ_PASSWORD']));
    });

    test('uploads as the default S3 disk without access keys; the task role gets the uploads policy', () => {
      const { env, wiring, stack } = wire({ uses: ['uploads'] });
      expect(env).toEqual(
        expect.objectContaining({
          FILESYSTEM_DISK: 's3',
          AWS_BUCKET: 'shop-prod-uploads',
          AWS_USE_PATH_STYLE_ENDPOINT: 'false',
        }),
      );
      expect(Object.keys(env).filter((k) => /ACCESS_KEY|SECRET/.test(k))).toEqual([]);
      const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      wiring.grant(role);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        ManagedPolicyArns: ['arn:aws:iam::111111111111:policy/shop-prod-uploads'],
      });
    });

    test('an external database as a connection of its own, under its prefix', () => {
      const { env, secrets } = wire({ uses: ['erp'] });
      expect(env).toEqual(
        expect.objectContaining({
          ERP_DB_CONNECTION: 'mysql',
          ERP_DB_HOST: 'erp.example.net',
          ERP_DB_PORT: '3306',
          ERP_DB_DATABASE: 'erp',
        }),
      );
      // The existing secret named in config, as it is: it has no data key to keep out.
      expect(secrets.ERP_DB_USERNAME).toContain(`${secretArn('erp')}:username::`);
    });

    test('refuses a store the data layer does not have, naming the service and the store', () => {
      expect(() => wire({ uses: ['mongodb'] })).toThrow(/service 'web' uses 'mongodb', which has no store/);
      expect(() => wire({ uses: ['postgres'], stores: { mysql: {} } })).toThrow(/uses 'postgres'/);
      expect(() => wire({ uses: ['rabbitmq'], stage: { rabbitmqVhost: undefined } })).toThrow(/uses 'rabbitmq'/);
    });

    test('passwords and keys are secrets, never plain environment', () => {
      const { env, secrets } = wire({ uses: ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads', 'erp'] });
      expect(Object.keys(env).filter((k) => /PASSWORD|SECRET|ACCESS_KEY|APP_KEY|TOKEN/.test(k))).toEqual([]);
      expect(Object.keys(secrets).sort()).toEqual([
        'APP_KEY',
        'DB_PASSWORD',
        'DB_PGSQL_PASSWORD',
        'DB_PGSQL_USERNAME',
        'DB_USERNAME',
        'ERP_DB_PASSWORD',
        'ERP_DB_USERNAME',
        'RABBITMQ_PASSWORD',
        'RABBITMQ_USER',
        'REDIS_PASSWORD',
      ]);
    });
  });

  describe('the cache store and the service’s own settings', () => {
    test('Laravel 10 gets CACHE_DRIVER, 11 CACHE_STORE, for a service that uses Redis; neither the other', () => {
      const ten = wire({ uses: ['redis'], laravelVersion: 10 }).env;
      const eleven = wire({ uses: ['redis'], laravelVersion: 11 }).env;
      expect([ten.CACHE_DRIVER, ten.CACHE_STORE]).toEqual(['redis', undefined]);
      expect([eleven.CACHE_STORE, eleven.CACHE_DRIVER]).toEqual(['redis', undefined]);
      expect(wire({ uses: ['mysql'] }).env.CACHE_STORE).toBeUndefined();
    });

    test('the service’s own environment comes last and wins, the cache store included', () => {
      const { env } = wire({
        uses: ['redis'],
        environment: { QUEUE_CONNECTION: 'redis', LOG_LEVEL: 'warning', CACHE_STORE: 'array' },
      });
      expect(env).toEqual(
        expect.objectContaining({ QUEUE_CONNECTION: 'redis', LOG_LEVEL: 'warning', CACHE_STORE: 'array' }),
      );
      const keys = Object.keys(env);
      expect(keys.indexOf('QUEUE_CONNECTION')).toBeGreaterThan(keys.indexOf('REDIS_PORT'));
    });
  });

  describe('grants', () => {
    test('the execution role may decrypt the data key through Secrets Manager only', () => {
      const { stack, wiring } = wire({ uses: ['mysql'] });
      expect(executionStatements(stack, wiring)).toContainEqual({
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: DATA_KEY,
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      });
    });

    test('app secrets of the image come as ECS secrets, and the execution role may decrypt them', () => {
      const { stack, wiring, secrets } = wire({
        appSecrets: { MAIL_PASSWORD: { secretName: 'shop/prod/mail', jsonKey: 'password' } },
      });
      expect(secrets.MAIL_PASSWORD).toContain(':secret:shop/prod/mail:password::');
      // Secrets Manager decrypts with the secret's ARN as encryption context; no key named: any key.
      const decrypt = executionStatements(stack, wiring).filter((st) =>
        JSON.stringify(st).includes('kms:EncryptionContext:SecretARN'),
      );
      expect(decrypt).toHaveLength(1);
      expect(JSON.stringify(decrypt[0])).toContain(':secret:shop/prod/mail-??????');
      expect(JSON.stringify(decrypt[0].Resource)).toContain(':key/*');
    });

    test('a service without uploads adds nothing to its task role', () => {
      const { stack, wiring } = wire({ uses: ['mysql'] });
      const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      wiring.grant(role);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });
  });
});
