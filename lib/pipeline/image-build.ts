import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { LARAVEL_SCRATCH, NGINX_SCRATCH } from '../services/laravel-service';
import { NEXTJS_SCRATCH } from '../services/nextjs-service';

/** One image the pipeline builds, where its source comes from, and what its tasks assume of it. */
export interface PipelineImage {
  /**
   * The image's key (`api`): its build action is `Image-api`, its repository `<prefix>/api`, its
   * tag is passed to `cdk deploy` as `api=<commit>`.
   */
  readonly name: string;
  /** The application repository it is built from, `owner/name`; a push to its branch runs the pipeline. */
  readonly sourceRepository: string;
  /** What runs in it: the contract check and the scratch volumes depend on it. */
  readonly runtime: 'laravel' | 'nextjs';
  /**
   * Whether the same repository also builds the nginx sidecar `<name>-nginx` (Laravel).
   *
   * @default false
   */
  readonly nginxSidecar?: boolean;
  /**
   * The user the image must run as.
   *
   * @default - the user is not checked
   */
  readonly user?: string;
  /**
   * Whether its tasks run it on a read-only root file system: the build checks that it starts
   * so, with only the scratch volumes its tasks mount writable.
   *
   * @default false
   */
  readonly readonlyRootFilesystem?: boolean;
  /** Port of the web service that runs the image; the contract check starts it there. */
  readonly port: number;
  /** Health path of that web service, which must answer on the started image. */
  readonly healthPath: string;
  /** CloudFront paths (`/build/*`) whose files the build extracts from the image for the deploys to publish. */
  readonly staticPaths: readonly string[];
}

/** The repositories an image's build pushes to: its own, and its nginx sidecar's. */
export function imageRepositoryKeys(image: PipelineImage): string[] {
  return [image.name, ...(image.nginxSidecar ? [`${image.name}-nginx`] : [])];
}

/** Where the build pushes: the registry host and region, the image's repository name, the tag. */
export interface ImageBuildTarget {
  /** `<account>.dkr.ecr.<region>.amazonaws.com`. */
  readonly registryHost: string;
  /** The registry's region. */
  readonly region: string;
  /** The image's repository name (`csl/api`). */
  readonly repositoryName: string;
  /** The tag to push: the source commit, a pipeline variable. */
  readonly tag: string;
}

/** The arguments `build-image.sh` takes for one image, as the build action's environment. */
export function imageBuildVariables(image: PipelineImage, target: ImageBuildTarget): Record<string, string> {
  const readOnly = image.readonlyRootFilesystem ?? false;
  const sidecar = image.nginxSidecar ?? false;
  return {
    REGISTRY: target.registryHost,
    REGISTRY_REGION: target.region,
    REPOSITORY: target.repositoryName,
    IMAGE_TAG: target.tag,
    RUNTIME: image.runtime,
    PORT: String(image.port),
    HEALTH_PATH: image.healthPath,
    STATIC_PATHS: image.staticPaths.join(','),
    NGINX_SIDECAR: String(sidecar),
    APP_USER: image.user ?? '',
    READ_ONLY: readOnly ? (image.runtime === 'nextjs' ? NEXTJS_SCRATCH : LARAVEL_SCRATCH).join(',') : '',
    NGINX_READ_ONLY: sidecar && readOnly ? NGINX_SCRATCH.join(',') : '',
  };
}

/** Plain-text environment variables for a CodeBuild action. */
export function plainVariables(values: Record<string, string>): Record<string, codebuild.BuildEnvironmentVariable> {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]));
}
