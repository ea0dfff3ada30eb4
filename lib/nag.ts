import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag or template-validation finding on one construct (and its children),
 * with the reason a reviewer needs. The id is the rule (`AwsSolutions-RDS2`), or a single
 * finding of a rule (`AwsSolutions-IAM5[Resource::*]`).
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the findings on the log-retention function aws-cdk-lib adds to a stack when a
 * construct sets a retention on a log group it does not own (RDS engine-log exports).
 */
export function acknowledgeLogRetentionFunction(stack: Stack): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('LogRetention')) continue;
    acknowledge(
      child,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "aws-cdk-lib's log-retention function: the AWS-maintained basic execution policy only lets it write its own logs.",
    );
    acknowledge(
      child,
      'AwsSolutions-IAM5[Resource::*]',
      'RDS names the log groups of engine-log exports when the instance is created, so the retention function cannot be scoped to an ARN known at synth time.',
    );
  }
}
