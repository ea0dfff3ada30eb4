/**
 * Generates the contract between the stacks and each image of a system, from its configuration
 * and the task definitions synthesized from it: `npm run docs` writes
 * docs/image-contract-<system>.md. A test regenerates them from the shared synthesis and fails
 * when the committed files are stale, and checks the reference images in images/ against them.
 *
 * The contract has two halves: what the stack gives a container (ports, user, writable paths,
 * every variable and secret, read from the template, not restated), and what the image must do
 * with it (per runtime and Laravel major, written here once).
 */
import * as fs from 'fs';
import * as path from 'path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { laravelMajor, SYSTEMS, type ResolvedConfig } from '../config';
import type { AppTask } from '../lib/services/app-task';
import { buildOfflineApp } from '../lib/offline-app';
import { DOCS_DIR } from '../lib/shared/paths';
import type { SystemStage } from '../lib/stages/system-stage';

/** What the stack gives one container, read from the synthesized task definition. */
export interface ContainerFacts {
  readonly name: string;
  readonly user?: string;
  readonly port?: number;
  readonly command?: string[];
  readonly healthCheck?: string;
  readonly readonlyRootFilesystem: boolean;
  readonly writablePaths: string[];
  readonly environment: Record<string, unknown>;
  readonly secrets: Record<string, unknown>;
}

interface RawContainer {
  Name: string;
  User?: string;
  Command?: string[];
  ReadonlyRootFilesystem?: boolean;
  PortMappings?: { ContainerPort: number }[];
  HealthCheck?: { Command: string[] };
  MountPoints?: { ContainerPath: string }[];
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
}

/** The containers of one task, as the template has them. */
export function containersOf(template: Template, task: AppTask): ContainerFacts[] {
  const stack = Stack.of(task);
  const id = stack.getLogicalId(task.taskDefinition.node.defaultChild as CfnElement);
  const resource = template.toJSON().Resources[id] as { Properties: { ContainerDefinitions: RawContainer[] } };
  return resource.Properties.ContainerDefinitions.map((c) => ({
    name: c.Name,
    user: c.User,
    port: c.PortMappings?.[0]?.ContainerPort,
    command: c.Command,
    healthCheck: c.HealthCheck?.Command.slice(1).join(' '),
    readonlyRootFilesystem: c.ReadonlyRootFilesystem === true,
    writablePaths: (c.MountPoints ?? []).map((m) => m.ContainerPath),
    environment: Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value])),
    secrets: Object.fromEntries((c.Secrets ?? []).map((s) => [s.Name, s.ValueFrom])),
  }));
}

/** Marks a variable the generator has no meaning for; a test keeps it out of the pages. */
export const NO_MEANING = '(no meaning written: add it to MEANINGS in scripts/image-contract.ts)';

