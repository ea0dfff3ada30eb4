import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { MysqlDatabase, type MysqlDatabaseProps } from '../../../../lib/data/rds/mysql';
import { bareStack, testVpc } from '../../../helpers';

/** A MySQL database on a bare stack, and its template. */
function mysql(overrides: Partial<MysqlDatabaseProps> = {}) {
  const stack = bareStack('Data');
  const db = new MysqlDatabase(stack, 'Mysql', {
    vpc: testVpc(stack),
    encryptionKey: new kms.Key(stack, 'Key'),
    databaseName: 'app',
    engineVersion: '8.4.7',
    instanceType: 't4g.medium',
    ...overrides,
  });
  return { db, stack, template: Template.fromStack(stack) };
}

describe('MysqlDatabase', () => {
  test('refuses unencrypted connections and logs slow queries', () => {
    mysql().template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'mysql8.4',
      Parameters: { require_secure_transport: '1', slow_query_log: '1', long_query_time: '2', log_output: 'FILE' },
    });
  });

  test('has no replica by default, and each replica given shares the primary’s class and port without deletion protection', () => {
    expect(mysql().db.replicas).toEqual([]);
    const { db, template } = mysql({ readReplicas: 2, deletionProtection: true });
    expect(db.replicas).toHaveLength(2);
    expect(db.readEndpoints).toHaveLength(2);
    const replicas = Object.values(template.findResources('AWS::RDS::DBInstance')).filter(
      (r) => r.Properties.SourceDBInstanceIdentifier,
    );
    expect(replicas).toHaveLength(2);
    for (const replica of replicas) {
      expect(replica.Properties).toMatchObject({
        DBInstanceClass: 'db.t4g.medium',
        Port: '3306',
        DeletionProtection: false,
        StorageType: 'gp3',
      });
      // A replica inherits encryption from its encrypted primary; CloudFormation refuses the property.
      expect(replica.Properties.StorageEncrypted).toBeUndefined();
      expect(replica.DeletionPolicy).toBe('Delete');
    }
  });

  test('the master secret keeps its logical id when the password rules change', () => {
    const secretId = (exclude?: string) => {
      const original = rds.Credentials.fromGeneratedSecret;
      const spy = jest
        .spyOn(rds.Credentials, 'fromGeneratedSecret')
        .mockImplementation((user, options) =>
          original(user, exclude ? { ...options, excludeCharacters: exclude } : options),
        );
      try {
        const ids = Object.keys(
          mysql({
            engineVersion: '8.0.44',
            instanceType: 't4g.micro',
            deletionProtection: false,
          }).template.findResources('AWS::SecretsManager::Secret'),
        ).filter((id) => !id.includes('AppUser'));
        // The master secret (the app user's secret is generated otherwise).
        expect(ids).toHaveLength(1);
        return ids[0];
      } finally {
        spy.mockRestore();
      }
    };
    expect(secretId('"@/\\')).toBe(secretId());
  });

  test('keeps the master secret and takes a final snapshot when the database is kept', () => {
    const { template } = mysql({ removalPolicy: RemovalPolicy.SNAPSHOT });
    const primary = Object.values(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(primary.DeletionPolicy).toBe('Snapshot');
    const master = Object.entries(template.findResources('AWS::SecretsManager::Secret')).find(
      ([id]) => !id.includes('AppUser'),
    )![1];
    expect(master.DeletionPolicy).toBe('Retain');
    template.hasResource('AWS::RDS::DBSubnetGroup', { DeletionPolicy: 'Retain' });
  });

  test('a MySQL 8.0 instance enrols in Extended Support when asked', () => {
    mysql({
      engineVersion: '8.0.44',
      engineLifecycleSupport: rds.EngineLifecycleSupport.OPEN_SOURCE_RDS_EXTENDED_SUPPORT,
    }).template.hasResourceProperties('AWS::RDS::DBInstance', {
      EngineVersion: '8.0.44',
      EngineLifecycleSupport: 'open-source-rds-extended-support',
      SourceDBInstanceIdentifier: Match.absent(),
    });
  });
});
