import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { pascal, repositoryName } from '../../config/names';

/** What pulling an image takes (an ECS task execution role in a stage account). */
export const ECR_PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

/** Where a system's registry is: the tooling account and region, and the repositories' name prefix. */
export interface RegistryLocation {
  /** The account that holds the repositories. */
  readonly account: string;
  /** Their region. */
  readonly region: string;
  /** Repositories are named `<prefix>/<image>` (the system's name). */
  readonly namePrefix: string;
}

/** Properties of {@link ImageRepositories}. */
export interface ImageRepositoriesProps {
  /** Image keys to create a repository for (`api`, `api-nginx`, `certification`, ...). */
  readonly images: string[];
  /**
   * Name prefix: repositories are named `<prefix>/<image>`, a contract the pipeline pushes to
   * and the stages' task definitions pull from.
   */
  readonly namePrefix: string;
  /**
   * Other accounts (the stages') whose ECS tasks pull images from these repositories.
   *
   * @default - no other account has access
   */
  readonly pullAccounts?: readonly string[];
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
 * One ECR repository per buildable image: tags IMMUTABLE (a pushed `<commit>` tag always names
 * the image that was built, tested and contract-checked for it, so replacement tasks started
 * after CodeDeploy tested it run the same bytes), scanned on push, untagged layers expire after
 * a week, and only the newest images are kept so a rollback target is always there.
 */
export class ImageRepositories extends Construct {
  /**
   * A reference to one image's repository in a registry made by another stack, by name and ARN,
   * created once per scope as `Registry<Image>`. By ARN, so no cross-stack export ties the
   * consumer's updates to the registry stack's.
   */
  public static fromRegistry(scope: Construct, image: string, registry: RegistryLocation): ecr.IRepository {
    const id = `Registry${pascal(image)}`;
    const existing = scope.node.tryFindChild(id) as ecr.IRepository | undefined;
    if (existing) return existing;
    const name = repositoryName(registry.namePrefix, image);
    return ecr.Repository.fromRepositoryAttributes(scope, id, {
      repositoryName: name,
      repositoryArn: `arn:aws:ecr:${registry.region}:${registry.account}:repository/${name}`,
    });
  }

  private readonly repositories = new Map<string, ecr.Repository>();

  constructor(scope: Construct, id: string, props: ImageRepositoriesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    for (const image of props.images) {
      const repository = new ecr.Repository(this, pascal(image), {
        repositoryName: repositoryName(props.namePrefix, image),
        imageScanOnPush: true,
        // A push of an existing tag fails with ImageTagAlreadyExistsException (ECR user guide,
        // "Preventing image tags from being overwritten"); the build and promote steps check first.
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
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
            // An image that matches the tags of a higher-priority rule cannot be expired by a
            // lower-priority one (ECR user guide, "Lifecycle policy evaluation rules"): what prod
            // runs, or may roll back to, outlives any number of builds that never reached it.
            rulePriority: 2,
            description: 'Keep the images promoted to prod',
            tagStatus: ecr.TagStatus.TAGGED,
            tagPrefixList: ['prod-'],
            maxImageCount: 50,
          },
          {
            rulePriority: 3,
            description: 'Keep the newest images',
            tagStatus: ecr.TagStatus.ANY,
            maxImageCount: props.keepImages ?? 100,
          },
        ],
      });
      const pullers = [...new Set(props.pullAccounts ?? [])];
      if (pullers.length > 0) {
        // Cross-account pull needs both this policy and the puller's identity policy (ECR user
        // guide, "Private repository policy examples": allow another account to pull).
        repository.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'StageAccountsPull',
            principals: pullers.map((account) => new iam.AccountPrincipal(account)),
            // DescribeImages: each stage's App stack checks that the tags it deploys exist.
            actions: [...ECR_PULL_ACTIONS, 'ecr:DescribeImages'],
          }),
        );
      }
      this.repositories.set(image, repository);
    }
  }

  /** Every repository, by image key. */
  public all(): ReadonlyMap<string, ecr.IRepository> {
    return this.repositories;
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
