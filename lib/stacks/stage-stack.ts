import { Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';

/** Properties every stack of a stage takes. */
export interface StageStackProps extends StackProps {
  /** The (system, stage) this stack belongs to. */
  readonly config: ResolvedConfig;
  /**
   * How this stack reads other stacks' values (`@aws-cdk/core:defaultCrossStackReferences`,
   * read from the consumer). `weak` only for a stack in another region than its producers,
   * which pairs it with {@link addProducerFingerprint}.
   *
   * @default - cdk.json's setting (`strong`: `Fn::ImportValue` within the region)
   */
  readonly crossStackReferences?: 'strong' | 'weak';
}

/** The tags every resource of a stage carries; the cost-allocation tags among them. */
export function stageTags(config: ResolvedConfig): Record<string, string> {
  return { System: config.system, Stage: config.stage, CostCenter: config.costCenter, ManagedBy: 'aws-cdk' };
}

/**
 * Tags a stack of a system's tooling account (its registry and pipeline) and every resource in
 * it: the stack tags reach resources at deploy time, `Tags.of` puts them in the template too.
 */
export function tagToolingStack(stack: Stack, system: string, costCenter: string): void {
  const tags = { System: system, Stage: 'tooling', CostCenter: costCenter, ManagedBy: 'aws-cdk' };
  for (const [key, value] of Object.entries(tags)) {
    stack.tags.setTag(key, value);
    Tags.of(stack).add(key, value);
  }
}

/**
 * Base of the stacks of a stage. It tags the stack and every resource in it with the stage's
 * tags, and answers `availabilityZones` from config, so no construct
 * (VPC endpoints, subnet selections) ever falls back to a context lookup that needs AWS
 * credentials at synth time.
 */
export abstract class StageStack extends Stack {
  /** The (system, stage) this stack belongs to. */
  public readonly config: ResolvedConfig;

  constructor(scope: Construct, id: string, props: StageStackProps) {
    const tags = stageTags(props.config);
    const { crossStackReferences: _references, ...stackProps } = props;
    super(scope, id, { ...stackProps, tags: { ...tags, ...props.tags } });
    this.config = props.config;
    if (props.crossStackReferences) {
      this.node.setContext('@aws-cdk/core:defaultCrossStackReferences', props.crossStackReferences);
    }
    // Stack tags reach resources only at deploy time; these put them in the template too,
    // where reviews and tests can see them.
    for (const [key, value] of Object.entries(tags)) Tags.of(this).add(key, value);
  }

  /** The zones named in config when this stack is in the stage's region. */
  public override get availabilityZones(): string[] {
    // The getter can run before the constructor has stored the config.
    const config = this.config as ResolvedConfig | undefined;
    if (config && this.region === config.region) return [...config.availabilityZones];
    return super.availabilityZones;
  }
}
