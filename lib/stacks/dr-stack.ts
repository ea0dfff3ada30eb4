import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StageStack, type StageStackProps } from './stage-stack';
import { drKeyAlias } from '../../config/names';

/** Properties of {@link DrStack}. */
export interface DrStackProps extends StageStackProps {
  /** Name of the vault the stage's backups are copied to; a restore runbook uses it. */
  readonly vaultName: string;
  /** The shortest time a copy is kept: the vault lock refuses to delete a copy earlier. */
  readonly minRetention: Duration;
}

/**
 * The disaster-recovery side of a stage, in another region: a vault for the copies of every
 * backup, encrypted with its own customer-managed key (a regional outage or a compromised key in
 * the stage's region leaves the copies readable), and guarded against deletion: recovery points
 * cannot be deleted through the vault's access policy, and a vault lock in governance mode keeps
 * each copy for at least the retention (AWS Backup developer guide, "AWS Backup Vault Lock").
 * Created only where config asks for a cross-region copy; the data stack depends on it.
 */
export class DrStack extends StageStack {
  /** The key the copies are encrypted with. */
  public readonly key: kms.Key;
  /** The vault the copies land in. */
  public readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { config } = props;
    this.key = new kms.Key(this, 'VaultKey', {
      description: `${config.system} ${config.stage}: disaster-recovery copies of the database backups`,
      alias: drKeyAlias(config),
      enableKeyRotation: true,
      // The copies are unreadable without it, whatever happens to this stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
      // Denies backup:DeleteRecoveryPoint and UpdateRecoveryPointLifecycle to every principal.
      blockRecoveryPointDeletion: true,
      // Governance mode (no changeableFor): an administrator can still lift it on purpose.
      lockConfiguration: { minRetention: props.minRetention },
    });
  }
}
