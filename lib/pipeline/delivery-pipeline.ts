import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { PipelineConfig, ResolvedConfig } from '../../config';
import { assetPublisherRoleName, pascal, repositoryName, serviceHost, stageId } from '../../config/names';
import { acknowledge, acknowledgeWildcardGrants } from '../shared/nag';
import { LARAVEL_SCRATCH, NGINX_SCRATCH } from '../services/laravel-service';
import { NEXTJS_SCRATCH } from '../services/nextjs-service';

/** Properties of {@link DeliveryPipeline}. */
export interface DeliveryPipelineProps {
  /** The system's name (`csl`). */
  readonly system: string;
  /** Where the pipeline runs and what it watches. */
  readonly pipeline: PipelineConfig;
  /** The system's stages, in order: dev, staging, prod. */
  readonly stages: readonly ResolvedConfig[];
}

/** A buildable image, where its source comes from, and what its tasks assume of it. */
interface ImageBuild {
  readonly image: string;
  readonly repository: string;
  readonly runtime: 'laravel' | 'nextjs';
  readonly nginxSidecar: boolean;
  readonly user?: string;
  readonly readonlyRootFilesystem: boolean;
  /** Port and health path of the web service that runs the image. */
  readonly port: number;
  readonly healthPath: string;
}

/** The install phase of every step that runs this repository's code. */
const NPM_INSTALL = { 'runtime-versions': { nodejs: '20' }, commands: ['npm ci --no-audit --no-fund'] };

/** The build image CodeBuild runs every step on. */
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/** Every step is a script of this repository, beside this file (tested in test/lib/pipeline/steps/ with fake aws/docker/cdk). */
const SCRIPTS = 'lib/pipeline/steps';

/** The input artifact of this repository; CodeBuild names a secondary input's directory after it. */
const INFRA = 'Infra';

/**
 * A CodePipeline action accepts at most five input artifacts (CodePipeline user guide, "Valid
 * input and output artifacts for each action type": CodeBuild 1-5); Deploy takes this repository
 * and one static-files artifact per image.
 */
const MAX_IMAGES = 4;

/**
 * The CodeConnections source action, with the permission AWS checks for the connection's ARN.
 * aws-cdk-lib 2.276 grants only `codestar-connections:UseConnection`; since the rename, a
 * connection whose ARN starts `arn:aws:codeconnections:` needs the `codeconnections:` action
 * ("the service prefix needs to match that of the resource": Developer Tools console user
 * guide, "Connections rename - Summary of changes").
 */
class ConnectionSourceAction extends actions.CodeStarConnectionsSourceAction {
  constructor(private readonly connectionProps: actions.CodeStarConnectionsSourceActionProps) {
    super(connectionProps);
  }

  protected bound(
    scope: Construct,
    stage: codepipeline.IStage,
    options: codepipeline.ActionBindOptions,
  ): codepipeline.ActionConfig {
    const config = super.bound(scope, stage, options);
    const prefix = this.connectionProps.connectionArn.split(':')[2];
    options.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [`${prefix}:UseConnection`],
        resources: [this.connectionProps.connectionArn],
      }),
    );
    return config;
  }
}

/**
 * The delivery pipeline of one system, replacing the seeds' GitHub Actions (test, then `git
 * pull; composer install; migrate --force` over SSH) and their blue-green scripts.
 *
 * CodePipeline V2, started by a push to `main` of this repository or of any application
 * repository (CodeConnections). It tests this repository and synthesizes the system; builds
 * each application image once, runs its tests, checks its contract (health path, user, static
 * files) and pushes it to the system's registry in the tooling account, tagged with its commit
 * (tags are immutable); then deploys dev, marks the images promoted and deploys staging, shows
 * the `cdk diff` of prod for a manual approval, and deploys prod. Each deploy publishes the
 * images' static files to the stage's assets bucket before `cdk deploy <Stage>/*` runs the
 * CodeDeploy blue/green path with snapshot, migrations and smoke test; a smoke step follows.
 * Every step is a script under `lib/pipeline/steps/` that the buildspec calls with arguments.
 * Failures and pending approvals are sent to the alert addresses.
 *
 * Stage accounts are bootstrapped to trust the pipeline's account
 * (`cdk bootstrap --trust <tooling account>`, in the stage's region and in us-east-1); see
 * docs/first-deploy.md.
 */
