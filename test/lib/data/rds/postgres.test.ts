import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PostgresDatabase } from '../../../../lib/data/rds/postgres';
import { bareStack, testVpc } from '../../../helpers';

describe('PostgresDatabase', () => {
  const stack = bareStack('Data');
  const db = new PostgresDatabase(stack, 'Postgres', {
    vpc: testVpc(stack),
    encryptionKey: new kms.Key(stack, 'Key'),
    databaseName: 'sales',
    engineVersion: '15.15',
    instanceType: 't4g.micro',
  });
  const template = Template.fromStack(stack);

  test('refuses unencrypted connections and logs slow statements', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres15',
      Parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '2000' },
    });
  });

  test('listens on 5432, exports its logs, and has no read replica', () => {
    expect(db.port).toBe(5432);
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '15.15',
      DBName: 'sales',
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
  });
});