/** What each variable means to the app, by name; `<PREFIX>` stands for an external database's prefix. */
const MEANINGS: Record<string, string> = {
  APP_ENV: 'Laravel environment: `development`, `staging` or `production` by stage.',
  APP_DEBUG: 'Debug pages; `true` only in dev.',
  APP_URL: 'The public HTTPS URL of the image’s web service; Laravel builds absolute URLs from it.',
  APP_KEY: 'Laravel’s encryption key (`base64:…`), generated per stage in the data stack.',
  LOG_CHANNEL: '`stderr`: logs go to CloudWatch through the container’s log driver.',
  LOG_LEVEL: '`info` in prod, `debug` elsewhere.',
  AWS_DEFAULT_REGION: 'The stage’s region, for the AWS SDK (S3); credentials come from the task role.',
  TRUSTED_PROXIES:
    'The VPC range. CloudFront (VPC origin) and the internal ALB reach the task from it; the app must trust it (see below).',
  SESSION_SECURE_COOKIE: '`true`: the session cookie is sent over HTTPS only.',
  SESSION_DOMAIN: 'The stage’s domain with a leading dot: the session cookie is shared by the stage’s hosts.',
  SESSION_COOKIE:
    'Session cookie name, per system and stage, so a parent domain’s cookie never stands in for this stage’s.',
  SESSION_SAME_SITE:
    '`lax`: the stage’s hosts are one site. Laravel 10 ignores it (its `config/session.php` hard-codes `lax`).',
  CORS_ALLOWED_ORIGINS:
    'The stage’s front ends (`https://…`, comma-separated); `config/cors.php` must read it (see below).',
  SANCTUM_STATEFUL_DOMAINS: 'The stage’s front-end hosts, read by Sanctum’s `config/sanctum.php` as published.',
  QUEUE_CONNECTION: 'Queue connection, from config.',
  SESSION_DRIVER: 'Session store, from config.',
  CACHE_STORE: 'Cache store (Laravel 11 and later read this name); `redis` when the service uses Redis.',
  CACHE_DRIVER: 'Cache store (Laravel 10 reads this name); `redis` when the service uses Redis.',
  DB_CONNECTION: '`mysql`.',
  DB_HOST: 'The MySQL primary’s endpoint.',
  DB_PORT: 'The MySQL port.',
  DB_DATABASE: 'The application database.',
  DB_USERNAME:
    'MySQL app user (its own, not the master; alternates with `app_clone` on rotation), from its Secrets Manager secret.',
  DB_USERS_BOOTSTRAP:
    'Migration task only: the PHP program (`php -r`, PDO) that creates or updates the app’s own database user(s) before `migrate` runs; generated by `lib/data/rds/app-users.ts`. The image needs the `pdo_mysql`/`pdo_pgsql` extensions.',
  DB_ADMIN_USERNAME: 'Migration task only: the MySQL master user, to create the app user; services never get it.',
  DB_ADMIN_PASSWORD: 'Migration task only: the MySQL master password (rotated in place every 30 days).',
  DB_PGSQL_ADMIN_USERNAME: 'Migration task only: the PostgreSQL master user, to create the app user.',
  DB_PGSQL_ADMIN_PASSWORD: 'Migration task only: the PostgreSQL master password (rotated in place every 30 days).',
  DB_PASSWORD: 'MySQL password, from its Secrets Manager secret; a rotated password reaches new tasks only.',
  MYSQL_ATTR_SSL_CA: 'The RDS CA bundle in the image; PDO verifies the server with it (TLS is required).',
  DB_READ_HOST: 'Read replicas’ endpoints, comma-separated: `config/database.php` must split it into `read.host`.',
  DB_STICKY: '`true`: after a write, reads in the same request go to the primary.',
  DB_PGSQL_CONNECTION: '`pgsql`: the second connection (sales data).',
  DB_PGSQL_HOST: 'The PostgreSQL endpoint.',
  DB_PGSQL_PORT: 'The PostgreSQL port.',
  DB_PGSQL_DATABASE: 'The PostgreSQL database.',
  DB_PGSQL_SSLMODE: '`verify-full`.',
  DB_PGSQL_SSLROOTCERT: 'The RDS CA bundle in the image.',
  DB_PGSQL_USERNAME: 'PostgreSQL user, from its Secrets Manager secret.',
  DB_PGSQL_PASSWORD: 'PostgreSQL password, from its Secrets Manager secret.',
  REDIS_CLIENT: '`phpredis`: the image needs the `redis` extension.',
  REDIS_URL:
    '`tls://<endpoint>:<port>`. Laravel 10 and 11’s default `config/database.php` read `REDIS_URL` (not `REDIS_SCHEME`), and a `tls://` URL sets the TLS scheme; ElastiCache accepts TLS only.',
  REDIS_SCHEME: '`tls`, for a `config/database.php` that reads `scheme` from it; the defaults do not.',
  REDIS_HOST: 'The ElastiCache endpoint (configuration endpoint in cluster mode).',
  REDIS_PORT: 'The ElastiCache port.',
  REDIS_PASSWORD: 'The ElastiCache AUTH token, from its Secrets Manager secret.',
  REDIS_CLUSTER: '`redis`: phpredis’s native cluster client (cluster mode only).',
  REDIS_QUEUE:
    '`{default}`: the hash-tagged queue name. Laravel’s queue scripts touch `queues:<name>` and `queues:<name>:reserved` in one call, which a cluster refuses (`CROSSSLOT`) unless both share a hash tag.',
  RABBITMQ_HOST: 'The Amazon MQ broker’s host, read by vladimir-yuldashev/laravel-queue-rabbitmq’s `hosts`.',
  RABBITMQ_PORT: '`5671`: AMQPS; the broker accepts TLS only.',
  RABBITMQ_VHOST: 'The virtual host.',
  RABBITMQ_USER: 'Broker user, from its Secrets Manager secret.',
  RABBITMQ_PASSWORD: 'Broker password, from its Secrets Manager secret.',
  RABBITMQ_SSL_VERIFY_PEER: '`true`, read by the driver’s `options.ssl_options.verify_peer`.',
  FILESYSTEM_DISK: '`s3`: uploads go to the stage’s bucket.',
  AWS_BUCKET: 'The uploads bucket; the task role may read and write it (no access keys).',
  AWS_USE_PATH_STYLE_ENDPOINT: '`false`: virtual-hosted S3 addressing.',
  '<PREFIX>_CONNECTION': 'External read-only database: driver (`mysql` or `pgsql`).',
  '<PREFIX>_HOST': 'External read-only database: host.',
  '<PREFIX>_PORT': 'External read-only database: port.',
  '<PREFIX>_DATABASE': 'External read-only database: database name.',
  '<PREFIX>_USERNAME': 'External read-only database: user, from the existing secret named in config.',
  '<PREFIX>_PASSWORD': 'External read-only database: password, from the existing secret named in config.',
  NODE_ENV: '`production`.',
  PORT: 'The port the Next.js server listens on.',
  HOSTNAME: '`0.0.0.0`: the standalone server listens on every interface (the ALB reaches the task’s address).',
  NEXT_TELEMETRY_DISABLED: '`1`.',
  SITE_URL: 'This front end’s own public HTTPS URL, read on the server at run time.',
  API_BASE_URL: 'The stage’s Laravel API (`https://<api host>/api`), read on the server at run time.',
};

