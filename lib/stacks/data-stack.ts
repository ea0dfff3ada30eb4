import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { removalPolicyFor } from '../removal';
import { StageStack, type StageStackProps } from './stage-stack';

/** Properties of {@link DataStack}. */
export interface DataStackProps extends StageStackProps {
  /** The stage's VPC. */
  readonly vpc: ec2.IVpc;
}

/**
 * Everything of one stage that holds data: databases, cache, broker, buckets, keys, secrets.
 * Termination-protected where the tier protects deletion; the app stack can be destroyed and
 * recreated without touching it.
 */
export class DataStack extends StageStack {
  /** The customer-managed key that encrypts the stage's data at rest. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: props.config.removal.deletionProtection });
    const { config } = props;
    this.key = new kms.Key(this, 'DataKey', {
      description: `${config.system} ${config.stage}: encryption at rest of databases, cache, broker and buckets`,
      enableKeyRotation: true,
      removalPolicy: removalPolicyFor(config),
    });
  }
}
