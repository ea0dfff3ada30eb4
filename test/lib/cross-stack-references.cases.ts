import { CfnResource, Stack } from 'aws-cdk-lib';
import { loadConfigs } from '../../config';
import { buildApp } from '../../lib/app';
import { sameRegionWeakReferences } from '../../lib/guard/guard';
import { templateOf, testApp } from '../helpers';
import { FIXTURE_IMAGE_TAG, type StageFixture } from '../stage-fixture';

/** Csl-Prod built fresh as the fixture builds it (same tag); `edit` may change a producer before synthesis. */
function cslProd(edit: (stage: ReturnType<typeof buildApp>[number]) => void = () => undefined) {
  const [stage] = buildApp(
    testApp({}, { validation: false }),
    loadConfigs({ systems: ['csl'], stages: ['prod'], imageTag: FIXTURE_IMAGE_TAG }),
    { compliance: false },
  );
  edit(stage);
  return stage;
}

const fingerprintOf = (stage: ReturnType<typeof cslProd>) =>
  templateOf(stage.edge).Outputs?.ProducerFingerprint?.Value as string | undefined;

/** Cross-stack references of a real stage; registered by test/lib/stages.test.ts. */
export function crossStackCases(f: StageFixture): void {
  // The fixture's Csl-Prod; edited variants are built fresh, tagged alike.
  const stage = f.stage('Csl-Prod');

  test('are strong within the region: Fn::ImportValue, never a weak Fn::GetStackOutput', () => {
    for (const stack of [stage.network, stage.data, stage.app]) {
      const template = templateOf(stack);
      expect([stack.stackName, sameRegionWeakReferences(template, stack.region)]).toEqual([stack.stackName, []]);
    }
    expect(JSON.stringify(templateOf(stage.app))).toContain('Fn::ImportValue');
  });

  test('the us-east-1 edge reads the stage region with Fn::GetStackOutput and a producer fingerprint', () => {
    const edge = templateOf(stage.edge);
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
    const outputs = [...JSON.stringify(templateOf(stage.edge)).matchAll(/"OutputName":"([^"]+)"/g)].map((m) => m[1]);
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
      expect(JSON.stringify(templateOf(stack))).not.toMatch(/Custom::CrossRegionExport/);
    },
  );

  test.each(['Network', 'Data', 'App', 'Edge', 'OriginAccess', 'Dr'])(
    '%s reads other regions only weakly, each value covered by its producer fingerprint',
    (id) => {
      const stack = stacks.find((s) => s.node.id === id)!;
      const template = templateOf(stack);
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
    expect(JSON.stringify(templateOf(stage.originAccess))).toContain(
      `"StackName":"${stage.edge.stackName}","Region":"us-east-1"`,
    );
  });

  test('a replaced distribution reaches the originAccess deploy', () => {
    const fingerprint = (s: ReturnType<typeof cslProd>) =>
      templateOf(s.originAccess).Outputs?.ProducerFingerprint?.Value as string | undefined;
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
}
