import { z } from 'zod';
import { positiveInt } from './common';

/** CloudFront and its web ACL. */

/**
 * The most of a request body WAF inspects behind CloudFront: 16 KB by default, up to 64 KB
 * through the web ACL's AssociationConfig (CloudFormation `RequestBodyAssociatedResourceTypeConfig`).
 */
export const WAF_MAX_BODY_INSPECTION_BYTES = 65_536;

/** The edge settings of a stage. */
export const cdnSchema = z.strictObject({
  /** Path patterns served from the static-assets bucket instead of the load balancer. */
  staticPaths: z.array(z.string().regex(/^\/[\w\-./*]*$/, "must be a path pattern such as '/build/*'")),
  /** Requests per five minutes from one IP before the web ACL blocks it. */
  rateLimitPerIp: z.number().int().min(10).max(2_000_000_000),
  /**
   * Whether the stage's host names point at CloudFront (the edge stack owns their A/AAAA
   * records). Off until the data is copied; turning it on moves the traffic (docs/migration-guide.md).
   */
  cutover: z.boolean(),
  /**
   * Largest request body (bytes) the web ACL lets through on paths without their own limit.
   * WAF sees at most 64 KB of a CloudFront request body, so larger limits are per path.
   */
  maxBodyBytes: z
    .number()
    .int()
    .min(1)
    .max(WAF_MAX_BODY_INSPECTION_BYTES, {
      error: `WAF inspects at most ${WAF_MAX_BODY_INSPECTION_BYTES} bytes of a CloudFront request body; give larger limits per path in bodyLimits`,
    }),
  /**
   * Body limits of paths that take larger bodies (uploads): requests under `pathPrefix` may
   * carry up to `maxBodyBytes`. A limit above 64 KB exempts the path from the edge's size check
   * (WAF cannot measure past 64 KB); the application's own limit applies there.
   */
  bodyLimits: z
    .array(
      z.strictObject({
        pathPrefix: z.string().regex(/^\/[\w\-./]*$/, "must be a path prefix such as '/api/uploads'"),
        maxBodyBytes: positiveInt,
      }),
    )
    .max(10, 'at most 10 per-path body limits (each is a web ACL rule)'),
});
