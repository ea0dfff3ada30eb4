import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { resolvePipeline, SYSTEMS } from '../../../config';
import { pascal, stageId } from '../../../config/names';
import { deliveryPipelineProps, pipelineImages } from '../../../lib/stacks/pipeline-stack';
import type { StageFixture } from '../../stage-fixture';

type Action = {
  Name: string;
  RunOrder?: number;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, any>;
};
type PipelineStage = { Name: string; Actions: Action[] };

/** Template tests of the delivery pipelines; registered by test/lib/stages.test.ts. */
export function pipelineStackCases(f: StageFixture): void {
  const pipelineOf = (t: Template) => Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
  const stagesOf = (t: Template) => pipelineOf(t).Stages as PipelineStage[];
  /** An action's environment variables; references to resources read as `<LogicalId>`. */
  const envOf = (action: Action) => {
    const flatten = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const obj = value as Record<string, any>;
      if (obj.Ref) return `<${obj.Ref}>`;
      if (obj['Fn::GetAtt']) return `<${(obj['Fn::GetAtt'] as string[]).join('.')}>`;
      if (obj['Fn::Join']) return (obj['Fn::Join'][1] as unknown[]).map(flatten).join(obj['Fn::Join'][0]);
      return JSON.stringify(value);
    };
    const vars = JSON.parse(flatten(action.Configuration.EnvironmentVariables)) as { name: string; value: string }[];
    return Object.fromEntries(vars.map((v) => [v.name, v.value]));
  };

  test.each(SYSTEMS.map((s) => s.name))(
    '%s: V2 pipeline in the tooling account: source, build, then each stage in the pipeline order',
    (system) => {
      const t = f.pipeline(system);
      expect(pipelineOf(t).PipelineType).toBe('V2');
      const order = resolvePipeline(SYSTEMS.find((s) => s.name === system)!).order!;
      expect(stagesOf(t).map((s) => s.Name)).toEqual(['Source', 'Build', ...order.map(pascal)]);
      expect(order[0]).toBe('dev');
      expect(order.at(-1)).toBe('prod');
    },
  );

  test('watches this repository and every application repository, on main only, through the connection', () => {
    const t = f.pipeline('csl');
    const sources = stagesOf(t)[0].Actions;
    expect(sources.map((a) => a.Configuration.FullRepositoryId)).toEqual([
      'csl-platform/csl-infrastructure',
      'csl-platform/CSL-Certification-Rest-API',
      'csl-platform/CSL-Certification',
      'csl-platform/CSL-Sales-Website',
    ]);
    for (const source of sources) {
      expect(source.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
      expect(source.Configuration).toEqual(
        expect.objectContaining({
          BranchName: 'main',
          ConnectionArn:
            'arn:aws:codeconnections:eu-west-1:777777777777:connection/00000000-0000-0000-0000-00000000c51a',
        }),
      );
    }
    const triggers = pipelineOf(t).Triggers as { GitConfiguration: { SourceActionName: string; Push: unknown[] } }[];
    expect(triggers).toHaveLength(4);
    for (const trigger of triggers) {
      expect(trigger.GitConfiguration.Push).toEqual([{ Branches: { Includes: ['main'] } }]);
    }
  });

  test('tests this repository and builds each image once, privileged for Docker, with no long-lived keys', () => {
    const t = f.pipeline('csl');
    const build = stagesOf(t)[1].Actions;
    expect(build.map((a) => a.Name)).toEqual(['TestInfrastructure', 'Image-api', 'Image-certification', 'Image-admin']);
    const api = envOf(build[1]);
    expect(api).toEqual(
      expect.objectContaining({
        REGISTRY: '777777777777.dkr.ecr.eu-west-1.amazonaws.com',
        REGISTRY_REGION: 'eu-west-1',
        REPOSITORY: 'csl/api',
        IMAGE_TAG: '#{CSLCertificationRestAPI.CommitId}',
        NGINX_SIDECAR: 'true',
        PORT: '80',
        HEALTH_PATH: '/up',
        APP_USER: 'www-data',
      }),
    );
    const projects = Object.values(t.findResources('AWS::CodeBuild::Project'));
    const privileged = projects
      .filter((p) => p.Properties.Environment.PrivilegedMode)
      .map((p) => p.Properties.Description);
    expect(privileged).toEqual([expect.stringContaining('docker build')]);
    for (const project of projects) {
      expect(project.Properties.ServiceRole).toBeDefined();
      const vars = (project.Properties.Environment.EnvironmentVariables ?? []).map((v: { Name: string }) => v.Name);
      expect(vars.filter((n: string) => /ACCESS_KEY|SECRET/.test(n))).toEqual([]);
    }
    const buildspec = JSON.stringify(projects.map((p) => p.Properties.Source.BuildSpec));
    expect(buildspec).toContain('lib/pipeline/steps/build-image.sh');
    expect(buildspec).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
  });

  test('deploys each stage with the image tags of the commits it built', () => {
    const t = f.pipeline('shipment');
    for (const [stage, id] of [
      ['Dev', 'Shipment-Dev'],
      ['Staging', 'Shipment-Staging'],
      ['Prod', 'Shipment-Prod'],
    ]) {
      const deploy = stagesOf(t)
        .find((s) => s.Name === stage)!
        .Actions.find((a) => a.Name === 'Deploy')!;
      expect(envOf(deploy)).toEqual({
        STAGE_ID: id,
        IMAGE_TAGS: 'web=#{Shipmentapp.CommitId}',
        STATIC_PATHS: '/build/*,/static/*',
      });
    }
  });

  test('promotes the same images, shows the prod diff, and waits for approval before prod', () => {
    const t = f.pipeline('csl');
    const prod = stagesOf(t).find((s) => s.Name === 'Prod')!.Actions;
    const order = [...prod].sort((a, b) => (a.RunOrder ?? 1) - (b.RunOrder ?? 1)).map((a) => a.Name);
    expect(order).toEqual(['Diff', 'Approve', 'Promote', 'Deploy', 'Smoke']);
    const approve = prod.find((a) => a.Name === 'Approve')!;
    expect(approve.ActionTypeId.Category).toBe('Approval');
    expect(JSON.stringify(approve.Configuration.ExternalEntityLink)).toContain(
      'diffs/#{codepipeline.PipelineExecutionId}.txt',
    );
    expect(envOf(prod.find((a) => a.Name === 'Diff')!)).toEqual(
      expect.objectContaining({ SYSTEM: 'csl', STAGE: 'prod' }),
    );
    expect(envOf(prod.find((a) => a.Name === 'Promote')!)).toEqual(
      expect.objectContaining({ STAGE: 'prod', IMAGES: expect.stringContaining('csl/api-nginx=') }),
    );
    const staging = stagesOf(t)
      .find((s) => s.Name === 'Staging')!
      .Actions.map((a) => a.Name);
    expect(staging).toEqual(['Promote', 'Deploy', 'Smoke']);
    expect(
      stagesOf(t)
        .find((s) => s.Name === 'Dev')!
        .Actions.map((a) => a.Name),
    ).toEqual(['Deploy', 'Smoke']);
  });

  test('smoke-tests each public host of the stage after its deploy', () => {
    const smoke = stagesOf(f.pipeline('csl'))
      .find((s) => s.Name === 'Staging')!
      .Actions.find((a) => a.Name === 'Smoke')!;
    expect(envOf(smoke).URLS.split(',')).toEqual([
      'https://api.staging.cfpcsl.com/up',
      'https://certification.staging.cfpcsl.com/',
      'https://admin.staging.cfpcsl.com/',
    ]);
  });

  test('announces failures and pending approvals to the alert addresses', () => {
    const t = f.pipeline('csl');
    t.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: [
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-action-execution-failed',
        'codepipeline-pipeline-manual-approval-needed',
      ],
    });
    // Every address of every stage of the system, once.
    const emails = Object.values(t.findResources('AWS::SNS::Subscription')).map((s) => s.Properties.Endpoint);
    const stageEmails = f.stages
      .filter((s) => s.data.config.system === 'csl')
      .flatMap((s) => s.data.config.alertEmails);
    expect(emails.sort()).toEqual([...new Set(stageEmails)].sort());
    expect(emails).toEqual(
      expect.arrayContaining([
        'csl-dev-alerts@example.com',
        'csl-oncall@example.com',
        'csl-staging-alerts@example.com',
      ]),
    );
  });

  test('stages pull from the tooling registry; no stage holds repositories; the pipeline publishes through a stage role', () => {
    const data = f.template('Csl-Staging', 'data');
    expect(Object.keys(data.findResources('AWS::ECR::Repository'))).toEqual([]);
    data.hasOutput('AssetsBucketName', {});
    data.hasOutput('AssetPublisherRoleArn', {});
    const roles = JSON.stringify(data.findResources('AWS::IAM::Role'));
    expect(roles).toContain('csl-staging-asset-publisher');
    expect(roles).toContain('arn:aws:iam::777777777777:role/Csl-Pipeline-*');
    // Deploys never delete; files of builds no longer deployed expire a year after their last upload.
    expect(JSON.stringify(data.findResources('AWS::S3::Bucket'))).toContain('ExpireStaticFilesNotRepublished');
    const app = JSON.stringify(f.template('Csl-Staging', 'app').findResources('AWS::ECS::TaskDefinition'));
    expect(app).toContain('777777777777.dkr.ecr.eu-west-1.');
    expect(app).toContain('/csl/api:');
  });

  // A stage synthesized without an image tag refuses its deploy: test/lib/pipeline/image-tag.test.ts
  // (the shared fixture is tagged, as deploys are).

  test('cdk deploy may assume only the stage accounts’ bootstrap and asset-publisher roles', () => {
    const t = f.pipeline('shipment');
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: string[] }[],
    );
    // (The pipeline's own role also assumes its action roles, which are referenced, not named.)
    const assume = policies
      .filter((s) => s.Action === 'sts:AssumeRole')
      .flatMap((s) => s.Resource)
      .filter((r) => typeof r === 'string');
    expect(new Set(assume)).toEqual(
      new Set(
        [
          ['444444444444', 'dev'],
          ['555555555555', 'staging'],
          ['666666666666', 'prod'],
        ].flatMap(([a, stage]) => [
          `arn:aws:iam::${a}:role/cdk-hnb659fds-*-${a}-us-east-1`,
          `arn:aws:iam::${a}:role/shipment-${stage}-asset-publisher`,
        ]),
      ),
    );
  });

  test('cdk deploy may assume the bootstrap role of every account and region any stack of a stage deploys to', () => {
    for (const system of ['csl', 'shipment']) {
      const statements = Object.values(f.pipeline(system).findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[],
      );
      const assumable = statements
        .filter((s) => s.Action === 'sts:AssumeRole')
        .flatMap((s) => ([] as unknown[]).concat(s.Resource))
        .filter((r): r is string => typeof r === 'string');
      const needed = f.ids
        .filter((id) => id.toLowerCase().startsWith(`${system}-`))
        .flatMap((id) => f.stage(id).node.children.filter((c): c is Stack => c instanceof Stack))
        .map((stack) => `arn:aws:iam::${stack.account}:role/cdk-hnb659fds-*-${stack.account}-${stack.region}`);
      // The Dr stack of csl prod (eu-central-1) is among them: a region the stage is not in.
      expect([...new Set(needed)].filter((role) => !assumable.includes(role))).toEqual([]);
    }
  });

  describe('what the pipeline construct is given (deliveryPipelineProps)', () => {
    // How DeliveryPipeline builds a pipeline from these: test/lib/pipeline/delivery-pipeline.test.ts.
    const propsOf = (system: string) =>
      deliveryPipelineProps(
        system,
        resolvePipeline(SYSTEMS.find((s) => s.name === system)!),
        ['dev', 'staging', 'prod'].map((stage) => f.config(stageId({ system, stage }))),
      );

    test('only prod waits for an approval; every stage bootstraps its region, us-east-1 and its backup-copy region', () => {
      const { stages } = propsOf('csl');
      expect(stages.map((s) => [s.stageId, s.approval, s.regions])).toEqual([
        ['Csl-Dev', false, ['eu-west-1', 'us-east-1']],
        ['Csl-Staging', false, ['eu-west-1', 'us-east-1']],
        ['Csl-Prod', true, ['eu-west-1', 'us-east-1', 'eu-central-1']],
      ]);
    });

    test('a stage with static paths publishes them through its asset-publisher role', () => {
      const [dev] = propsOf('shipment').stages;
      expect(dev.staticFiles).toEqual({
        paths: ['/build/*', '/static/*'],
        publisherRoleArn: 'arn:aws:iam::444444444444:role/shipment-dev-asset-publisher',
      });
    });

    test('images are built as the first stage configures them, each checked against its web service', () => {
      const { images, alertEmails } = propsOf('csl');
      expect(images.map((i) => [i.name, i.sourceRepository, i.port, i.healthPath])).toEqual([
        ['api', 'csl-platform/CSL-Certification-Rest-API', 80, '/up'],
        ['certification', 'csl-platform/CSL-Certification', 3000, '/'],
        ['admin', 'csl-platform/CSL-Sales-Website', 3000, '/'],
      ]);
      expect(new Set(alertEmails).size).toBe(alertEmails.length);
    });

    test('an image no web service runs is refused, naming the image', () => {
      const config = f.config('Csl-Dev');
      const { admin: _admin, ...services } = config.services;
      expect(() => pipelineImages({ ...config, services })).toThrow(
        /^csl\.images\.admin: no web service \(laravel-web or nextjs\) runs it/,
      );
    });
  });
}
