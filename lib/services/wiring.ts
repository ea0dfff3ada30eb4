import { Aws, Names } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';
import { cacheVariable, laravelMajor, type ResolvedConfig } from '../../config';
import type { StageData } from '../data/stage-data';
import { expandHosts, serviceHost } from '../../config/names';

/** Where Laravel images keep the RDS CA bundle (PDO verifies the server against it). */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';

/** What one container gets from the stage: plain environment, ECS secrets, and IAM grants. */
export interface Wiring {
  /** Non-secret variables, in Laravel's or Next.js's own names. */
  readonly environment: Record<string, string>;
  /** Secret variables, injected by ECS from Secrets Manager; never in the template. */
  readonly secrets: Record<string, ecs.Secret>;
  /** Grants the task role needs for what the service uses (S3 uploads). */
  readonly grant: (role: iam.IRole) => void;
  /** Grants the execution role needs beyond reading the secrets (decrypting them). */
  readonly grantExecution: (role: iam.IGrantable) => void;
}

/**
 * A reference, owned by `scope`, to a secret of the data stack.
 *
 * ECS grants its execution role read access to each secret. Given the data stack's own secret,
 * that grant would also write the role into the data key's policy, making the data stack refer
 * to the app stack: a cycle, and a data-stack change for every app change. The reference
 * carries no key, so the grant stays in the app stack; {@link decryptWith} adds the decrypt.
 */
export function importSecret(scope: Construct, secret: secretsmanager.ISecret): secretsmanager.ISecret {
  const id = `Secret${Names.nodeUniqueId(secret.node)}`;
  const existing = scope.node.tryFindChild(id) as secretsmanager.ISecret | undefined;
  return existing ?? secretsmanager.Secret.fromSecretCompleteArn(scope, id, secret.secretArn);
}

/** Lets a role decrypt the data key's secrets through Secrets Manager, and nothing else. */
function decryptWith(data: StageData): (role: iam.IGrantable) => void {
  return (role) =>
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [data.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
}

type AppSecretRefs = NonNullable<ResolvedConfig['services'][string]['secrets']>;

/** App secrets from config as ECS secrets, and the decrypt grant they need. */
function appSecrets(
  refs: AppSecretRefs,
  scope: Construct,
): { secrets: Record<string, ecs.Secret>; grantExecution: (role: iam.IGrantable) => void } {
  const secrets: Record<string, ecs.Secret> = {};
  const statements: iam.PolicyStatement[] = [];
  const viaSecretsManager = { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` };
  for (const [name, ref] of Object.entries(refs)) {
    const id = `AppSecret${name}`;
    const existing = scope.node.tryFindChild(id) as secretsmanager.ISecret | undefined;
    const secret =
      existing ??
      ('secretName' in ref
        ? secretsmanager.Secret.fromSecretNameV2(scope, id, ref.secretName)
        : secretsmanager.Secret.fromSecretCompleteArn(scope, id, ref.secretArn));
    secrets[name] = ecs.Secret.fromSecretsManager(secret, ref.jsonKey);
    // Secrets Manager decrypts with the encryption context SecretARN = the secret's ARN
    // (Secrets Manager user guide, "Secret encryption and decryption"), so without a named key
    // the grant is any key of the account, used by Secrets Manager for this secret only.
    const secretArn =
      'secretName' in ref
        ? `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${ref.secretName}-??????`
        : ref.secretArn;
    statements.push(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [ref.keyArn ?? `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
        conditions: {
          StringEquals: viaSecretsManager,
          StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
        },
      }),
    );
  }
  const anyKey = Object.values(refs).some((ref) => ref.keyArn === undefined);
  return {
    secrets,
    grantExecution: (role) => {
      statements.forEach((statement) => role.grantPrincipal.addToPrincipalPolicy(statement));
      if (anyKey && Construct.isConstruct(role.grantPrincipal)) {
        acknowledge(
          role.grantPrincipal,
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
          'An app secret named in config without keyArn may use any key of the account; the grant holds only when Secrets Manager decrypts (kms:ViaService) that very secret (kms:EncryptionContext:SecretARN). Set keyArn to narrow it to one key.',
        );
      }
    },
  };
}

/** The stage's Next.js front ends that call its Laravel API from another host. */
function frontEndHosts(config: ResolvedConfig): string[] {
  return Object.keys(config.services)
    .filter((name) => config.services[name].kind === 'nextjs' && config.services[name].host !== undefined)
    .map((name) => serviceHost(config, name));
}

const APP_ENV: Record<ResolvedConfig['tier'], string> = { dev: 'development', staging: 'staging', prod: 'production' };

