import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { summary } from '../../scripts/synth-summary';

/** A small cloud assembly: one stage with two stacks, one top-level stack. */
function assembly(report?: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-'));
  const nested = path.join(dir, 'assembly-Csl-Prod');
  fs.mkdirSync(nested);
  const write = (file: string, body: object) => fs.writeFileSync(file, JSON.stringify(body));
  write(path.join(dir, 'manifest.json'), {
    artifacts: {
      'assembly-Csl-Prod': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Csl-Prod' } },
      CslPipeline: {
        type: 'aws:cloudformation:stack',
        displayName: 'Csl-Pipeline',
        properties: { templateFile: 'p.json' },
      },
    },
  });
  write(path.join(dir, 'p.json'), { Resources: { A: {} } });
  write(path.join(nested, 'manifest.json'), {
    artifacts: {
      Data: { type: 'aws:cloudformation:stack', displayName: 'Csl-Prod/Data', properties: { templateFile: 'd.json' } },
      App: { type: 'aws:cloudformation:stack', displayName: 'Csl-Prod/App', properties: { templateFile: 'a.json' } },
    },
  });
  write(path.join(nested, 'd.json'), { Resources: { A: {}, B: {}, C: {} } });
  write(path.join(nested, 'a.json'), { Resources: { A: {} } });
  if (report) write(path.join(dir, 'validation-report.json'), report);
  return dir;
}

test('lists each stage’s stacks with resource counts, passing when there is no report', () => {
  const text = summary(assembly());
  expect(text).toMatch(/Csl-Prod\n.*\n  Data +3 +\d+ +pass\n  App +1 +\d+ +pass/);
  expect(text).toMatch(/\(tooling\)\n.*\n  Csl-Pipeline +1 +\d+ +pass/);
});

test('counts open findings per stack from the validation report', () => {
  const text = summary(
    assembly({
      pluginReports: [
        {
          violations: [
            { severity: 'error', violatingConstructs: [{ constructPath: 'Csl-Prod/Data/Mysql/Primary/Resource' }] },
            { severity: 'warning', violatingConstructs: [{ constructPath: 'Csl-Prod/Data/Buckets/Logs/Resource' }] },
          ],
        },
      ],
    }),
  );
  expect(text).toMatch(/  Data +3 +\d+ +1 error\(s\), 1 warning\(s\)/);
  expect(text).toMatch(/  App +1 +\d+ +pass/);
});

test('puts each stage’s monthly estimate in its header', () => {
  const text = summary(assembly(), new Map([['Csl-Prod', 2580.4]]));
  expect(text).toMatch(/\nCsl-Prod   ~\$2580 a month at list price \(npm run cost\)\n/);
  expect(text).toMatch(/\n\(tooling\)\n/);
});
