import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Lets CloudWatch Logs of the key's region use a customer-managed key for log groups whose ARN
 * matches `logGroupArn`, as the CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs
 * using AWS KMS", prescribes: the principal `logs.<region>.amazonaws.com`, limited by the
 * encryption context `kms:EncryptionContext:aws:logs:arn`.
 *
 * @param logGroupArn the log groups allowed, an ARN pattern; @default every log group of the
 *   key's account and region (`arn:<partition>:logs:<region>:<account>:log-group:*`)
 */
export function allowCloudWatchLogs(key: kms.IKey, logGroupArn?: string): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn':
            logGroupArn ?? `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
}
