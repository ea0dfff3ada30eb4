import { Match, Template } from 'aws-cdk-lib/assertions';
import { DeliveryPipeline, type DeliveryPipelineProps } from '../../../lib/pipeline/delivery-pipeline';
import { bareStack } from '../../helpers';
import { actionEnv, allActions, flatten, projectOf, type PipelineAction } from './pipeline-template';

/**
 * What DeliveryPipeline builds from the sources, images and stages it is given, built alone on
 * a bare stack. What each system's pipeline gets from its config is checked on the synthesized
 * pipelines (test/lib/stacks/pipeline-stack.cases.ts); the buildspecs run with fake tools in
 * steps/buildspecs.test.ts.
 */
const PROPS: DeliveryPipelineProps = {
  system: 'sys',
  source: {
    connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0000-abcd',
    repository: 'org/sys-infra',
    branch: 'main',
  },
  registry: { account: '111111111111', region: 'eu-west-1', namePrefix: 'sys' },
  images: [
    {
      name: 'api',
      sourceRepository: 'org/sys-api',
      runtime: 'laravel',
      nginxSidecar: true,
      user: 'www-data',
      readonlyRootFilesystem: true,
      port: 80,
      healthPath: '/up',
      staticPaths: ['/build/*', '/static/*'],
    },
    {
      name: 'web',
      sourceRepository: 'org/sys-front',
      runtime: 'nextjs',
      readonlyRootFilesystem: true,
      port: 3000,
      healthPath: '/',
      staticPaths: ['/build/*', '/static/*'],
    },
    {
      name: 'admin',
      sourceRepository: 'org/sys-front',
      runtime: 'nextjs',
      port: 3000,
      healthPath: '/',
      staticPaths: [],
    },
  ],
  stages: [
    {
      name: 'dev',
      stageId: 'Sys-Dev',
      account: '222222222222',
      regions: ['eu-west-1', 'us-east-1'],
      staticFiles: { paths: ['/build/*'], publisherRoleArn: 'arn:aws:iam::222222222222:role/sys-dev-asset-publisher' },
      smokeUrls: ['https://api.dev.example.com/up', 'https://dev.example.com/'],
    },
    {
      name: 'qa',
      stageId: 'Sys-Qa',
      account: '333333333333',
      regions: ['eu-west-1', 'us-east-1'],
      smokeUrls: ['https://api.qa.example.com/up'],
    },
    {
      name: 'prod',
      stageId: 'Sys-Prod',
      account: '444444444444',
      regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
      staticFiles: { paths: ['/build/*'], publisherRoleArn: 'arn:aws:iam::444444444444:role/sys-prod-asset-publisher' },
      smokeUrls: ['https://api.example.com/up'],
      approval: true,
    },
  ],
  alertEmails: ['oncall@example.com', 'dev@example.com', 'oncall@example.com'],
};

/** A pipeline of the given props, synthesized. */
function synth(props: DeliveryPipelineProps): Template {
  const stack = bareStack();
  new DeliveryPipeline(stack, 'Pipeline', props);
  return Template.fromStack(stack);
}

const t = synth(PROPS);
const pipeline = () => Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
const stage = (name: string) =>
  (pipeline().Stages as { Name: string; Actions: PipelineAction[] }[]).find((s) => s.Name === name)!;
const action = (stageName: string, name: string) => stage(stageName).Actions.find((a) => a.Name === name)!;
/** The run order of a stage's actions, by name. */
const inOrder = (stageName: string) =>
  [...stage(stageName).Actions].sort((a, b) => (a.RunOrder ?? 1) - (b.RunOrder ?? 1)).map((a) => a.Name);

