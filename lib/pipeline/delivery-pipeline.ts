import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { pascal, repositoryName } from '../../config/names';
import { acknowledge, acknowledgeWildcardGrants } from '../shared/nag';
import { ConnectionSourceAction } from './connection-source-action';
import { imageBuildVariables, imageRepositoryKeys, plainVariables, type PipelineImage } from './image-build';
import { ImageRepositories, type RegistryLocation } from './image-repositories';

export type { PipelineImage } from './image-build';

/** Where the pipeline's sources are: this repository and the connection to its Git host. */
export interface PipelineSource {
  /** The CodeConnections (CodeStar) connection to the Git host; every source uses it. */
  readonly connectionArn: string;
  /** This infrastructure repository, `owner/name`. */
  readonly repository: string;
  /** The branch whose pushes run the pipeline, in this and every application repository. */
  readonly branch: string;
}

/** The static files a stage serves from its assets bucket, and who may publish them. */
export interface StaticFiles {
  /** CloudFront paths (`/build/*`) the deploy publishes each image's static files under. */
  readonly paths: readonly string[];
  /** The stage account's asset-publisher role, which the deploy assumes to write the files. */
  readonly publisherRoleArn: string;
}

/** One stage the pipeline deploys. */
export interface PipelineStage {
  /** The stage's name (`prod`): its pipeline stage is `Prod`, its promotion tag `prod-<commit>`. */
  readonly name: string;
  /** The id `cdk deploy` takes (`Csl-Prod`). */
  readonly stageId: string;
  /** The stage's account: `cdk deploy` assumes its bootstrap roles. */
  readonly account: string;
  /** Every region its stacks deploy to, each bootstrapped to trust the pipeline's account. */
  readonly regions: readonly string[];
  /**
   * Static files the deploy publishes to the stage's assets bucket before the stage's stacks.
   *
   * @default - none
   */
  readonly staticFiles?: StaticFiles;
  /** The health URLs the smoke step calls after the deploy. */
  readonly smokeUrls: readonly string[];
  /**
   * Show the destructive changes and the `cdk diff` of the stage, and wait for a manual
   * approval, before deploying it.
   *
   * @default false
   */
  readonly approval?: boolean;
}

/** Properties of {@link DeliveryPipeline}. */
export interface DeliveryPipelineProps {
  /** The system's name (`csl`), in descriptions and the diff step's arguments. */
  readonly system: string;
  /** This repository and the connection every source uses. */
  readonly source: PipelineSource;
  /** The registry the images are pushed to and promoted in (the pipeline's own account and region). */
  readonly registry: RegistryLocation;
  /** The images to build, each once per run. */
  readonly images: readonly PipelineImage[];
  /**
   * The stages to deploy, in order: the first deploys the images as built, each later one first
   * marks them promoted to it.
   */
  readonly stages: readonly PipelineStage[];
  /** Who is told of failures and pending approvals. */
  readonly alertEmails: readonly string[];
}

/**
 * The install phase of every step that runs this repository's code, on the Node.js major the
 * suite is tested on (`.ci/run`) and the handlers run on (`nodejs24.x`, lib/deployment/
 * handler-function.ts). The Ubuntu standard:7.0 image offers nodejs 18, 20, 22 and 24
 * (aws/aws-codebuild-docker-images, ubuntu/standard/7.0/runtimes.yml; CodeBuild user guide,
 * "Available runtimes").
 */
const NPM_INSTALL = { 'runtime-versions': { nodejs: '24' }, commands: ['npm ci --no-audit --no-fund'] };

/** The build image CodeBuild runs every step on. */
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/** Every step is a script of this repository, beside this file (tested in test/lib/pipeline/steps/ with fake aws/docker/cdk). */
const SCRIPTS = 'lib/pipeline/steps';

/** The input artifact of this repository; CodeBuild names a secondary input's directory after it. */
const INFRA = 'Infra';

/** The pipeline's sources: this repository's artifact, and each application repository's action and artifact. */
interface Sources {
  readonly infra: codepipeline.Artifact;
  readonly apps: ReadonlyMap<
    string,
    { readonly action: ConnectionSourceAction; readonly output: codepipeline.Artifact }
  >;
}

/** The CodeBuild projects the stages' actions run, each told which stage by its action. */
interface StageProjects {
  readonly deploy: codebuild.PipelineProject;
  readonly diff: codebuild.PipelineProject;
  readonly promote: codebuild.PipelineProject;
  readonly smoke: codebuild.PipelineProject;
}

/** What every stage's actions pass on: the built images' tags, and their static files. */
interface Built {
  readonly infra: codepipeline.Artifact;
  /** `api=<commit>,...`, as `cdk deploy` takes image tags. */
  readonly imageTags: string;
  /** `csl/api=<commit>,...`: every repository the build pushed to, with its tag. */
  readonly promotedImages: string;
  /** One static-files artifact per image. */
  readonly staticArtifacts: readonly codepipeline.Artifact[];
}

