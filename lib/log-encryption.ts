import { type IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

/**
 * Encrypts every log group of a stack with a customer-managed key of that stack (`LogKey`), for
 * stages whose logs may hold personal data (prod). An aspect, so log groups made by any
 * construct, including those aws-cdk-lib adds, are covered without each construct knowing.
 *
 * CloudWatch Logs uses the key as `logs.<region>.amazonaws.com`, and only for log groups of this
 * account and region (`kms:EncryptionContext:aws:logs:arn`), as the CloudWatch Logs user guide,
 * "Encrypt log data in CloudWatch Logs using AWS KMS", prescribes. Adding `KmsKeyId` to an
 * existing log group is an update (AssociateKmsKey), not a replacement; data logged before stays
 * readable.
 */
export class EncryptLogGroups implements IAspect {
  private readonly keys = new Map<Stack, kms.Key>();

  public visit(node: IConstruct): void {
    if (!(node instanceof logs.CfnLogGroup) || node.kmsKeyId !== undefined) return;
    node.kmsKeyId = this.keyOf(Stack.of(node)).keyArn;
  }

  private keyOf(stack: Stack): kms.Key {
    const existing = this.keys.get(stack);
    if (existing) return existing;
    const key = new kms.Key(stack, 'LogKey', {
      description: `${stack.stackName}: CloudWatch Logs encryption`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    this.keys.set(stack, key);
    return key;
  }
}
