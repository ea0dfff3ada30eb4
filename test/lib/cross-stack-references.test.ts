import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfigs } from '../../config';
import { buildApp } from '../../lib/app';
import { sameRegionWeakReferences } from '../../scripts/guard';
import { testApp } from '../helpers';

/** One stage, built fresh; `edit` may change a producer before synthesis. */
function cslProd(edit: (stage: ReturnType<typeof buildApp>[number]) => void = () => undefined) {
  const [stage] = buildApp(testApp({}, { validation: false }), loadConfigs({ systems: ['csl'], stages: ['prod'] }), {
    compliance: false,
  });
  edit(stage);
  return stage;
}

const fingerprintOf = (stage: ReturnType<typeof cslProd>) =>
  Template.fromStack(stage.edge).toJSON().Outputs?.ProducerFingerprint?.Value as string | undefined;

describe('cross-stack references', () => {
  const stage = cslProd();

  test('are strong within the region: Fn::ImportValue, never a weak Fn::GetStackOutput', () => {
    for (const stack of [stage.network, stage.data, stage.app]) {
      const template = Template.fromStack(stack).toJSON();
      expect([stack.stackName, sameRegionWeakReferences(template, stack.region)]).toEqual([stack.stackName, []]);
    }
    expect(JSON.stringify(Template.fromStack(stage.app).toJSON())).toContain('Fn::ImportValue');
  });

  test('the us-east-1 edge reads the stage region with Fn::GetStackOutput and a producer fingerprint', () => {
    const edge = Template.fromStack(stage.edge).toJSON();
    expect(JSON.stringify(edge)).toContain('"Region":"eu-west-1"');
    expect(fingerprintOf(stage)).toMatch(/^[0-9a-f]{16}$/);
  });

  test('every value the edge reads from the stage region is covered by the fingerprint', () => {
    // A new cross-region reference must join addProducerFingerprint in system-stage.ts, or a
    // change of that producer would not reach the edge.
    const covered = [
      stage.app.getLogicalId(stage.app.loadBalancer.alb.node.defaultChild as CfnResource),
      stage.data.getLogicalId(stage.data.buckets.assets.node.defaultChild as CfnResource),
      stage.data.getLogicalId(stage.data.buckets.logs.node.defaultChild as CfnResource),
    ];
    const outputs = [
      ...JSON.stringify(Template.fromStack(stage.edge).toJSON()).matchAll(/"OutputName":"([^"]+)"/g),
    ].map((m) => m[1]);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      expect([output, covered.some((id) => output.includes(id))]).toEqual([output, true]);
    }
  });

  /** Every stack of the stage: network, data, app, edge, originAccess and dr. */
  const stacks = stage.node.children.filter((c): c is Stack => Stack.isStack(c));
  /** The producers each consumer's fingerprint covers (system-stage.ts), by logical id. */
  const covered: Record<string, string[]> = {
    Edge: [
      stage.app.getLogicalId(stage.app.loadBalancer.alb.node.defaultChild as CfnResource),
      stage.data.getLogicalId(stage.data.buckets.assets.node.defaultChild as CfnResource),
      stage.data.getLogicalId(stage.data.buckets.logs.node.defaultChild as CfnResource),
    ],
    OriginAccess: [stage.edge.getLogicalId(stage.edge.cdn.distribution.node.defaultChild as CfnResource)],
  };

  test('the stage has the stacks this file loops over', () => {
    expect(stacks.map((s) => s.node.id).sort()).toEqual(['App', 'Data', 'Dr', 'Edge', 'Network', 'OriginAccess']);
  });

  test.each(['Network', 'Data', 'App', 'Edge', 'OriginAccess', 'Dr'])(
    "%s uses none of aws-cdk-lib's strong cross-region references (SSM export writer/reader)",
    (id) => {
      // Shown stale below: the writer never rewrites a value, and a reader blocks updates.
      const stack = stacks.find((s) => s.node.id === id)!;
      expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toMatch(/Custom::CrossRegionExport/);
    },
  );

  test.each(['Network', 'Data', 'App', 'Edge', 'OriginAccess', 'Dr'])(
    '%s reads other regions only weakly, each value covered by its producer fingerprint',
    (id) => {
      const stack = stacks.find((s) => s.node.id === id)!;
      const template = Template.fromStack(stack).toJSON();
      const outputs = [
        ...JSON.stringify(template).matchAll(/"Fn::GetStackOutput":\{[^}]*"Region":"([^"]+)","OutputName":"([^"]+)"/g),
      ]
        .filter((m) => m[1] !== stack.region)
        .map((m) => m[2]);
      for (const output of outputs) {
        expect([output, (covered[id] ?? []).some((logicalId) => output.includes(logicalId))]).toEqual([output, true]);
      }
      if (outputs.length > 0) expect(template.Outputs?.ProducerFingerprint?.Value).toMatch(/^[0-9a-f]{16}$/);
    },
  );

  test('originAccess reads the distribution of the us-east-1 edge weakly', () => {
    expect(JSON.stringify(Template.fromStack(stage.originAccess).toJSON())).toContain(
      `"StackName":"${stage.edge.stackName}","Region":"us-east-1"`,
    );
  });

  test('a replaced distribution reaches the originAccess deploy', () => {
    const fingerprint = (s: ReturnType<typeof cslProd>) =>
      Template.fromStack(s.originAccess).toJSON().Outputs?.ProducerFingerprint?.Value as string | undefined;
    const edited = cslProd((s) =>
      (s.edge.cdn.distribution.node.defaultChild as CfnResource).addOverride(
        'Properties.DistributionConfig.Comment',
        'v2',
      ),
    );
    expect(fingerprint(stage)).toBeDefined();
    expect(fingerprint(edited)).not.toBe(fingerprint(stage));
  });

  test('the edge template is the same when no producer changes', () => {
    expect(fingerprintOf(cslProd())).toBe(fingerprintOf(stage));
  });

  test.each([
    [
      'the load balancer is replaced (a new scheme)',
      (s: ReturnType<typeof cslProd>) =>
        (s.app.loadBalancer.alb.node.defaultChild as CfnResource).addPropertyOverride('Scheme', 'internet-facing'),
    ],
    [
      'the assets bucket is renamed',
      (s: ReturnType<typeof cslProd>) =>
        (s.data.buckets.assets.node.defaultChild as CfnResource).addPropertyOverride(
          'BucketName',
          'csl-prod-assets-v2',
        ),
    ],
  ])('a producer change reaches the edge deploy: its template changes when %s', (_, edit) => {
    expect(fingerprintOf(cslProd(edit))).not.toBe(fingerprintOf(stage));
  });
});

