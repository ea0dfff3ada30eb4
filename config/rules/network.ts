import { REGION_ZONES } from '../aws-tables';
import { cidrContains, cidrProblem, cidrsOverlap, IPV4_LITERAL, isPrivateCidr, RFC1918_BLOCKS } from '../ipv4';
import { natGatewayCount } from '../names';
import type { ResolvedConfig } from '../schema/resolved';
import type { Report } from './report';

/** Zones of the stage's region, each once. An unknown region is reported on `region` alone. */
export function checkZones(c: ResolvedConfig, report: Report): void {
  const letters = REGION_ZONES[c.region] ?? '';
  c.availabilityZones.forEach((az, i) => {
    if (!letters) return;
    const letter = az.slice(c.region.length);
    if (!az.startsWith(c.region) || letter.length !== 1 || !letters.includes(letter)) {
      report(
        ['availabilityZones', i],
        `'${az}' is not a zone of region ${c.region} (use one of ${[...letters].map((l) => `'${c.region}${l}'`).join(', ')})`,
      );
    }
  });
  if (new Set(c.availabilityZones).size !== c.availabilityZones.length) {
    report(['availabilityZones'], 'lists a zone twice; name each zone once');
  }
}

/** A private VPC range, and no more NAT gateways than zones. */
export function checkVpc(c: ResolvedConfig, report: Report): void {
  if (cidrProblem(c.network.cidr, 16, 20) === undefined && !isPrivateCidr(c.network.cidr)) {
    report(
      ['network', 'cidr'],
      `${c.network.cidr} is a public range; AWS gives a VPC's public range no internet access and it hides the real hosts of those addresses (use an RFC 1918 private range inside ${RFC1918_BLOCKS.join(', ')}, e.g. '10.30.0.0/16')`,
    );
  }
  const nat = natGatewayCount(c);
  // Fewer than two zones are reported on availabilityZones.
  if (c.availabilityZones.length >= 2 && nat > c.availabilityZones.length) {
    report(
      ['network', 'natGateways'],
      `${nat} NAT gateways for ${c.availabilityZones.length} zones; use at most one per zone`,
    );
  }
}

/**
 * An external database must be reachable and resolvable from the VPC: its range outside the
 * VPC's (else the route would shadow the VPC), the host an address in that range or a name the
 * `dns` setting resolves, and every address config gives (zone record, resolver targets) inside
 * the routed range, since nothing else is routed.
 */
export function checkExternalDatabases(c: ResolvedConfig, report: Report): void {
  for (const [name, db] of Object.entries(c.externalDatabases)) {
    const path = ['externalDatabases', name];
    if (cidrProblem(db.cidr) !== undefined) continue;
    if (cidrsOverlap(db.cidr, c.network.cidr)) {
      report(
        [...path, 'cidr'],
        `${db.cidr} lies inside this stage's VPC ${c.network.cidr}; an external database is outside it (give the host's own range, or move the VPC with network.cidr)`,
      );
    }
    if (IPV4_LITERAL.test(db.host)) {
      if (!cidrContains(db.cidr, db.host)) {
        report(
          [...path, 'host'],
          `${db.host} is outside cidr ${db.cidr}, the only range routed to it (fix host or cidr)`,
        );
      }
      if (db.dns) report([...path, 'dns'], `host is an address; remove dns (there is no name to resolve)`);
      continue;
    }
    if (!db.dns) {
      report(
        [...path, 'dns'],
        `nothing in the VPC resolves '${db.host}' (set dns: { kind: 'private-zone', address } or { kind: 'resolver', targetIps }, or give the address as host)`,
      );
      continue;
    }
    const addresses =
      db.dns.kind === 'private-zone'
        ? [[['dns', 'address'], db.dns.address] as const]
        : db.dns.kind === 'resolver'
          ? db.dns.targetIps.map((ip, i) => [['dns', 'targetIps', i], ip] as const)
          : [];
    for (const [where, ip] of addresses) {
      if (!cidrContains(db.cidr, ip)) {
        report(
          [...path, ...where],
          `${ip} is outside cidr ${db.cidr}, the only range routed from the VPC (fix it or widen cidr)`,
        );
      }
    }
  }
}