function meaning(name: string, config: ResolvedConfig, service: ResolvedConfig['services'][string]): string {
  if (MEANINGS[name]) return MEANINGS[name];
  const ref = service.secrets?.[name];
  if (ref) {
    const source = 'secretName' in ref ? `\`${ref.secretName}\`` : `\`${ref.secretArn}\``;
    return `App secret from the existing Secrets Manager secret ${source}${ref.jsonKey ? `, JSON key \`${ref.jsonKey}\`` : ''}.`;
  }
  if (name in service.environment) return 'Set in config (`environment`).';
  for (const db of Object.values(config.externalDatabases)) {
    if (name.startsWith(`${db.envPrefix}_`)) {
      const generic = MEANINGS[`<PREFIX>_${name.slice(db.envPrefix.length + 1)}`];
      if (generic) return generic;
    }
  }
  return NO_MEANING;
}

function show(value: unknown): string {
  if (typeof value !== 'string') return '(deploy-time value)';
  // A program (the database-user bootstrap) would swamp the table: say what it is instead.
  if (value.includes('\n') || value.length > 160) return `(${value.split('\n').length} lines of PHP; see the meaning)`;
  return `\`${value}\``;
}

const TARGETS = (nginx: boolean) =>
  [
    '`test`: runs the test suite (Laravel: `composer install`, `php artisan test`; Next.js: `npm ci`, `npm test`); the pipeline builds it first, and a failure stops the build.',
    '`app`: the image the services run.',
    ...(nginx ? ['`nginx`: the sidecar, pushed as `<image>-nginx`.'] : []),
  ].map((t) => `- ${t}`);

