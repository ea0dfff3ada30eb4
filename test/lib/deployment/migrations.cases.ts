import { hookBudgetMinutes } from '../../../config/deployment-budget';
import { stateMachines, unguardedChoiceVariables } from '../../asl';
import type { StageFixture } from '../../stage-fixture';
import { execute, restoreMocks } from './migrations-interpreter';

/**
 * The stages' own state machines: every Choice guarded, and the migrations of a stage running to
 * one report within its budget. What Migrations builds from given props, and every way an
 * execution ends, is tested on a bare stack in migrations.test.ts.
 */
export function migrationsCases(f: StageFixture): void {
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  const definitionsOf = (id: string) => stateMachines(f.template(id, 'app').toJSON());
  const migrationsOf = (id: string) => {
    const found = definitionsOf(id).filter(([lid]) => lid.includes('MigrationsStateMachine'));
    expect(found.length).toBeGreaterThan(0);
    return found.map(([, definition]) => definition);
  };
  const budgetOf = (id: string) => hookBudgetMinutes(f.config(id).deployment) * 60;

  describe('every Choice reads only paths that exist', () => {
    test.each(ALL)(
      '%s: every Choice variable of every state machine is IsPresent-guarded (a missing path fails with uncatchable States.Runtime)',
      (id) => {
        for (const [lid, definition] of definitionsOf(id))
          expect([lid, unguardedChoiceVariables(definition)]).toEqual([lid, []]);
      },
    );
  });

  describe('the stage’s own migrations', () => {
    afterAll(restoreMocks);
    // One stage: the tiers' definitions differ only in their numbers, and each run costs a few
    // hundred milliseconds of the suite.
    test.each(['Csl-Prod'])(
      '%s: snapshot, migrations, one Succeeded within the tier’s budget, then pruning',
      async (id) => {
        for (const definition of migrationsOf(id)) {
          expect(definition.TimeoutSeconds).toBeGreaterThan(budgetOf(id));
          expect(definition.TimeoutSeconds).toBeLessThanOrEqual(budgetOf(id) + 5 * 60);
          const o = await execute(definition, { snapshotSeconds: 90, task: { stopsAfter: 120, exitCode: 0 } });
          expect(o.status).toBe('SUCCEEDED');
          expect(o.reports).toEqual([{ status: 'Succeeded', at: expect.any(Number) }]);
          expect(o.reports[0].at).toBeLessThanOrEqual(budgetOf(id) + 60);
          expect(o.reporter.reported).toBe(false);
          expect(o.pruned).toBe(definition.StartAt === 'StartSnapshot');
        }
      },
    );
  });
}
