import { Aws } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { cacheVariable, type LaravelVersion, type ServiceConfig } from '../../config';
import type { StageData } from '../data/stage-data';
import { appSecrets, dataSecret, decryptWith, type AppSecretRefs } from './app-secrets';
import type { Wiring } from './wiring';

/** Where Laravel images keep the RDS CA bundle (PDO verifies the server against it). */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';

/** What every Laravel container of a stage is told alike: the tier's settings, proxies, cookies. */
export interface LaravelStageSettings {
  /** `APP_ENV`: `development`, `staging` or `production`, by tier. */
  readonly appEnv: string;
  /** `APP_DEBUG`: whether Laravel shows error details (dev only). */
  readonly debug: boolean;
  /** `LOG_LEVEL`: the lowest level Laravel logs. */
  readonly logLevel: string;
  /**
   * `TRUSTED_PROXIES`: the VPC range. The ALB is internal and CloudFront reaches it through a
   * VPC origin, so every proxy in front of the app has an address in the VPC.
   */
  readonly trustedProxies: string;
  /** `SESSION_DOMAIN`: the stage's domain with a leading dot, so its hosts share the cookie. */
  readonly sessionDomain: string;
  /**
   * `SESSION_COOKIE`: named per stage so a parent domain's cookie (prod's `.example.com`) never
   * stands in for a stage's own.
   */
  readonly sessionCookie: string;
  /**
   * Hosts of the stage's front ends that call the API from another host (CORS and Sanctum).
   *
   * @default - none: no CORS origins, no Sanctum stateful domains
   */
  readonly frontEndHosts?: readonly string[];
  /**
   * The RabbitMQ virtual host (`RABBITMQ_VHOST`), when the stage has a broker.
   *
   * @default - no broker: a service that uses `rabbitmq` is refused
   */
  readonly rabbitmqVhost?: string;
}

/** Properties of {@link laravelWiring}. */
export interface LaravelWiringProps {
  /** The service's name in config, for error messages. */
  readonly serviceName: string;
  /**
   * The service: the stores it `uses`, and its own `environment` (host references already
   * expanded), which comes last and wins.
   */
  readonly service: Pick<ServiceConfig, 'uses' | 'environment'>;
  /** The image's key in config: its `APP_KEY` is `data.appKeys[imageName]`. */
  readonly imageName: string;
  /** The Laravel major the image runs: it names the cache-store variable. */
  readonly laravelVersion: LaravelVersion;
  /**
   * App secrets the container gets: every service of a Laravel image runs the same code (a
   * queued mail is sent by the worker), so each gets the secrets any of them declares.
   *
   * @default - none
   */
  readonly appSecrets?: AppSecretRefs;
  /**
   * The public URL of the image's web service (`APP_URL`).
   *
   * @default - no `APP_URL` (an image without a web service)
   */
  readonly appUrl?: string;
  /** What every Laravel container of the stage is told alike. */
  readonly stage: LaravelStageSettings;
  /** The stage's data layer: endpoints, secrets, buckets. */
  readonly data: StageData;
}

/** What one store a service uses adds to its container. */
interface StoreWiring {
  /** Its variables, in the order Laravel's config reads them. */
  readonly environment: Record<string, string>;
  /** Its credentials, as ECS secrets. */
  readonly secrets: Record<string, ecs.Secret>;
  /**
   * What the task role needs to reach it.
   *
   * @default - nothing: the credentials are enough
   */
  readonly grant?: (role: iam.IRole) => void;
}

/**
 * The environment of a Laravel container, in Laravel's own variable names, from what its
 * service `uses`: `DB_*` (+ `DB_READ_HOST`), `DB_PGSQL_*`, `REDIS_*`, `RABBITMQ_*`,
 * `FILESYSTEM_DISK=s3` with `AWS_BUCKET`, and `<PREFIX>_*` for external databases. Passwords and
 * keys are ECS secrets owned by `scope`; the service's own `environment` comes last and wins.
 */
