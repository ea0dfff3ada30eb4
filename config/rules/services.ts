import { FARGATE_MEMORY } from '../aws-tables';
import { resolveHost } from '../names';
import type { ResolvedConfig, ServiceConfig } from '../schema/resolved';
import { LARAVEL_HEALTH_PATH, laravelMajor } from '../schema/services';
import type { Report } from './report';

const isWeb = (s: ServiceConfig) => s.kind === 'laravel-web' || s.kind === 'nextjs';

/** Settings that belong to some kinds only: an image of the right runtime, job timeouts, smoke paths, hosts. */
export function checkServiceKinds(c: ResolvedConfig, report: Report): void {
  // The load balancer, CloudFront and the smoke tests all route to web services: a stage needs one.
  if (!Object.values(c.services).some(isWeb)) {
    report(['services'], "no service takes traffic (add a 'laravel-web' or 'nextjs' service with a host)");
  }
  for (const [name, s] of Object.entries(c.services)) {
    const path = ['services', name];
    const image = c.images[s.image];
    if (!image) {
      report(
        [...path, 'image'],
        Object.keys(c.images).length > 0
          ? `'${s.image}' is not an image of this system (use one of: ${Object.keys(c.images).join(', ')})`
          : `'${s.image}' is not an image of this system, which has none (add it under images)`,
      );
    } else if ((s.kind === 'nextjs') !== (image.runtime === 'nextjs')) {
      report([...path, 'image'], `a ${s.kind} service cannot run the ${image.runtime} image '${s.image}'`);
    }
    if (s.jobTimeoutSeconds !== undefined && s.kind !== 'laravel-worker') {
      report([...path, 'jobTimeoutSeconds'], `only workers have a job timeout; remove it from this ${s.kind} service`);
    }
    if (s.smokePaths !== undefined && !isWeb(s)) {
      report([...path, 'smokePaths'], `a ${s.kind} service takes no traffic to smoke-test; remove smokePaths`);
    }
    if (isWeb(s) && !s.host) report([...path, 'host'], `a ${s.kind} service needs a host (e.g. host: '${name}')`);
    for (const key of ['host', 'port', 'healthCheckPath'] as const) {
      if (!isWeb(s) && s[key] !== undefined)
        report([...path, key], `a ${s.kind} service takes no traffic; remove ${key}`);
    }
    if (
      image?.runtime === 'laravel' &&
      s.kind === 'laravel-web' &&
      laravelMajor(image) === 10 &&
      s.healthCheckPath === '/up'
    ) {
      report(
        [...path, 'healthCheckPath'],
        `Laravel 10 has no /up route (it came with Laravel 11); use '${LARAVEL_HEALTH_PATH[10]}' and serve it in the app (see docs/image-contract-${c.system}.md)`,
      );
    }
  }
}

/** Task counts and sizes: one scheduler task per image, min below max, a CPU/memory pair Fargate offers. */
export function checkServiceSizes(c: ResolvedConfig, report: Report): void {
  const schedulers = new Map<string, string>();
  for (const [name, s] of Object.entries(c.services)) {
    const path = ['services', name];
    if (s.kind === 'laravel-scheduler') {
      const other = schedulers.get(s.image);
      if (other) report([...path, 'kind'], `image '${s.image}' already has the scheduler '${other}'; run exactly one`);
      schedulers.set(s.image, name);
      if (s.minTasks > 1 || s.maxTasks !== 1) {
        report([...path, 'maxTasks'], 'the scheduler runs exactly one task (set minTasks: 1 and maxTasks: 1)');
      }
    }
    // A maxTasks below 1 is reported on its own.
    if (s.maxTasks >= 1 && s.minTasks > s.maxTasks) {
      report(
        [...path, 'minTasks'],
        `minTasks ${s.minTasks} is above maxTasks ${s.maxTasks}; lower minTasks or raise maxTasks`,
      );
    }
    const allowed = FARGATE_MEMORY[s.cpu] ?? [];
    if (!allowed.includes(s.memoryMiB)) {
      const shown = allowed.length > 8 ? `${allowed[0]} to ${allowed.at(-1)} in steps of 1024` : allowed.join(', ');
      report(
        [...path, 'memoryMiB'],
        `Fargate gives ${s.cpu} CPU units ${shown} MiB, not ${s.memoryMiB} (change memoryMiB or cpu)`,
      );
    }
  }
}

/** Every host inside the stage's domain, and each host one service's. */
export function checkHosts(c: ResolvedConfig, report: Report): void {
  const hosts = new Map<string, string>();
  for (const [name, s] of Object.entries(c.services)) {
    if (!s.host) continue;
    const path = ['services', name, 'host'];
    const fqdn = resolveHost(s.host, c.domainName);
    if (fqdn === undefined) {
      report(
        path,
        `'${s.host}' is outside the stage's domain '${c.domainName}' (use a label such as '${name}' or a name ending in '.${c.domainName}')`,
      );
    } else if (hosts.has(fqdn)) {
      report(path, `'${fqdn}' is already the host of service '${hosts.get(fqdn)}'; give each service its own host`);
    } else {
      hosts.set(fqdn, name);
    }
  }
}

/** What a service uses exists, once, and is wired: Next.js services get no store wiring. */
export function checkUses(c: ResolvedConfig, report: Report): void {
  const available = new Set<string>(Object.keys(c.externalDatabases));
  for (const store of ['mysql', 'postgres', 'redis', 'rabbitmq'] as const) if (c[store]) available.add(store);
  available.add('uploads');
  for (const [name, s] of Object.entries(c.services)) {
    const path = ['services', name, 'uses'];
    if (s.kind === 'nextjs' && s.uses.length > 0) {
      report(
        path,
        `a nextjs service is wired to no store (no variables, no grants), so ${s.uses.map((u) => `'${u}'`).join(', ')} would reach nothing; remove uses and read the data through the Laravel API`,
      );
      continue;
    }
    s.uses.forEach((store, i) => {
      if (s.uses.indexOf(store) !== i) {
        report([...path, i], `'${store}' is listed twice; name each store once`);
      } else if (!available.has(store)) {
        report(
          [...path, i],
          `'${store}' is not a data store of this system (available: ${[...available].sort().join(', ')})`,
        );
      }
    });
  }
}
