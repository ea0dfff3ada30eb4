import { RemovalPolicy } from 'aws-cdk-lib';
import { removalPolicyFor } from '../../../lib/shared/removal';

describe('removalPolicyFor', () => {
  test('snapshot means a final snapshot where the service takes one, and keeping everything else', () => {
    const config = { removal: { policy: 'snapshot' as const } };
    expect(removalPolicyFor(config, true)).toBe(RemovalPolicy.SNAPSHOT);
    expect(removalPolicyFor(config)).toBe(RemovalPolicy.RETAIN);
  });

  test('destroy and retain apply alike to every kind of resource', () => {
    for (const snapshots of [true, false]) {
      expect(removalPolicyFor({ removal: { policy: 'destroy' } }, snapshots)).toBe(RemovalPolicy.DESTROY);
      expect(removalPolicyFor({ removal: { policy: 'retain' } }, snapshots)).toBe(RemovalPolicy.RETAIN);
    }
  });
});
