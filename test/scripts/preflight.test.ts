import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { csl } from '../../config/systems/csl';
import { shipment } from '../../config/systems/shipment';
import type { SystemDefinition } from '../../config';
import { checkConfig, checkScripts } from '../../scripts/preflight';

/** csl with the placeholders replaced by values that look real. */
function realCsl(): SystemDefinition {
  const d = structuredClone(csl) as any;
  d.pipeline.account = '210987654321';
  d.pipeline.connectionArn =
    'arn:aws:codeconnections:eu-west-1:210987654321:connection/5f0c2a1e-8d3b-4c6a-9e7f-1a2b3c4d5e6f';
  // Every stage the file has, each in an account of its own.
  const accounts = ['123456789012', '234567890123', '345678901234', '456789012345', '567890123456'];
  for (const [index, stage] of Object.keys(d.stages).entries()) {
    d.stages[stage].account = accounts[index];
    d.stages[stage].hostedZoneId = `Z04${stage.toUpperCase()}1234567890`;
    d.stages[stage].alertEmails = [`ops+${stage}@cfpcsl.com`];
  }
  return d;
}

describe('preflight', () => {
  test('names every placeholder still in config, by path, with the fix', () => {
    const problems = checkConfig([csl, shipment])
      .filter((f) => f.level === 'problem')
      .map((f) => f.message);
    expect(problems).toEqual(
      expect.arrayContaining([
        'csl.pipeline.account: 777777777777 is a placeholder (set the tooling account id)',
        expect.stringMatching(/^csl\.pipeline\.connectionArn: a placeholder/),
        "shipment.prod.account: 666666666666 is a placeholder (set the stage's account id)",
        expect.stringMatching(/^shipment\.dev\.hostedZoneId: Z0000000000SHIPDEV is a placeholder/),
        expect.stringMatching(/^csl\.prod\.alertEmails: csl-oncall@example\.com is a placeholder/),
      ]),
    );
  });

  test("names the accounts and domains of the docs' new-system example as placeholders", () => {
    const example = structuredClone(shipment) as any;
    example.stages.dev.account = '121212121212';
    example.stages.dev.domainName = 'dev.notes.example.com';
    const problems = checkConfig([example]).map((f) => f.message);
    expect(problems).toEqual(
      expect.arrayContaining([
        "shipment.dev.account: 121212121212 is a placeholder (set the stage's account id)",
        'shipment.dev.domainName: dev.notes.example.com is reserved for documentation (set the domain the stage serves)',
      ]),
    );
  });

  test('passes a config without placeholders', () => {
    expect(checkConfig([realCsl()]).filter((f) => f.level === 'problem')).toEqual([]);
  });

  test('reminds of the secrets the owner creates', () => {
    const notes = checkConfig([shipment]).map((f) => f.message);
    expect(notes).toContain(
      "shipment.prod.externalDatabases.dolibarr: create the secret 'shipment/prod/dolibarr-readonly' in 666666666666 before the first deploy",
    );
  });

  test('every pipeline script parses; a broken one is named', () => {
    expect(checkScripts()).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
    fs.writeFileSync(path.join(dir, 'broken.sh'), 'if then fi\n');
    expect(checkScripts(dir).map((f) => f.message)).toEqual([expect.stringContaining('/broken.sh: does not parse')]);
  });
});
