import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';

/** Properties of {@link AppBuckets}. */
export interface AppBucketsProps {
  /** Key that encrypts uploaded files. */
  readonly encryptionKey: kms.IKey;
  /**
   * Days before a replaced or deleted upload's old version is removed.
   *
   * @default 30
   */
  readonly noncurrentVersionDays?: number;
  /**
   * Days access logs are kept.
   *
   * @default 365
   */
  readonly accessLogRetentionDays?: number;
  /**
   * What happens to the buckets when they leave the stack. With DESTROY the buckets are
   * emptied first, so a dev stage can be torn down in one command.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The buckets of a system: uploads (Laravel's `s3` disk: `FILESYSTEM_DISK=s3`), static assets
 * (served by CloudFront through origin access control), and the log bucket the other two and
 * the load balancer write access logs to. All private, TLS-only, encrypted.
 */
export class AppBuckets extends Construct {
  /** Uploaded files; versioned, KMS-encrypted, reached through the task role only. */
  public readonly uploads: s3.Bucket;
  /** Static assets behind CloudFront. */
  public readonly assets: s3.Bucket;
  /** Access logs of the buckets, the load balancer and CloudFront. */
  public readonly logs: s3.Bucket;

  constructor(scope: Construct, id: string, props: AppBucketsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy,
      autoDeleteObjects: destroy,
    };

    this.logs = new s3.Bucket(this, 'Logs', {
      ...common,
      // Server access logging and ALB logs write only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(props.accessLogRetentionDays ?? 365) }],
    });
    acknowledge(
      this.logs,
      'AwsSolutions-S1',
      'This is the access-log bucket; logging it into itself would log every log delivery.',
    );

    this.uploads = new s3.Bucket(this, 'Uploads', {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'uploads/',
      lifecycleRules: [
        { id: 'ExpireOldVersions', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 30) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });

    this.assets = new s3.Bucket(this, 'Assets', {
      ...common,
      // The bucket policy (TLS only, and read for this stage's distribution alone) belongs to
      // {@link AssetsBucketPolicy} in the origin-access stack: the distribution is created after
      // this stack, in us-east-1, so a policy here could not name it without a cycle. Emptying on
      // delete would need a statement in that policy too; dev empties the bucket by hand instead.
      enforceSSL: false,
      minimumTLSVersion: undefined,
      autoDeleteObjects: false,
      // CloudFront reads through OAC; SSE-S3 needs no key policy for the distribution.
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'assets/',
      lifecycleRules: [
        { id: 'ExpireOldVersions', noncurrentVersionExpiration: Duration.days(30) },
        // Every deploy re-uploads the static files of the images it runs (never deletes), which
        // restarts their age; files of builds no longer deployed expire a year after their last
        // upload. A stage not deployed for a year must be redeployed (docs/first-deploy.md).
        { id: 'ExpireStaticFilesNotRepublished', expiration: Duration.days(365) },
      ],
    });
    acknowledge(
      this.assets,
      'AwsSolutions-S10',
      "The TLS-only statements are in the assets bucket's policy, which the stage's origin-access stack owns (AssetsBucketPolicy).",
    );
  }
}

/** Properties of {@link AssetsBucketPolicy}. */
export interface AssetsBucketPolicyProps {
  /** The static-assets bucket. */
  readonly bucket: s3.IBucket;
  /** The ARN of the one distribution that may read it. */
  readonly distributionArn: string;
}

/**
 * The whole policy of the static-assets bucket: requests without TLS 1.2 are refused, and
 * CloudFront reads objects through origin access control for exactly one distribution
 * (`AWS:SourceArn`, as the CloudFront developer guide's OAC policy does). It lives in a stack of
 * the stage's region deployed after the edge stack: S3 keeps one policy per bucket, so nothing
 * else may write one for this bucket.
 */
export class AssetsBucketPolicy extends Construct {
  /** The policy. */
  public readonly policy: s3.CfnBucketPolicy;

  constructor(scope: Construct, id: string, props: AssetsBucketPolicyProps) {
    super(scope, id);
    const everything = [props.bucket.bucketArn, props.bucket.arnForObjects('*')];
    const document = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:*'],
          resources: everything,
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:*'],
          resources: everything,
          conditions: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        }),
        new iam.PolicyStatement({
          sid: 'CloudFrontOriginAccessControl',
          principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
          actions: ['s3:GetObject'],
          resources: [props.bucket.arnForObjects('*')],
          conditions: {
            StringEquals: { 'AWS:SourceAccount': Aws.ACCOUNT_ID, 'AWS:SourceArn': props.distributionArn },
          },
        }),
      ],
    });
    this.policy = new s3.CfnBucketPolicy(this, 'Resource', {
      bucket: props.bucket.bucketName,
      policyDocument: document,
    });
  }
}
