import type { SystemDefinition } from '../loader';

const laravel = ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads'];
/**
 * Jobs go through RabbitMQ (vladimir-yuldashev/laravel-queue-rabbitmq); sessions through Redis.
 * The cache store follows from `uses: redis`, under the name the image's Laravel reads.
 */
const queues = { QUEUE_CONNECTION: 'rabbitmq', SESSION_DRIVER: 'redis' };

/**
 * CSL certification platform (its seed document, 000): a Laravel API on PHP-FPM 8.3, two
 * Next.js front ends, MySQL 8.0, PostgreSQL 15 (sales data), Redis 7 and RabbitMQ 3.
 *
 * Accounts, zone ids and e-mail addresses are placeholders that synthesize offline; replace
 * them with real values before the first `cdk deploy`.
 */
export const csl: SystemDefinition = {
  name: 'csl',
  costCenter: 'csl-certification',
  images: {
    // PHP-FPM 8.3 behind an nginx sidecar, as in the seed's Compose file (nginx + backend).
    api: {
      repository: 'csl-platform/CSL-Certification-Rest-API',
      runtime: 'laravel',
      phpVersion: '8.3',
      laravelVersion: 11,
      nginxSidecar: true,
      user: 'www-data',
      readonlyRootFilesystem: true,
    },
    certification: {
      repository: 'csl-platform/CSL-Certification',
      runtime: 'nextjs',
      user: 'nextjs',
      readonlyRootFilesystem: true,
    },
    admin: {
      repository: 'csl-platform/CSL-Sales-Website',
      runtime: 'nextjs',
      user: 'nextjs',
      readonlyRootFilesystem: true,
    },
  },
  services: {
    api: { kind: 'laravel-web', image: 'api', host: 'api', uses: laravel, environment: queues },
    worker: { kind: 'laravel-worker', image: 'api', uses: laravel, environment: queues },
    scheduler: { kind: 'laravel-scheduler', image: 'api', uses: laravel, environment: queues },
    certification: {
      kind: 'nextjs',
      image: 'certification',
      host: 'certification',
      healthCheckPath: '/',
    },
    admin: { kind: 'nextjs', image: 'admin', host: 'admin' },
  },
  mysql: { databaseName: 'csl_certification' },
  postgres: { databaseName: 'csl_sales' },
  redis: { engine: 'valkey', engineVersion: '8.0', clusterMode: false },
  rabbitmq: { vhost: '/' },
  cdn: { staticPaths: ['/_next/static/*', '/build/*'] },
  pipeline: {
    account: '777777777777',
    region: 'eu-west-1',
    connectionArn: 'arn:aws:codeconnections:eu-west-1:777777777777:connection/00000000-0000-0000-0000-00000000c51a',
    repository: 'csl-platform/csl-infrastructure',
    branch: 'main',
  },
  stages: {
    dev: {
      account: '111111111111',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      domainName: 'dev.cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLDEV',
      alertEmails: ['csl-dev-alerts@example.com'],
      // The dev tier's target (README, "What it costs"): synth fails above it, and AWS Budgets
      // alerts the stage's topic at 80 % of it forecast and 100 % actual.
      budgetUsd: 150,
      network: { cidr: '10.10.0.0/16' },
      // The name the deployed broker was created with; a new name would replace it.
      rabbitmq: { brokerName: 'CslDevData-Rabbitmq-5CAF76AA' },
    },
    staging: {
      account: '222222222222',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      domainName: 'staging.cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLSTAGING',
      alertEmails: ['csl-staging-alerts@example.com'],
      network: { cidr: '10.11.0.0/16' },
      rabbitmq: { brokerName: 'CslStagingData-Rabbitmq-5F792842' },
    },
    prod: {
      account: '333333333333',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      domainName: 'cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLPROD',
      // Disaster recovery: every backup is copied to a vault the Csl-Prod/Dr stack creates in
      // Frankfurt. 'csl-prod-dr' was made by hand; its copies expire on their own (migration guide).
      backup: { crossRegionCopy: { region: 'eu-central-1', vaultName: 'csl-prod-disaster-recovery' } },
      alertEmails: ['csl-oncall@example.com'],
      network: { cidr: '10.12.0.0/16' },
      rabbitmq: { brokerName: 'CslProdData-Rabbitmq-E65B6A16' },
    },
  },
};
