import type { SystemDefinition } from '../loader';
import type { ExternalDatabaseConfig } from '../schema';

const laravel = ['mysql', 'redis', 'uploads', 'dolibarr'];
/**
 * The seed's Redis cluster carries cache, sessions and queues. The cache store follows from
 * `uses: redis` under the name Laravel 10 reads (CACHE_DRIVER); the queue name is hash-tagged.
 */
const queues = { QUEUE_CONNECTION: 'redis', SESSION_DRIVER: 'redis' };

/**
 * The read-only Dolibarr ERP database of one stage; the secret holds `username` and `password`.
 * `route` says how the VPC reaches the ERP network and `dns` how it resolves
 * `dolibarr-db.internal` (see docs/edge-and-network.md). The ids and addresses are placeholders
 * that synthesize offline: put in the real transit gateway, VPN peer and DNS servers.
 */
function dolibarr(
  stage: string,
  cidr: string,
  route: ExternalDatabaseConfig['route'],
  dns: NonNullable<ExternalDatabaseConfig['dns']>,
): ExternalDatabaseConfig {
  return {
    engine: 'mysql',
    host: 'dolibarr-db.internal',
    port: 3306,
    database: 'dolibarr',
    cidr,
    route,
    dns,
    credentials: { secretName: `shipment/${stage}/dolibarr-readonly` },
    envPrefix: 'DOLIBARR_DB',
  };
}
/** The ERP network's transit gateway, shared with the stage accounts through RAM. */
const erpTransitGateway = { kind: 'transit-gateway', transitGatewayId: 'tgw-00000000000000d01' } as const;

/**
 * ShipmentApp (its seed document, 001): N Nginx + PHP-FPM 8.1 Laravel web servers, MySQL
 * master with a read replica, a Redis cluster for cache and queues, S3 files, a CDN, and a
 * read-only link to the Dolibarr ERP database.
 *
 * Accounts, zone ids and e-mail addresses are placeholders that synthesize offline; replace
 * them with real values before the first `cdk deploy`.
 */
export const shipment: SystemDefinition = {
  name: 'shipment',
  costCenter: 'shipmentapp',
  images: {
    // nginx and PHP-FPM under supervisord in one image, as the seed runs them, but built from
    // images/shipment-web: non-root on 8080, every pid, socket and temp file under /tmp, so
    // the root file system is read-only. PHP 8.1 means Laravel 10 at most. The web service's
    // port (8080) is part of its load-balancer settings, which a CODE_DEPLOY ECS service cannot
    // change in place: on a stage already deployed on port 80 the web service must be replaced.
    web: {
      repository: 'shipmentapp/shipmentapp',
      runtime: 'laravel',
      phpVersion: '8.1',
      laravelVersion: 10,
      nginxSidecar: false,
      user: 'www-data',
      readonlyRootFilesystem: true,
    },
  },
  services: {
    web: { kind: 'laravel-web', image: 'web', host: 'api', port: 8080, uses: laravel, environment: queues },
    worker: { kind: 'laravel-worker', image: 'web', uses: laravel, environment: queues },
    scheduler: { kind: 'laravel-scheduler', image: 'web', uses: laravel, environment: queues },
  },
  mysql: { databaseName: 'shipmentapp' },
  cdn: { staticPaths: ['/build/*', '/static/*'] },
  // The seed runs a Redis cluster; cluster mode needs a replica per shard for failover.
  redis: { engine: 'valkey', engineVersion: '8.0', clusterMode: true, replicasPerShard: 1, automaticFailover: true },
  pipeline: {
    account: '888888888888',
    region: 'us-east-1',
    connectionArn: 'arn:aws:codeconnections:us-east-1:888888888888:connection/00000000-0000-0000-0000-0000005b1b00',
    repository: 'shipmentapp/shipment-infrastructure',
    branch: 'main',
  },
  stages: {
    dev: {
      account: '444444444444',
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      domainName: 'dev.shipmentapp.com',
      hostedZoneId: 'Z0000000000SHIPDEV',
      alertEmails: ['shipment-dev-alerts@example.com'],
      // The dev tier's target (README, "What it costs"): synth fails above it, and AWS Budgets
      // alerts the stage's topic at 80 % of it forecast and 100 % actual.
      budgetUsd: 150,
      network: { cidr: '10.20.0.0/16' },
      // Dev reaches a test copy of the ERP over a site-to-site VPN; the zone answers for the host.
      externalDatabases: {
        dolibarr: dolibarr(
          'dev',
          '10.200.0.0/24',
          { kind: 'vpn', customerGatewayIp: '198.51.100.10' },
          { kind: 'private-zone', address: '10.200.0.10' },
        ),
      },
    },
    staging: {
      account: '555555555555',
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      domainName: 'staging.shipmentapp.com',
      hostedZoneId: 'Z0000000000SHIPSTAGING',
      alertEmails: ['shipment-staging-alerts@example.com'],
      network: { cidr: '10.21.0.0/16' },
      // The ERP's own DNS servers answer for dolibarr-db.internal.
      externalDatabases: {
        dolibarr: dolibarr('staging', '10.200.1.0/24', erpTransitGateway, {
          kind: 'resolver',
          targetIps: ['10.200.1.2', '10.200.1.3'],
        }),
      },
      redis: { shards: 2 },
    },
    prod: {
      account: '666666666666',
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      domainName: 'shipmentapp.com',
      hostedZoneId: 'Z0000000000SHIPPROD',
      alertEmails: ['shipment-oncall@example.com'],
      network: { cidr: '10.22.0.0/16' },
      externalDatabases: {
        dolibarr: dolibarr('prod', '10.200.2.0/24', erpTransitGateway, {
          kind: 'resolver',
          targetIps: ['10.200.2.2', '10.200.2.3'],
        }),
      },
      redis: { shards: 3 },
    },
  },
};
