import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PipelineConfig, ResolvedConfig } from '../../config';
import { ImageRepositories } from '../pipeline/image-repositories';
import { buildableImages } from '../../config/names';
import { tagToolingStack } from './stage-stack';

/** Properties of {@link RegistryStack}. */
export interface RegistryStackProps extends StackProps {
  /** The system's name; repositories are named `<system>/<image>`. */
  readonly system: string;
  /** Where the pipeline runs: the registry lives in the same account and region. */
  readonly pipeline: PipelineConfig;
  /** The system's stages: their accounts may pull. */
  readonly stages: readonly ResolvedConfig[];
}

/**
 * The image registry of one system, in the tooling account next to its pipeline (`Csl-Registry`).
 * It exists before the first build because `cdk deploy Csl-Pipeline` deploys it first (the
 * pipeline stack depends on it). Every build pushes here once; every stage's tasks pull the same
 * image by its commit tag, cross-account, so what prod runs is byte for byte what dev tested.
 * Stateful (images are rollback targets): repositories are retained when the stack goes.
 */
export class RegistryStack extends Stack {
  /** One repository per buildable image. */
  public readonly images: ImageRepositories;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.pipeline.account, region: props.pipeline.region },
      description: `${props.system}: image registry (the pipeline pushes, the stage accounts pull)`,
      terminationProtection: true,
    });
    tagToolingStack(this, props.system, props.stages[0]?.costCenter ?? props.system);
    this.images = new ImageRepositories(this, 'Images', {
      images: [...new Set(props.stages.flatMap((s) => buildableImages(s)))],
      namePrefix: props.system,
      pullAccounts: props.stages.map((s) => s.account),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