/**
 * The environment of a Laravel container, in Laravel's own variable names, from what its
 * service `uses`: `DB_*` (+ `DB_READ_HOST`), `DB_PGSQL_*`, `REDIS_*`, `RABBITMQ_*`,
 * `FILESYSTEM_DISK=s3` with `AWS_BUCKET`, and `<PREFIX>_*` for external databases. Passwords and
 * keys are ECS secrets; the service's own `environment` from config comes last and wins.
 */
export function laravelWiring(config: ResolvedConfig, serviceName: string, data: StageData, scope: Construct): Wiring {
  const fromSecret = (secret: secretsmanager.ISecret, field: string) =>
    ecs.Secret.fromSecretsManager(secret.encryptionKey ? importSecret(scope, secret) : secret, field);
  const service = config.services[serviceName];
  const image = service.image;
  const major = laravelMajor(config.images[image]);
  const webHost = Object.entries(config.services).find(([, s]) => s.image === image && s.kind === 'laravel-web');
  const environment: Record<string, string> = {
    APP_ENV: APP_ENV[config.tier],
    APP_DEBUG: config.tier === 'dev' ? 'true' : 'false',
    LOG_CHANNEL: 'stderr',
    LOG_LEVEL: config.tier === 'prod' ? 'info' : 'debug',
    AWS_DEFAULT_REGION: Aws.REGION,
    // The ALB is internal and CloudFront reaches it through a VPC origin, so every proxy in
    // front of the app has an address in the VPC; the app trusts exactly that range.
    TRUSTED_PROXIES: config.network.cidr,
    // Cookies: HTTPS only, shared by the stage's hosts, named per stage so a parent domain's
    // cookie (prod's `.example.com`) never stands in for a stage's own.
    SESSION_SECURE_COOKIE: 'true',
    SESSION_DOMAIN: `.${config.domainName}`,
    SESSION_COOKIE: `${config.system}_${config.stage}_session`.replace(/-/g, '_'),
    SESSION_SAME_SITE: 'lax',
  };
  if (webHost) environment.APP_URL = `https://${serviceHost(config, webHost[0])}`;
  const frontEnds = frontEndHosts(config);
  if (frontEnds.length > 0) {
    // The front ends are other hosts of the same site (one registrable domain), so SameSite=lax
    // cookies reach the API; CORS and Sanctum must still name them.
    environment.CORS_ALLOWED_ORIGINS = frontEnds.map((h) => `https://${h}`).join(',');
    environment.SANCTUM_STATEFUL_DOMAINS = frontEnds.join(',');
  }
  const appKey = data.appKeys[image];
  if (!appKey) throw new Error(`${config.system}.${config.stage}: image '${image}' has no APP_KEY secret`);
  const secrets: Record<string, ecs.Secret> = { APP_KEY: fromSecret(appKey, 'key') };
  const grants: ((role: iam.IRole) => void)[] = [];

  for (const use of service.uses) {
    if (use === 'mysql' && data.mysql) {
      Object.assign(environment, {
        DB_CONNECTION: 'mysql',
        DB_HOST: data.mysql.endpoint,
        DB_PORT: String(data.mysql.port),
        DB_DATABASE: data.mysql.databaseName,
        MYSQL_ATTR_SSL_CA: RDS_CA_BUNDLE,
      });
      if (data.mysql.replicas.length > 0) {
        // Laravel reads from the replica and, with sticky reads, sees its own writes.
        environment.DB_READ_HOST = data.mysql.readEndpoints.join(',');
        environment.DB_STICKY = 'true';
      }
      // The app's own user, rotated with alternating users; never the master (lib/data/rds/app-users.ts).
      secrets.DB_USERNAME = fromSecret(data.mysql.appSecret, 'username');
      secrets.DB_PASSWORD = fromSecret(data.mysql.appSecret, 'password');
    } else if (use === 'postgres' && data.postgres) {
      Object.assign(environment, {
        DB_PGSQL_CONNECTION: 'pgsql',
        DB_PGSQL_HOST: data.postgres.endpoint,
        DB_PGSQL_PORT: String(data.postgres.port),
        DB_PGSQL_DATABASE: data.postgres.databaseName,
        DB_PGSQL_SSLMODE: 'verify-full',
        DB_PGSQL_SSLROOTCERT: RDS_CA_BUNDLE,
      });
      secrets.DB_PGSQL_USERNAME = fromSecret(data.postgres.appSecret, 'username');
      secrets.DB_PGSQL_PASSWORD = fromSecret(data.postgres.appSecret, 'password');
    } else if (use === 'redis' && data.redis) {
      Object.assign(environment, {
        REDIS_CLIENT: 'phpredis',
        // Neither laravel/laravel 10.x nor 11.x config/database.php reads REDIS_SCHEME; both
        // read REDIS_URL, and RedisManager::parseConnectionConfiguration turns a tls:// URL
        // into scheme 'tls'. ElastiCache with in-transit encryption accepts only TLS.
        REDIS_URL: `tls://${data.redis.endpoint}:${data.redis.port}`,
        REDIS_SCHEME: 'tls',
        REDIS_HOST: data.redis.endpoint,
        REDIS_PORT: String(data.redis.port),
      });
      if (data.redis.clusterMode) {
        environment.REDIS_CLUSTER = 'redis';
        // Laravel's queue Lua scripts touch several keys of a queue in one call (RedisQueue in
        // laravel/framework 10.x evals LuaScripts::pop on `<q>`, `<q>:reserved`, `<q>:notify`);
        // a cluster refuses keys of different slots (CROSSSLOT), even with one shard. A hash tag
        // puts all of a queue's keys in one slot.
        environment.REDIS_QUEUE = '{default}';
      }
      secrets.REDIS_PASSWORD = fromSecret(data.redis.authToken, 'token');
    } else if (use === 'rabbitmq' && data.rabbitmq && config.rabbitmq) {
      Object.assign(environment, {
        RABBITMQ_HOST: data.rabbitmq.endpoint,
        RABBITMQ_PORT: String(data.rabbitmq.port),
        RABBITMQ_VHOST: config.rabbitmq.vhost,
        // vladimir-yuldashev/laravel-queue-rabbitmq reads these in its ssl_options; 'secure' =>
        // true is set in the app's config/queue.php (the driver reads no variable for it).
        RABBITMQ_SSL_VERIFY_PEER: 'true',
      });
      secrets.RABBITMQ_USER = fromSecret(data.rabbitmq.secret, 'username');
      secrets.RABBITMQ_PASSWORD = fromSecret(data.rabbitmq.secret, 'password');
    } else if (use === 'uploads') {
      // No access keys: the AWS SDK in Laravel picks up the task role.
      Object.assign(environment, {
        FILESYSTEM_DISK: 's3',
        AWS_BUCKET: data.buckets.uploads.bucketName,
        AWS_USE_PATH_STYLE_ENDPOINT: 'false',
      });
      grants.push((role) => role.addManagedPolicy(data.uploadsAccess));
    } else if (data.externalDatabases[use]) {
      const db = data.externalDatabases[use];
      Object.assign(environment, {
        [`${db.envPrefix}_CONNECTION`]: db.engine === 'postgres' ? 'pgsql' : 'mysql',
        [`${db.envPrefix}_HOST`]: db.host,
        [`${db.envPrefix}_PORT`]: String(db.port),
        [`${db.envPrefix}_DATABASE`]: db.database,
      });
      secrets[`${db.envPrefix}_USERNAME`] = fromSecret(db.secret, 'username');
      secrets[`${db.envPrefix}_PASSWORD`] = fromSecret(db.secret, 'password');
    } else {
      throw new Error(
        `${config.system}.${config.stage}.services.${serviceName}.uses: '${use}' has no store in the data stack`,
      );
    }
  }

  for (const [key, value] of Object.entries(service.environment)) environment[key] = expandHosts(config, value);
  if (!(cacheVariable(major) in environment) && service.uses.includes('redis'))
    environment[cacheVariable(major)] = 'redis';
  // Every service of a Laravel image runs the same code (a queued mail is sent by the worker),
  // so each gets the secrets any of them declares.
  const imageSecrets = Object.values(config.services)
    .filter((s) => s.image === image)
    .reduce<AppSecretRefs>((all, s) => ({ ...all, ...s.secrets }), {});
  const own = appSecrets(imageSecrets, scope);
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

/**
 * The environment of a Next.js server: production mode on its port, its own public URL and the
 * stage's API, plus config's own and its secrets. These are read on the server at run time
 * (`NEXT_PUBLIC_*` would be baked into the image at build time; see the image contract).
 */
export function nextjsWiring(config: ResolvedConfig, serviceName: string, scope: Construct): Wiring {
  const service = config.services[serviceName];
  const environment: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(service.port ?? 3000),
    HOSTNAME: '0.0.0.0',
    NEXT_TELEMETRY_DISABLED: '1',
    SITE_URL: `https://${serviceHost(config, serviceName)}`,
  };
  const apis = Object.keys(config.services).filter((name) => config.services[name].kind === 'laravel-web');
  // Laravel serves routes/api.php under /api; one API per stage is what the seeds have.
  if (apis.length === 1) environment.API_BASE_URL = `https://${serviceHost(config, apis[0])}/api`;
  for (const [key, value] of Object.entries(service.environment)) environment[key] = expandHosts(config, value);
  const own = appSecrets(service.secrets ?? {}, scope);
  return { environment, secrets: own.secrets, grant: () => undefined, grantExecution: own.grantExecution };
}
