import { Stage, type StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';
import { pascal } from '../names';
import { addProducerFingerprint } from '../producer-fingerprint';
import { AppStack } from '../stacks/app-stack';
import { DataStack } from '../stacks/data-stack';
import { EdgeStack } from '../stacks/edge-stack';
import { NetworkStack } from '../stacks/network-stack';

/** CloudFront-scoped web ACLs and certificates exist only here. */
const EDGE_REGION = 'us-east-1';

/** Properties of {@link SystemStage}. */
export interface SystemStageProps extends StageProps {
  /** The validated (system, stage) configuration. */
  readonly config: ResolvedConfig;
}

/**
 * One system in one stage (`Csl-Prod`, `Shipment-Dev`, ...): its stacks grouped by lifecycle,
 * references flowing one way, network → data → app → edge. `cdk deploy 'Csl-Prod/*'`
 * deploys exactly this.
 */
export class SystemStage extends Stage {
  /** The stage's VPC. */
  public readonly network: NetworkStack;
  /** Databases, cache, broker, buckets, keys and secrets. */
  public readonly data: DataStack;
  /** Cluster, services and load balancer. */
  public readonly app: AppStack;
  /** CloudFront-scoped resources, always in us-east-1. */
  public readonly edge: EdgeStack;

  constructor(scope: Construct, id: string, props: SystemStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });

    this.network = new NetworkStack(this, 'Network', { config, description: describe(config, 'network') });
    this.data = new DataStack(this, 'Data', {
      config,
      vpc: this.network.network.vpc,
      serviceSecurityGroups: this.network.serviceSecurityGroups,
      description: describe(config, 'data: databases, cache, broker, buckets, keys, secrets'),
    });
    this.app = new AppStack(this, 'App', {
      config,
      vpc: this.network.network.vpc,
      serviceSecurityGroups: this.network.serviceSecurityGroups,
      data: this.data,
      description: describe(config, 'application services and load balancer'),
    });
    this.edge = new EdgeStack(this, 'Edge', {
      config,
      env: { account: config.account, region: EDGE_REGION },
      // Across regions: Fn::GetStackOutput, re-read whenever a producer changes (below). A stage
      // in us-east-1 shares the edge's region and keeps strong references.
      crossStackReferences: config.region === EDGE_REGION ? undefined : 'weak',
      loadBalancer: this.app.loadBalancer.alb,
      data: this.data,
      description: describe(config, 'edge: CloudFront, web ACL, certificate, DNS'),
    });
    addProducerFingerprint(this.edge, [this.app.loadBalancer.alb, this.data.buckets.assets, this.data.buckets.logs]);
  }
}

/** `csl` + `prod` → `Csl-Prod`: the stage id users type in `cdk deploy 'Csl-Prod/*'`. */
export function stageId(config: Pick<ResolvedConfig, 'system' | 'stage'>): string {
  return `${pascal(config.system)}-${pascal(config.stage)}`;
}

function describe(config: ResolvedConfig, what: string): string {
  return `${config.system} ${config.stage}: ${what}`;
}