export function laravelWiring(scope: Construct, props: LaravelWiringProps): Wiring {
  const { service, data } = props;
  const environment = stageEnvironment(props);
  const appKey = data.appKeys[props.imageName];
  if (!appKey) throw new Error(`${scope.node.path}: image '${props.imageName}' has no APP_KEY secret`);
  const secrets: Record<string, ecs.Secret> = { APP_KEY: dataSecret(scope, appKey, 'key') };
  const grants: ((role: iam.IRole) => void)[] = [];
  for (const use of service.uses) {
    const store = storeWiring(scope, use, props);
    Object.assign(environment, store.environment);
    Object.assign(secrets, store.secrets);
    if (store.grant) grants.push(store.grant);
  }
  Object.assign(environment, service.environment);
  const cache = cacheVariable(props.laravelVersion);
  if (!(cache in environment) && service.uses.includes('redis')) environment[cache] = 'redis';
  const own = appSecrets(props.appSecrets ?? {}, scope);
  const decryptData = decryptWith(data);
  return {
    environment,
    secrets: { ...secrets, ...own.secrets },
    grant: (role) => grants.forEach((g) => g(role)),
    grantExecution: (role) => {
      decryptData(role);
      own.grantExecution(role);
    },
  };
}

/** The variables every Laravel container of the stage gets, before those of its stores. */
function stageEnvironment(props: LaravelWiringProps): Record<string, string> {
  const { stage } = props;
  const environment: Record<string, string> = {
    APP_ENV: stage.appEnv,
    APP_DEBUG: String(stage.debug),
    LOG_CHANNEL: 'stderr',
    LOG_LEVEL: stage.logLevel,
    AWS_DEFAULT_REGION: Aws.REGION,
    TRUSTED_PROXIES: stage.trustedProxies,
    // Cookies: HTTPS only, shared by the stage's hosts, named per stage.
    SESSION_SECURE_COOKIE: 'true',
    SESSION_DOMAIN: stage.sessionDomain,
    SESSION_COOKIE: stage.sessionCookie,
    SESSION_SAME_SITE: 'lax',
  };
  if (props.appUrl) environment.APP_URL = props.appUrl;
  const frontEnds = stage.frontEndHosts ?? [];
  if (frontEnds.length > 0) {
    // The front ends are other hosts of the same site (one registrable domain), so SameSite=lax
    // cookies reach the API; CORS and Sanctum must still name them.
    environment.CORS_ALLOWED_ORIGINS = frontEnds.map((h) => `https://${h}`).join(',');
    environment.SANCTUM_STATEFUL_DOMAINS = frontEnds.join(',');
  }
  return environment;
}

/** What one store in `uses` adds; a store the data layer does not have is refused. */
function storeWiring(scope: Construct, use: string, props: LaravelWiringProps): StoreWiring {
  const { data } = props;
  if (use === 'mysql' && data.mysql) return mysqlWiring(scope, data.mysql);
  if (use === 'postgres' && data.postgres) return postgresWiring(scope, data.postgres);
  if (use === 'redis' && data.redis) return redisWiring(scope, data.redis);
  if (use === 'rabbitmq' && data.rabbitmq && props.stage.rabbitmqVhost !== undefined) {
    return rabbitmqWiring(scope, data.rabbitmq, props.stage.rabbitmqVhost);
  }
  if (use === 'uploads') return uploadsWiring(data);
  const external = data.externalDatabases[use];
  if (external) return externalDatabaseWiring(scope, external);
  throw new Error(
    `${scope.node.path}: service '${props.serviceName}' uses '${use}', which has no store in the data stack`,
  );
}

/** MySQL, as the app's own user; reads go to the replicas where there are any. */
function mysqlWiring(scope: Construct, mysql: NonNullable<StageData['mysql']>): StoreWiring {
  const environment: Record<string, string> = {
    DB_CONNECTION: 'mysql',
    DB_HOST: mysql.endpoint,
    DB_PORT: String(mysql.port),
    DB_DATABASE: mysql.databaseName,
    MYSQL_ATTR_SSL_CA: RDS_CA_BUNDLE,
  };
  if (mysql.replicas.length > 0) {
    // Laravel reads from the replica and, with sticky reads, sees its own writes.
    environment.DB_READ_HOST = mysql.readEndpoints.join(',');
    environment.DB_STICKY = 'true';
  }
  // The app's own user, rotated with alternating users; never the master (lib/data/rds/app-users.ts).
  return {
    environment,
    secrets: {
      DB_USERNAME: dataSecret(scope, mysql.appSecret, 'username'),
      DB_PASSWORD: dataSecret(scope, mysql.appSecret, 'password'),
    },
  };
}

