import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { DatabaseBackups, type DatabaseBackupsProps } from '../../../lib/data/backups';
import { bareStack } from '../../helpers';

/** Backups of one imported database on a bare stack. */
function backups(overrides: Partial<DatabaseBackupsProps> = {}): Template {
  const stack = bareStack('Data');
  const db = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
    instanceIdentifier: 'db-1',
    instanceEndpointAddress: 'db-1.example.com',
    port: 3306,
    securityGroups: [],
  });
  new DatabaseBackups(stack, 'Backups', {
    databases: [db],
    retention: Duration.days(35),
    encryptionKey: new kms.Key(stack, 'Key'),
    ...overrides,
  });
  return Template.fromStack(stack);
}

describe('DatabaseBackups', () => {
  test('backs the databases up daily at 03:00 UTC into an encrypted vault kept on delete', () => {
    const t = backups();
    t.hasResource('AWS::Backup::BackupVault', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EncryptionKeyArn: Match.anyValue() }),
    });
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: Match.anyValue(),
        BackupPlanRule: [
          Match.objectLike({
            RuleName: 'Daily',
            ScheduleExpression: 'cron(0 3 * * ? *)',
            Lifecycle: { DeleteAfterDays: 35 },
            CopyActions: [],
          }),
        ],
      },
    });
    t.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [Match.stringLikeRegexp(':db:db-1')] }),
    });
  });

  test('copies each backup into the DR vault and may use only the key carrying the DR alias', () => {
    const t = backups({ copyTo: { region: 'eu-central-1', vaultName: 'dr-vault', keyAlias: 'alias/dr' } });
    t.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({
        BackupPlanRule: [
          Match.objectLike({
            CopyActions: [
              {
                DestinationBackupVaultArn: 'arn:aws:backup:eu-central-1:111111111111:backup-vault:dr-vault',
                Lifecycle: { DeleteAfterDays: 35 },
              },
            ],
          }),
        ],
      }),
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/dr' } } }),
        ]),
      },
    });
  });

  test('refuses to back up nothing', () => {
    expect(() => backups({ databases: [] })).toThrow(/no database to back up/);
  });
});
