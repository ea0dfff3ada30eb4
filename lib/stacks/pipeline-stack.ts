import { Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PipelineConfig, ResolvedConfig } from '../../config';
import { assetPublisherRoleName, serviceHost, stageId } from '../../config/names';
import {
  DeliveryPipeline,
  type DeliveryPipelineProps,
  type PipelineImage,
  type PipelineStage,
} from '../pipeline/delivery-pipeline';
import type { RegistryStack } from './registry-stack';
import { tagToolingStack } from './stage-stack';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The system's name. */
  readonly system: string;
  /** Where the pipeline runs and what it watches. */
  readonly pipeline: PipelineConfig;
  /** The system's stages, in `pipeline.order`: dev first, prod last. */
  readonly stages: readonly ResolvedConfig[];
  /** The system's image registry, deployed before the pipeline (same account and region). */
  readonly registry: RegistryStack;
}

/** Whether the pipeline waits for a manual approval (after showing the diff) before this stage. */
const approvalBefore = (stage: { readonly stage: string }) => stage.stage === 'prod';

/** The stages a push goes through, in order, with their approvals: `dev → staging → approval → prod`. */
function route(stages: readonly { readonly stage: string }[]): string {
  return stages.map((s) => (approvalBefore(s) ? `approval → ${s.stage}` : s.stage)).join(' → ');
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
      description: `${props.system}: delivery pipeline (push to main → ${route(props.stages)})`,
    });
    tagToolingStack(this, props.system, props.stages[0]?.costCenter ?? props.system);
    this.delivery = new DeliveryPipeline(
      this,
      'Pipeline',
      deliveryPipelineProps(props.system, props.pipeline, props.stages),
    );
    this.addStackDependency(props.registry, 'the first build pushes to its repositories');
  }
}

/**
 * What the delivery pipeline of a system needs of its config: the sources, the images as the
 * first stage configures them, and per stage its account, regions, static files, smoke URLs and
 * whether it waits for an approval (prod).
 *
 * @throws when the stages do not run from dev to prod, each once: the order decides which stage
 *   deploys freshly built images and which one waits for an approval (config validates
 *   `pipeline.order`; this guards callers that pass stages in another order)
 */
export function deliveryPipelineProps(
  system: string,
  pipeline: PipelineConfig,
  stages: readonly ResolvedConfig[],
): DeliveryPipelineProps {
  if (
    stages[0]?.stage !== 'dev' ||
    stages.at(-1)?.stage !== 'prod' ||
    new Set(stages.map((s) => s.stage)).size !== stages.length
  ) {
    throw new Error(
      `DeliveryPipeline: stages run from dev to prod, each once (set pipeline.order), got ${stages.map((s) => s.stage)}`,
    );
  }
  return {
    system,
    source: { connectionArn: pipeline.connectionArn, repository: pipeline.repository, branch: pipeline.branch },
    registry: { account: pipeline.account, region: pipeline.region, namePrefix: system },
    images: pipelineImages(stages[0]),
    stages: stages.map((stage) => pipelineStage(stage)),
    alertEmails: [...new Set(stages.flatMap((s) => s.alertEmails))],
  };
}

/** One stage as the pipeline deploys it; prod waits for an approval. */
function pipelineStage(stage: ResolvedConfig): PipelineStage {
  return {
    name: stage.stage,
    stageId: stageId(stage),
    account: stage.account,
    regions: deployRegions(stage),
    staticFiles:
      stage.cdn.staticPaths.length > 0
        ? {
            paths: stage.cdn.staticPaths,
            publisherRoleArn: `arn:aws:iam::${stage.account}:role/${assetPublisherRoleName(stage.system, stage.stage)}`,
          }
        : undefined,
    smokeUrls: smokeUrls(stage),
    approval: approvalBefore(stage),
  };
}

/** Every region a stage's stacks deploy to, each of which must be bootstrapped. */
export function deployRegions(stage: ResolvedConfig): string[] {
  return [
    ...new Set([
      stage.region,
      'us-east-1',
      ...(stage.backup.crossRegionCopy ? [stage.backup.crossRegionCopy.region] : []),
    ]),
  ];
}

/** The health URL of each public service of a stage, through CloudFront. */
export function smokeUrls(stage: ResolvedConfig): string[] {
  return Object.entries(stage.services)
    .filter(([, s]) => s.host)
    .map(([name, s]) => `https://${serviceHost(stage, name)}${s.healthCheckPath ?? '/'}`);
}

/**
 * The images of a system and what their web service expects of them.
 *
 * @throws when an image has no web service (Laravel web or Next.js) to check its contract against
 */
export function pipelineImages(config: ResolvedConfig): PipelineImage[] {
  return Object.entries(config.images).map(([image, i]) => {
    const web = Object.values(config.services).find(
      (s) => s.image === image && (s.kind === 'laravel-web' || s.kind === 'nextjs'),
    );
    if (!web?.port || !web.healthCheckPath) {
      throw new Error(
        `${config.system}.images.${image}: no web service (laravel-web or nextjs) runs it, so the pipeline has no port and health path to check it against`,
      );
    }
    return {
      name: image,
      sourceRepository: i.repository,
      runtime: i.runtime,
      nginxSidecar: i.nginxSidecar ?? false,
      user: i.user,
      readonlyRootFilesystem: i.readonlyRootFilesystem,
      port: web.port,
      healthPath: web.healthCheckPath,
      staticPaths: config.cdn.staticPaths,
    };
  });
}