/** PostgreSQL as Laravel's second connection (`pgsql`), verifying the server's certificate. */
function postgresWiring(scope: Construct, postgres: NonNullable<StageData['postgres']>): StoreWiring {
  return {
    environment: {
      DB_PGSQL_CONNECTION: 'pgsql',
      DB_PGSQL_HOST: postgres.endpoint,
      DB_PGSQL_PORT: String(postgres.port),
      DB_PGSQL_DATABASE: postgres.databaseName,
      DB_PGSQL_SSLMODE: 'verify-full',
      DB_PGSQL_SSLROOTCERT: RDS_CA_BUNDLE,
    },
    secrets: {
      DB_PGSQL_USERNAME: dataSecret(scope, postgres.appSecret, 'username'),
      DB_PGSQL_PASSWORD: dataSecret(scope, postgres.appSecret, 'password'),
    },
  };
}

/** Redis or Valkey over TLS, in cluster mode where the cache shards. */
function redisWiring(scope: Construct, redis: NonNullable<StageData['redis']>): StoreWiring {
  const environment: Record<string, string> = {
    REDIS_CLIENT: 'phpredis',
    // Neither laravel/laravel 10.x nor 11.x config/database.php reads REDIS_SCHEME; both
    // read REDIS_URL, and RedisManager::parseConnectionConfiguration turns a tls:// URL
    // into scheme 'tls'. ElastiCache with in-transit encryption accepts only TLS.
    REDIS_URL: `tls://${redis.endpoint}:${redis.port}`,
    REDIS_SCHEME: 'tls',
    REDIS_HOST: redis.endpoint,
    REDIS_PORT: String(redis.port),
  };
  if (redis.clusterMode) {
    environment.REDIS_CLUSTER = 'redis';
    // Laravel's queue Lua scripts touch several keys of a queue in one call (RedisQueue in
    // laravel/framework 10.x evals LuaScripts::pop on `<q>`, `<q>:reserved`, `<q>:notify`);
    // a cluster refuses keys of different slots (CROSSSLOT), even with one shard. A hash tag
    // puts all of a queue's keys in one slot.
    environment.REDIS_QUEUE = '{default}';
  }
  return { environment, secrets: { REDIS_PASSWORD: dataSecret(scope, redis.authToken, 'token') } };
}

/** RabbitMQ over AMQPS, in the names vladimir-yuldashev/laravel-queue-rabbitmq reads. */
function rabbitmqWiring(scope: Construct, broker: NonNullable<StageData['rabbitmq']>, vhost: string): StoreWiring {
  return {
    environment: {
      RABBITMQ_HOST: broker.endpoint,
      RABBITMQ_PORT: String(broker.port),
      RABBITMQ_VHOST: vhost,
      // The driver reads these in its ssl_options; 'secure' => true is set in the app's
      // config/queue.php (the driver reads no variable for it).
      RABBITMQ_SSL_VERIFY_PEER: 'true',
    },
    secrets: {
      RABBITMQ_USER: dataSecret(scope, broker.secret, 'username'),
      RABBITMQ_PASSWORD: dataSecret(scope, broker.secret, 'password'),
    },
  };
}

/** The uploads bucket as Laravel's default disk; no access keys: the AWS SDK uses the task role. */
function uploadsWiring(data: StageData): StoreWiring {
  return {
    environment: {
      FILESYSTEM_DISK: 's3',
      AWS_BUCKET: data.buckets.uploads.bucketName,
      AWS_USE_PATH_STYLE_ENDPOINT: 'false',
    },
    secrets: {},
    grant: (role) => role.addManagedPolicy(data.uploadsAccess),
  };
}

/** An external database as a Laravel connection of its own, `<PREFIX>_*`. */
function externalDatabaseWiring(scope: Construct, db: StageData['externalDatabases'][string]): StoreWiring {
  return {
    environment: {
      [`${db.envPrefix}_CONNECTION`]: db.engine === 'postgres' ? 'pgsql' : 'mysql',
      [`${db.envPrefix}_HOST`]: db.host,
      [`${db.envPrefix}_PORT`]: String(db.port),
      [`${db.envPrefix}_DATABASE`]: db.database,
    },
    secrets: {
      [`${db.envPrefix}_USERNAME`]: dataSecret(scope, db.secret, 'username'),
      [`${db.envPrefix}_PASSWORD`]: dataSecret(scope, db.secret, 'password'),
    },
  };
}
