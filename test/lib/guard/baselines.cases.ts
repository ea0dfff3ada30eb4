import * as path from 'path';
import { BASELINES_DIR } from '../../../lib/shared/paths';
import {
  applyAllowlist,
  compareWithBaselines,
  formatChange,
  readAllowlist,
  readBaselines,
  sameRegionWeakReferences,
  synthTemplates,
} from '../../../lib/guard/guard';
import type { StageFixture } from '../../stage-fixture';

const BASELINES = BASELINES_DIR;

/** The replacement guard over the whole app; registered by test/lib/stages.test.ts. */
export function baselineCases(f: StageFixture): void {
  describe('the app against its committed baselines', () => {
    let current: Map<string, object>;
    let comparison: ReturnType<typeof compareWithBaselines>;
    beforeAll(() => {
      // The fixture's own beforeAll has synthesized the app into f.outdir by now.
      expect(f.assembly.directory).toBe(f.outdir);
      current = synthTemplates(f.outdir);
      comparison = compareWithBaselines(readBaselines(BASELINES), current);
    });

    test('within a region every cross-stack reference is strong (Fn::ImportValue)', () => {
      // A weak Fn::GetStackOutput is read only when the consumer's template changes, so a
      // replaced producer would leave the consumer pointing at the old resource.
      const weak = f.ids.flatMap((id) => {
        const stage = f.stage(id);
        return [
          stage.network,
          stage.data,
          stage.app,
          stage.edge,
          stage.originAccess,
          ...(stage.dr ? [stage.dr] : []),
        ].flatMap((stack) =>
          sameRegionWeakReferences(current.get(`${id}/${stack.node.id}`) ?? {}, stack.region).map(
            (ref) => `${id}/${stack.node.id} reads ${ref}`,
          ),
        );
      });
      expect(weak).toEqual([]);
    });

    test('every stack has a baseline', () => {
      const { newStacks } = comparison;
      if (newStacks.length > 0) {
        throw new Error(
          `No baseline for: ${newStacks.join(', ')}. Run \`npm run baselines:update\` and commit the diff after review.`,
        );
      }
    });

    test('no change replaces, destroys or orphans a stateful resource unless the allowlist explains it', () => {
      const { changes } = comparison;
      const { blocked, unusedEntries } = applyAllowlist(changes, readAllowlist(path.join(BASELINES, 'allowlist.json')));
      const problems = [
        ...blocked.map(formatChange),
        ...unusedEntries.map((e) => `allowlist entry ${e.stack} ${e.logicalId} matches no change: remove it`),
      ];
      if (problems.length > 0) {
        throw new Error(
          `The replacement guard found:\n  ${problems.join('\n  ')}\n\n` +
            'Keep the resource (restore its properties, or pin a renamed construct with overrideLogicalId), or, ' +
            'if losing it is intended, add { stack, logicalId, reason } to test/baselines/allowlist.json. ' +
            'After the change is deployed, run `npm run baselines:update`, remove the entry, and commit the diff after review.',
        );
      }
    });
  });
}
