/**
 * Every pipeline action's role can use every resource its action names: the connection of a
 * source action, the registry repositories an image build or promotion pushes to, the bucket and
 * key the diff writes with, the stage accounts' asset-publisher roles a deploy assumes. Read from
 * the template, since IAM cannot be executed offline.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { actionEnv, allActions, flatten, pipelineTemplate, projectOf, type PipelineAction } from './pipeline-template';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, any> };

const templates: Record<string, Template> = {};
beforeAll(() => {
  for (const system of ['csl', 'shipment']) templates[system] = pipelineTemplate(system);
});

/** The statements of every policy attached to a role (by logical id). */
function statementsOf(t: Template, roleId: string): Statement[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => flatten(r) === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** IAM wildcard match (`*` and `?`). */
const matches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** Whether the statements allow `action` on `resource` (conditions are returned for the caller). */
function allows(statements: Statement[], action: string, resource: string): Statement | undefined {
  return statements.find((s) => {
    if (s.Effect !== 'Allow') return false;
    const actions = ([] as string[]).concat(s.Action);
    const resources = ([] as unknown[]).concat(s.Resource).map(flatten);
    return actions.some((a) => matches(a, action)) && resources.some((r) => matches(r, resource));
  });
}

const roleOfAction = (a: PipelineAction) => flatten(a.RoleArn).replace(/\.Arn$/, '');
const roleOfProject = (t: Template, a: PipelineAction) => flatten(projectOf(t, a).ServiceRole).replace(/\.Arn$/, '');

describe.each(['csl', 'shipment'])('%s pipeline', (system) => {
  test('each source action’s role may use the connection it names, with the prefix of its ARN', () => {
    const t = templates[system];
    const sources = allActions(t).filter((a) => a.ActionTypeId.Category === 'Source');
    expect(sources.length).toBeGreaterThan(1);
    for (const source of sources) {
      const arn = source.Configuration.ConnectionArn as string;
      const prefix = arn.split(':')[2];
      expect(allows(statementsOf(t, roleOfAction(source)), `${prefix}:UseConnection`, arn)).toBeDefined();
    }
  });

  test('image builds may push to and read the repository they name; promotions may tag it', () => {
    const t = templates[system];
    const account = system === 'csl' ? '777777777777' : '888888888888';
    for (const action of allActions(t).filter((a) => a.Name.startsWith('Image-') || a.Name === 'Promote')) {
      const env = actionEnv(t, action);
      const statements = statementsOf(t, roleOfProject(t, action));
      const repositories =
        action.Name === 'Promote'
          ? env.IMAGES.split(',').map((kv) => kv.split('=')[0])
          : [env.REPOSITORY, ...(env.NGINX_SIDECAR === 'true' ? [`${env.REPOSITORY}-nginx`] : [])];
      expect(repositories.length).toBeGreaterThan(0);
      const region = env.REGISTRY_REGION;
      const needed =
        action.Name === 'Promote'
          ? ['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:PutImage']
          : ['ecr:DescribeImages', 'ecr:BatchGetImage', 'ecr:InitiateLayerUpload', 'ecr:PutImage'];
      for (const repository of repositories) {
        const arn = `arn:aws:ecr:${region}:${account}:repository/${repository}`;
        for (const what of needed) {
          const found = statements.find(
            (s) =>
              ([] as string[]).concat(s.Action).includes(what) &&
              ([] as unknown[]).concat(s.Resource).some((r) => matches(flatten(r), arn)),
          );
          expect({ action: action.Name, repository, what, found: !!found }).toEqual(
            expect.objectContaining({ found: true }),
          );
        }
      }
      if (action.Name.startsWith('Image-')) {
        expect(allows(statements, 'ecr:GetAuthorizationToken', '*')).toBeDefined();
      }
    }
  });

  test('the diff may write its output where the approval links, with the key it names', () => {
    const t = templates[system];
    const diff = allActions(t).find((a) => a.Name === 'Diff')!;
    const env = actionEnv(t, diff);
    const statements = statementsOf(t, roleOfProject(t, diff));
    expect(allows(statements, 's3:PutObject', `${env.DIFF_BUCKET}.Arn/diffs/exec-1.txt`)).toBeDefined();
    expect(allows(statements, 'kms:GenerateDataKey', env.DIFF_KEY)).toBeDefined();
  });

  test('each deploy may assume its stage’s asset-publisher role, and writes no bucket itself', () => {
    const t = templates[system];
    for (const deploy of allActions(t).filter((a) => a.Name === 'Deploy')) {
      const env = actionEnv(t, deploy);
      const stage = env.STAGE_ID.split('-').pop()!.toLowerCase();
      const statements = statementsOf(t, roleOfProject(t, deploy));
      const role = statements
        .filter((s) => ([] as string[]).concat(s.Action).includes('sts:AssumeRole'))
        .flatMap((s) => ([] as unknown[]).concat(s.Resource).map(flatten))
        .find((r) => r.endsWith(`:role/${system}-${stage}-asset-publisher`));
      expect(role).toMatch(/^arn:aws:iam::\d{12}:role\//);
      expect(allows(statements, 's3:PutObject', 'arn:aws:s3:::some-assets-bucket/build/a.js')).toBeUndefined();
      expect(allows(statements, 's3:DeleteObject', 'arn:aws:s3:::some-assets-bucket/build/a.js')).toBeUndefined();
    }
  });
});
