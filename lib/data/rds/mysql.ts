import { RemovalPolicy } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../../shared/nag';
import { RdsDatabase, type RdsDatabaseProps } from './rds-database';

/** Properties of {@link MysqlDatabase}. */
export interface MysqlDatabaseProps extends RdsDatabaseProps {
  /**
   * Read replicas to create next to the primary; Laravel reads from them (`DB_READ_HOST`).
   * At most 5 (config validates it).
   *
   * @default 0
   */
  readonly readReplicas?: number;
}

/**
 * RDS MySQL (8.4, or 8.0 in Extended Support): the seeds' "MySQL primary" and its "MySQL slave" read replicas.
 * `require_secure_transport` refuses unencrypted connections.
 */
export class MysqlDatabase extends RdsDatabase {
  /** The read replicas, in order. */
  public readonly replicas: rds.DatabaseInstanceReadReplica[] = [];

  constructor(scope: Construct, id: string, props: MysqlDatabaseProps) {
    const major = props.engineVersion.split('.').slice(0, 2).join('.');
    super(scope, id, props, {
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.of(props.engineVersion, major) }),
      defaultPort: 3306,
      parameters: {
        require_secure_transport: '1',
        slow_query_log: '1',
        long_query_time: '2',
        log_output: 'FILE',
      },
      logExports: ['error', 'slowquery'],
      masterUsername: 'dbadmin',
    });
    for (let i = 1; i <= (props.readReplicas ?? 0); i++) this.replicas.push(this.addReadReplica(i));
    acknowledge(
      this.primary,
      'AwsSolutions-RDS11',
      'Laravel and its drivers expect 3306; the security group admits only the app services, so a non-default port would add no protection.',
    );
  }

  /** The `index`th read replica, sharing the primary's class, storage, groups and monitoring. */
  private addReadReplica(index: number): rds.DatabaseInstanceReadReplica {
    const replica = new rds.DatabaseInstanceReadReplica(this, `ReadReplica${index}`, {
      ...this.sharedInstanceProps,
      sourceDatabaseInstance: this.primary,
      // A replica holds no data of its own and RDS cannot snapshot one on delete.
      removalPolicy: RemovalPolicy.DESTROY,
      // Deletion protection would make CloudFormation fail to delete the replica when
      // readReplicas is lowered (DeleteDBInstance refuses a protected instance); the data is on
      // the protected primary. Lowering readReplicas still takes two deploys: the App stack
      // imports each replica's endpoint (strong reference), and CloudFormation will not delete
      // an export in use, so a one-step change fails the Data update. `npm run diff` reports
      // it (findExportsInUse in lib/guard/guard.ts); docs/operations-over-time.md has the steps.
      deletionProtection: false,
    });
    acknowledge(
      replica,
      'AwsSolutions-RDS10',
      'A read replica holds no data of its own; without deletion protection lowering readReplicas removes it instead of failing the update.',
    );
    acknowledge(
      replica,
      'AwsSolutions-RDS2',
      'A replica inherits encryption (and the KMS key) from its encrypted primary; CloudFormation rejects StorageEncrypted on a replica.',
    );
    acknowledge(
      replica,
      'AwsSolutions-RDS11',
      'Replicas listen on the same port as the primary, so one DB_PORT serves both connections; the security group admits only the app services.',
    );
    acknowledge(
      replica,
      'AwsSolutions-RDS3',
      'A read replica has no Multi-AZ setting of its own; availability comes from the Multi-AZ primary and from Laravel falling back to it.',
    );
    return replica;
  }

  /** Host names of the read replicas, for `DB_READ_HOST`. */
  public get readEndpoints(): string[] {
    return this.replicas.map((r) => r.dbInstanceEndpointAddress);
  }
}
