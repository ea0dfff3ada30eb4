import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { pascal } from '../names';

/** What pushing (and promoting) an image to a repository takes. */
export const ECR_PUSH_PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];

/** Properties of {@link ImageRepositories}. */
export interface ImageRepositoriesProps {
  /** Image keys to create a repository for (`api`, `api-nginx`, `certification`, ...). */
  readonly images: string[];
  /**
   * Name prefix: repositories are named `<prefix>/<image>`, a contract the pipeline pushes to.
   */
  readonly namePrefix: string;
  /**
   * The tooling account whose pipeline pushes and promotes images.
   *
   * @default - no other account has access
   */
  readonly pipelineAccount?: string;
  /**
   * How many tagged images each repository keeps; older ones expire.
   *
   * @default 100
   */
  readonly keepImages?: number;
  /**
   * What happens to the repositories when they leave the stack. With DESTROY they are emptied
   * first.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One ECR repository per buildable image: scanned on push, untagged layers expire after a week,
 * and only the newest images are kept so a rollback target is always there.
 */
export class ImageRepositories extends Construct {
  private readonly repositories = new Map<string, ecr.Repository>();

  constructor(scope: Construct, id: string, props: ImageRepositoriesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    for (const image of props.images) {
      const repository = new ecr.Repository(this, pascal(image), {
        repositoryName: repositoryName(props.namePrefix, image),
        imageScanOnPush: true,
        encryption: ecr.RepositoryEncryption.AES_256,
        removalPolicy,
        emptyOnDelete: removalPolicy === RemovalPolicy.DESTROY,
        lifecycleRules: [
          {
            rulePriority: 1,
            description: 'Untagged layers',
            tagStatus: ecr.TagStatus.UNTAGGED,
            maxImageAge: Duration.days(7),
          },
          {
            rulePriority: 2,
            description: 'Keep the newest images',
            tagStatus: ecr.TagStatus.ANY,
            maxImageCount: props.keepImages ?? 100,
          },
        ],
      });
      if (props.pipelineAccount) {
        repository.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'PipelinePushAndPromote',
            principals: [new iam.AccountPrincipal(props.pipelineAccount)],
            actions: ECR_PUSH_PULL_ACTIONS,
          }),
        );
      }
      this.repositories.set(image, repository);
    }
  }

  /**
   * The repository of one image.
   *
   * @throws when the image has no repository
   */
  public of(image: string): ecr.IRepository {
    const repository = this.repositories.get(image);
    if (!repository) {
      throw new Error(
        `ImageRepositories: no repository for image '${image}' (known: ${[...this.repositories.keys()].join(', ')})`,
      );
    }
    return repository;
  }
}

/** `csl-prod` + `api` → `csl-prod/api`: the name the pipeline pushes to. */
export function repositoryName(prefix: string, image: string): string {
  return `${prefix}/${image}`;
}
