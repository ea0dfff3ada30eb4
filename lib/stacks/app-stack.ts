import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { DataStack } from './data-stack';
import { StageStack, type StageStackProps } from './stage-stack';

/** Properties of {@link AppStack}. */
export interface AppStackProps extends StageStackProps {
  /** The stage's VPC. */
  readonly vpc: ec2.IVpc;
  /** The stage's data layer. */
  readonly data: DataStack;
}

/** The stateless part of one stage: cluster, services, load balancer. Safe to destroy and recreate. */
export class AppStack extends StageStack {
  /** The stage's ECS cluster. */
  public readonly cluster: ecs.Cluster;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
  }
}
