import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge, nagResource } from '../shared/nag';

/** Properties of {@link DatabaseBackups}. */
export interface DatabaseBackupsProps {
  /** The databases to back up (primaries; replicas hold nothing of their own). */
  readonly databases: rds.IDatabaseInstance[];
  /** How long each backup is kept. */
  readonly retention: Duration;
  /** Key that encrypts the vault. */
  readonly encryptionKey: kms.IKey;
  /**
   * A vault in another region (config validates it is another) that receives a copy of every backup.
   *
   * @default - no copy
   */
  readonly copyTo?: {
    readonly region: string;
    readonly vaultName: string;
    /** Alias of the destination vault's key, which the copying role must be able to use. */
    readonly keyAlias: string;
  };
  /**
   * What happens to the vault when it leaves the stack (a vault with backups is never deleted).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * AWS Backup for the databases, next to RDS's own automated backups: a daily backup at 03:00
 * UTC into an encrypted vault, kept per tier, and optionally copied to a vault in another
 * region so a regional outage does not take the backups with it.
 */
export class DatabaseBackups extends Construct {
  /** The vault the backups land in. */
  public readonly vault: backup.BackupVault;
  /** The plan. */
  public readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: DatabaseBackupsProps) {
    super(scope, id);
    if (props.databases.length === 0) throw new Error(`${this.node.path}: no database to back up`);
    const stack = Stack.of(this);
    this.vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const copyActions: backup.BackupPlanCopyActionProps[] = props.copyTo
      ? [
          {
            destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
              this,
              'CopyVault',
              `arn:${stack.partition}:backup:${props.copyTo.region}:${stack.account}:backup-vault:${props.copyTo.vaultName}`,
            ),
            deleteAfter: props.retention,
          },
        ]
      : [];
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: props.retention,
          copyActions,
        }),
      ],
    });
    const selection = this.plan.addSelection('Databases', {
      resources: props.databases.map((db) => backup.BackupResource.fromRdsDatabaseInstance(db)),
    });
    if (props.copyTo) {
      // The copy is encrypted with the DR vault's own key. Granted by alias (`kms:ResourceAliases`)
      // because the key's id lives in another region's stack; AWS KMS developer guide, "Use aliases
      // to control access to KMS keys".
      const keys = `arn:${stack.partition}:kms:${props.copyTo.region}:${stack.account}:key/*`;
      selection.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'kms:DescribeKey',
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:CreateGrant',
          ],
          resources: [keys],
          conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': props.copyTo.keyAlias } },
        }),
      );
      acknowledge(
        selection,
        `AwsSolutions-IAM5[Resource::${nagResource(stack, keys)}]`,
        'Limited to the one key carrying the DR alias (kms:ResourceAliases); its id is not known in this region.',
      );
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        acknowledge(
          selection,
          `AwsSolutions-IAM5[Action::${action}]`,
          'The key operations an encrypted cross-region copy needs (ReEncryptFrom/To, GenerateDataKey(WithoutPlaintext)), on the DR key only.',
        );
      }
    }
    acknowledge(
      selection,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      'The AWS-maintained policy AWS Backup needs to take backups of the selected resources.',
    );
  }
}
