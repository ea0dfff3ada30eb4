import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
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

/**
 * How cdk-nag prints a resource in an IAM5 finding id: literals as they are, `{ Ref: X }` as
 * `<X>`, `{ Fn::GetAtt: [X, Y] }` as `<X.Y>`, joined.
 */
export function nagResource(stack: Stack, value: unknown): string {
  const render = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const obj = node as Record<string, unknown>;
    if ('Ref' in obj) return `<${String(obj.Ref)}>`;
    if ('Fn::GetAtt' in obj) return `<${(obj['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in obj) {
      const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return JSON.stringify(node);
  };
  return render(stack.resolve(value));
}

/**
 * Acknowledges what a custom-resource provider framework (aws-cdk-lib's `cr.Provider`, as used
 * by `@cdklabs/cdk-ecs-codedeploy`) brings: the AWS-managed basic execution policy of its
 * functions, invoke grants on function versions, and a waiter state machine whose logging and
 * tracing the framework does not expose.
 */
export function acknowledgeProviderFramework(scope: IConstruct, owner: string): void {
  const stack = Stack.of(scope);
  acknowledge(
    scope,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    `${owner}: the provider's functions use the AWS-maintained basic execution policy, which only lets them write their own logs.`,
  );
  acknowledge(
    scope,
    'AwsSolutions-IAM5[Resource::*]',
    `${owner}: the provider's waiter and its functions call APIs without resource-level permissions (X-Ray, log delivery).`,
  );
  acknowledge(
    scope,
    'AwsSolutions-SF1',
    `${owner}: the provider framework's waiter state machine has no logging option; each step's function logs to CloudWatch.`,
  );
  acknowledge(
    scope,
    'AwsSolutions-SF2',
    `${owner}: the provider framework's waiter state machine has no tracing option.`,
  );
  for (const child of scope.node.findAll()) {
    if (!(child instanceof lambda.Function)) continue;
    const id = stack.getLogicalId(child.node.defaultChild as CfnResource);
    acknowledge(
      scope,
      `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
      `${owner}: invoking any version of the provider's own function, as the framework grants.`,
    );
  }
}

/**
 * Acknowledges every wildcard (AwsSolutions-IAM5) finding of the IAM policies inside `scope`,
 * one finding at a time, with one reason. Meant for constructs whose roles hold only the
 * standard grants of AWS services on the construct's own resources (a pipeline's artifact
 * bucket, key, log and report groups); call it last, once every grant is in place.
 */
export function acknowledgeWildcardGrants(scope: IConstruct, reason: string): void {
  const stack = Stack.of(scope);
  const findings = new Set<string>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof iam.CfnPolicy)) continue;
    const document = stack.resolve(child.policyDocument) as { Statement?: { Action?: unknown; Resource?: unknown }[] };
    for (const statement of document.Statement ?? []) {
      for (const action of ([] as unknown[]).concat(statement.Action ?? [])) {
        if (typeof action === 'string' && action.includes('*')) findings.add(`Action::${action}`);
      }
      for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
        const rendered = nagResource(stack, resource);
        if (rendered.includes('*')) findings.add(`Resource::${rendered}`);
      }
    }
  }
  for (const finding of findings) acknowledge(scope, `AwsSolutions-IAM5[${finding}]`, reason);
}

/**
 * Explains the findings on the function behind aws-cdk-lib's `AwsCustomResource` (one per stack):
 * the AWS-managed basic execution policy and a runtime aws-cdk-lib chooses.
 */
export function acknowledgeAwsCustomResourceProvider(stack: Stack): void {
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider) return;
  acknowledge(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The AWS-maintained basic execution policy of the aws-cdk-lib AwsCustomResource function: its own logs only.',
  );
  acknowledge(
    provider,
    'AwsSolutions-L1',
    'The aws-cdk-lib AwsCustomResource function; aws-cdk-lib picks its runtime.',
  );
}
