import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * The removal policy of a stateful resource in a stage.
 *
 * `snapshot` in config means: take a final snapshot where the service supports one (RDS,
 * ElastiCache), and keep everything else (buckets, keys, secrets, log groups).
 *
 * @param snapshots whether this kind of resource supports a final snapshot
 */
export function removalPolicyFor(
  config: { readonly removal: { readonly policy: 'destroy' | 'snapshot' | 'retain' } },
  snapshots = false,
): RemovalPolicy {
  switch (config.removal.policy) {
    case 'destroy':
      return RemovalPolicy.DESTROY;
    case 'snapshot':
      return snapshots ? RemovalPolicy.SNAPSHOT : RemovalPolicy.RETAIN;
    case 'retain':
      return RemovalPolicy.RETAIN;
  }
}
