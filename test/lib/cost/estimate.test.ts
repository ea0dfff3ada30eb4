import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BASELINES_DIR } from '../../../lib/shared/paths';
import { loadConfigs } from '../../../config';
import { budgetProblems, estimateStage, type Template } from '../../../lib/cost/estimate';

const baselines = BASELINES_DIR;

/** The committed (normalised) templates of one stage: what `npm run cost` reads after a synth. */
function stageTemplates(stage: string): Template[] {
  const dir = path.join(baselines, stage);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Template);
}

describe('cost estimate', () => {
  test('Shipment-Dev matches the figure worked out by hand from config/prices.ts', () => {
    // The day before MySQL 8.0's Extended Support charges begin, so the figure is the same
    // for 8.0 and 8.4.
    const estimate = estimateStage({
      region: 'us-east-1',
      tier: 'dev',
      templates: stageTemplates('Shipment-Dev'),
      on: '2026-07-31',
    });
    const byItem = Object.fromEntries(estimate.lines.map((l) => [l.item, l.usd]));
    // By hand, 730 hours a month, us-east-1:
    //   Fargate: web, worker and scheduler on Spot, 0.25 vCPU/0.5 GB each = 0.75 vCPU, 1.5 GB
    //            (0.75 × 0.01264791 + 1.5 × 0.00138883) × 730            =  8.45
    //   RDS:     t4g.micro 0.016 × 730 + 20 GB × 0.115                  = 13.98
    //   Valkey:  cluster of 1 shard + 1 replica: 2 × 0.0128 × 730        = 18.69
    //   NAT:     a t4g.nano instance 0.0042 × 730 + 1 IPv4 × 0.005 × 730
    //            + 8 GB gp3 root volume × 0.08                          =  7.36
    //   ALB:     0.0225 × 730 + 1 LCU × 0.008 × 730                     = 22.27 (22.265)
    //   WAF:     5 + 7 rules (5 managed, rate, body size) × 1 + 1 M × 0.60 = 12.60
    //   Logs:    23 alarms × 0.10 + 1 dashboard × 3 + 5 GB × (0.50+0.03) =  7.95
    //            (22 for services, stores and deploys + the credential-refresh dead letters)
    //   Hybrid:  1 site-to-site VPN to Dolibarr × 0.05 × 730 + 1 private zone × 0.50 = 37.00
    //   Secrets: 4 (master, app user, AUTH token, APP_KEY) × 0.40
    //            + 4 KMS keys (data, alerts, topic, ECS Exec) × 1          =  5.60
    expect(byItem).toEqual({
      'compute (Fargate)': 8.45,
      'databases (RDS)': 13.98,
      'cache (ElastiCache)': 18.69,
      NAT: 7.36,
      'load balancer': expect.closeTo(22.27, 1),
      'CDN + WAF': 12.6,
      'logs and metrics': 7.95,
      'hybrid network': 37,
      'secrets and keys': 5.6,
    });
    expect(estimate.total).toBeCloseTo(133.9, 1);
  });

  test.each([
    ['Csl-Dev', 'eu-west-1'],
    ['Shipment-Dev', 'us-east-1'],
  ])(
    '%s, the dev tier as its system configures it, costs at most 150 USD a month and keeps prod’s engines, TLS and blue/green',
    (stage, region) => {
      const estimate = estimateStage({ region, tier: 'dev', templates: stageTemplates(stage) });
      expect(estimate.total).toBeLessThanOrEqual(150);
      // Without giving up what dev is for: prod's engines, TLS at the load balancer, blue/green.
      const resources = (id: string) => stageTemplates(id).flatMap((t) => Object.values(t.Resources ?? {}));
      const engines = (id: string) =>
        new Set(
          resources(id)
            .filter((r) =>
              ['AWS::RDS::DBInstance', 'AWS::ElastiCache::ReplicationGroup', 'AWS::AmazonMQ::Broker'].includes(r.Type),
            )
            .map((r) => `${r.Type} ${String(r.Properties?.Engine ?? r.Properties?.EngineType ?? '(replica)')}`),
        );
      const prod = stage.replace('-Dev', '-Prod');
      expect([...engines(stage)].filter((e) => !e.endsWith('(replica)')).sort()).toEqual(
        [...engines(prod)].filter((e) => !e.endsWith('(replica)')).sort(),
      );
      const types = new Set(resources(stage).map((r) => r.Type));
      for (const type of ['AWS::CertificateManager::Certificate', 'AWS::CodeDeploy::DeploymentGroup']) {
        expect([stage, type, types.has(type)]).toEqual([stage, type, true]);
      }
    },
  );

  test('MySQL 8.0 past its standard support adds Extended Support per vCPU, standby included', () => {
    // Shipment-Prod's templates with MySQL pinned back to 8.0 (the tier default is 8.4, which
    // has no such line): m7g.large (2 vCPU) Multi-AZ (2 instances) + its replica (2 vCPU).
    const templates = JSON.parse(
      JSON.stringify(stageTemplates('Shipment-Prod')).replace(
        /"EngineVersion":"8\.4\.\d+"/g,
        '"EngineVersion":"8.0.44"',
      ),
    ) as Template[];
    const after = estimateStage({ region: 'us-east-1', tier: 'prod', templates });
    const line = after.lines.find((l) => l.item === 'RDS Extended Support');
    expect(line?.usd).toBeCloseTo(6 * 0.1 * 730, 1);
    const current = estimateStage({ region: 'us-east-1', tier: 'prod', templates: stageTemplates('Shipment-Prod') });
    expect(current.lines.find((l) => l.item === 'RDS Extended Support')).toBeUndefined();
  });

  test('a region without prices is named', () => {
    expect(() => estimateStage({ region: 'ap-south-2', tier: 'dev', templates: [] })).toThrow(
      'no prices for region ap-south-2; add them to config/prices.ts',
    );
  });
});

