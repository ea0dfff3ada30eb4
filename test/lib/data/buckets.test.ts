import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AppBuckets, AssetsBucketPolicy } from '../../../lib/data/buckets';
import { bareStack } from '../../helpers';

/** The buckets on a bare stack, each bucket's properties by logical-id prefix. */
function buckets(removalPolicy?: RemovalPolicy) {
  const stack = bareStack('Data');
  new AppBuckets(stack, 'Buckets', { encryptionKey: new kms.Key(stack, 'Key'), removalPolicy });
  const template = Template.fromStack(stack);
  const all = template.findResources('AWS::S3::Bucket');
  const of = (name: string) => Object.entries(all).find(([id]) => id.startsWith(`Buckets${name}`))![1];
  return { template, of };
}

describe('AppBuckets', () => {
  test('uploads: versioned, encrypted with the given key, logged, old versions expire', () => {
    const uploads = buckets().of('Uploads').Properties;
    expect(uploads.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(uploads.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' },
      BucketKeyEnabled: true,
    });
    expect(uploads.LoggingConfiguration.LogFilePrefix).toBe('uploads/');
    expect(uploads.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Id: 'ExpireOldVersions', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    );
  });

  test('every bucket blocks public access; logs use SSE-S3, which access logging requires', () => {
    const { template, of } = buckets();
    for (const [, bucket] of Object.entries(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    expect(of('Logs').Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
  });

  test('the assets bucket has no policy of its own: the origin-access stack writes its one policy', () => {
    const { template } = buckets();
    const policies = Object.keys(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies.some((id) => id.startsWith('BucketsAssets'))).toBe(false);
  });

  test('kept by default; a disposable stage empties and deletes them', () => {
    expect(buckets().of('Uploads').DeletionPolicy).toBe('Retain');
    const dev = buckets(RemovalPolicy.DESTROY);
    expect(dev.of('Uploads').DeletionPolicy).toBe('Delete');
    dev.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

describe('AssetsBucketPolicy', () => {
  test('refuses requests without TLS 1.2 and lets one distribution read, by its ARN', () => {
    const stack = bareStack();
    new AssetsBucketPolicy(stack, 'Policy', {
      bucket: s3.Bucket.fromBucketName(stack, 'Assets', 'assets'),
      distributionArn: 'arn:aws:cloudfront::111111111111:distribution/E123',
    });
    const statements = Template.fromStack(stack).findResources('AWS::S3::BucketPolicy');
    const document = Object.values(statements)[0].Properties.PolicyDocument.Statement;
    expect(document).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      expect.objectContaining({
        Sid: 'CloudFrontOriginAccessControl',
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: {
          StringEquals: {
            'AWS:SourceAccount': { Ref: 'AWS::AccountId' },
            'AWS:SourceArn': 'arn:aws:cloudfront::111111111111:distribution/E123',
          },
        },
      }),
    ]);
  });
});
