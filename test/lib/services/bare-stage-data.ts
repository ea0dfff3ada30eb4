import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { LaravelStageSettings } from '../../../lib/services/laravel-environment';
import type { StageData } from '../../../lib/data/stage-data';

/** The account's ARN of a secret named `name` in the bare stack's region. */
export const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-AbCdEf`;

/** The data key of {@link fakeStageData}. */
export const DATA_KEY = 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000';

/** What the fake data layer has; each store is left out unless asked for. */
export interface FakeStores {
  readonly mysql?: { readonly replicas?: number };
  readonly postgres?: boolean;
  readonly redis?: { readonly clusterMode?: boolean };
  readonly rabbitmq?: boolean;
  /** External databases by config key, each with its env prefix. */
  readonly external?: Record<string, string>;
  /** Laravel images with an `APP_KEY`. */
  readonly appKeys?: string[];
}

/**
 * A StageData of references on `stack`, with the fields the services and their wiring read, so
 * that a service builds without a data stack. Secrets of the data layer carry the data key, as
 * the data stack's own do.
 */
export function fakeStageData(stack: Stack, stores: FakeStores = {}): StageData {
  const key = kms.Key.fromKeyArn(stack, 'DataKey', DATA_KEY);
  const secret = (id: string) =>
    secretsmanager.Secret.fromSecretAttributes(stack, id, { secretCompleteArn: secretArn(id), encryptionKey: key });
  const instance = (id: string, port: number) =>
    rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, id, {
      instanceIdentifier: id.toLowerCase(),
      instanceEndpointAddress: `${id.toLowerCase()}.internal`,
      port,
      securityGroups: [],
    });
  const database = (id: string, port: number, databaseName: string, replicas = 0) => ({
    primary: instance(id, port),
    endpoint: `${id.toLowerCase()}.internal`,
    port,
    databaseName,
    secret: secret(`${id}Master`),
    appSecret: secret(`${id}App`),
    replicas: Array.from({ length: replicas }, (_, i) => instance(`${id}Replica${i + 1}`, port)),
    readEndpoints: Array.from({ length: replicas }, (_, i) => `${id.toLowerCase()}replica${i + 1}.internal`),
  });
  const data = {
    key,
    mysql: stores.mysql && database('Mysql', 3306, 'app', stores.mysql.replicas),
    postgres: stores.postgres ? database('Postgres', 5432, 'sales') : undefined,
    redis: stores.redis && {
      endpoint: 'redis.internal',
      port: 6379,
      clusterMode: stores.redis.clusterMode ?? false,
      authToken: secret('RedisAuth'),
    },
    rabbitmq: stores.rabbitmq
      ? { endpoint: 'mq.internal', port: 5671, secret: secret('Rabbitmq'), broker: { brokerName: 'shop-prod-mq' } }
      : undefined,
    buckets: { uploads: s3.Bucket.fromBucketName(stack, 'Uploads', 'shop-prod-uploads') },
    externalDatabases: Object.fromEntries(
      Object.entries(stores.external ?? {}).map(([name, envPrefix]) => [
        name,
        {
          envPrefix,
          engine: 'mysql',
          host: `${name}.example.net`,
          port: 3306,
          database: name,
          // An existing secret named in config, encrypted with a key of its own.
          secret: secretsmanager.Secret.fromSecretCompleteArn(stack, `External${name}`, secretArn(name)),
        },
      ]),
    ),
    uploadsAccess: iam.ManagedPolicy.fromManagedPolicyArn(
      stack,
      'UploadsAccess',
      'arn:aws:iam::111111111111:policy/shop-prod-uploads',
    ),
    appKeys: Object.fromEntries((stores.appKeys ?? ['web']).map((image) => [image, secret(`AppKey${image}`)])),
  };
  return data as unknown as StageData;
}

/** What a prod stage tells every Laravel container. */
export const PROD_SETTINGS: LaravelStageSettings = {
  appEnv: 'production',
  debug: false,
  logLevel: 'info',
  trustedProxies: '10.30.0.0/16',
  sessionDomain: '.example.com',
  sessionCookie: 'shop_prod_session',
  frontEndHosts: ['shop.example.com'],
  rabbitmqVhost: '/',
};