function mustDoLaravel(config: ResolvedConfig, imageKey: string, env: Record<string, unknown>): string[] {
  const image = config.images[imageKey];
  const major = laravelMajor(image);
  const web = Object.values(config.services).find((s) => s.image === imageKey && s.kind === 'laravel-web');
  const lines = [
    `- **Laravel ${major}** (PHP ${image.phpVersion ?? 'per image'}).${major === 10 ? ' Laravel 11 needs PHP 8.2; the variable names above are the ones Laravel 10 reads.' : ''}`,
    '- **PHP-FPM passes the environment on**: set `clear_env = no` in the pool; PHP-FPM otherwise clears it and Laravel sees none of the variables above.',
    '- **Entrypoint**: create `storage/framework/{cache/data,sessions,views}`, `storage/logs` and `bootstrap/cache` (empty task volumes), then `php artisan config:cache` from the task’s environment, then start.',
    '- **Writable paths** are task volumes on a read-only root: declare each as a `VOLUME` owned by the image’s user (ECS copies a `VOLUME` path’s contents and ownership; otherwise the volume is root-owned `0755`).',
    '- **TLS everywhere**: the RDS CA bundle at `/etc/ssl/certs/rds-global-bundle.pem`; `ca-certificates` for ElastiCache and Amazon MQ.',
  ];
  if (web && major === 10) {
    lines.push(
      `- **Health route**: Laravel 10 has no \`/up\`; serve \`${web.healthCheckPath}\` with a 200 and no session or database work, e.g. \`Route::get('${web.healthCheckPath}', fn () => response('ok'));\` in \`routes/web.php\`.`,
    );
  } else if (web) {
    lines.push(
      `- **Health route**: \`${web.healthCheckPath}\`, Laravel 11’s built-in \`withRouting(health: '/up')\` in \`bootstrap/app.php\`.`,
    );
  }
  // Laravel's TrustProxies middleware resolves `$this->proxies() ?: config('trustedproxy.proxies')`
  // and splits a string on commas (laravel/framework src/Illuminate/Http/Middleware/TrustProxies.php).
  lines.push(
    `- **Trusted proxies**: add \`config/trustedproxy.php\` returning \`['proxies' => env('TRUSTED_PROXIES')]\`; Laravel's \`TrustProxies\` middleware reads it when no proxies are set in code. ${
      major === 10
        ? 'Laravel 10: leave `$proxies` unset in `App\\Http\\Middleware\\TrustProxies` (or return the variable from its `proxies()` method) and keep its `HEADER_X_FORWARDED_*` headers.'
        : "Laravel 11: don't pass `at:` to `$middleware->trustProxies()` in `bootstrap/app.php` (or pass `at: env('TRUSTED_PROXIES')`)."
    } Without it Laravel builds \`http://\` URLs and sees every client as the load balancer; the deploy's smoke test fails on an \`http://\` link to the host.`,
  );
  if (env.CORS_ALLOWED_ORIGINS !== undefined) {
    lines.push(
      "- **CORS and Sanctum**: `config/cors.php` reads `'allowed_origins' => explode(',', env('CORS_ALLOWED_ORIGINS', ''))` with `'supports_credentials' => true` (the default file allows `*` without credentials); `config/sanctum.php` reads `SANCTUM_STATEFUL_DOMAINS` as published.",
    );
  }
  if (env.REDIS_URL !== undefined) {
    lines.push(
      "- **Redis**: keep `'url' => env('REDIS_URL')` in each connection of `config/database.php` (the defaults have it): it carries the `tls://` scheme.",
    );
  }
  if (env.REDIS_CLUSTER !== undefined) {
    lines.push(
      "- **Redis cluster**: `config/database.php` must define the connections under `'clusters'`, e.g. `'clusters' => ['options' => ['password' => env('REDIS_PASSWORD')], 'default' => [['url' => env('REDIS_URL'), 'database' => 0]], 'cache' => [['url' => env('REDIS_URL'), 'database' => 0]]]`, with `'options' => ['cluster' => env('REDIS_CLUSTER', 'redis')]`, and **no** top-level `'default'` or `'cache'` keys: `RedisManager::resolve()` looks at those before `clusters`. phpredis’s cluster client takes the AUTH token from the cluster `options` (`PhpRedisConnector::createRedisClusterInstance`), not from each seed, and each seed’s `tls://` URL gives it TLS. The Redis queue keeps `'queue' => env('REDIS_QUEUE', 'default')` in `config/queue.php`, so jobs go to `{default}`; a job dispatched to another queue needs a hash-tagged name too (`{emails}`).",
    );
  }
  if (env.RABBITMQ_HOST !== undefined) {
    lines.push(
      "- **RabbitMQ**: the queue driver is `vladimir-yuldashev/laravel-queue-rabbitmq`. Its connection in `config/queue.php` reads `RABBITMQ_HOST`, `RABBITMQ_PORT`, `RABBITMQ_USER`, `RABBITMQ_PASSWORD` and `RABBITMQ_VHOST` in `hosts`, sets `'secure' => true` (the driver reads no variable for it; Amazon MQ speaks AMQPS only) and `'options' => ['ssl_options' => ['verify_peer' => env('RABBITMQ_SSL_VERIFY_PEER', true)]]`.",
    );
  }
  if (env.DB_READ_HOST !== undefined) {
    lines.push(
      "- **Read replicas**: the `mysql` connection has `'read' => ['host' => explode(',', env('DB_READ_HOST', env('DB_HOST')))], 'write' => ['host' => [env('DB_HOST')]], 'sticky' => env('DB_STICKY', true)`.",
    );
  }
  return lines;
}

