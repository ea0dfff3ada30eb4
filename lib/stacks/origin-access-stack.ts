import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AssetsBucketPolicy } from '../data/buckets';
import { StageStack, type StageStackProps } from './stage-stack';

/** Properties of {@link OriginAccessStack}. */
export interface OriginAccessStackProps extends StageStackProps {
  /** The stage's static-assets bucket. */
  readonly assetsBucket: s3.IBucket;
  /** The ARN of the stage's distribution. */
  readonly distributionArn: string;
}

/**
 * What lets the stage's distribution, and no other, read the static-assets bucket. A stack of
 * its own, in the stage's region and deployed after the edge stack: the data stack (which owns
 * the bucket) deploys before the distribution exists, and the edge stack (us-east-1) cannot
 * write a policy of another region. Stateless; it holds nothing but the policy.
 */
export class OriginAccessStack extends StageStack {
  /** The assets bucket's policy. */
  public readonly assetsPolicy: AssetsBucketPolicy;

  constructor(scope: Construct, id: string, props: OriginAccessStackProps) {
    super(scope, id, props);
    this.assetsPolicy = new AssetsBucketPolicy(this, 'AssetsPolicy', {
      bucket: props.assetsBucket,
      distributionArn: props.distributionArn,
    });
  }
}
