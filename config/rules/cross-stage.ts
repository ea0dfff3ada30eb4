import { cidrsOverlap, parseCidr } from '../ipv4';
import { resolveHost } from '../names';
import type { ResolvedConfig } from '../schema/resolved';

/**
 * Rules across stages and systems: what one stage owns, no other may claim. A domain and a host
 * belong to one stage (each stage writes its records and certificates there); a hosted zone to
 * one account (stages of one account may share a parent zone); a broker name is unique in its
 * account (Amazon MQ API reference, CreateBroker: `BrokerName` "must be unique in your Amazon
 * Web Services account"). A
 * VPC range may repeat in other accounts or regions, which never route to each other here, but
 * not within one account and region, nor between stages attached to one transit gateway; and
 * no VPC may overlap a network that any stage routes to an external database.
 */

const label = (c: ResolvedConfig) => `${c.system}.${c.stage}`;

/** Problem lines, `system.stage.path: message`, for every conflict that involves a config in focus. */
export function crossStageProblems(
  configs: readonly ResolvedConfig[],
  inFocus: (c: ResolvedConfig) => boolean = () => true,
): string[] {
  const problems: string[] = [];
  configs.forEach((a, i) =>
    configs.slice(i + 1).forEach((b) => {
      if (!inFocus(a) && !inFocus(b)) return;
      // The later of the two carries the line, unless only the earlier is in focus.
      const [own, other] = inFocus(b) ? [b, a] : [a, b];
      problems.push(...sharedNames(own, other).map((line) => `${label(own)}.${line}`));
      problems.push(...overlappingVpcs(own, other, configs).map((line) => `${label(own)}.${line}`));
      for (const [vpc, external] of [
        [a, b],
        [b, a],
      ] as const) {
        problems.push(...vpcOverExternal(vpc, external, inFocus(vpc)));
      }
    }),
  );
  return problems;
}

/** The same domain, hosted zone, broker name or host in two stages. */
function sharedNames(own: ResolvedConfig, other: ResolvedConfig): string[] {
  if (own.domainName === other.domainName) {
    return [
      `domainName: '${own.domainName}' is also the domain of ${label(other)}; each stage needs a domain of its own, since its records, certificate and cookies live there (e.g. '${own.stage}.${other.domainName.split('.').slice(-2).join('.')}')`,
    ];
  }
  const lines: string[] = [];
  // A zone lives in one account: stages of one account may share a parent zone, stages of two
  // accounts cannot both write records into it.
  if (own.hostedZoneId === other.hostedZoneId && own.account !== other.account) {
    lines.push(
      `hostedZoneId: '${own.hostedZoneId}' is also the hosted zone of ${label(other)} in account ${other.account}; a zone belongs to one account, so give this stage the zone of account ${own.account} that holds '${own.domainName}'`,
    );
  }
  const broker = (c: ResolvedConfig) => c.rabbitmq && (c.rabbitmq.brokerName ?? `${c.system}-${c.stage}`);
  if (own.rabbitmq && own.account === other.account && broker(own) === broker(other)) {
    lines.push(
      `rabbitmq.brokerName: '${broker(own)}' is also the broker of ${label(other)} in account ${own.account}, where broker names are unique (name this stage's broker apart, e.g. '${own.system}-${own.stage}')`,
    );
  }
  const theirs = new Map(hostsOf(other).map(([service, fqdn]) => [fqdn, service]));
  for (const [service, fqdn] of hostsOf(own)) {
    if (theirs.has(fqdn)) {
      lines.push(
        `services.${service}.host: '${fqdn}' is also the host of ${label(other)}.services.${theirs.get(fqdn)}; give each stage's service a host in its own domain '${own.domainName}'`,
      );
    }
  }
  return lines;
}

function hostsOf(c: ResolvedConfig): [string, string][] {
  return Object.entries(c.services).flatMap(([name, s]) => {
    const fqdn = s.host === undefined ? undefined : resolveHost(s.host, c.domainName);
    return fqdn === undefined ? [] : [[name, fqdn] as [string, string]];
  });
}

const transitGateways = (c: ResolvedConfig) =>
  Object.values(c.externalDatabases).flatMap((db) =>
    db.route.kind === 'transit-gateway' ? [db.route.transitGatewayId] : [],
  );

/** Two VPCs that overlap where their traffic could meet: one account and region, or one transit gateway. */
function overlappingVpcs(own: ResolvedConfig, other: ResolvedConfig, all: readonly ResolvedConfig[]): string[] {
  if (!cidrsOverlap(own.network.cidr, other.network.cidr)) return [];
  const sharedTgw = transitGateways(own).find((t) => transitGateways(other).includes(t));
  const where =
    own.account === other.account && own.region === other.region
      ? `in the same account ${own.account} and region ${own.region}`
      : sharedTgw
        ? `and both attach to transit gateway ${sharedTgw}`
        : undefined;
  if (!where) return [];
  return [
    `network.cidr: ${own.network.cidr} overlaps the VPC ${other.network.cidr} of ${label(other)} ${where}; give each VPC a range of its own (e.g. '${freeRange(own.network.cidr, all)}')`,
  ];
}

/** A VPC that overlaps the network another stage routes to an external database. */
function vpcOverExternal(vpc: ResolvedConfig, external: ResolvedConfig, atVpc: boolean): string[] {
  return Object.entries(external.externalDatabases)
    .filter(([, db]) => cidrsOverlap(vpc.network.cidr, db.cidr))
    .map(([name, db]) =>
      atVpc
        ? `${label(vpc)}.network.cidr: ${vpc.network.cidr} overlaps ${db.cidr}, the network ${label(external)} routes to externalDatabases.${name}; that network can then never be routed from this VPC (move the VPC, e.g. to '${freeRange(vpc.network.cidr, [vpc, external])}')`
        : `${label(external)}.externalDatabases.${name}.cidr: ${db.cidr} overlaps the VPC ${vpc.network.cidr} of ${label(vpc)}; a routed network lies outside every stage's VPC (fix cidr, or move that VPC)`,
    );
}

/** The first `10.x.0.0` block of the same size that overlaps no VPC or external network of any stage. */
function freeRange(block: string, configs: readonly ResolvedConfig[]): string {
  const prefix = parseCidr(block)?.prefix ?? 16;
  const taken = configs.flatMap((c) => [c.network.cidr, ...Object.values(c.externalDatabases).map((db) => db.cidr)]);
  for (let second = 0; second < 256; second++) {
    const candidate = `10.${second}.0.0/${prefix}`;
    if (!taken.some((t) => cidrsOverlap(t, candidate))) return candidate;
  }
  return `10.0.0.0/${prefix}`;
}