const MUST_DO_NEXTJS = [
  "- **Stage values at run time.** The pipeline builds one image and promotes it through every stage, and Next.js inlines `NEXT_PUBLIC_*` into the bundles at build time, so those can never differ per stage (config refuses them). Read `API_BASE_URL` and `SITE_URL` from `process.env` on the server at request time: in a server component or route handler that renders dynamically (`await connection()` from `next/server`, or `export const dynamic = 'force-dynamic'`), and hand what the browser needs to client components as props, or serve it from a small `/api/config` route the client fetches once.",
  "- **Standalone server**: `output: 'standalone'` in `next.config`; the image runs `node server.js`, which reads `PORT` and `HOSTNAME`.",
  '- **Writable paths**: `.next/cache` and `/tmp`, declared as `VOLUME`s owned by the image’s user.',
  '- **Static files** under the CDN’s static paths come from the assets bucket, not from the server (see above): publish `.next/static` to the bucket as `_next/static` when the image is built.',
];

/** The Markdown contract of every image of one system, from a synthesized stage. */
export function contractPage(stage: SystemStage, template: Template): string {
  const config = stage.data.config;
  const lines = [
    `# ${config.system}: image contract`,
    '',
    `Generated from \`config/systems/${config.system}.ts\` and the synthesized ${config.stage} task definitions by \`npm run docs\`; do not edit by hand. Values are ${config.stage}’s; other stages differ only in hosts, endpoints and sizes.`,
    '',
    'Reference images that satisfy this contract are in [`images/`](../images/); a test checks them against it.',
    '',
  ];
  for (const [key, image] of Object.entries(config.images)) {
    const services = Object.entries(config.services).filter(([, s]) => s.image === key);
    if (services.length === 0) continue;
    const tasks: [string, AppTask][] =
      image.runtime === 'laravel'
        ? [
            ...services.map(([name]) => [name, stage.app.laravel[key].tasks[name]] as [string, AppTask]),
            ['migrations (one-off)', stage.app.laravel[key].migrationTask],
          ]
        : services.map(([name]) => [name, stage.app.nextjs[name].task]);
    const [webName, webService] = services.find(([, s]) => s.host) ?? services[0];
    const webTask = tasks.find(([name]) => name === webName)![1];
    const [app, sidecar] = containersOf(template, webTask);
    const serving = sidecar ?? app;

    lines.push(`## \`${key}\` (${image.runtime === 'laravel' ? 'Laravel, PHP-FPM' : 'Next.js'})`, '');
    lines.push(
      `Built from \`${image.repository}\`; pushed to the ECR repository \`${key}\`${image.nginxSidecar ? ` and \`${key}-nginx\`` : ''}.`,
      '',
    );
    lines.push('### Build targets', '', ...TARGETS(image.nginxSidecar === true), '');
    lines.push(
      '### Containers',
      '',
      sidecar ? '| | application | nginx sidecar |' : '| | application |',
      sidecar ? '| --- | --- | --- |' : '| --- | --- |',
    );
    const row = (label: string, a: string, b?: string) =>
      lines.push(sidecar ? `| ${label} | ${a} | ${b ?? ''} |` : `| ${label} | ${a} |`);
    row(
      'user',
      app.user ? `\`${app.user}\`` : 'the image’s `USER`',
      sidecar?.user ? `\`${sidecar.user}\`` : 'the image’s `USER`',
    );
    row(
      'port',
      app.port ? `\`${app.port}\` (HTTP, from the ALB)` : 'none (FastCGI on `127.0.0.1:9000`)',
      serving.port ? `\`${serving.port}\` (HTTP, from the ALB)` : undefined,
    );
    row(
      'health path',
      webService.healthCheckPath ? `\`${webService.healthCheckPath}\`${sidecar ? ' (through nginx)' : ''}` : '—',
      sidecar ? `\`${webService.healthCheckPath}\`` : undefined,
    );
    row(
      'container health check',
      app.healthCheck ? `\`${app.healthCheck}\`` : '—',
      sidecar?.healthCheck ? `\`${sidecar.healthCheck}\`` : undefined,
    );
    row(
      'root file system',
      app.readonlyRootFilesystem ? 'read-only' : 'writable',
      sidecar ? (sidecar.readonlyRootFilesystem ? 'read-only' : 'writable') : undefined,
    );
    row(
      'writable paths',
      app.writablePaths.map((p) => `\`${p}\``).join(', ') || '—',
      sidecar ? sidecar.writablePaths.map((p) => `\`${p}\``).join(', ') || '—' : undefined,
    );
    lines.push('');
    lines.push('| service | command |', '| --- | --- |');
    for (const [name, task] of tasks) {
      const [container] = containersOf(template, task);
      lines.push(`| ${name} | ${container.command ? `\`${container.command.join(' ')}\`` : 'the image’s `CMD`'} |`);
    }
    lines.push('');
    if (config.cdn.staticPaths.length > 0) {
      lines.push(
        '### Static asset paths',
        '',
        `CloudFront serves ${config.cdn.staticPaths.map((p) => `\`${p}\``).join(', ')} from the stage’s assets bucket; those requests never reach the image, so its build must publish those files to the bucket under the same paths.`,
        '',
      );
    }

    const environment: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [, task] of tasks) {
      const [container] = containersOf(template, task);
      for (const [k, v] of Object.entries(container.environment)) if (!(k in environment)) environment[k] = v;
      Object.assign(secrets, container.secrets);
    }
    const service = webService;
    lines.push('### Environment', '', '| variable | value | meaning |', '| --- | --- | --- |');
    for (const name of Object.keys(environment).sort()) {
      lines.push(
        `| \`${name}\` | ${show(app.environment[name] ?? environment[name])} | ${meaning(name, config, service)} |`,
      );
    }
    lines.push(
      '',
      '### Secrets (ECS injects them at task start; a rotated value reaches new tasks only)',
      '',
      '| variable | meaning |',
      '| --- | --- |',
    );
    for (const name of Object.keys(secrets).sort()) lines.push(`| \`${name}\` | ${meaning(name, config, service)} |`);
    if (Object.keys(secrets).length === 0) lines.splice(lines.length - 2, 2, 'None.');
    lines.push('', '### What the image must do', '');
    lines.push(...(image.runtime === 'laravel' ? mustDoLaravel(config, key, environment) : MUST_DO_NEXTJS), '');
  }
  return lines.join('\n');
}

/** Where a system's contract lives. */
export function contractPath(system: string): string {
  return path.join(DOCS_DIR, `image-contract-${system}.md`);
}

/** The stage a contract is drawn from. */
export const CONTRACT_STAGE = 'prod';

if (require.main === module) {
  void (async () => {
    // The stacks package build/lambda/<handler>; bundle them as the test suite's setup does.
    const bundler = './build-lambdas.mjs';
    const { buildLambdas } = (await import(bundler)) as { buildLambdas: () => Promise<void> };
    await buildLambdas();
    // Templates only: the pages read task definitions, not cdk-nag's or the validator's findings.
    const { stages } = buildOfflineApp({ stages: [CONTRACT_STAGE] }, { compliance: false, validation: false });
    for (const system of SYSTEMS) {
      const stage = stages.find((s) => s.data.config.system === system.name)!;
      fs.writeFileSync(contractPath(system.name), contractPage(stage, Template.fromStack(stage.app)));
      console.log(`wrote ${path.relative(process.cwd(), contractPath(system.name))}`);
    }
  })();
}
