import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { AppBuckets } from './buckets';
import type { ExternalDatabase } from './external-database';
import type { RabbitmqBroker } from './rabbitmq';
import type { MysqlDatabase } from './rds/mysql';
import type { PostgresDatabase } from './rds/postgres';
import type { RedisCache } from './redis';

/**
 * What a stage's services read of its data layer: endpoints, secrets, buckets and the grants
 * that reach them. The data stack implements it; the services and their wiring take this
 * interface, never the stack, so they can be built and tested on a bare stack.
 */
export interface StageData {
  /** The customer-managed key that encrypts the stage's data and secrets. */
  readonly key: kms.IKey;
  /** MySQL primary and read replicas, when the system has MySQL. */
  readonly mysql?: MysqlDatabase;
  /** PostgreSQL, when the system has it. */
  readonly postgres?: PostgresDatabase;
  /** The Redis/Valkey replication group, when the system has one. */
  readonly redis?: RedisCache;
  /** The RabbitMQ broker, when the system has one. */
  readonly rabbitmq?: RabbitmqBroker;
  /** Uploads, static assets and logs. */
  readonly buckets: AppBuckets;
  /** External databases by config key (`dolibarr`). */
  readonly externalDatabases: Readonly<Record<string, ExternalDatabase>>;
  /** Read, write and delete on the uploads bucket, for the task roles of services that use it. */
  readonly uploadsAccess: iam.IManagedPolicy;
  /** Laravel `APP_KEY` per Laravel image. */
  readonly appKeys: Readonly<Record<string, secretsmanager.ISecret>>;
}