/**
 * The delivery pipeline of one system, replacing the seeds' GitHub Actions (test, then `git
 * pull; composer install; migrate --force` over SSH) and their blue-green scripts.
 *
 * CodePipeline V2, started by a push to the branch of this repository or of any application
 * repository (CodeConnections). It tests this repository and synthesizes the system; builds
 * each application image once, runs its tests, checks its contract (health path, user, static
 * files) and pushes it to the system's registry in the tooling account, tagged with its commit
 * (tags are immutable); then deploys the stages in order, marking the images promoted to each
 * stage after the first, and, before a stage that asks for approval, shows its `cdk diff` and
 * waits for a manual approval. Each deploy publishes the images' static files to the stage's
 * assets bucket before `cdk deploy <Stage>/*` runs the CodeDeploy blue/green path with
 * snapshot, migrations and smoke test; a smoke step follows. Every step is a script under
 * `lib/pipeline/steps/` that the buildspec calls with arguments. Failures and pending approvals
 * are sent to the alert addresses.
 *
 * CodePipeline itself refuses, at synth, a deploy action with more than five input artifacts
 * (this repository and one static-files artifact per image): at most four images.
 *
 * Stage accounts are bootstrapped to trust the pipeline's account
 * (`cdk bootstrap --trust <tooling account>`, in each of the stage's regions); see
 * docs/first-deploy.md.
 */
