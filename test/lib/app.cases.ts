import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { stagesOf, SYSTEMS } from '../../config';
import { stageId } from '../../config/names';
import type { StageFixture } from '../stage-fixture';

/**
 * The whole app as a deploy synthesizes it: the fixture is tagged, as every deploy is (the
 * pipeline passes its commits), so the deploy-time resources, such as the check that each tag was
 * pushed, go through cdk-nag and the validation too.
 */
export function appCases(fixture: StageFixture): void {
  const stages = fixture.stages;

  test('synthesizes with no unacknowledged cdk-nag or CloudFormation-validation finding', () => {
    // On failure the message is the validation report: rule, construct path and how to acknowledge.
    expect(fixture.synthError).toBeUndefined();
  });

  test('leaves no unacknowledged warning either', () => {
    // The report exists whenever the validation ran: its absence would mean it did not. (cdk-nag
    // appears in it only with findings; test/lib/app.test.ts shows it runs with these defaults.)
    const report = JSON.parse(fs.readFileSync(path.join(fixture.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('CloudFormation Validate');
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  test('builds one stage per (system, stage), named for `cdk deploy <Stage>/*`', () => {
    // One per stage of each system file, in SYSTEMS order and each system's pipeline order.
    expect(stages.map((s) => s.stageName)).toEqual(
      SYSTEMS.flatMap((system) => stagesOf(system).map((stage) => stageId({ system: system.name, stage }))),
    );
    expect(stages.map((s) => s.stageName)).toEqual(
      expect.arrayContaining([
        'Csl-Dev',
        'Csl-Staging',
        'Csl-Prod',
        'Shipment-Dev',
        'Shipment-Staging',
        'Shipment-Prod',
      ]),
    );
    for (const stage of stages) {
      expect(stage.node.children.filter((c) => c instanceof Stack).map((s) => (s as Stack).stackName)).toEqual([
        `${stage.stageName}-Network`,
        // The disaster-recovery vault, where config copies backups to another region.
        ...(stage.dr ? [`${stage.stageName}-Dr`] : []),
        `${stage.stageName}-Data`,
        `${stage.stageName}-App`,
        `${stage.stageName}-Edge`,
        `${stage.stageName}-OriginAccess`,
      ]);
    }
  });

  test('needs no context lookup, so synth runs without AWS credentials', () => {
    for (const stage of stages) {
      const assembly = stage.synth();
      expect({ stage: stage.stageName, missing: assembly.manifest.missing ?? [] }).toEqual({
        stage: stage.stageName,
        missing: [],
      });
    }
  });

  test('orders stacks network → (dr) → data → app → edge → origin access', () => {
    for (const stage of stages) {
      const deps = (s: Stack) => s.dependencies.map((d) => d.node.id).sort();
      expect(deps(stage.network)).toEqual([]);
      expect(deps(stage.data)).toEqual(stage.dr ? ['Dr', 'Network'] : ['Network']);
      expect(deps(stage.app)).toEqual(expect.arrayContaining(['Data']));
      expect(deps(stage.edge)).toEqual(['App', 'Data']);
      expect(deps(stage.originAccess)).toEqual(expect.arrayContaining(['Data', 'Edge']));
    }
  });

  test('deploys each stage to its own account and region, the edge to us-east-1', () => {
    for (const stage of stages) {
      const { account, region } = stage.data.config;
      for (const stack of [stage.network, stage.data, stage.app]) {
        expect([stack.account, stack.region]).toEqual([account, region]);
      }
      expect([stage.edge.account, stage.edge.region]).toEqual([account, 'us-east-1']);
    }
  });

  test('protects the data stack from deletion where the tier asks for it', () => {
    const protectedStages = stages.filter((s) => s.data.terminationProtection).map((s) => s.stageName);
    // The staging and prod tiers keep their data (removal.deletionProtection), dev does not.
    expect(protectedStages).toEqual(stages.filter((s) => s.data.config.tier !== 'dev').map((s) => s.stageName));
    expect(protectedStages).toEqual(expect.arrayContaining(['Csl-Staging', 'Csl-Prod', 'Shipment-Prod']));
    expect(protectedStages).not.toContain('Csl-Dev');
  });

  test('tags stacks with system, stage and cost centre', () => {
    for (const stage of stages) {
      const { system, stage: name, costCenter } = stage.data.config;
      for (const stack of [stage.network, stage.data, stage.app, stage.edge]) {
        expect(stack.tags.tagValues()).toEqual(
          expect.objectContaining({ System: system, Stage: name, CostCenter: costCenter }),
        );
      }
    }
  });
}