describe('budget', () => {
  /** A one-stage cloud assembly holding the given templates, as `app.synth()` writes it. */
  function assembly(stage: string, templates: Template[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
    const artifacts: Record<string, unknown> = {};
    templates.forEach((t, i) => {
      fs.writeFileSync(path.join(dir, `s${i}.template.json`), JSON.stringify(t));
      artifacts[`s${i}`] = {
        type: 'aws:cloudformation:stack',
        displayName: `${stage}/S${i}`,
        properties: { templateFile: `s${i}.template.json` },
      };
    });
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ artifacts }));
    return dir;
  }

  test('a stage above its budget fails with a config-style line; within it passes', () => {
    const [config] = loadConfigs({ systems: ['shipment'], stages: ['dev'] });
    const dir = assembly('Shipment-Dev', stageTemplates('Shipment-Dev'));
    expect(budgetProblems(dir, [{ ...config, budgetUsd: 100 }])).toEqual([
      expect.stringMatching(
        /^shipment\.dev\.budgetUsd: the estimate is \$\d+\.\d\d a month, above the budget of \$100 \(raise budgetUsd/,
      ),
    ]);
    expect(budgetProblems(dir, [{ ...config, budgetUsd: 5000 }])).toEqual([]);
    expect(budgetProblems(dir, [config])).toEqual([]);
  });

  test('a budget in a region without prices is named, not a stack trace', () => {
    const [config] = loadConfigs({ systems: ['shipment'], stages: ['dev'] });
    const dir = assembly('Shipment-Dev', stageTemplates('Shipment-Dev'));
    expect(budgetProblems(dir, [{ ...config, region: 'ap-south-2', budgetUsd: 100 }])).toEqual([
      'shipment.dev.budgetUsd: cannot be checked, no prices for region ap-south-2; add them to config/prices.ts (has: us-east-1, eu-west-1)',
    ]);
  });
});
