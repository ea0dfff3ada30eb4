import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
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
import { pascal } from '../names';
import { acknowledge, acknowledgeWildcardGrants } from '../nag';
import { stageId } from '../stages/system-stage';
import { serviceHost } from '../wiring';
import { ECR_PUSH_PULL_ACTIONS, repositoryName } from './image-repositories';

/** Properties of {@link DeliveryPipeline}. */
export interface DeliveryPipelineProps {
  /** The system's name (`csl`). */
  readonly system: string;
  /** Where the pipeline runs and what it watches. */
  readonly pipeline: PipelineConfig;
  /** The system's stages, in order: dev, staging, prod. */
  readonly stages: readonly ResolvedConfig[];
}

/** A buildable image and where its source comes from. */
interface ImageBuild {
  readonly image: string;
  readonly repository: string;
  readonly runtime: 'laravel' | 'nextjs';
  readonly nginxSidecar: boolean;
}

/** Turns `IMAGE_TAGS=api=abc,web=def` into `-c imageTag.api=abc -c imageTag.web=def` for cdk. */
const IMAGE_TAG_ARGS = 'ARGS=""; for kv in $(echo "$IMAGE_TAGS" | tr "," " "); do ARGS="$ARGS -c imageTag.$kv"; done';

/** The install phase of every step that runs this repository's code. */
const NPM_INSTALL = { 'runtime-versions': { nodejs: '20' }, commands: ['npm ci --no-audit --no-fund'] };

/** Logs Docker in to the registry named by the two environment variables. */
const ecrLogin = (regionVar: string, registryVar: string) =>
  `aws ecr get-login-password --region "$${regionVar}" | docker login --username AWS --password-stdin "$${registryVar}"`;

