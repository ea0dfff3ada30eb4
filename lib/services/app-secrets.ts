import { Aws, Names } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../../config';
import { acknowledge } from '../shared/nag';
import type { StageData } from '../data/stage-data';

/** The app's own secrets of a service, by variable name, as config names them. */
export type AppSecretRefs = NonNullable<ServiceConfig['secrets']>;

/** ECS secrets and the grant the execution role needs to decrypt them. */
export interface AppSecrets {
  /** The secrets, by variable name, injected by ECS. */
  readonly secrets: Record<string, ecs.Secret>;
  /** Lets the execution role decrypt them through Secrets Manager. */
  readonly grantExecution: (role: iam.IGrantable) => void;
}

/** The condition that a key is used by Secrets Manager in the stack's region, and by nothing else. */
function viaSecretsManager(): Record<string, string> {
  return { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` };
}

/**
 * A reference, owned by `scope`, to a secret of the data stack.
 *
 * ECS grants its execution role read access to each secret. Given the data stack's own secret,
 * that grant would also write the role into the data key's policy, making the data stack refer
 * to the app stack: a cycle, and a data-stack change for every app change. The reference
 * carries no key, so the grant stays in the app stack; {@link decryptWith} adds the decrypt.
 */
export function importSecret(scope: Construct, secret: secretsmanager.ISecret): secretsmanager.ISecret {
  const id = `Secret${Names.nodeUniqueId(secret.node)}`;
  const existing = scope.node.tryFindChild(id) as secretsmanager.ISecret | undefined;
  return existing ?? secretsmanager.Secret.fromSecretCompleteArn(scope, id, secret.secretArn);
}

/**
 * A field of a data-layer secret as an ECS secret; a secret encrypted with the data key is read
 * through a reference of `scope` ({@link importSecret}).
 */
export function dataSecret(scope: Construct, secret: secretsmanager.ISecret, field: string): ecs.Secret {
  return ecs.Secret.fromSecretsManager(secret.encryptionKey ? importSecret(scope, secret) : secret, field);
}

/** Lets a role decrypt the data key's secrets through Secrets Manager, and nothing else. */
export function decryptWith(data: StageData): (role: iam.IGrantable) => void {
  return (role) =>
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [data.key.keyArn],
        conditions: { StringEquals: viaSecretsManager() },
      }),
    );
}

/** App secrets from config as ECS secrets, and the decrypt grant they need. */
export function appSecrets(refs: AppSecretRefs, scope: Construct): AppSecrets {
  const secrets: Record<string, ecs.Secret> = {};
  const statements: iam.PolicyStatement[] = [];
  for (const [name, ref] of Object.entries(refs)) {
    secrets[name] = ecs.Secret.fromSecretsManager(appSecretReference(scope, name, ref), ref.jsonKey);
    statements.push(decryptStatement(ref));
  }
  const anyKey = Object.values(refs).some((ref) => ref.keyArn === undefined);
  return {
    secrets,
    grantExecution: (role) => {
      statements.forEach((statement) => role.grantPrincipal.addToPrincipalPolicy(statement));
      if (anyKey && Construct.isConstruct(role.grantPrincipal)) {
        acknowledge(
          role.grantPrincipal,
          'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
          'An app secret named in config without keyArn may use any key of the account; the grant holds only when Secrets Manager decrypts (kms:ViaService) that very secret (kms:EncryptionContext:SecretARN). Set keyArn to narrow it to one key.',
        );
      }
    },
  };
}

/** The reference, owned by `scope`, to the existing secret an app secret names. */
function appSecretReference(scope: Construct, name: string, ref: AppSecretRefs[string]): secretsmanager.ISecret {
  const id = `AppSecret${name}`;
  const existing = scope.node.tryFindChild(id) as secretsmanager.ISecret | undefined;
  return (
    existing ??
    ('secretName' in ref
      ? secretsmanager.Secret.fromSecretNameV2(scope, id, ref.secretName)
      : secretsmanager.Secret.fromSecretCompleteArn(scope, id, ref.secretArn))
  );
}

/**
 * Decrypting one app secret. Secrets Manager decrypts with the encryption context SecretARN =
 * the secret's ARN (Secrets Manager user guide, "Secret encryption and decryption"), so without
 * a named key the grant is any key of the account, used by Secrets Manager for this secret only.
 */
function decryptStatement(ref: AppSecretRefs[string]): iam.PolicyStatement {
  const secretArn =
    'secretName' in ref
      ? `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${ref.secretName}-??????`
      : ref.secretArn;
  return new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: [ref.keyArn ?? `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
    conditions: {
      StringEquals: viaSecretsManager(),
      StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
    },
  });
}
