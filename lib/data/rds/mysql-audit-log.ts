import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/** Properties of {@link MysqlAuditLog}. */
export interface MysqlAuditLogProps {
  /** The MySQL instance to audit. */
  readonly instance: rds.DatabaseInstance;
  /** Its full engine version (`8.0.44`, `8.4.7`). */
  readonly engineVersion: string;
  /**
   * What the audit records: logins, schema changes and grants by default; `QUERY` would record
   * every statement.
   *
   * @default 'CONNECT,QUERY_DDL,QUERY_DCL'
   */
  readonly events?: string;
  /**
   * How long the exported audit log is kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The MySQL audit log, exported to CloudWatch Logs: an option group with RDS's
 * `MARIADB_AUDIT_PLUGIN` (RDS user guide, "Options for MySQL DB instances": all MySQL 8.4
 * versions, 8.0.28 and higher 8.0 versions) attached to the instance, and `audit` among its
 * log exports. Kept apart from the instance's own construct: it changes two properties of the
 * instance, both updated in place.
 */
export class MysqlAuditLog extends Construct {
  /** The option group carrying the audit plugin. */
  public readonly optionGroup: rds.OptionGroup;

  constructor(scope: Construct, id: string, props: MysqlAuditLogProps) {
    super(scope, id);
    const [major, minor, patch] = props.engineVersion.split('.').map(Number);
    if (major === 8 && minor === 0 && patch < 28) {
      throw new Error(`${this.node.path}: the audit plugin needs MySQL 8.0.28 or later (have ${props.engineVersion})`);
    }
    const engine = rds.DatabaseInstanceEngine.mysql({
      version: rds.MysqlEngineVersion.of(props.engineVersion, `${major}.${minor}`),
    });
    this.optionGroup = new rds.OptionGroup(this, 'Options', {
      engine,
      description: `${this.node.path}: MariaDB audit plugin`,
      configurations: [
        {
          name: 'MARIADB_AUDIT_PLUGIN',
          settings: { SERVER_AUDIT_EVENTS: props.events ?? 'CONNECT,QUERY_DDL,QUERY_DCL' },
        },
      ],
    });
    const cfn = props.instance.node.defaultChild as rds.CfnDBInstance;
    cfn.optionGroupName = this.optionGroup.optionGroupName;
    const exports = (cfn.enableCloudwatchLogsExports as string[] | undefined) ?? [];
    cfn.enableCloudwatchLogsExports = [...exports.filter((e) => e !== 'audit'), 'audit'];
    new logs.LogRetention(this, 'Retention', {
      logGroupName: `/aws/rds/instance/${props.instance.instanceIdentifier}/audit`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
  }
}
