import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';

/**
 * What one container gets from the stage: plain environment, ECS secrets, and IAM grants.
 * `laravel-environment.ts` and `nextjs-environment.ts` build it; `app-secrets.ts` holds the
 * secret references both use.
 */
export interface Wiring {
  /** Non-secret variables, in Laravel's or Next.js's own names. */
  readonly environment: Record<string, string>;
  /** Secret variables, injected by ECS from Secrets Manager; never in the template. */
  readonly secrets: Record<string, ecs.Secret>;
  /** Grants the task role needs for what the service uses (S3 uploads). */
  readonly grant: (role: iam.IRole) => void;
  /** Grants the execution role needs beyond reading the secrets (decrypting them). */
  readonly grantExecution: (role: iam.IGrantable) => void;
}