export class DeliveryPipeline extends Construct {
  /** The pipeline. */
  public readonly pipeline: codepipeline.Pipeline;
  /** Where failures and pending approvals are announced. */
  public readonly topic: sns.Topic;
  /** Where the prod diff is written for the approver. */
  public readonly artifactBucket: s3.Bucket;
  private readonly system: string;
  private readonly registry: RegistryLocation;
  /** Encrypts artifacts, logs and notifications. */
  private readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    this.system = props.system;
    this.registry = props.registry;
    this.key = this.artifactKey();
    this.artifactBucket = this.artifactStore();
    this.pipeline = new codepipeline.Pipeline(this, 'Resource', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: this.artifactBucket,
      restartExecutionOnUpdate: false,
      executionMode: codepipeline.ExecutionMode.QUEUED,
    });
    const sources = this.addSourceStage(props.source, props.images);
    const built = this.addBuildStage(sources, props.images);
    const projects = this.stageProjects(props.images, props.stages);
    props.stages.forEach((stage, index) => this.addDeployStage(stage, index > 0, projects, built));
    this.allowBootstrapRoles([projects.deploy, projects.diff], props.stages);
    this.topic = this.addNotifications(props.alertEmails);
    acknowledgeWildcardGrants(
      this,
      'Standard grants of CodePipeline and CodeBuild on the pipeline’s own artifact bucket, key, log and report groups, ' +
        'and the CDK bootstrap roles (cdk-hnb659fds-*) of the stage accounts that `cdk deploy` assumes.',
    );
  }

  /** The key of the pipeline's artifacts, logs and notifications; CodeStar Notifications may use it. */
  private artifactKey(): kms.Key {
    const key = new kms.Key(this, 'ArtifactKey', {
      description: `${this.system} pipeline: artifacts, logs and notifications`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('codestar-notifications.amazonaws.com'));
    return key;
  }

  /** The artifact bucket (encrypted with the pipeline key, kept 30 days) and its access-log bucket. */
  private artifactStore(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'This is the access-log bucket of the artifact bucket.');
    return new s3.Bucket(this, 'Artifacts', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
  }

  /** Sources: this repository and each application repository, each started by pushes to the branch. */
  private addSourceStage(source: PipelineSource, images: readonly PipelineImage[]): Sources {
    const infra = new codepipeline.Artifact(INFRA);
    const [owner, repo] = source.repository.split('/');
    const infraSource = this.sourceAction(source, 'Infrastructure', owner, repo, infra, 'Infra');
    const apps = new Map<string, { action: ConnectionSourceAction; output: codepipeline.Artifact }>();
    for (const repository of new Set(images.map((i) => i.sourceRepository))) {
      const [appOwner, appRepo] = repository.split('/');
      const name = pascal(appRepo).replace(/[^A-Za-z0-9]/g, '');
      const output = new codepipeline.Artifact(name);
      apps.set(repository, { output, action: this.sourceAction(source, name, appOwner, appRepo, output, name) });
    }
    const sourceActions = [infraSource, ...[...apps.values()].map((s) => s.action)];
    this.pipeline.addStage({ stageName: 'Source', actions: sourceActions });
    for (const sourceAction of sourceActions) {
      this.pipeline.addTrigger({
        providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
        gitConfiguration: { sourceAction, pushFilter: [{ branchesIncludes: [source.branch] }] },
      });
    }
    return { infra, apps };
  }

  /** One repository's source action, on the branch, through the connection. */
  private sourceAction(
    source: PipelineSource,
    actionName: string,
    owner: string,
    repo: string,
    output: codepipeline.Artifact,
    variablesNamespace: string,
  ): ConnectionSourceAction {
    return new ConnectionSourceAction({
      actionName,
      connectionArn: source.connectionArn,
      owner,
      repo,
      branch: source.branch,
      output,
      variablesNamespace,
      triggerOnPush: true,
    });
  }

  /** Build: test this repository; build, test, check and push each image once. */
  private addBuildStage(sources: Sources, images: readonly PipelineImage[]): Built {
    const tagOf = (image: PipelineImage) => sources.apps.get(image.sourceRepository)!.action.variables.commitId;
    const infraTest = this.project('InfraTest', {
      description: `${this.system}: npm ci, the test suite, cdk synth of this system`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { install: NPM_INSTALL, build: { commands: [`bash ${SCRIPTS}/test-infra.sh ${this.system}`] } },
      }),
    });
    const imageProject = this.imageBuildProject();
    imageProject.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    for (const image of images.flatMap(imageRepositoryKeys)) {
      this.repository(image).grantPullPush(imageProject);
      this.repository(image).grant(imageProject, 'ecr:DescribeImages');
    }
    const staticArtifacts = images.map((i) => new codepipeline.Artifact(`Static${pascal(i.name)}`));
    const registryHost = `${this.registry.account}.dkr.ecr.${this.registry.region}.amazonaws.com`;
    this.pipeline.addStage({
      stageName: 'Build',
      actions: [
        new actions.CodeBuildAction({
          actionName: 'TestInfrastructure',
          project: infraTest,
          input: sources.infra,
          runOrder: 1,
        }),
        ...images.map(
          (image, i) =>
            new actions.CodeBuildAction({
              actionName: `Image-${image.name}`,
              project: imageProject,
              input: sources.apps.get(image.sourceRepository)!.output,
              extraInputs: [sources.infra],
              outputs: [staticArtifacts[i]],
              runOrder: 1,
              environmentVariables: plainVariables(
                imageBuildVariables(image, {
                  registryHost,
                  region: this.registry.region,
                  repositoryName: repositoryName(this.registry.namePrefix, image.name),
                  tag: tagOf(image),
                }),
              ),
            }),
        ),
      ],
    });
    return {
      infra: sources.infra,
      imageTags: images.map((i) => `${i.name}=${tagOf(i)}`).join(','),
      promotedImages: images
        .flatMap((i) =>
          imageRepositoryKeys(i).map((key) => `${repositoryName(this.registry.namePrefix, key)}=${tagOf(i)}`),
        )
        .join(','),
      staticArtifacts,
    };
  }

  /** The image build: privileged for Docker, it runs build-image.sh in the application's checkout. */
  private imageBuildProject(): codebuild.PipelineProject {
    return this.project('ImageBuild', {
      description: `${this.system}: docker build (test target, then app), contract check, push to the registry`,
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
  }

  /** Deploy, diff, promote and smoke: one project each, with what each may do. */
  private stageProjects(images: readonly PipelineImage[], stages: readonly PipelineStage[]): StageProjects {
    const staticDirs = images.map((i) => `"$CODEBUILD_SRC_DIR_Static${pascal(i.name)}"`);
    const deploy = this.project('Deploy', {
      description: `${this.system}: data stack, static assets, then cdk deploy of one stage with the built image tags`,
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
    const publishers = stages.flatMap((s) => (s.staticFiles ? [s.staticFiles.publisherRoleArn] : []));
    if (publishers.length > 0) {
      deploy.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: publishers }));
    }
    const diff = this.project('Diff', {
      description: `${this.system}: destructive changes and cdk diff of prod, for the approver`,
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
    this.key.grantEncrypt(diff);
    const promote = this.project('Promote', {
      description: `${this.system}: mark the built images as promoted to a stage (tag <stage>-<commit>, never overwritten)`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: [`bash ${SCRIPTS}/promote.sh "$REGISTRY_REGION" "$STAGE" "$IMAGES"`] } },
      }),
    });
    for (const image of images.flatMap(imageRepositoryKeys)) {
      this.repository(image).grant(promote, 'ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage');
    }
    const smoke = this.project('Smoke', {
      description: `${this.system}: after a deploy, each public host's health path answers through CloudFront`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: [`bash ${SCRIPTS}/smoke.sh "$URLS"`] } },
      }),
    });
    return { deploy, diff, promote, smoke };
  }

  /** One stage: the diff and the approval where asked, the promotion after the first stage, deploy, smoke. */
  private addDeployStage(stage: PipelineStage, promote: boolean, projects: StageProjects, built: Built): void {
    const stageActions: codepipeline.IAction[] = [];
    let order = 1;
    if (stage.approval) {
      stageActions.push(...this.approvalActions(stage, projects.diff, built, order));
      order += 2;
    }
    if (promote) {
      stageActions.push(
        new actions.CodeBuildAction({
          actionName: 'Promote',
          project: projects.promote,
          input: built.infra,
          runOrder: order++,
          environmentVariables: plainVariables({
            REGISTRY_REGION: this.registry.region,
            STAGE: stage.name,
            IMAGES: built.promotedImages,
          }),
        }),
      );
    }
    stageActions.push(
      new actions.CodeBuildAction({
        actionName: 'Deploy',
        project: projects.deploy,
        input: built.infra,
        extraInputs: [...built.staticArtifacts],
        runOrder: order++,
        environmentVariables: plainVariables({
          STAGE_ID: stage.stageId,
          IMAGE_TAGS: built.imageTags,
          STATIC_PATHS: (stage.staticFiles?.paths ?? []).join(','),
        }),
      }),
      new actions.CodeBuildAction({
        actionName: 'Smoke',
        project: projects.smoke,
        input: built.infra,
        runOrder: order++,
        environmentVariables: plainVariables({ URLS: stage.smokeUrls.join(',') }),
      }),
    );
    this.pipeline.addStage({ stageName: pascal(stage.name), actions: stageActions });
  }

  /** The diff of a stage, written where the approval links, and the manual approval after it (two run orders from `runOrder`). */
  private approvalActions(
    stage: PipelineStage,
    diff: codebuild.PipelineProject,
    built: Built,
    runOrder: number,
  ): codepipeline.IAction[] {
    return [
      new actions.CodeBuildAction({
        actionName: 'Diff',
        project: diff,
        input: built.infra,
        runOrder,
        environmentVariables: plainVariables({
          SYSTEM: this.system,
          STAGE: stage.name,
          IMAGE_TAGS: built.imageTags,
          DIFF_BUCKET: this.artifactBucket.bucketName,
          DIFF_KEY: this.key.keyArn,
          EXECUTION_ID: '#{codepipeline.PipelineExecutionId}',
        }),
      }),
      new actions.ManualApprovalAction({
        actionName: 'Approve',
        runOrder: runOrder + 1,
        additionalInformation: `Review the destructive changes and cdk diff of ${stage.stageId} before it deploys.`,
        externalEntityLink: `https://s3.console.aws.amazon.com/s3/object/${this.artifactBucket.bucketName}?prefix=diffs/#{codepipeline.PipelineExecutionId}.txt`,
      }),
    ];
  }

  /**
   * `cdk deploy` and `cdk diff` assume the bootstrap roles of each region a stage deploys to:
   * its own, us-east-1 (edge) and the disaster-recovery region of its backup copies (Dr stack).
   */
  private allowBootstrapRoles(projects: codebuild.PipelineProject[], stages: readonly PipelineStage[]): void {
    const bootstrapRoles = stages.flatMap((s) =>
      s.regions.map((region) => `arn:aws:iam::${s.account}:role/cdk-hnb659fds-*-${s.account}-${region}`),
    );
    for (const project of projects) {
      project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: bootstrapRoles }));
    }
  }

  /** The topic that mails failed runs and actions and pending approvals, and the rule that feeds it. */
  private addNotifications(alertEmails: readonly string[]): sns.Topic {
    const topic = new sns.Topic(this, 'Notifications', {
      displayName: `${this.system} delivery pipeline`,
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of new Set(alertEmails)) topic.addSubscription(new subscriptions.EmailSubscription(email));
    new notifications.NotificationRule(this, 'Notify', {
      source: this.pipeline,
      events: [
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-action-execution-failed',
        'codepipeline-pipeline-manual-approval-needed',
      ],
      targets: [topic],
      detailType: notifications.DetailType.FULL,
    });
    return topic;
  }

  /** One image's repository in the registry, referenced by ARN (see {@link ImageRepositories.fromRegistry}). */
  private repository(image: string): ecr.IRepository {
    return ImageRepositories.fromRegistry(this, image, this.registry);
  }

  /** A CodeBuild project on the standard image, encrypted with the pipeline key, logging to CloudWatch. */
  private project(
    id: string,
    options: { description: string; buildSpec: codebuild.BuildSpec; privileged?: boolean; timeout?: Duration },
  ): codebuild.PipelineProject {
    const project = new codebuild.PipelineProject(this, id, {
      description: options.description,
      buildSpec: options.buildSpec,
      encryptionKey: this.key,
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
