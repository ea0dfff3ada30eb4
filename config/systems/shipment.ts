import type { SystemDefinition } from '../loader';

const laravel = ['mysql', 'redis', 'uploads', 'dolibarr'];
/** The seed's Redis cluster carries cache and queues. */
const queues = { QUEUE_CONNECTION: 'redis', CACHE_STORE: 'redis', SESSION_DRIVER: 'redis' };

/** The read-only Dolibarr ERP database of one stage; the secret holds `username` and `password`. */
function dolibarr(stage: string, cidr: string) {
  return {
    engine: 'mysql',
    host: 'dolibarr-db.internal',
    port: 3306,
    database: 'dolibarr',
    cidr,
    credentials: { secretName: `shipment/${stage}/dolibarr-readonly` },
    envPrefix: 'DOLIBARR_DB',
  } as const;
}

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
    // The seed's image runs nginx and PHP-FPM under supervisord on port 80, as root, writing
    // pid and socket files across the file system: it serves HTTP itself and needs a writable root.
    web: {
      repository: 'shipmentapp/shipmentapp',
      runtime: 'laravel',
      phpVersion: '8.1',
      nginxSidecar: false,
      readonlyRootFilesystem: false,
    },
  },
  services: {
    web: { kind: 'laravel-web', image: 'web', host: 'api', healthCheckPath: '/up', uses: laravel, environment: queues },
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
      network: { cidr: '10.20.0.0/16' },
      externalDatabases: { dolibarr: dolibarr('dev', '10.200.0.0/24') },
    },
    staging: {
      account: '555555555555',
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      domainName: 'staging.shipmentapp.com',
      hostedZoneId: 'Z0000000000SHIPSTAGING',
      alertEmails: ['shipment-staging-alerts@example.com'],
      network: { cidr: '10.21.0.0/16' },
      externalDatabases: { dolibarr: dolibarr('staging', '10.200.1.0/24') },
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
      externalDatabases: { dolibarr: dolibarr('prod', '10.200.2.0/24') },
      redis: { shards: 3 },
    },
  },
};
