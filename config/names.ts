/**
 * Names and values derived from config that more than one layer needs: the ids users type
 * (`Csl-Prod`), the names external contracts fix (repositories, the asset-publisher role), the
 * host names of a stage. One module below the constructs, stacks and tools, so each is computed
 * in one place. The parameters are structural (the fields each function reads), so this module
 * depends on no schema.
 */

/** `queue-worker` → `QueueWorker`, `ecr.dkr` → `EcrDkr`: construct ids from config names. */
export function pascal(name: string): string {
  return name
    .split(/[-_.]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** `csl` + `prod` → `Csl-Prod`: the stage id users type in `cdk deploy 'Csl-Prod/*'`. */
export function stageId(config: { readonly system: string; readonly stage: string }): string {
  return `${pascal(config.system)}-${pascal(config.stage)}`;
}

/** The stack of a system's image registry, e.g. `Csl-Registry`. */
export function registryStackId(system: string): string {
  return `${pascal(system)}-Registry`;
}

/** The stack of a system's pipeline, e.g. `Csl-Pipeline`. */
export function pipelineStackId(system: string): string {
  return `${pascal(system)}-Pipeline`;
}

/** The ECR repository of one image of a system: `<system>/<image>` (`csl/api`, `csl/api-nginx`). */
export function repositoryName(prefix: string, image: string): string {
  return `${prefix}/${image}`;
}

/**
 * The name of the role a system's pipeline assumes in a stage account to publish static
 * assets: a contract between the stage's data stack and the tooling account's pipeline, so it
 * is fixed rather than generated (IAM role names: at most 64 characters).
 */
export function assetPublisherRoleName(system: string, stage: string): string {
  return `${system}-${stage}-asset-publisher`.slice(0, 64);
}

/** The alias of a stage's disaster-recovery key: the copying role is granted by alias, not by a cross-region id. */
export function drKeyAlias(config: { readonly system: string; readonly stage: string }): string {
  return `alias/${config.system}-${config.stage}-disaster-recovery`;
}

/** Every image the pipeline builds: each configured image, plus the nginx sidecar of Laravel images that use one. */
export function buildableImages(config: {
  readonly images: Readonly<Record<string, { readonly nginxSidecar?: boolean }>>;
}): string[] {
  return Object.entries(config.images).flatMap(([name, image]) =>
    image.nginxSidecar ? [name, `${name}-nginx`] : [name],
  );
}

/** How many NAT gateways (or instances) a configuration asks for. */
export function natGatewayCount(c: {
  readonly network: { readonly natGateways: number | 'one-per-az' };
  readonly availabilityZones: readonly string[];
}): number {
  return c.network.natGateways === 'one-per-az' ? c.availabilityZones.length : c.network.natGateways;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The full host name a service's `host` setting means in a stage's domain.
 *
 * @returns the fully qualified name, or undefined when it lies outside the domain
 */
export function resolveHost(host: string, domainName: string): string | undefined {
  if (LABEL.test(host)) return `${host}.${domainName}`;
  if (host === domainName || host.endsWith(`.${domainName}`)) return host;
  return undefined;
}

/** What the host functions read of a stage. */
export interface StageHostsInput {
  readonly system: string;
  readonly stage: string;
  readonly domainName: string;
  readonly services: Readonly<Record<string, { readonly host?: string }>>;
}

/**
 * The full host name of a service in a stage.
 *
 * @throws when the service has no host
 */
export function serviceHost(config: StageHostsInput, service: string): string {
  const host = config.services[service]?.host;
  const fqdn = host === undefined ? undefined : resolveHost(host, config.domainName);
  if (fqdn === undefined) throw new Error(`${config.system}.${config.stage}.services.${service}: has no host`);
  return fqdn;
}

/** Every public host of a stage, in service order. */
export function stageHosts(config: StageHostsInput): string[] {
  return Object.keys(config.services)
    .filter((name) => config.services[name].host !== undefined)
    .map((name) => serviceHost(config, name));
}

/** Replaces `{host:<service>}` in an environment value with that service's host name. */
export function expandHosts(config: StageHostsInput, value: string): string {
  return value.replace(/\{host:([a-z0-9-]+)\}/g, (_, service: string) => serviceHost(config, service));
}
