import * as crypto from 'crypto';
import { CfnOutput, CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Makes a change of another region's producer reach this stack's deploy.
 *
 * A cross-region value (the ALB, the buckets of the stage region, read by the us-east-1 edge)
 * is read by the consumer only when CloudFormation updates the consumer: `Fn::GetStackOutput`
 * "is resolved at stack create or update time ... the consuming stack is not automatically
 * updated" (CloudFormation template reference, Fn::GetStackOutput), and the CDK CLI skips a
 * stack whose template did not change. aws-cdk-lib's strong cross-region references do no
 * better: its SSM export writer (2.276) writes only new parameter names on update, never a new
 * value under an existing name, and the reader re-reads only when its own properties change.
 *
 * So the consumer's template carries a hash of the producers' CloudFormation definitions (logical
 * id, type, properties, policies). Whatever replaces a producer resource changes its definition,
 * which changes this output, so the CLI deploys the consumer and CloudFormation reads the
 * producer's current values again.
 *
 * @param consumer  the stack that reads the values
 * @param producers the constructs whose values it reads (L2s or their `Resource`)
 */
export function addProducerFingerprint(consumer: Stack, producers: readonly IConstruct[]): CfnOutput {
  const resources = producers.map((p) => (p instanceof CfnResource ? p : (p.node.defaultChild as CfnResource)));
  return new CfnOutput(consumer, 'ProducerFingerprint', {
    description: 'Hash of the cross-region producer resources this stack reads; changes when one of them changes',
    value: Lazy.string({ produce: () => fingerprint(resources) }),
  });
}

/** A short hash of the resolved definitions of `resources`, each in its own stack. */
export function fingerprint(resources: readonly CfnResource[]): string {
  const definitions = resources.map((r) => {
    const stack = Stack.of(r);
    // _toCloudFormation renders the resource as its stack's template will hold it.
    const rendered = (r as unknown as { _toCloudFormation(): object })._toCloudFormation();
    return { stack: stack.artifactId, resource: stack.resolve(rendered) as unknown };
  });
  return crypto.createHash('sha256').update(JSON.stringify(definitions)).digest('hex').slice(0, 16);
}
