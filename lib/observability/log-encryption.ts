import { ArnFormat, type CfnResource, type IAspect, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';
import { acknowledge, acknowledgeAwsCustomResourceProvider, nagResource } from '../shared/nag';
import { allowCloudWatchLogs } from './logs-key';

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
 *
 * Log groups that a service creates itself are no `AWS::Logs::LogGroup`: RDS makes
 * `/aws/rds/instance/<id>/<log>` when an instance starts exporting, and aws-cdk-lib only sets
 * their retention (`Custom::LogRetention`, which creates the group first when it is missing).
 * For each of those, a custom resource calls `logs:AssociateKmsKey` once the retention resource
 * has run; CloudWatch Logs encrypts what arrives from then on (CloudWatch Logs API reference,
 * AssociateKmsKey: "data ingested after the key is associated").
 */
export class EncryptLogGroups implements IAspect {
  private readonly keys = new Map<Stack, kms.Key>();

  public visit(node: IConstruct): void {
    if (node instanceof logs.LogRetention) {
      this.associate(node);
      return;
    }
    if (!(node instanceof logs.CfnLogGroup) || node.kmsKeyId !== undefined) return;
    node.kmsKeyId = this.keyOf(Stack.of(node)).keyArn;
  }

  /** Encrypts the log group a `LogRetention` manages, once the retention resource has run. */
  private associate(retention: logs.LogRetention): void {
    if (retention.node.tryFindChild('KmsKey')) return;
    const resource = retention.node.defaultChild as CfnResource;
    // LogRetention keeps its props on the custom resource only (aws-cdk-lib aws-logs/log-retention).
    const logGroupName = (resource as unknown as { _cfnProperties: { LogGroupName: string } })._cfnProperties
      .LogGroupName;
    const stack = Stack.of(retention);
    const key = this.keyOf(stack);
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${logGroupName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const call: cr.AwsSdkCall = {
      service: 'CloudWatchLogs',
      action: 'associateKmsKey',
      parameters: { logGroupName, kmsKeyId: key.keyArn },
      physicalResourceId: cr.PhysicalResourceId.of(`kms-${retention.node.addr}`),
    };
    const association = new cr.AwsCustomResource(retention, 'KmsKey', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['logs:AssociateKmsKey'], resources: [logGroupArn] }),
        // CloudWatch Logs calls KMS on the caller's behalf when it associates a key (CloudWatch
        // Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS": it "uses
        // kms:ViaService to make calls to AWS KMS on the customer's behalf"), so the caller needs
        // the key too, through CloudWatch Logs only.
        new iam.PolicyStatement({
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `logs.${stack.region}.amazonaws.com` } },
        }),
      ]),
      installLatestAwsSdk: false,
    });
    association.node.addDependency(resource);
    association.node.addDependency(key);
    acknowledge(
      association,
      `AwsSolutions-IAM5[Resource::${nagResource(stack, logGroupArn)}]`,
      'logs:AssociateKmsKey on the one log group this retention resource manages (its ARN ends in :* as log-group ARNs do).',
    );
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      acknowledge(
        association,
        `AwsSolutions-IAM5[Action::${action}]`,
        'The key actions CloudWatch Logs needs on the caller’s behalf, on the one log key, and only through CloudWatch Logs (kms:ViaService).',
      );
    }
    acknowledgeAwsCustomResourceProvider(stack);
  }

  private keyOf(stack: Stack): kms.Key {
    const existing = this.keys.get(stack);
    if (existing) return existing;
    const key = new kms.Key(stack, 'LogKey', {
      description: `${stack.stackName}: CloudWatch Logs encryption`,
      enableKeyRotation: true,
    });
    allowCloudWatchLogs(key);
    this.keys.set(stack, key);
    return key;
  }
}
