import { Arn, Aspects, CrossStackReferences, Duration, ReferenceStrength, Stage, type StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ResolvedConfig } from '../../config';
import { EncryptLogGroups } from '../observability/log-encryption';
import { addProducerFingerprint } from '../shared/producer-fingerprint';
import { AppStack } from '../stacks/app-stack';
import { DataStack } from '../stacks/data-stack';
import { DrStack } from '../stacks/dr-stack';
import { EdgeStack } from '../stacks/edge-stack';
import { NetworkStack } from '../stacks/network-stack';
import { OriginAccessStack } from '../stacks/origin-access-stack';

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
  /** The assets bucket's policy, naming the distribution (after the edge stack). */
  public readonly originAccess: OriginAccessStack;
  /** The disaster-recovery vault and key in another region, where config asks for copies. */
  public readonly dr?: DrStack;
  /** CloudFront-scoped resources, always in us-east-1. */
  public readonly edge: EdgeStack;

  constructor(scope: Construct, id: string, props: SystemStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });

    this.network = new NetworkStack(this, 'Network', { config, description: describe(config, 'network') });
    const copy = config.backup.crossRegionCopy;
    if (copy) {
      this.dr = new DrStack(this, 'Dr', {
        config,
        env: { account: config.account, region: copy.region },
        vaultName: copy.vaultName,
        minRetention: Duration.days(config.backup.retentionDays),
        description: describe(config, `disaster recovery: backup copies in ${copy.region}`),
      });
    }
    this.data = new DataStack(this, 'Data', {
      config,
      vpc: this.network.network.vpc,
      serviceSecurityGroups: this.network.serviceSecurityGroups,
      description: describe(config, 'data: databases, cache, broker, buckets, keys, secrets'),
    });
    // The backup plan copies into the DR vault: it must exist first.
    if (this.dr) this.data.addStackDependency(this.dr);
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
      assetsBucket: this.data.buckets.assets,
      logBucket: this.data.buckets.logs,
      description: describe(config, 'edge: CloudFront, web ACL, certificate, DNS'),
    });
    if (config.region !== EDGE_REGION) {
      // The origin-access stack (stage region) reads the distribution of the us-east-1 edge. Read
      // weakly, from the producer's side: the stack's own reads of the data stack stay strong.
      // aws-cdk-lib's strong cross-region reference (an SSM export writer in the edge, a reader
      // here) would not carry a new distribution id (test/lib/cross-stack-references.test.ts runs
      // the writer); the fingerprint below makes a replaced distribution redeploy this stack.
      CrossStackReferences.of(this.edge.cdn.distribution).produce(ReferenceStrength.WEAK);
    }
    this.originAccess = new OriginAccessStack(this, 'OriginAccess', {
      config,
      assetsBucket: this.data.buckets.assets,
      distributionArn: Arn.format(
        {
          service: 'cloudfront',
          region: '',
          resource: 'distribution',
          resourceName: this.edge.cdn.distribution.distributionId,
        },
        this.edge,
      ),
      description: describe(config, "origin access: the assets bucket's policy, for this stage's distribution only"),
    });
    this.originAccess.addStackDependency(this.edge);
    addStageAspects(this, config);
    addProducerFingerprint(this.edge, [this.app.loadBalancer.alb, this.data.buckets.assets, this.data.buckets.logs]);
    if (config.region !== EDGE_REGION) addProducerFingerprint(this.originAccess, [this.edge.cdn.distribution]);
  }
}

/**
 * The aspects every stage applies to all its stacks: prod logs may carry personal data
 * (requests, queries), so they are encrypted with keys of the stage's own. Shared with
 * `lib/guard/config-impact.ts`, which synthesizes a stage's stacks without this Stage class.
 */
export function addStageAspects(scope: Construct, config: ResolvedConfig): void {
  if (config.tier === 'prod') Aspects.of(scope).add(new EncryptLogGroups());
}

function describe(config: ResolvedConfig, what: string): string {
  return `${config.system} ${config.stage}: ${what}`;
}
