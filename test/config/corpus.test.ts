import { ConfigError, resolveAll, resolvePipeline, type SystemDefinition } from '../../config';
import { csl } from '../../config/systems/csl';
import { shipment } from '../../config/systems/shipment';
import { edited } from './edits';

/**
 * Bad config is named, never silent, never a crash: many careless edits of the real system
 * files, each of which must be refused with a ConfigError whose every line is
 * `<system>.<stage or pipeline>.<path>: <what is wrong and the fix>`, one line, no stack trace,
 * no path into lib/.
 */

const SYSTEMS = { csl, shipment } as const;
type SystemName = keyof typeof SYSTEMS;

/** Every problem of a system: its stages (each, and across them) and its pipeline. */
function problemsOfSystem(system: SystemDefinition): string[] | 'accepted' {
  const problems: string[] = [];
  for (const resolve of [() => resolveAll([system]), () => resolvePipeline(system)]) {
    try {
      resolve();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  return problems.length > 0 ? problems : 'accepted';
}

function expectNamed(name: SystemName, edit: (d: any) => void): void {
  const system = edited(SYSTEMS[name], edit);
  let problems: string[] | 'accepted';
  try {
    problems = problemsOfSystem(system);
  } catch (err) {
    throw new Error(`crashed instead of naming the problem: ${(err as Error).stack}`);
  }
  expect(problems).not.toBe('accepted');
  const line = new RegExp(`^${name}\\.([a-z][a-z0-9-]*|pipeline)\\.[\\w.-]+: \\S`);
  for (const problem of problems as string[]) {
    expect(problem).toMatch(line);
    // The loader's last resort for an error a rule did not expect: a crash in disguise.
    expect(problem).not.toMatch(/could not be read/);
    expect(problem).not.toMatch(/\n|lib\/|    at /);
  }
}

/** Paths of every value in a system file, except the name and the stage and pipeline containers. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const own = prefix.length > 0 && !['stages', 'pipeline'].includes(prefix.join('.')) && !isStageEntry(prefix);
  const children = Object.keys(value).flatMap((key) =>
    prefix.length === 0 && key === 'name' ? [] : pathsOf((value as Record<string, unknown>)[key], [...prefix, key]),
  );
  return own ? [prefix, ...children] : children;
}
const isStageEntry = (path: string[]) => path.length === 2 && path[0] === 'stages';

/** Values of another type than the one a path holds. */
function wrongTypes(original: unknown): unknown[] {
  if (Array.isArray(original)) return [null, 'x', { a: 1 }];
  if (typeof original === 'object' && original !== null) return [null, 'x', 42, []];
  if (typeof original === 'number') return [null, 'x', [], true];
  if (typeof original === 'boolean') return [null, 'yes', 1];
  return [null, 42, {}, []];
}

function set(draft: any, path: string[], value: unknown): void {
  const parent = path.slice(0, -1).reduce((node, key) => node[key], draft);
  parent[path.at(-1)!] = value;
}

const get = (root: unknown, path: string[]) => path.reduce<any>((node, key) => node[key], root);

describe.each(Object.keys(SYSTEMS) as SystemName[])('%s: a value of the wrong type anywhere', (name) => {
  const cases = pathsOf(SYSTEMS[name]).flatMap((path) =>
    wrongTypes(get(SYSTEMS[name], path)).map((value) => [path.join('.'), JSON.stringify(value), path, value] as const),
  );
  test.each(cases)('%s = %s is named', (_label, _shown, path, value) => {
    expectNamed(name, (d) => set(d, path as string[], value));
  });
});

/** Hand-made mistakes: unknown keys at several depths, empty lists, out-of-range numbers, conflicts. */
const EDITS: readonly [string, SystemName, (d: any) => void][] = [
  ['an unknown top-level key', 'csl', (d) => (d.databse = {})],
  ['an unknown key in a stage', 'csl', (d) => (d.stages.dev.regoin = 'eu-west-1')],
  ['an unknown key in a store', 'shipment', (d) => (d.mysql.multiAZ = true)],
  ['an unknown key in a service', 'csl', (d) => (d.services.api.replicas = 2)],
  ['an unknown key in an image', 'csl', (d) => (d.images.api.dockerfile = 'Dockerfile')],
  ['an unknown key in an external database', 'shipment', (d) => (d.stages.dev.externalDatabases.dolibarr.ssl = true)],
  ['an unknown key in a route', 'shipment', (d) => (d.stages.prod.externalDatabases.dolibarr.route.region = 'x')],
  [
    'an unknown key in a secret',
    'csl',
    (d) => (d.services.api.secrets = { MAIL_PASSWORD: { secretName: 'a', key: 'b' } }),
  ],
  ['an unknown key in the pipeline', 'csl', (d) => (d.pipeline.repo = 'a/b')],
  ['an unknown key in the deployment alarms', 'csl', (d) => (d.deployment = { alarms: { errors: 1 } })],
  ['an unknown key in a backup copy', 'csl', (d) => (d.stages.prod.backup.crossRegionCopy.vault = 'x')],
  ['no zones', 'csl', (d) => (d.stages.dev.availabilityZones = [])],
  ['one zone', 'csl', (d) => (d.stages.dev.availabilityZones = ['eu-west-1a'])],
  [
    'four zones',
    'shipment',
    (d) => (d.stages.prod.availabilityZones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d']),
  ],
  ['a zone twice', 'csl', (d) => (d.stages.dev.availabilityZones = ['eu-west-1a', 'eu-west-1a'])],
  ['no alert address in prod', 'csl', (d) => (d.stages.prod.alertEmails = [])],
  ['an alert address that is not one', 'csl', (d) => (d.stages.dev.alertEmails = ['oncall'])],
  ['no services', 'csl', (d) => (d.services = {})],
  ['no images', 'csl', (d) => (d.images = {})],
  ['an empty migrate command', 'csl', (d) => (d.images.api.migrateCommand = [])],
  ['an empty resolver list', 'shipment', (d) => (d.stages.staging.externalDatabases.dolibarr.dns.targetIps = [])],
  ['an empty pipeline order', 'csl', (d) => (d.pipeline.order = [])],
  ['an account of 11 digits', 'csl', (d) => (d.stages.dev.account = '11111111111')],
  ['zero tasks at most', 'csl', (d) => (d.services.api.maxTasks = 0)],
  ['negative tasks', 'csl', (d) => (d.services.api.minTasks = -1)],
  ['fractional tasks', 'csl', (d) => (d.services.api.maxTasks = 2.5)],
  ['a port above 65535', 'csl', (d) => (d.services.api.port = 70000)],
  ['six read replicas', 'csl', (d) => (d.mysql.readReplicas = 6)],
  ['storage below 20 GiB', 'csl', (d) => (d.postgres.allocatedStorageGiB = 10)],
  [
    'max storage below allocated',
    'csl',
    (d) => (d.mysql = { ...d.mysql, allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 }),
  ],
  ['backups kept 40 days', 'csl', (d) => (d.mysql.backupRetentionDays = 40)],
  ['a log retention CloudWatch does not offer', 'csl', (d) => (d.logRetentionDays = 10)],
  ['a CPU target of 100 %', 'csl', (d) => (d.scaling = { cpuTargetPercent: 100 })],
  ['a job timeout above 110 s', 'shipment', (d) => (d.services.worker.jobTimeoutSeconds = 300)],
  ['a rate limit below 10', 'csl', (d) => (d.cdn.rateLimitPerIp = 5)],
  ['a body limit above 64 KB', 'csl', (d) => (d.cdn.maxBodyBytes = 100_000)],
  [
    'eleven body limits',
    'csl',
    (d) => (d.cdn.bodyLimits = Array.from({ length: 11 }, (_, i) => ({ pathPrefix: `/u${i}`, maxBodyBytes: 1 }))),
  ],
  [
    'a body limit listed twice',
    'csl',
    (d) => (d.cdn.bodyLimits = [1, 2].map(() => ({ pathPrefix: '/u', maxBodyBytes: 1 }))),
  ],
  ['a deploy timeout of 120 min', 'csl', (d) => (d.deployment = { timeoutMinutes: 120 })],
  ['a migration timeout past the budget', 'csl', (d) => (d.stages.prod.deployment = { migrationTimeoutMinutes: 40 })],
  ['a VPC of /24', 'csl', (d) => (d.stages.dev.network.cidr = '10.10.0.0/24')],
  ['a VPC with host bits', 'csl', (d) => (d.stages.dev.network.cidr = '10.10.0.1/16')],
  ['a public VPC range', 'csl', (d) => (d.stages.dev.network.cidr = '8.8.0.0/16')],
  ['more NAT gateways than zones', 'csl', (d) => (d.stages.dev.network.natGateways = 3)],
  ['zero NAT gateways', 'csl', (d) => (d.stages.dev.network.natGateways = 0)],
  ['an unknown interface endpoint', 'csl', (d) => (d.stages.prod.network.interfaceEndpoints = ['s3'])],
  ['shards without cluster mode', 'csl', (d) => (d.redis.shards = 2)],
  ['cluster mode without failover', 'shipment', (d) => (d.redis.automaticFailover = false)],
  ['failover without replicas', 'shipment', (d) => (d.redis.replicasPerShard = 0)],
  ['ten shards', 'shipment', (d) => (d.stages.prod.redis.shards = 10)],
  ['an unknown Valkey version', 'csl', (d) => (d.redis.engineVersion = '7.0')],
  ['an unknown MySQL minor', 'csl', (d) => (d.mysql.engineVersion = '8.4.2')],
  ['MySQL 8.0 without Extended Support', 'csl', (d) => (d.mysql.engineVersion = '8.0.46')],
  ['a bare MySQL major', 'csl', (d) => (d.mysql.engineVersion = '8')],
  ['a db. prefix on an instance class', 'csl', (d) => (d.mysql.instanceType = 'db.t4g.micro')],
  ['a broker type RabbitMQ 4.2 does not run on', 'csl', (d) => (d.rabbitmq.engineVersion = '4.2')],
  [
    'a micro broker in a cluster',
    'csl',
    (d) =>
      (d.stages.staging.rabbitmq.instanceType = 'mq.t3.micro') &&
      (d.stages.staging.rabbitmq.deploymentMode = 'CLUSTER_MULTI_AZ'),
  ],
  ['a broker name with a space', 'csl', (d) => (d.stages.dev.rabbitmq.brokerName = 'csl dev')],
  ['a CPU of 3000', 'csl', (d) => (d.services.api.cpu = 3000)],
  ['memory Fargate does not pair with the CPU', 'csl', (d) => (d.services.admin.memoryMiB = 8192)],
  ['a lower-case variable', 'csl', (d) => (d.services.api.environment = { queue: 'x' })],
  ['a variable starting with a digit', 'csl', (d) => (d.services.api.environment = { '1PASSWORD': 'x' })],
  ['a plaintext app secret', 'csl', (d) => (d.services.api.secrets = { MAIL_PASSWORD: 'hunter2' })],
  ['an AWS key id in a value', 'shipment', (d) => (d.services.web.environment = { S3_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' })],
  ['a Stripe key in a value', 'csl', (d) => (d.services.api.environment = { STRIPE: 'sk_live_0123456789abcdef' })],
  ['a private key in a value', 'csl', (d) => (d.services.api.environment = { CERT: '-----BEGIN PRIVATE KEY-----' })],
  ['DB_PASSWORD in environment', 'shipment', (d) => (d.services.web.environment = { DB_PASSWORD: 'x' })],
  ['REDIS_PASSWORD in secrets', 'shipment', (d) => (d.services.web.secrets = { REDIS_PASSWORD: { secretName: 'x' } })],
  ['a URL with a password', 'csl', (d) => (d.services.admin.environment = { URL: 'https://a:b@c.example.com' })],
  ['NEXT_PUBLIC_ at run time', 'csl', (d) => (d.services.admin.environment = { NEXT_PUBLIC_X: '1' })],
  ['CACHE_STORE on Laravel 10', 'shipment', (d) => (d.services.web.environment = { CACHE_STORE: 'redis' })],
  ['a host placeholder naming no host', 'csl', (d) => (d.services.admin.environment = { API: '{host:nope}' })],
  ['a store the system lacks', 'shipment', (d) => (d.services.web.uses = ['postgres'])],
  ['a store listed twice', 'csl', (d) => (d.services.api.uses = ['mysql', 'mysql'])],
  ['a Next.js service using a store', 'csl', (d) => (d.services.certification.uses = ['redis'])],
  ['a service on an unknown image', 'csl', (d) => (d.services.api.image = 'backend')],
  ['a Laravel service on a Next.js image', 'csl', (d) => (d.services.worker.image = 'admin')],
  ['a misspelt service kind', 'csl', (d) => (d.services.worker.kind = 'laravel-wroker')],
  ['a web service without a host', 'csl', (d) => delete d.services.admin.host],
  ['a worker with a host', 'csl', (d) => (d.services.worker.host = 'worker')],
  ['a host outside the domain', 'csl', (d) => (d.services.admin.host = 'admin.example.org')],
  ['two services on one host', 'csl', (d) => (d.services.admin.host = 'certification')],
  ['two schedulers', 'csl', (d) => (d.services.cron = { kind: 'laravel-scheduler', image: 'api' })],
  ['a scheduler of two tasks', 'csl', (d) => (d.services.scheduler.maxTasks = 2)],
  [
    'two Laravel web services for one image',
    'csl',
    (d) => (d.services.api2 = { kind: 'laravel-web', image: 'api', host: 'api2' }),
  ],
  [
    'five images',
    'csl',
    (d) =>
      ['a', 'b'].forEach(
        (k) => ((d.images[k] = { ...d.images.admin }), (d.services[k] = { kind: 'nextjs', image: k, host: k })),
      ),
  ],
  ['an image no web service runs', 'csl', (d) => (d.images.spare = { ...d.images.admin })],
  ['Laravel settings on a Next.js image', 'csl', (d) => (d.images.admin.phpVersion = '8.3')],
  ['Laravel 11 on PHP 8.1', 'shipment', (d) => (d.images.web.laravelVersion = 11)],
  ['/up on Laravel 10', 'shipment', (d) => (d.services.web.healthCheckPath = '/up')],
  ['a health path without a slash', 'csl', (d) => (d.services.admin.healthCheckPath = 'health')],
  ['migrating a store the stage lacks', 'shipment', (d) => (d.images.web.migrates = ['postgres'])],
  [
    'an external range inside the VPC',
    'shipment',
    (d) => (d.stages.dev.externalDatabases.dolibarr.cidr = '10.20.0.0/24'),
  ],
  [
    'a resolver address outside the routed range',
    'shipment',
    (d) => (d.stages.prod.externalDatabases.dolibarr.dns.targetIps = ['10.9.9.9']),
  ],
  ['an external host name nothing resolves', 'shipment', (d) => delete d.stages.dev.externalDatabases.dolibarr.dns],
  [
    'an unknown route kind',
    'shipment',
    (d) => (d.stages.prod.externalDatabases.dolibarr.route = { kind: 'direct-connect' }),
  ],
  ['a plaintext external password', 'shipment', (d) => (d.stages.dev.externalDatabases.dolibarr.password = 'x')],
  ['a lower-case env prefix', 'shipment', (d) => (d.stages.dev.externalDatabases.dolibarr.envPrefix = 'dolibarr')],
  ['a backup copy to its own region', 'csl', (d) => (d.stages.prod.backup.crossRegionCopy.region = 'eu-west-1')],
  ['prod without deletion protection', 'csl', (d) => (d.stages.prod.removal = { deletionProtection: false })],
  ['Spot in prod', 'csl', (d) => (d.stages.prod.scaling = { spot: true })],
  ['a NAT instance in prod', 'shipment', (d) => (d.stages.prod.network.nat = 'instance')],
  ['prod on the staging tier', 'csl', (d) => (d.stages.prod.tier = 'staging')],
  ['an unknown tier', 'csl', (d) => (d.stages.dev.tier = 'test')],
  [
    'a stage the pipeline does not place',
    'csl',
    (d) =>
      (d.stages.qa = {
        ...d.stages.staging,
        tier: 'staging',
        domainName: 'qa.cfpcsl.com',
        hostedZoneId: 'Z0000000000CSLQA',
        network: { cidr: '10.13.0.0/16' },
      }),
  ],
  ['a region typo', 'csl', (d) => (d.stages.dev.region = 'eu-wset-1')],
  ['a zone of another region', 'csl', (d) => (d.stages.dev.availabilityZones = ['eu-west-1a', 'us-east-1a'])],
  ['a pipeline region typo', 'shipment', (d) => (d.pipeline.region = 'us-esat-1')],
  ['a pipeline account of letters', 'csl', (d) => (d.pipeline.account = 'tooling')],
  ['a pipeline branch other than main', 'csl', (d) => (d.pipeline.branch = 'develop')],
  [
    'a connection ARN of another service',
    'csl',
    (d) => (d.pipeline.connectionArn = 'arn:aws:iam::777777777777:role/x'),
  ],
  ['the same domain in two stages', 'csl', (d) => (d.stages.staging.domainName = 'cfpcsl.com')],
  ['the same zone in two stages', 'shipment', (d) => (d.stages.dev.hostedZoneId = 'Z0000000000SHIPPROD')],
  [
    'overlapping VPCs in one account',
    'csl',
    (d) => (d.stages.staging.account = '111111111111') && (d.stages.staging.network.cidr = '10.10.0.0/16'),
  ],
  ['a VPC over the ERP network', 'shipment', (d) => (d.stages.dev.network.cidr = '10.200.0.0/16')],
];

describe('hand-made mistakes', () => {
  test.each(EDITS)('%s (%s) is named', (_what, name, edit) => expectNamed(name, edit));
});
