/**
 * No `latest` default: a manual `cdk deploy` without `-c imageTag=` must not roll services to an
 * image nobody pushed. The stage synthesizes offline either way; without a tag its App stack
 * carries a CloudFormation rule that fails the change set before any resource changes.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { NO_IMAGE_TAG } from '../../../lib/stacks/app-stack';
import { buildOfflineApp as buildTestApp } from '../../../lib/offline-app';

const templates = new Map<string | undefined, Template>();
/** The App stack of Shipment-Dev synthesized with this tag (once per tag: tests only read it). */
const appTemplate = (imageTag?: string) => {
  if (!templates.has(imageTag)) {
    const { stages } = buildTestApp(
      { systems: ['shipment'], stages: ['dev'], imageTag },
      { compliance: false, validation: false },
    );
    templates.set(imageTag, Template.fromStack(stages[0].app));
  }
  return templates.get(imageTag)!;
};

test('without -c imageTag the App stack refuses its change set, naming the fix', () => {
  const t = appTemplate();
  const rule = t.toJSON().Rules.ImageTagRequired;
  expect(rule.Assertions[0].Assert).toEqual({ 'Fn::Equals': [{ Ref: 'ImageTagGiven' }, 'yes'] });
  expect(rule.Assertions[0].AssertDescription).toContain('-c imageTag=');
  expect(t.toJSON().Parameters.ImageTagGiven.Default).toBe('no');
  expect(JSON.stringify(t.findResources('AWS::ECS::TaskDefinition'))).toContain(`:${NO_IMAGE_TAG}`);
});

test('with -c imageTag the services run that tag from the tooling registry, and nothing refuses the deploy', () => {
  const t = appTemplate('3f2a9c1');
  expect(t.toJSON().Rules?.ImageTagRequired).toBeUndefined();
  const defs = JSON.stringify(t.findResources('AWS::ECS::TaskDefinition'));
  expect(defs).toContain('888888888888.dkr.ecr.us-east-1.');
  expect(defs).toContain('/shipment/web:3f2a9c1');
  expect(defs).not.toContain(NO_IMAGE_TAG);
});

test('with -c imageTag, every task definition waits for the registry to confirm that tag exists', () => {
  // A mistyped tag must fail the stack update before any task definition changes, not roll the
  // services to an image nobody pushed (ECR DescribeImages: ImageNotFoundException).
  const t = appTemplate('3f2a9c1');
  const checks = Object.entries(t.findResources('Custom::AWS')).filter(([, r]) =>
    JSON.stringify(r.Properties.Create).includes('describeImages'),
  );
  const create = checks.map(([, r]) => JSON.stringify(r.Properties.Create));
  expect(create).toEqual([expect.stringContaining('shipment/web')]);
  expect(create[0]).toContain('3f2a9c1');
  expect(create[0]).toContain('888888888888');
  for (const [id, definition] of Object.entries(t.findResources('AWS::ECS::TaskDefinition'))) {
    const waits = checks.every(([check]) => (definition.DependsOn ?? []).includes(check));
    expect({ id, waits }).toEqual({ id, waits: true });
  }
  expect(appTemplate().toJSON().Resources).not.toEqual(
    expect.objectContaining(Object.fromEntries(checks.map(([id]) => [id, expect.anything()]))),
  );
});
