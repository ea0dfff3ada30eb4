import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ImageRepositories } from '../../../lib/pipeline/image-repositories';

/**
 * ECR lifecycle rules: an image matched by the tags of a higher-priority rule cannot be expired
 * by a lower-priority one (ECR user guide, lifecycle policy evaluation). The images prod runs
 * carry `prod-<commit>` (lib/pipeline/steps/promote.sh), so a rule for that prefix must come
 * before the count rule over every image, or 100 builds that never reach prod expire the image
 * a prod task replacement or rollback pulls.
 */
test('images promoted to prod are kept by a rule that outranks the count over all images', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Registry', {
    env: { account: '777777777777', region: 'eu-west-1' },
  });
  new ImageRepositories(stack, 'Images', { images: ['api'], namePrefix: 'csl' });
  const [repository] = Object.values(Template.fromStack(stack).findResources('AWS::ECR::Repository'));
  const rules = JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText).rules as {
    rulePriority: number;
    selection: { tagStatus: string; tagPrefixList?: string[] };
  }[];
  const prod = rules.find((r) => r.selection.tagPrefixList?.includes('prod-'));
  const any = rules.find((r) => r.selection.tagStatus === 'any');
  expect(prod).toBeDefined();
  expect(prod!.rulePriority).toBeLessThan(any!.rulePriority);
});

describe('ImageRepositories.fromRegistry', () => {
  test('references a repository of another stack by name and ARN, once per scope', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Consumer', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    const registry = { account: '777777777777', region: 'eu-central-1', namePrefix: 'csl' };
    const repository = ImageRepositories.fromRegistry(stack, 'api-nginx', registry);
    expect(repository.node.id).toBe('RegistryApiNginx');
    expect(stack.resolve(repository.repositoryName)).toBe('csl/api-nginx');
    expect(stack.resolve(repository.repositoryArn)).toBe(
      'arn:aws:ecr:eu-central-1:777777777777:repository/csl/api-nginx',
    );
    expect(ImageRepositories.fromRegistry(stack, 'api-nginx', registry)).toBe(repository);
    // A reference, not a resource: no export ties the consumer's updates to the registry stack.
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });
});
