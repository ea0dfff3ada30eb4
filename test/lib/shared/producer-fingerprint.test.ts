import { CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addProducerFingerprint, fingerprint } from '../../../lib/shared/producer-fingerprint';
import { bareStack, templateOf, TEST_ENV } from '../../helpers';

/** A producer bucket and a consumer stack with its fingerprint; `edit` changes the bucket first. */
function consumerOutput(edit: (bucket: s3.Bucket) => void = () => undefined): string {
  const producer = bareStack('Producer');
  const bucket = new s3.Bucket(producer, 'Assets');
  edit(bucket);
  const consumer = new Stack(producer.node.root, 'Consumer', { env: { ...TEST_ENV, region: 'us-east-1' } });
  addProducerFingerprint(consumer, [bucket]);
  return templateOf(consumer).Outputs.ProducerFingerprint.Value as string;
}

describe('addProducerFingerprint', () => {
  test('puts a short hash of the producers into the consumer, the same while they stay the same', () => {
    expect(consumerOutput()).toMatch(/^[0-9a-f]{16}$/);
    expect(consumerOutput()).toBe(consumerOutput());
  });

  test('changes when a producer’s definition changes', () => {
    const renamed = consumerOutput((b) => (b.node.defaultChild as CfnResource).addPropertyOverride('BucketName', 'v2'));
    expect(renamed).not.toBe(consumerOutput());
  });

  test('covers an L2 through its resource, as the resource itself', () => {
    const stack = bareStack('Producer');
    const bucket = new s3.Bucket(stack, 'Assets');
    expect(fingerprint([bucket.node.defaultChild as CfnResource])).toMatch(/^[0-9a-f]{16}$/);
    const consumer = new Stack(stack.node.root, 'Consumer', { env: TEST_ENV });
    const direct = new Stack(stack.node.root, 'Direct', { env: TEST_ENV });
    addProducerFingerprint(consumer, [bucket]);
    addProducerFingerprint(direct, [bucket.node.defaultChild as CfnResource]);
    expect(templateOf(consumer).Outputs.ProducerFingerprint.Value).toBe(
      templateOf(direct).Outputs.ProducerFingerprint.Value,
    );
  });
});
