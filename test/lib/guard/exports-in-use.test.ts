import { Stack } from 'aws-cdk-lib';
import { loadConfigs, type ResolvedConfig } from '../../../config';
import { buildApp } from '../../../lib/app';
import { findExportsInUse, formatChange } from '../../../lib/guard/guard';
import { templateOf, testApp } from '../../helpers';

/** The templates of the csl staging stage, by `Csl-Staging/Data`, with `edit` applied to its config. */
function cslStaging(edit: (config: ResolvedConfig) => ResolvedConfig): Map<string, object> {
  const [config] = loadConfigs({ systems: ['csl'], stages: ['staging'] });
  const [stage] = buildApp(testApp({}, { validation: false }), [edit(config)], { compliance: false });
  const stacks = stage.node.children.filter((c): c is Stack => Stack.isStack(c));
  return new Map(stacks.map((s) => [`Csl-Staging/${s.node.id}`, templateOf(s)]));
}

describe('exports in use, on the real app', () => {
  test('lowering mysql.readReplicas is reported as refused: App still imports the replica endpoint', () => {
    const replicas = (n: number) => (c: ResolvedConfig) => ({ ...c, mysql: { ...c.mysql!, readReplicas: n } });
    const before = cslStaging(replicas(2));
    const after = cslStaging(replicas(1));
    const found = findExportsInUse(before, after);
    expect(found.length).toBeGreaterThan(0);
    for (const change of found) {
      expect(formatChange(change)).toMatch(
        /^Csl-Staging\/Data .*ReadReplica2.* \(AWS::CloudFormation::Export\) would be REFUSED BY CLOUDFORMATION: .*Csl-Staging\/App imports it/,
      );
    }
    // Raising it back adds an export and refuses nothing.
    expect(findExportsInUse(after, before)).toEqual([]);
  });
});
