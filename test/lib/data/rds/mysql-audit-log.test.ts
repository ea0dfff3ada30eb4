import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { MysqlAuditLog } from '../../../../lib/data/rds/mysql-audit-log';
import { MysqlDatabase } from '../../../../lib/data/rds/mysql';
import { bareStack, testVpc } from '../../../helpers';

/** A MySQL database with its audit log, and its template. */
function audited(engineVersion: string): Template {
  const stack = bareStack('Data');
  const db = new MysqlDatabase(stack, 'Mysql', {
    vpc: testVpc(stack),
    encryptionKey: new kms.Key(stack, 'Key'),
    databaseName: 'app',
    engineVersion,
    instanceType: 't4g.medium',
  });
  new MysqlAuditLog(stack, 'Audit', { instance: db.primary, engineVersion });
  return Template.fromStack(stack);
}

describe('MysqlAuditLog', () => {
  test('attaches the MariaDB audit plugin to the instance and exports its log, kept a year', () => {
    const t = audited('8.4.7');
    t.hasResourceProperties('AWS::RDS::OptionGroup', {
      EngineName: 'mysql',
      MajorEngineVersion: '8.4',
      OptionConfigurations: [
        {
          OptionName: 'MARIADB_AUDIT_PLUGIN',
          OptionSettings: [{ Name: 'SERVER_AUDIT_EVENTS', Value: 'CONNECT,QUERY_DDL,QUERY_DCL' }],
        },
      ],
    });
    const instance = Object.values(t.findResources('AWS::RDS::DBInstance'))[0].Properties;
    expect(instance.OptionGroupName).toEqual({ Ref: expect.stringMatching(/^AuditOptions/) });
    expect(instance.EnableCloudwatchLogsExports).toEqual(['error', 'slowquery', 'audit']);
    t.hasResourceProperties('Custom::LogRetention', { RetentionInDays: 365 });
  });

  test('refuses a MySQL 8.0 older than 8.0.28, which has no audit plugin', () => {
    expect(() => audited('8.0.27')).toThrow(/needs MySQL 8\.0\.28 or later/);
  });
});