export class DeliveryPipeline extends Construct {
  /** The pipeline. */
  public readonly pipeline: codepipeline.Pipeline;
  /** Where failures and pending approvals are announced. */
  public readonly topic: sns.Topic;
  /** Where the prod diff is written for the approver. */
  public readonly artifactBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const { pipeline: cfg, stages } = props;
    if (
      stages[0]?.stage !== 'dev' ||
      stages.at(-1)?.stage !== 'prod' ||
      new Set(stages.map((s) => s.stage)).size !== stages.length
    ) {
      throw new Error(
        `DeliveryPipeline: stages run from dev to prod, each once (set pipeline.order), got ${stages.map((s) => s.stage)}`,
      );
    }
    const [dev] = stages;
    const builds = imageBuilds(dev);
    if (builds.length > MAX_IMAGES) {
      throw new Error(
        `DeliveryPipeline: ${props.system} has ${builds.length} images; a deploy action takes at most ${MAX_IMAGES} (one static-files input each)`,
      );
    }
    const key = new kms.Key(this, 'ArtifactKey', {
      description: `${props.system} pipeline: artifacts, logs and notifications`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('codestar-notifications.amazonaws.com'));
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'This is the access-log bucket of the artifact bucket.');
    this.artifactBucket = new s3.Bucket(this, 'Artifacts', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    this.pipeline = new codepipeline.Pipeline(this, 'Resource', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactBucket,
      restartExecutionOnUpdate: false,
      executionMode: codepipeline.ExecutionMode.QUEUED,
    });

    // Sources: this repository and each application repository, on pushes to main.
    const infra = new codepipeline.Artifact(INFRA);
    const infraSource = new ConnectionSourceAction({
      actionName: 'Infrastructure',
      connectionArn: cfg.connectionArn,
      owner: cfg.repository.split('/')[0],
      repo: cfg.repository.split('/')[1],
      branch: cfg.branch,
      output: infra,
      variablesNamespace: 'Infra',
      triggerOnPush: true,
    });
    const appSources = new Map<string, { action: ConnectionSourceAction; output: codepipeline.Artifact }>();
    for (const repository of new Set(builds.map((b) => b.repository))) {
      const name = pascal(repository.split('/')[1]).replace(/[^A-Za-z0-9]/g, '');
      const output = new codepipeline.Artifact(name);
      appSources.set(repository, {
        output,
        action: new ConnectionSourceAction({
          actionName: name,
          connectionArn: cfg.connectionArn,
          owner: repository.split('/')[0],
          repo: repository.split('/')[1],
          branch: cfg.branch,
          output,
          variablesNamespace: name,
          triggerOnPush: true,
        }),
      });
    }
    const sources = [infraSource, ...[...appSources.values()].map((s) => s.action)];
    this.pipeline.addStage({ stageName: 'Source', actions: sources });
    for (const sourceAction of sources) {
      this.pipeline.addTrigger({
        providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
        gitConfiguration: { sourceAction, pushFilter: [{ branchesIncludes: [cfg.branch] }] },
      });
    }

    /** The commit each image is tagged with: its repository's commit id. */
    const tagOf = (b: ImageBuild) => appSources.get(b.repository)!.action.variables.commitId;
    const imageTags = builds.map((b) => `${b.image}=${tagOf(b)}`).join(',');
    const registryHost = `${cfg.account}.dkr.ecr.${cfg.region}.amazonaws.com`;
    const repositoriesOf = (b: ImageBuild) => [b.image, ...(b.nginxSidecar ? [`${b.image}-nginx`] : [])];
    const staticPaths = (s: ResolvedConfig) => s.cdn.staticPaths.join(',');
    // The registry stack (same account and region) names its repositories, so they are
    // referenced by ARN: no cross-stack export ties the two stacks' updates together.
    const repository = (image: string) => {
      const name = repositoryName(props.system, image);
      const id = `Registry${pascal(image)}`;
      return (
        (this.node.tryFindChild(id) as ecr.IRepository | undefined) ??
        ecr.Repository.fromRepositoryAttributes(this, id, {
          repositoryName: name,
          repositoryArn: `arn:aws:ecr:${cfg.region}:${cfg.account}:repository/${name}`,
        })
      );
    };

