import { z } from 'zod';
import { account, NAME, region } from './common';

/** Where a system's pipeline runs and what it watches. */
export const pipelineSchema = z.strictObject({
  /** The tooling account the pipeline runs in. */
  account,
  region,
  /** The CodeConnections (CodeStar) connection to the Git host. */
  connectionArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/,
      'must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)',
    ),
  /** This infrastructure repository, as `owner/name`. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be 'owner/name'"),
  /** The branch whose pushes run the pipeline. */
  branch: z.literal('main', { error: "the pipeline deploys pushes to 'main' only (set branch: 'main')" }),
  /**
   * The order the pipeline deploys the system's stages in: `dev` first, `prod` last, every stage
   * of the system once.
   *
   * @default the system's stages among `dev`, `staging`, `prod`, in that order
   */
  order: z.array(z.string().regex(NAME, 'must be a stage name')).optional(),
});

/** A validated pipeline configuration. */
export type PipelineConfig = z.infer<typeof pipelineSchema>;
