import { Stage, type Stack } from 'aws-cdk-lib';

export {
  buildOfflineApp as buildTestApp,
  cdkContext,
  NO_STACK_TRACES,
  offlineApp as testApp,
} from '../lib/offline-app';

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
