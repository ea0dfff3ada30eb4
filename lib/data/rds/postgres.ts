import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../../shared/nag';
import { RdsDatabase, type RdsDatabaseProps } from './rds-database';

/** Properties of {@link PostgresDatabase}. */
export type PostgresDatabaseProps = RdsDatabaseProps;

/** RDS PostgreSQL 15: CSL's sales database. `rds.force_ssl` refuses unencrypted connections. */
export class PostgresDatabase extends RdsDatabase {
  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    const major = props.engineVersion.split('.')[0];
    super(scope, id, props, {
      engine: rds.DatabaseInstanceEngine.postgres({
        version: rds.PostgresEngineVersion.of(props.engineVersion, major),
      }),
      defaultPort: 5432,
      parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '2000' },
      logExports: ['postgresql', 'upgrade'],
      masterUsername: 'dbadmin',
    });
    acknowledge(
      this.primary,
      'AwsSolutions-RDS11',
      'Laravel and its drivers expect 5432; the security group admits only the app services, so a non-default port would add no protection.',
    );
  }
}