    // Build: test this repository; build, test, check and push each image once.
    const infraTest = this.project('InfraTest', key, {
      description: `${props.system}: npm ci, the test suite, cdk synth of this system`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { install: NPM_INSTALL, build: { commands: [`bash ${SCRIPTS}/test-infra.sh ${props.system}`] } },
      }),
    });
    const imageProject = this.project('ImageBuild', key, {
      description: `${props.system}: docker build (test target, then app), contract check, push to the registry`,
      privileged: true,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: {
            commands: [
              `bash "$CODEBUILD_SRC_DIR_${INFRA}/${SCRIPTS}/build-image.sh" --registry "$REGISTRY" --region "$REGISTRY_REGION" ` +
                '--repository "$REPOSITORY" --tag "$IMAGE_TAG" --runtime "$RUNTIME" --port "$PORT" ' +
                '--health-path "$HEALTH_PATH" --static-paths "$STATIC_PATHS" --out pipeline-static ' +
                '--nginx-sidecar "$NGINX_SIDECAR" --user "$APP_USER" --read-only "$READ_ONLY" ' +
                '--nginx-read-only "$NGINX_READ_ONLY"',
            ],
          },
        },
        artifacts: { 'base-directory': 'pipeline-static', files: ['**/*'] },
      }),
    });
    imageProject.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    for (const b of builds) {
      for (const image of repositoriesOf(b)) {
        repository(image).grantPullPush(imageProject);
        repository(image).grant(imageProject, 'ecr:DescribeImages');
      }
    }
    const staticArtifacts = new Map(
      builds.map((b) => [b.image, new codepipeline.Artifact(`Static${pascal(b.image)}`)]),
    );
    this.pipeline.addStage({
      stageName: 'Build',
      actions: [
        new actions.CodeBuildAction({
          actionName: 'TestInfrastructure',
          project: infraTest,
          input: infra,
          runOrder: 1,
        }),
        ...builds.map(
          (b) =>
            new actions.CodeBuildAction({
              actionName: `Image-${b.image}`,
              project: imageProject,
              input: appSources.get(b.repository)!.output,
              extraInputs: [infra],
              outputs: [staticArtifacts.get(b.image)!],
              runOrder: 1,
              environmentVariables: env({
                REGISTRY: registryHost,
                REGISTRY_REGION: cfg.region,
                REPOSITORY: repositoryName(props.system, b.image),
                IMAGE_TAG: tagOf(b),
                RUNTIME: b.runtime,
                PORT: String(b.port),
                HEALTH_PATH: b.healthPath,
                STATIC_PATHS: staticPaths(dev),
                NGINX_SIDECAR: String(b.nginxSidecar),
                APP_USER: b.user ?? '',
                READ_ONLY: b.readonlyRootFilesystem
                  ? (b.runtime === 'nextjs' ? NEXTJS_SCRATCH : LARAVEL_SCRATCH).join(',')
                  : '',
                NGINX_READ_ONLY: b.nginxSidecar && b.readonlyRootFilesystem ? NGINX_SCRATCH.join(',') : '',
              }),
            }),
        ),
      ],
    });

    // Deploy, promote, diff and smoke: one project each, told which stage by its action.
    const staticDirs = builds.map((b) => `"$CODEBUILD_SRC_DIR_${staticArtifacts.get(b.image)!.artifactName}"`);
    const deploy = this.project('Deploy', key, {
      description: `${props.system}: data stack, static assets, then cdk deploy of one stage with the built image tags`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: NPM_INSTALL,
          build: {
            commands: [`bash ${SCRIPTS}/deploy.sh "$STAGE_ID" "$IMAGE_TAGS" "$STATIC_PATHS" ${staticDirs.join(' ')}`],
          },
        },
      }),
      timeout: Duration.hours(3),
    });
    // deploy.sh publishes static files as each stage's asset-publisher role (its data stack
    // creates it, trusting this account's pipeline roles), so the write needs no bucket policy.
    const publishers = stages
      .filter((s) => s.cdn.staticPaths.length > 0)
      .map((s) => `arn:aws:iam::${s.account}:role/${assetPublisherRoleName(props.system, s.stage)}`);
    if (publishers.length > 0) {
      deploy.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: publishers }));
    }
    const diff = this.project('Diff', key, {
      description: `${props.system}: destructive changes and cdk diff of prod, for the approver`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: NPM_INSTALL,
          build: {
            commands: [
              `bash ${SCRIPTS}/diff.sh "$SYSTEM" "$STAGE" "$IMAGE_TAGS" "$DIFF_BUCKET" "$DIFF_KEY" "$EXECUTION_ID"`,
            ],
          },
        },
      }),
    });
    this.artifactBucket.grantPut(diff, 'diffs/*');
    key.grantEncrypt(diff);
    const promote = this.project('Promote', key, {
      description: `${props.system}: mark the built images as promoted to a stage (tag <stage>-<commit>, never overwritten)`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: [`bash ${SCRIPTS}/promote.sh "$REGISTRY_REGION" "$STAGE" "$IMAGES"`] } },
      }),
    });
    for (const b of builds) {
      for (const image of repositoriesOf(b)) {
        repository(image).grant(promote, 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage');
      }
    }
    const promotedImages = builds
      .flatMap((b) => repositoriesOf(b).map((image) => `${repositoryName(props.system, image)}=${tagOf(b)}`))
      .join(',');
    const smoke = this.project('Smoke', key, {
      description: `${props.system}: after a deploy, each public host's health path answers through CloudFront`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: [`bash ${SCRIPTS}/smoke.sh "$URLS"`] } },
      }),
    });

    stages.forEach((stage, index) => {
      const stageActions: codepipeline.IAction[] = [];
      let order = 1;
      if (stage.stage === 'prod') {
        stageActions.push(
          new actions.CodeBuildAction({
            actionName: 'Diff',
            project: diff,
            input: infra,
            runOrder: order++,
            environmentVariables: env({
              SYSTEM: props.system,
              STAGE: stage.stage,
              IMAGE_TAGS: imageTags,
              DIFF_BUCKET: this.artifactBucket.bucketName,
              DIFF_KEY: key.keyArn,
              EXECUTION_ID: '#{codepipeline.PipelineExecutionId}',
            }),
          }),
          new actions.ManualApprovalAction({
            actionName: 'Approve',
            runOrder: order++,
            additionalInformation: `Review the destructive changes and cdk diff of ${stageId(stage)} before it deploys.`,
            externalEntityLink: `https://s3.console.aws.amazon.com/s3/object/${this.artifactBucket.bucketName}?prefix=diffs/#{codepipeline.PipelineExecutionId}.txt`,
          }),
        );
      }
      if (index > 0) {
        stageActions.push(
          new actions.CodeBuildAction({
            actionName: 'Promote',
            project: promote,
            input: infra,
            runOrder: order++,
            environmentVariables: env({ REGISTRY_REGION: cfg.region, STAGE: stage.stage, IMAGES: promotedImages }),
          }),
        );
      }
      stageActions.push(
        new actions.CodeBuildAction({
          actionName: 'Deploy',
          project: deploy,
          input: infra,
          extraInputs: [...staticArtifacts.values()],
          runOrder: order++,
          environmentVariables: env({
            STAGE_ID: stageId(stage),
            IMAGE_TAGS: imageTags,
            STATIC_PATHS: staticPaths(stage),
          }),
        }),
        new actions.CodeBuildAction({
          actionName: 'Smoke',
          project: smoke,
          input: infra,
          runOrder: order++,
          environmentVariables: env({ URLS: smokeUrls(stage).join(',') }),
        }),
      );
      this.pipeline.addStage({ stageName: pascal(stage.stage), actions: stageActions });
    });

    // cdk deploy and diff assume the bootstrap roles of each region a stage deploys to: its own,
    // us-east-1 (edge) and the disaster-recovery region of its backup copies (Dr stack).
    const bootstrapRoles = stages.flatMap((s) =>
      deployRegions(s).map((region) => `arn:aws:iam::${s.account}:role/cdk-hnb659fds-*-${s.account}-${region}`),
    );
    for (const project of [deploy, diff]) {
      project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: bootstrapRoles }));
    }

    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: `${props.system} delivery pipeline`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of new Set(stages.flatMap((s) => s.alertEmails))) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    new notifications.NotificationRule(this, 'Notify', {
      source: this.pipeline,
      events: [
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-action-execution-failed',
        'codepipeline-pipeline-manual-approval-needed',
      ],
      targets: [this.topic],
      detailType: notifications.DetailType.FULL,
    });

    acknowledgeWildcardGrants(
      this,
      'Standard grants of CodePipeline and CodeBuild on the pipeline’s own artifact bucket, key, log and report groups, ' +
        'and the CDK bootstrap roles (cdk-hnb659fds-*) of the stage accounts that `cdk deploy` assumes.',
    );
  }

  /** A CodeBuild project on the standard image, encrypted with the pipeline key, logging to CloudWatch. */
  private project(
    id: string,
    key: kms.IKey,
    options: { description: string; buildSpec: codebuild.BuildSpec; privileged?: boolean; timeout?: Duration },
  ): codebuild.PipelineProject {
    const project = new codebuild.PipelineProject(this, id, {
      description: options.description,
      buildSpec: options.buildSpec,
      encryptionKey: key,
      timeout: options.timeout ?? Duration.minutes(60),
      environment: {
        buildImage: BUILD_IMAGE,
        computeType: codebuild.ComputeType.MEDIUM,
        privileged: options.privileged ?? false,
      },
      logging: {
        cloudWatch: {
          logGroup: new logs.LogGroup(this, `${id}Logs`, {
            retention: logs.RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        },
      },
    });
    if (options.privileged) {
      acknowledge(
        project,
        'AwsSolutions-CB3',
        'Building and copying container images needs the Docker daemon, which runs privileged.',
      );
    }
    return project;
  }
}

/** Plain-text environment variables for a CodeBuild action. */
function env(values: Record<string, string>): Record<string, codebuild.BuildEnvironmentVariable> {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]));
}

