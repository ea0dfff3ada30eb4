import { Stack as CdkStack, Stage, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Construct } from 'constructs';
import { offlineApp as testApp } from '../lib/shared/offline-app';

// Only the App, not the whole app: a construct's test file loads no other construct.
export { cdkContext, NO_STACK_TRACES } from '../lib/shared/offline-app';
export { testApp };

/**
 * A stack's template as synthesized (its stage synthesizes once). `Template.fromStack` gives the
 * same JSON but first checks the template for dependency cycles, which on an App stack costs
 * more than the synthesis: use it where its assertions are wanted, this where JSON is.
 */
export function templateOf(stack: Stack): { [key: string]: any } {
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`${stack.node.path} is in no stage`);
  return stage.synth().getStackArtifact(stack.artifactId).template as { [key: string]: any };
}

/** The account and region every bare test stack lives in. */
export const TEST_ENV = { account: '111111111111', region: 'eu-west-1' } as const;

/**
 * A bare stack to build one construct on, aws-cdk style: an App without the CloudFormation
 * validation (starting its engine costs seconds per test file; every real stage is validated
 * by the shared fixture), asset bundling skipped, no stack traces, a fixed account and region
 * with their zones named so nothing looks them up.
 */
export function bareStack(id = 'Test', context: Record<string, unknown> = {}): Stack {
  const app = testApp(context, { validation: false });
  return new TestStack(app, id, { env: TEST_ENV });
}

/** A stack whose zones are known without a lookup. */
class TestStack extends CdkStack {
  public override get availabilityZones(): string[] {
    return ['eu-west-1a', 'eu-west-1b'];
  }
}

/** A VPC with public, private (NAT) and isolated subnets in two zones, as a stage's network has. */
export function testVpc(scope: Construct, id = 'Vpc'): ec2.Vpc {
  return new ec2.Vpc(scope, id, {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

/** A container definition of a synthesized task definition, as the tests read it. */
export type Container = {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  [key: string]: unknown;
};

/** The containers of the one task definition whose logical id starts with `prefix`. */
export function containers(t: Template, prefix: string): Container[] {
  const defs = Object.entries(t.findResources('AWS::ECS::TaskDefinition')).filter(([id]) => id.startsWith(prefix));
  expect(defs.map(([id]) => id)).toHaveLength(1);
  return defs[0][1].Properties.ContainerDefinitions as Container[];
}