/** The statements of every policy attached to the role of an action's project. */
function projectStatements(a: PipelineAction): { Action: string | string[]; Resource: unknown }[] {
  const role = flatten(projectOf(t, a).ServiceRole).replace(/\.Arn$/, '');
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => flatten(r) === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const assumable = (a: PipelineAction) =>
  projectStatements(a)
    .filter((s) => s.Action === 'sts:AssumeRole')
    .flatMap((s) => ([] as unknown[]).concat(s.Resource))
    .map(flatten);

describe('DeliveryPipeline', () => {
  test('a queued V2 pipeline: sources, build, then the stages in the order given', () => {
    expect(pipeline()).toEqual(
      expect.objectContaining({ PipelineType: 'V2', ExecutionMode: 'QUEUED', RestartExecutionOnUpdate: false }),
    );
    expect(pipeline().Stages.map((s: { Name: string }) => s.Name)).toEqual(['Source', 'Build', 'Dev', 'Qa', 'Prod']);
  });

  test('watches this repository and each application repository once, on the branch, through the connection', () => {
    const sources = stage('Source').Actions;
    expect(sources.map((a) => [a.Name, a.Configuration.FullRepositoryId])).toEqual([
      ['Infrastructure', 'org/sys-infra'],
      ['SysApi', 'org/sys-api'],
      ['SysFront', 'org/sys-front'],
    ]);
    for (const source of sources) {
      expect(source.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
      expect(source.Configuration).toEqual(
        expect.objectContaining({ BranchName: 'main', ConnectionArn: PROPS.source.connectionArn }),
      );
    }
    const triggers = pipeline().Triggers as { GitConfiguration: { SourceActionName: string; Push: unknown[] } }[];
    expect(triggers.map((tr) => tr.GitConfiguration.SourceActionName)).toEqual([
      'Infrastructure',
      'SysApi',
      'SysFront',
    ]);
    for (const trigger of triggers)
      expect(trigger.GitConfiguration.Push).toEqual([{ Branches: { Includes: ['main'] } }]);
  });

  test('builds each image once from its repository’s commit, with what its contract check needs', () => {
    expect(stage('Build').Actions.map((a) => a.Name)).toEqual([
      'TestInfrastructure',
      'Image-api',
      'Image-web',
      'Image-admin',
    ]);
    expect(actionEnv(t, action('Build', 'Image-api'))).toEqual({
      REGISTRY: '111111111111.dkr.ecr.eu-west-1.amazonaws.com',
      REGISTRY_REGION: 'eu-west-1',
      REPOSITORY: 'sys/api',
      IMAGE_TAG: 'c0ffee1',
      RUNTIME: 'laravel',
      PORT: '80',
      HEALTH_PATH: '/up',
      STATIC_PATHS: '/build/*,/static/*',
      NGINX_SIDECAR: 'true',
      APP_USER: 'www-data',
      READ_ONLY: expect.stringContaining('/var/www/html/storage'),
      NGINX_READ_ONLY: expect.stringMatching(/.+/),
    });
    const web = actionEnv(t, action('Build', 'Image-web'));
    expect(web).toEqual(
      expect.objectContaining({ RUNTIME: 'nextjs', NGINX_SIDECAR: 'false', APP_USER: '', NGINX_READ_ONLY: '' }),
    );
    expect(web.READ_ONLY).toContain('.next/cache');
    expect(actionEnv(t, action('Build', 'Image-admin'))).toEqual(
      expect.objectContaining({ READ_ONLY: '', STATIC_PATHS: '', REPOSITORY: 'sys/admin' }),
    );
    // Two images from one repository take the same source's commit.
    expect(action('Build', 'Image-web').Configuration.EnvironmentVariables).toEqual(
      expect.stringContaining('#{SysFront.CommitId}'),
    );
    expect(action('Build', 'Image-admin').InputArtifacts).toEqual([{ Name: 'SysFront' }, { Name: 'Infra' }]);
  });

  test('only the image build runs privileged, and no project holds long-lived keys', () => {
    const projects = Object.values(t.findResources('AWS::CodeBuild::Project'));
    expect(
      projects.filter((p) => p.Properties.Environment.PrivilegedMode).map((p) => p.Properties.Description),
    ).toEqual(['sys: docker build (test target, then app), contract check, push to the registry']);
    for (const project of projects) {
      expect(project.Properties.ServiceRole).toBeDefined();
      const vars = (project.Properties.Environment.EnvironmentVariables ?? []).map((v: { Name: string }) => v.Name);
      expect(vars.filter((n: string) => /ACCESS_KEY|SECRET/.test(n))).toEqual([]);
    }
    const buildspecs = JSON.stringify(projects.map((p) => p.Properties.Source.BuildSpec));
    expect(buildspecs).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
  });

  test('the image build may push to each image’s repository and its sidecar’s, in the given registry', () => {
    const statements = JSON.stringify(projectStatements(action('Build', 'Image-api')));
    for (const repository of ['sys/api', 'sys/api-nginx', 'sys/web', 'sys/admin']) {
      expect(statements).toContain(`arn:aws:ecr:eu-west-1:111111111111:repository/${repository}`);
    }
    expect(statements).toContain('ecr:GetAuthorizationToken');
    expect(statements).toContain('ecr:PutImage');
  });

  test('deploys each stage with the built image tags and every image’s static files', () => {
    for (const [name, stageId, paths] of [
      ['Dev', 'Sys-Dev', '/build/*'],
      ['Qa', 'Sys-Qa', ''],
      ['Prod', 'Sys-Prod', '/build/*'],
    ]) {
      const deploy = action(name, 'Deploy');
      expect(actionEnv(t, deploy)).toEqual({
        STAGE_ID: stageId,
        IMAGE_TAGS: 'api=c0ffee1,web=c0ffee1,admin=c0ffee1',
        STATIC_PATHS: paths,
      });
      expect(deploy.InputArtifacts!.map((i) => i.Name)).toEqual(['Infra', 'StaticApi', 'StaticWeb', 'StaticAdmin']);
    }
  });

  test('the first stage deploys what was built; each later one first promotes the same images to it', () => {
    expect(inOrder('Dev')).toEqual(['Deploy', 'Smoke']);
    expect(inOrder('Qa')).toEqual(['Promote', 'Deploy', 'Smoke']);
    expect(actionEnv(t, action('Qa', 'Promote'))).toEqual({
      REGISTRY_REGION: 'eu-west-1',
      STAGE: 'qa',
      IMAGES: 'sys/api=c0ffee1,sys/api-nginx=c0ffee1,sys/web=c0ffee1,sys/admin=c0ffee1',
    });
    const statements = JSON.stringify(projectStatements(action('Qa', 'Promote')));
    expect(statements).toContain('arn:aws:ecr:eu-west-1:111111111111:repository/sys/api-nginx');
  });

  test('a stage that asks for approval shows its diff and waits for the approval before it promotes and deploys', () => {
    expect(inOrder('Prod')).toEqual(['Diff', 'Approve', 'Promote', 'Deploy', 'Smoke']);
    expect(stage('Qa').Actions.map((a) => a.Name)).not.toContain('Approve');
    const approve = action('Prod', 'Approve');
    expect(approve.ActionTypeId.Category).toBe('Approval');
    expect(approve.Configuration.CustomData).toBe(
      'Review the destructive changes and cdk diff of Sys-Prod before it deploys.',
    );
    const link = JSON.stringify(approve.Configuration.ExternalEntityLink);
    expect(link).toContain('diffs/#{codepipeline.PipelineExecutionId}.txt');
    const diff = actionEnv(t, action('Prod', 'Diff'));
    expect(diff).toEqual(
      expect.objectContaining({ SYSTEM: 'sys', STAGE: 'prod', IMAGE_TAGS: 'api=c0ffee1,web=c0ffee1,admin=c0ffee1' }),
    );
    expect(link).toContain(diff.DIFF_BUCKET);
  });

  test('smoke-tests the given URLs after each deploy', () => {
    expect(actionEnv(t, action('Dev', 'Smoke')).URLS).toBe('https://api.dev.example.com/up,https://dev.example.com/');
    expect(actionEnv(t, action('Prod', 'Smoke')).URLS).toBe('https://api.example.com/up');
  });

  test('deploys may assume the publisher role of each stage with static files, and every stage region’s bootstrap roles', () => {
    const bootstrap = PROPS.stages.flatMap((s) =>
      s.regions.map((region) => `arn:aws:iam::${s.account}:role/cdk-hnb659fds-*-${s.account}-${region}`),
    );
    expect(new Set(assumable(action('Dev', 'Deploy')))).toEqual(
      new Set([
        'arn:aws:iam::222222222222:role/sys-dev-asset-publisher',
        'arn:aws:iam::444444444444:role/sys-prod-asset-publisher',
        ...bootstrap,
      ]),
    );
    expect(new Set(assumable(action('Prod', 'Diff')))).toEqual(new Set(bootstrap));
    expect(assumable(action('Prod', 'Smoke'))).toEqual([]);
  });

  test('announces failed runs, failed actions and pending approvals to each address once, encrypted with the pipeline key', () => {
    t.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      DetailType: 'FULL',
      EventTypeIds: [
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-action-execution-failed',
        'codepipeline-pipeline-manual-approval-needed',
      ],
    });
    t.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'sys delivery pipeline',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineArtifactKey'), 'Arn'] },
    });
    const emails = Object.values(t.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint);
    expect(emails).toEqual(['oncall@example.com', 'dev@example.com']);
    const [key] = Object.values(t.findResources('AWS::KMS::Key'));
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('codestar-notifications.amazonaws.com');
  });

  test('keeps artifacts 30 days, encrypted with a rotated key, with access logs', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
      LoggingConfiguration: Match.objectLike({
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^PipelineAccessLogs') },
      }),
    });
  });

  test('every step runs a script of lib/pipeline/steps/', () => {
    const buildspecs = Object.values(t.findResources('AWS::CodeBuild::Project')).map((p) =>
      JSON.stringify(p.Properties.Source.BuildSpec),
    );
    for (const script of ['test-infra', 'build-image', 'deploy', 'diff', 'promote', 'smoke']) {
      expect(buildspecs.filter((b) => b.includes(`lib/pipeline/steps/${script}.sh`))).toHaveLength(1);
    }
    expect(allActions(t).length).toBeGreaterThan(0);
  });

  test('more than four images are refused at synth: a deploy action takes at most five inputs', () => {
    const image = PROPS.images[2];
    const images = (names: string[]) => ({ ...PROPS, images: names.map((name) => ({ ...image, name })) });
    expect(() => synth(images(['a', 'b', 'c', 'd']))).not.toThrow();
    const five = images(['a', 'b', 'c', 'd', 'e']);
    expect(() => synth(five)).toThrow(/CodeBuild cannot have more than 5 input artifacts/);
  });
});
