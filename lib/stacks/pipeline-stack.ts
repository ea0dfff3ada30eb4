import { Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PipelineConfig, ResolvedConfig } from '../../config';
import { DeliveryPipeline } from '../pipeline/delivery-pipeline';
import type { RegistryStack } from './registry-stack';
import { tagToolingStack } from './stage-stack';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The system's name. */
  readonly system: string;
  /** Where the pipeline runs and what it watches. */
  readonly pipeline: PipelineConfig;
  /** The system's stages, dev, staging, prod. */
  readonly stages: readonly ResolvedConfig[];
  /** The system's image registry, deployed before the pipeline (same account and region). */
  readonly registry: RegistryStack;
}

/**
 * The delivery pipeline of one system, in the tooling account. Deployed by hand once
 * (`npx cdk deploy Csl-Pipeline`, which deploys its registry stack `Csl-Registry` first) and again
 * when the pipeline itself changes; the pipeline then deploys the stages. See docs/first-deploy.md.
 */
export class PipelineStack extends Stack {
  /** The pipeline and its notifications. */
  public readonly delivery: DeliveryPipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.pipeline.account, region: props.pipeline.region },
      description: `${props.system}: delivery pipeline (push to main → dev → staging → approval → prod)`,
    });
    tagToolingStack(this, props.system, props.stages[0]?.costCenter ?? props.system);
    this.delivery = new DeliveryPipeline(this, 'Pipeline', {
      system: props.system,
      pipeline: props.pipeline,
      stages: props.stages,
    });
    this.addStackDependency(props.registry, 'the first build pushes to its repositories');
  }
}
