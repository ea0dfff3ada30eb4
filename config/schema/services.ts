import { z } from 'zod';
import { FARGATE_MEMORY } from '../aws-tables';
import { appSecretSchema, envKey, IMAGE_TAG, NAME, positiveInt } from './common';

/** The services a system runs, the images they run, and how they scale. */

/** The kinds of service a system can run. */
export const SERVICE_KINDS = ['laravel-web', 'laravel-worker', 'laravel-scheduler', 'nextjs'] as const;
/** One of {@link SERVICE_KINDS}. */
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Built-in data stores a service can use; external databases are used by their config key. */
export const DATA_STORES = ['mysql', 'postgres', 'redis', 'rabbitmq', 'uploads'] as const;

/** Laravel majors the wiring knows the variable names of. */
export const LARAVEL_VERSIONS = [10, 11, 12] as const;
/** One of {@link LARAVEL_VERSIONS}. */
export type LaravelVersion = (typeof LARAVEL_VERSIONS)[number];

/**
 * The Laravel major an image runs: config's `laravelVersion`, else the newest its PHP allows
 * for the seeds (PHP 8.1 stops at Laravel 10: laravel/laravel 11.x requires `"php": "^8.2"`).
 */
export function laravelMajor(image: { phpVersion?: string; laravelVersion?: LaravelVersion }): LaravelVersion {
  return image.laravelVersion ?? (image.phpVersion === '8.1' ? 10 : 11);
}

/**
 * The health path a Laravel web service gets when config names none. Laravel 11 added the
 * `/up` route (`withRouting(health: '/up')` in laravel/laravel 11.x `bootstrap/app.php`);
 * Laravel 10 has no such route, so the image contract asks the app to serve `/health`.
 */
export const LARAVEL_HEALTH_PATH: Record<LaravelVersion, string> = { 10: '/health', 11: '/up', 12: '/up' };

/**
 * The cache-store variable a Laravel major reads: `CACHE_DRIVER` in laravel/laravel 10.x
 * `config/cache.php`, `CACHE_STORE` from 11.x on.
 */
export function cacheVariable(major: LaravelVersion): 'CACHE_DRIVER' | 'CACHE_STORE' {
  return major === 10 ? 'CACHE_DRIVER' : 'CACHE_STORE';
}

const FARGATE_CPU = Object.keys(FARGATE_MEMORY).map(Number);

/** Fargate task CPU units, each a size Fargate offers (`aws-tables.ts`). */
const fargateCpu = z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)], {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a Fargate task CPU size; use one of ${FARGATE_CPU.join(', ')} (CPU units, 1024 = 1 vCPU)`,
});

/** One service: what it runs, how it is reached, what it uses and how big it is. */
export const serviceSchema = z.strictObject({
  kind: z.enum(SERVICE_KINDS),
  /** The image (ECR repository key under `images`) this service runs. */
  image: z.string().regex(NAME, 'must be a lower-case image key from images'),
  /** Container port the load balancer sends traffic to. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Health-check path of the web container. */
  healthCheckPath: z.string().startsWith('/').optional(),
  /** Host name: a label (`api`, under the stage's domain) or a full name inside the stage's domain. */
  host: z.string().optional(),
  /** Web services: paths the smoke test requests on green, after the health path. */
  smokePaths: z.array(z.string().startsWith('/')).optional(),
  /** Command override, e.g. `['php', 'artisan', 'queue:work']`. */
  command: z.array(z.string()).optional(),
  /** Plain environment; never passwords (those come from `uses` and secrets). */
  environment: z.record(envKey, z.string()),
  /** Data stores and external databases this service connects to. */
  uses: z.array(z.string()),
  /** The app's own secrets (mail, payment, OAuth), by variable name, from existing Secrets Manager secrets. */
  secrets: z.record(envKey, appSecretSchema).optional(),
  /** Workers: seconds a job may run (`queue:work --timeout`); the task gets 10 more to stop. */
  jobTimeoutSeconds: z.number().int().min(1).max(110).optional(),
  cpu: fargateCpu,
  memoryMiB: positiveInt,
  minTasks: z.number().int().min(0),
  maxTasks: positiveInt,
});

/** One image the pipeline builds and the services run. */
export const imageSchema = z.strictObject({
  /** The application repository that builds this image, as `owner/name`. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be 'owner/name'"),
  /** Laravel (PHP-FPM) or Next.js. */
  runtime: z.enum(['laravel', 'nextjs']),
  /** The PHP version the image is built on (Laravel only). */
  phpVersion: z.enum(['8.1', '8.2', '8.3', '8.4']).optional(),
  /**
   * The Laravel major the image runs (Laravel only); it picks the variable names and the
   * default health path.
   *
   * @default - 10 on PHP 8.1, 11 otherwise ({@link laravelMajor})
   */
  laravelVersion: z
    .union(
      LARAVEL_VERSIONS.map((v) => z.literal(v)),
      { error: 'must be 10, 11 or 12' },
    )
    .optional(),
  /**
   * Laravel only: the image runs PHP-FPM alone and an nginx sidecar (image `<key>-nginx`, built
   * from the same repository) serves HTTP; false when the image serves HTTP itself.
   */
  nginxSidecar: z.boolean().optional(),
  /** User the application container runs as (non-root where the image allows). */
  user: z
    .string()
    .regex(/^[\w-]+(:[\w-]+)?$/, "must be 'user' or 'uid:gid'")
    .optional(),
  /** Laravel only: the one-off command a deploy runs before traffic moves. */
  migrateCommand: z.array(z.string()).min(1).optional(),
  /**
   * Laravel only: the databases its migrations change, each snapshotted before they run.
   * Defaults to the databases its web service `uses`.
   */
  migrates: z.array(z.enum(['mysql', 'postgres'])).optional(),
  /** Run with a read-only root file system; scratch volumes cover what the app writes. */
  readonlyRootFilesystem: z.boolean(),
  /** Image tag; the deploy's `imageTag` context wins over it, and it wins over the tier's. */
  tag: z.string().regex(IMAGE_TAG, 'must be a valid image tag').optional(),
});

/** How every service of a stage scales. */
export const scalingSchema = z.strictObject({
  /** Average CPU utilisation (%) every service scales to. */
  cpuTargetPercent: z.number().int().min(10).max(95),
  /** Requests per task per minute a web service scales to. */
  requestsPerTarget: positiveInt,
  /** Queued messages per worker task that a worker scales to (Amazon MQ only). */
  messagesPerWorker: positiveInt,
  /**
   * Run every service on Fargate Spot, about a third of the on-demand price. Spot tasks may be
   * stopped at two minutes' notice (SIGTERM, then SIGKILL after the container's stop timeout) and
   * are not replaced by on-demand tasks when Spot has no capacity (Amazon ECS developer guide,
   * "Fargate capacity providers"). Not allowed in prod. Changing it on a deployed stage replaces
   * its ECS services (see docs/operations-over-time.md).
   */
  spot: z.boolean(),
});