/** Every region a stage's stacks deploy to, each of which must be bootstrapped. */
export function deployRegions(stage: ResolvedConfig): string[] {
  return [
    ...new Set([
      stage.region,
      'us-east-1',
      ...(stage.backup.crossRegionCopy ? [stage.backup.crossRegionCopy.region] : []),
    ]),
  ];
}

/** The health URL of each public service of a stage, through CloudFront. */
export function smokeUrls(stage: ResolvedConfig): string[] {
  return Object.entries(stage.services)
    .filter(([, s]) => s.host)
    .map(([name, s]) => `https://${serviceHost(stage, name)}${s.healthCheckPath ?? '/'}`);
}

/** The images of a system and what their web service expects of them. */
function imageBuilds(config: ResolvedConfig): ImageBuild[] {
  return Object.entries(config.images).map(([image, i]) => {
    const web = Object.values(config.services).find(
      (s) => s.image === image && (s.kind === 'laravel-web' || s.kind === 'nextjs'),
    );
    if (!web?.port || !web.healthCheckPath) {
      throw new Error(`DeliveryPipeline: image '${image}' of ${config.system} has no web service to check it against`);
    }
    return {
      image,
      repository: i.repository,
      runtime: i.runtime,
      nginxSidecar: i.nginxSidecar ?? false,
      user: i.user,
      readonlyRootFilesystem: i.readonlyRootFilesystem,
      port: web.port,
      healthPath: web.healthCheckPath,
    };
  });
}
