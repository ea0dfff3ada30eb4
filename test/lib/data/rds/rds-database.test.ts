import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PostgresDatabase } from '../../../../lib/data/rds/postgres';
import { performanceInsights, type RdsDatabaseProps } from '../../../../lib/data/rds/rds-database';
import { bareStack, testVpc } from '../../../helpers';

/** What every RDS database shares, seen through a PostgreSQL one. */
function database(overrides: Partial<RdsDatabaseProps> = {}, consumer?: string) {
  const stack = bareStack('Data');
  const key = new kms.Key(stack, 'Key');
  const vpc = testVpc(stack);
  const db = new PostgresDatabase(stack, 'Db', {
    vpc,
    encryptionKey: key,
    databaseName: 'sales',
    engineVersion: '15.15',
    instanceType: 'm7g.large',
    ...overrides,
  });
  if (consumer) db.allowFrom(new ec2.SecurityGroup(stack, 'Consumer', { vpc }), consumer);
  return { stack, vpc, db, template: Template.fromStack(stack) };
}

describe('RdsDatabase', () => {
  test('runs in the isolated subnets, encrypted with the given key, private, with IAM auth and enhanced monitoring', () => {
    const { template } = database();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
      MonitoringInterval: 60,
      AutoMinorVersionUpgrade: true,
      AllowMajorVersionUpgrade: true,
      CopyTagsToSnapshot: true,
      StorageType: 'gp3',
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
    const subnets = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0].Properties.SubnetIds;
    expect(JSON.stringify(subnets)).toContain('IsolatedSubnet');
  });

  test('storage starts at 20 GiB and may grow to twice that unless a ceiling is given', () => {
    database().template.hasResourceProperties('AWS::RDS::DBInstance', {
      AllocatedStorage: '20',
      MaxAllocatedStorage: 40,
    });
    database({ allocatedStorageGiB: 50, maxAllocatedStorageGiB: 500 }).template.hasResourceProperties(
      'AWS::RDS::DBInstance',
      { AllocatedStorage: '50', MaxAllocatedStorage: 500 },
    );
  });

  test('admits only its rotation functions until a consumer is allowed, then that consumer on the database port', () => {
    const rules = (t: Template) =>
      Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(rules(database().template).map((r) => r.Description)).toEqual([
      expect.stringMatching(/RotationSingleUser/),
      expect.stringMatching(/AppUserRotation/),
    ]);
    expect(rules(database({}, 'api service').template)).toContainEqual(
      expect.objectContaining({ FromPort: 5432, ToPort: 5432, Description: 'api service' }),
    );
  });

  test('rotates the master password every 30 days, and the app user with alternating users, not at once', () => {
    const { template } = database();
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    // The multi-user rotation logs in as the master to change the other user's password.
    template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({ masterSecretArn: Match.anyValue() }),
    });
  });

  test('keeps backups for the given days in the night window', () => {
    database({ backupRetention: Duration.days(14) }).template.hasResourceProperties('AWS::RDS::DBInstance', {
      BackupRetentionPeriod: 14,
      PreferredBackupWindow: '02:00-03:00',
    });
  });

  test('a disposable database deletes its subnet and parameter groups with it', () => {
    const { template } = database({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
    template.hasResource('AWS::RDS::DBSubnetGroup', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::RDS::DBParameterGroup', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
  });

  test('Performance Insights is on, encrypted with the data key, except on micro and small burstable classes', () => {
    const stack = bareStack();
    const key = new kms.Key(stack, 'Key');
    expect(performanceInsights('t4g.micro', key)).toEqual({ enablePerformanceInsights: false });
    expect(performanceInsights('t3.small', key)).toEqual({ enablePerformanceInsights: false });
    expect(performanceInsights('t4g.medium', key)).toMatchObject({
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: key,
    });
  });
});