describe("aws-cdk-lib's strong cross-region references (why the edge does not use them)", () => {
  test('the SSM export writer does not write a changed value under an existing name', async () => {
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    const puts: { Name: string; Value: string }[] = [];
    jest.doMock(
      '@aws-sdk/client-ssm',
      () => ({
        SSM: class {
          putParameter(input: { Name: string; Value: string }) {
            puts.push(input);
            return Promise.resolve({});
          }
          deleteParameters() {
            return Promise.resolve({});
          }
        },
      }),
      { virtual: true },
    );
    // The handler aws-cdk-lib 2.276 deploys for Custom::CrossRegionExportWriter.
    const { handler } = jest.requireActual<{ handler: (e: object) => Promise<void> }>(
      require
        .resolve('aws-cdk-lib')
        .replace(/index\.js$/, 'core/lib/dist/core/cross-region-ssm-writer-handler/index.js'),
    );
    const name = '/cdk/exports/Csl-Prod-Edge/CslProdAppeuwest1RefLoadBalancer';
    await handler({
      RequestType: 'Update',
      ResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/new' } } },
      OldResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/old' } } },
    });
    // The replaced load balancer's ARN never reaches the parameter the edge reads ...
    expect(puts).toEqual([]);
    // ... while a new name is written, so the fake SSM client is the one the handler uses.
    await handler({
      RequestType: 'Create',
      ResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/new' } } },
    });
    expect(puts).toEqual([expect.objectContaining({ Name: name, Value: 'arn:alb/new' })]);
  });
});
