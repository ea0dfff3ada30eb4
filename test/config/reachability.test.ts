import { ConfigError, resolveStage, type SystemDefinition } from '../../config';
import { shipment } from '../../config/systems/shipment';

/** Shipment with one edit to its prod stage's Dolibarr entry or CDN settings. */
function edited(edit: (prod: any) => void): SystemDefinition {
  const draft = structuredClone(shipment) as any;
  edit(draft.stages.prod);
  return draft;
}

function problemsOf(system: SystemDefinition): string[] {
  try {
    resolveStage(system, 'prod');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('external databases must be reachable and resolvable from the VPC', () => {
  test('the shipped configuration passes', () => {
    expect(problemsOf(shipment)).toEqual([]);
  });

  test('rejects a host name nothing resolves', () => {
    expect(problemsOf(edited((p) => delete p.externalDatabases.dolibarr.dns))).toEqual([
      "shipment.prod.externalDatabases.dolibarr.dns: nothing in the VPC resolves 'dolibarr-db.internal' (set dns: { kind: 'private-zone', address } or { kind: 'resolver', targetIps }, or give the address as host)",
    ]);
  });

  test('rejects an entry without a route: an egress rule routes nothing', () => {
    const problems = problemsOf(edited((p) => delete p.externalDatabases.dolibarr.route));
    expect(problems).toEqual([expect.stringMatching(/^shipment\.prod\.externalDatabases\.dolibarr\.route: /)]);
  });

  test('accepts an address as host without DNS, and rejects one outside the routed range', () => {
    const asAddress = (host: string) =>
      edited((p) => {
        p.externalDatabases.dolibarr.host = host;
        delete p.externalDatabases.dolibarr.dns;
      });
    expect(problemsOf(asAddress('10.200.2.10'))).toEqual([]);
    expect(problemsOf(asAddress('10.9.9.9'))).toEqual([
      'shipment.prod.externalDatabases.dolibarr.host: 10.9.9.9 is outside cidr 10.200.2.0/24, the only range routed to it (fix host or cidr)',
    ]);
  });

  test('rejects resolver targets outside the routed range', () => {
    const problems = problemsOf(
      edited((p) => (p.externalDatabases.dolibarr.dns = { kind: 'resolver', targetIps: ['192.168.1.1'] })),
    );
    expect(problems).toEqual([
      'shipment.prod.externalDatabases.dolibarr.dns.targetIps.0: 192.168.1.1 is outside cidr 10.200.2.0/24, the only range routed from the VPC (fix it or widen cidr)',
    ]);
  });

  test('rejects a range inside the VPC', () => {
    const problems = problemsOf(
      edited((p) => {
        p.externalDatabases.dolibarr.cidr = '10.22.5.0/24';
        p.externalDatabases.dolibarr.dns = { kind: 'private-zone', address: '10.22.5.10' };
      }),
    );
    expect(problems).toEqual([
      "shipment.prod.externalDatabases.dolibarr.cidr: 10.22.5.0/24 lies inside this stage's VPC 10.22.0.0/16; an external database is outside it (give the host's own range, or move the VPC with network.cidr)",
    ]);
  });

  test('rejects a malformed transit gateway id', () => {
    const problems = problemsOf(edited((p) => (p.externalDatabases.dolibarr.route.transitGatewayId = 'tgw-xyz')));
    expect(problems).toEqual([expect.stringContaining("must be a transit gateway id such as 'tgw-0123456789abcdef0'")]);
  });
});

describe('edge settings', () => {
  test('cut-over is on in dev and off in staging and prod until the data is copied', () => {
    expect(resolveStage(shipment, 'dev').cdn.cutover).toBe(true);
    expect(resolveStage(shipment, 'staging').cdn.cutover).toBe(false);
    expect(resolveStage(shipment, 'prod').cdn.cutover).toBe(false);
  });

  test('rejects a default body limit WAF cannot inspect', () => {
    expect(problemsOf(edited((p) => (p.cdn = { maxBodyBytes: 1_000_000 })))).toEqual([
      'shipment.prod.cdn.maxBodyBytes: WAF inspects at most 65536 bytes of a CloudFront request body; give larger limits per path in bodyLimits',
    ]);
  });

  test('rejects a path given two body limits', () => {
    const twice = [
      { pathPrefix: '/api/files', maxBodyBytes: 1000 },
      { pathPrefix: '/api/files', maxBodyBytes: 2000 },
    ];
    expect(problemsOf(edited((p) => (p.cdn = { bodyLimits: twice })))).toEqual([
      "shipment.prod.cdn.bodyLimits.1.pathPrefix: '/api/files' is listed twice; give each prefix one limit",
    ]);
  });
});
