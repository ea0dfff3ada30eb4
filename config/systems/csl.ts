import type { SystemDefinition } from '../loader';

const laravel = ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads'];

/**
 * CSL certification platform (`../shared/seeds/000_*.txt`): a Laravel API on PHP-FPM 8.3, two
 * Next.js front ends, MySQL 8.0, PostgreSQL 15 (sales data), Redis 7 and RabbitMQ 3.
 *
 * Accounts, zone ids and e-mail addresses are placeholders that synthesize offline; replace
 * them with real values before the first `cdk deploy`.
 */
export const csl: SystemDefinition = {
  name: 'csl',
  costCenter: 'csl-certification',
  images: {
    api: { repository: 'csl-platform/CSL-Certification-Rest-API', runtime: 'laravel', phpVersion: '8.3' },
    certification: { repository: 'csl-platform/CSL-Certification', runtime: 'nextjs' },
    admin: { repository: 'csl-platform/CSL-Sales-Website', runtime: 'nextjs' },
  },
  services: {
    api: { kind: 'laravel-web', image: 'api', host: 'api', healthCheckPath: '/up', uses: laravel },
    worker: { kind: 'laravel-worker', image: 'api', uses: laravel },
    scheduler: { kind: 'laravel-scheduler', image: 'api', uses: laravel },
    certification: { kind: 'nextjs', image: 'certification', host: 'certification' },
    admin: { kind: 'nextjs', image: 'admin', host: 'admin' },
  },
  mysql: { databaseName: 'csl_certification' },
  postgres: { databaseName: 'csl_sales' },
  redis: { engine: 'valkey', engineVersion: '8.0', clusterMode: false },
  rabbitmq: { vhost: '/' },
  stages: {
    dev: {
      account: '111111111111',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      domainName: 'dev.cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLDEV',
      alertEmails: ['csl-dev-alerts@example.com'],
      network: { cidr: '10.10.0.0/16' },
    },
    staging: {
      account: '222222222222',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      domainName: 'staging.cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLSTAGING',
      alertEmails: ['csl-staging-alerts@example.com'],
      network: { cidr: '10.11.0.0/16' },
    },
    prod: {
      account: '333333333333',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      domainName: 'cfpcsl.com',
      hostedZoneId: 'Z0000000000CSLPROD',
      alertEmails: ['csl-oncall@example.com'],
      network: { cidr: '10.12.0.0/16' },
    },
  },
};