/** The build image CodeBuild runs every step on. */
const BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/**
 * The delivery pipeline of one system, replacing the seeds' GitHub Actions (test, then `git
 * pull; composer install; migrate --force` over SSH) and their blue-green scripts.
 *
 * CodePipeline V2, started by a push to `main` of this repository or of any application
 * repository (CodeConnections). It tests this repository and synthesizes every stage; builds
 * and tests each application image once and pushes it to the dev stage's ECR repository, tagged
 * with its commit; then deploys dev, promotes the same images to staging and deploys it, shows
 * the `cdk diff` of prod for a manual approval, promotes and deploys prod. Each deploy is a
 * `cdk deploy <Stage>/*` with the commit tags, so the CodeDeploy blue/green path with snapshot,
 * migrations and smoke test runs; a smoke step follows each stage. Failures and pending
 * approvals are sent to the alert addresses.
 *
 * Stage accounts are bootstrapped to trust the pipeline's account
 * (`cdk bootstrap --trust <tooling account>`), and their image repositories admit it.
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
    const infra = new codepipeline.Artifact('Infra');
    const infraSource = new actions.CodeStarConnectionsSourceAction({
      actionName: 'Infrastructure',
      connectionArn: cfg.connectionArn,
      owner: cfg.repository.split('/')[0],
      repo: cfg.repository.split('/')[1],
      branch: cfg.branch,
      output: infra,
      variablesNamespace: 'Infra',
      triggerOnPush: true,
    });
    const builds: ImageBuild[] = Object.entries(dev.images).map(([image, i]) => ({
      image,
      repository: i.repository,
      runtime: i.runtime,
      nginxSidecar: i.nginxSidecar ?? false,
    }));
    const appSources = new Map<
      string,
      { action: actions.CodeStarConnectionsSourceAction; output: codepipeline.Artifact }
    >();
    for (const repository of new Set(builds.map((b) => b.repository))) {
      const name = pascal(repository.split('/')[1]).replace(/[^A-Za-z0-9]/g, '');
      const output = new codepipeline.Artifact(name);
      appSources.set(repository, {
        output,
        action: new actions.CodeStarConnectionsSourceAction({
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
    const allImages = builds.flatMap((b) => (b.nginxSidecar ? [b.image, `${b.image}-nginx`] : [b.image]));
    const registry = (s: ResolvedConfig) => `${s.account}.dkr.ecr.${s.region}.amazonaws.com`;
    const repositoryArns = (s: ResolvedConfig) =>
      allImages.map(
        (image) =>
          `arn:aws:ecr:${s.region}:${s.account}:repository/${repositoryName(`${props.system}-${s.stage}`, image)}`,
      );

    // Build: test this repository; build, test and push each image once, to dev's registry.
    const infraTest = this.project('InfraTest', key, {
      description: `${props.system}: npm ci, the test suite, cdk synth`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: NPM_INSTALL,
          build: { commands: ['npm test', `npm run synth -- -c systems=${props.system}`] },
        },
      }),
    });
    const imageProject = this.project('ImageBuild', key, {
      description: `${props.system}: docker build (test target, then app), push to the dev registry`,
      privileged: true,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          pre_build: {
            commands: [ecrLogin('REGISTRY_REGION', 'REGISTRY')],
          },
          build: {
            commands: [
              // The test target runs the suite (Laravel: composer install, php artisan test;
              // Next.js: npm ci, npm test); a failure stops the build here.
              'docker build --target test -t local/test .',
              'docker build --target app -t "$REGISTRY/$REPOSITORY:$IMAGE_TAG" .',
              'if [ "$NGINX_SIDECAR" = "true" ]; then docker build --target nginx -t "$REGISTRY/$REPOSITORY-nginx:$IMAGE_TAG" .; fi',
            ],
          },
          post_build: {
            commands: [
              'docker push "$REGISTRY/$REPOSITORY:$IMAGE_TAG"',
              'if [ "$NGINX_SIDECAR" = "true" ]; then docker push "$REGISTRY/$REPOSITORY-nginx:$IMAGE_TAG"; fi',
            ],
          },
        },
      }),
    });
    this.allowRegistry(imageProject, repositoryArns(dev));
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
              runOrder: 1,
              environmentVariables: env({
                REGISTRY: registry(dev),
                REGISTRY_REGION: dev.region,
                REPOSITORY: repositoryName(`${props.system}-dev`, b.image),
                IMAGE_TAG: tagOf(b),
                NGINX_SIDECAR: String(b.nginxSidecar),
              }),
            }),
        ),
      ],
    });

    // Deploy, promote, diff and smoke: one project each, told which stage by its action.
    const deploy = this.project('Deploy', key, {
      description: `${props.system}: cdk deploy of one stage with the built image tags`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: NPM_INSTALL,
          build: {
            commands: [IMAGE_TAG_ARGS, 'npx cdk deploy "$STAGE_ID/*" --require-approval never --progress events $ARGS'],
          },
        },
      }),
      timeout: Duration.hours(3),
    });
    const diff = this.project('Diff', key, {
      description: `${props.system}: destructive changes and cdk diff of prod, for the approver`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: NPM_INSTALL,
          build: {
            commands: [
              IMAGE_TAG_ARGS,
              'npm run --silent diff -- "$SYSTEM" "$STAGE" $ARGS | tee diff.txt',
              'aws s3 cp diff.txt "s3://$DIFF_BUCKET/diffs/$EXECUTION_ID.txt" --sse aws:kms',
            ],
          },
        },
      }),
    });
    this.artifactBucket.grantPut(diff);
    const promote = this.project('Promote', key, {
      description: `${props.system}: copy the built images from one stage's registry to the next`,
      privileged: true,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          pre_build: {
            commands: [ecrLogin('FROM_REGION', 'FROM_REGISTRY'), ecrLogin('TO_REGION', 'TO_REGISTRY')],
          },
          build: {
            commands: [
              'for kv in $(echo "$IMAGE_TAGS" | tr "," " "); do image="${kv%%=*}"; tag="${kv#*=}"; ' +
                'for name in $image $(echo "$SIDECARS" | tr "," "\\n" | grep -x "$image-nginx" || true); do ' +
                'docker pull "$FROM_REGISTRY/$FROM_PREFIX/$name:$tag" && ' +
                'docker tag "$FROM_REGISTRY/$FROM_PREFIX/$name:$tag" "$TO_REGISTRY/$TO_PREFIX/$name:$tag" && ' +
                'docker push "$TO_REGISTRY/$TO_PREFIX/$name:$tag"; done; done',
            ],
          },
        },
      }),
    });
    const smoke = this.project('Smoke', key, {
      description: `${props.system}: after a deploy, each public host's health path answers through CloudFront`,
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: {
            commands: [
              'for url in $(echo "$URLS" | tr "," " "); do echo "GET $url"; ' +
                'curl --fail --silent --show-error --retry 5 --retry-delay 10 --retry-all-errors -o /dev/null "$url"; done',
            ],
          },
        },
      }),
    });

    const sidecars = allImages.filter((i) => i.endsWith('-nginx')).join(',');
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
        const from = stages[index - 1];
        stageActions.push(
          new actions.CodeBuildAction({
            actionName: 'Promote',
            project: promote,
            input: infra,
            runOrder: order++,
            environmentVariables: env({
              IMAGE_TAGS: imageTags,
              SIDECARS: sidecars,
              FROM_REGISTRY: registry(from),
              FROM_REGION: from.region,
              FROM_PREFIX: `${props.system}-${from.stage}`,
              TO_REGISTRY: registry(stage),
              TO_REGION: stage.region,
              TO_PREFIX: `${props.system}-${stage.stage}`,
            }),
          }),
        );
        this.allowRegistry(promote, [...repositoryArns(from), ...repositoryArns(stage)]);
      }
      stageActions.push(
        new actions.CodeBuildAction({
          actionName: 'Deploy',
          project: deploy,
          input: infra,
          runOrder: order++,
          environmentVariables: env({ STAGE_ID: stageId(stage), IMAGE_TAGS: imageTags }),
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

    // cdk deploy and diff assume the bootstrap roles of each stage's account.
    const bootstrapRoles = stages.flatMap((s) => [
      `arn:aws:iam::${s.account}:role/cdk-hnb659fds-*-${s.account}-${s.region}`,
      `arn:aws:iam::${s.account}:role/cdk-hnb659fds-*-${s.account}-us-east-1`,
    ]);
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

  /** Lets a project push to and pull from these image repositories (in the stage accounts). */
  private allowRegistry(project: codebuild.PipelineProject, repositoryArns: string[]): void {
    project.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    project.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ECR_PUSH_PULL_ACTIONS,
        resources: repositoryArns,
      }),
    );
  }
}

/** Plain-text environment variables for a CodeBuild action. */
function env(values: Record<string, string>): Record<string, codebuild.BuildEnvironmentVariable> {
  return Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]));
}

/** The health URL of each public service of a stage, through CloudFront. */
export function smokeUrls(stage: ResolvedConfig): string[] {
  return Object.entries(stage.services)
    .filter(([, s]) => s.host)
    .map(([name, s]) => `https://${serviceHost(stage, name)}${s.healthCheckPath ?? '/'}`);
}

/** The stack of a system's pipeline, e.g. `Csl-Pipeline`. */
export function pipelineStackId(system: string): string {
  return `${pascal(system)}-Pipeline`;
}
