import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../../lib/shared/paths';
import { SYSTEMS } from '../../config';
import type { AppTask } from '../../lib/services/app-task';
import {
  CONTRACT_STAGE,
  containersOf,
  contractPage,
  contractPath,
  NO_MEANING,
  type ContainerFacts,
} from '../../scripts/image-contract';
import type { StageFixture } from '../stage-fixture';
import { stageId } from '../../config/names';

const IMAGES = path.join(REPO_ROOT, 'images');

/** One stage of a Dockerfile: its base and its instructions, continuation lines joined. */
export interface DockerStage {
  readonly name?: string;
  readonly from: string;
  readonly instructions: { readonly keyword: string; readonly args: string }[];
}

/** A Dockerfile's `# contract: system/image` claims and its stages. */
export function parseDockerfile(text: string): { claims: string[]; stages: DockerStage[] } {
  const claims = [...text.matchAll(/^# contract: (\S+)$/gm)].map((m) => m[1]);
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { name?: string; from: string; instructions: { keyword: string; args: string }[] }[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [, from, name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ name, from, instructions: [] });
    } else {
      stages[stages.length - 1]?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return { claims, stages };
}

/** The external base image a stage builds on, following `FROM <earlier stage>`. */
function baseImage(stages: DockerStage[], stage: DockerStage): string {
  const earlier = stages.find((s) => s.name === stage.from);
  return earlier ? baseImage(stages, earlier) : stage.from;
}

/** Instructions of a stage and of the stages it builds on, earliest first. */
function lineage(stages: DockerStage[], stage: DockerStage): DockerStage['instructions'] {
  const earlier = stages.find((s) => s.name === stage.from);
  return [...(earlier ? lineage(stages, earlier) : []), ...stage.instructions];
}

const shellForm = (args: string) => args.replace(/^(--\S+\s+)*CMD\s+/, '');

/**
 * The generated image contracts (docs/image-contract-*.md) are fresh, say something for every
 * variable, and the reference Dockerfiles in images/ satisfy the contract they claim, as the
 * synthesized task definitions state it. Registered by test/lib/stages.test.ts.
 */
export function imageContractCases(f: StageFixture): void {
  const stageOf = (system: string) => {
    const config = f.config(
      f.ids.find((id) => f.config(id).system === system && f.config(id).stage === CONTRACT_STAGE)!,
    );
    return stageId(config);
  };

  describe.each(SYSTEMS.map((s) => s.name))('the %s image contract', (system) => {
    test('is committed as generated (run `npm run docs` after a config or wiring change)', () => {
      const id = stageOf(system);
      expect(fs.readFileSync(contractPath(system), 'utf8')).toBe(contractPage(f.stage(id), f.template(id, 'app')));
    });

    test('gives every variable and secret a meaning', () => {
      const id = stageOf(system);
      expect(contractPage(f.stage(id), f.template(id, 'app'))).not.toContain(NO_MEANING);
    });
  });

  const dockerfiles = fs
    .readdirSync(IMAGES)
    .filter((dir) => fs.existsSync(path.join(IMAGES, dir, 'Dockerfile')))
    .sort();

  test('there is a reference image for each seed image: csl api, shipment web and the Next.js server', () => {
    const claims = dockerfiles.flatMap(
      (dir) => parseDockerfile(fs.readFileSync(path.join(IMAGES, dir, 'Dockerfile'), 'utf8')).claims,
    );
    expect(claims.sort()).toEqual(['csl/admin', 'csl/api', 'csl/certification', 'shipment/web']);
  });

  describe.each(dockerfiles)('images/%s/Dockerfile', (dir) => {
    const text = fs.readFileSync(path.join(IMAGES, dir, 'Dockerfile'), 'utf8');
    const { claims, stages } = parseDockerfile(text);
    const stage = (name: string) => stages.find((s) => s.name === name);

    /** The task and containers of the claimed image's web service in the contract's stage. */
    const facts = (
      claim: string,
    ): { app: ContainerFacts; sidecar?: ContainerFacts; nginx: boolean; health: string } => {
      const [system, imageKey] = claim.split('/');
      const id = stageOf(system);
      const config = f.config(id);
      const image = config.images[imageKey];
      const [name, service] = Object.entries(config.services).find(([, s]) => s.image === imageKey && s.host)!;
      const app = f.stage(id).app;
      const task: AppTask = image.runtime === 'laravel' ? app.laravel[imageKey].tasks[name] : app.nextjs[name].task;
      const [main, sidecar] = containersOf(f.template(id, 'app'), task);
      return { app: main, sidecar, nginx: image.nginxSidecar === true, health: service.healthCheckPath! };
    };

    test('claims images of this repository’s configuration', () => {
      expect(claims.length).toBeGreaterThan(0);
      for (const claim of claims) {
        const [system, image] = claim.split('/');
        expect({ claim, known: f.config(stageOf(system)).images[image] !== undefined }).toEqual({ claim, known: true });
      }
    });

    test('has the targets the pipeline builds: test and app, and nginx for a sidecar', () => {
      for (const claim of claims) {
        const names = stages.map((s) => s.name);
        expect(names).toEqual(expect.arrayContaining(['test', 'app']));
        expect({ claim, nginx: names.includes('nginx') }).toEqual({ claim, nginx: facts(claim).nginx });
      }
    });

    test('runs as the user, on the port, with the health check the task definition has', () => {
      for (const claim of claims) {
        const { app, sidecar, health } = facts(claim);
        for (const [container, stageName] of [
          [app, 'app'],
          ...(sidecar ? [[sidecar, 'nginx'] as const] : []),
        ] as const) {
          const built = stage(stageName)!;
          const all = lineage(stages, built);
          const user = all.filter((i) => i.keyword === 'USER').pop()?.args;
          if (container.user) expect({ claim, stageName, user }).toEqual({ claim, stageName, user: container.user });
          if (container.port) {
            const exposed = all.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
            expect({ claim, stageName, exposed }).toEqual({
              claim,
              stageName,
              exposed: expect.arrayContaining([String(container.port)]),
            });
          }
          const check = all.filter((i) => i.keyword === 'HEALTHCHECK').pop()?.args;
          expect({ claim, stageName, check: check && shellForm(check) }).toEqual({
            claim,
            stageName,
            check: container.healthCheck,
          });
          if (container.port) expect(container.healthCheck).toContain(`127.0.0.1:${container.port}${health}`);
          // The check's program exists in the base image it runs on.
          const program = container.healthCheck!.split(' ')[0];
          const base = baseImage(stages, built);
          // The official nginx images (Debian) ship curl, not wget (nginxinc/docker-nginx Dockerfile).
          const provides: Record<string, RegExp> = { php: /^php:/, node: /^node:/, curl: /^nginx:[\d.]+$/ };
          expect({ claim, program, base }).toEqual({ claim, program, base: expect.stringMatching(provides[program]) });
        }
      }
    });

    test('declares every writable path as a VOLUME, so ECS gives the task volume the image’s ownership', () => {
      for (const claim of claims) {
        const { app, sidecar } = facts(claim);
        for (const [container, stageName] of [
          [app, 'app'],
          ...(sidecar ? [[sidecar, 'nginx'] as const] : []),
        ] as const) {
          const volumes = lineage(stages, stage(stageName)!)
            .filter((i) => i.keyword === 'VOLUME')
            .flatMap((i) => JSON.parse(i.args) as string[]);
          expect({ claim, stageName, volumes }).toEqual({
            claim,
            stageName,
            volumes: expect.arrayContaining(container.writablePaths),
          });
        }
      }
    });

    test('its Laravel config files read only variables the task receives (or app-side settings with a default)', () => {
      const optional = new Set(['APP_NAME', 'REDIS_PREFIX', 'RABBITMQ_QUEUE', 'RABBITMQ_WORKER']);
      const files = (function walk(dirPath: string): string[] {
        if (!fs.existsSync(dirPath)) return [];
        return fs
          .readdirSync(dirPath, { withFileTypes: true })
          .flatMap((e) =>
            e.isDirectory()
              ? walk(path.join(dirPath, e.name))
              : e.name.endsWith('.php')
                ? [path.join(dirPath, e.name)]
                : [],
          );
      })(path.join(IMAGES, dir, 'laravel'));
      for (const claim of claims) {
        const { app } = facts(claim);
        const provided = new Set([...Object.keys(app.environment), ...Object.keys(app.secrets)]);
        for (const file of files) {
          const read = [...fs.readFileSync(file, 'utf8').matchAll(/env\('([A-Z0-9_]+)'/g)].map((m) => m[1]);
          const missing = read.filter((name) => !provided.has(name) && !optional.has(name));
          expect({ claim, file: path.relative(IMAGES, file), missing }).toEqual({
            claim,
            file: path.relative(IMAGES, file),
            missing: [],
          });
        }
      }
    });

    test('PHP-FPM keeps the environment ECS passes (clear_env = no), and nginx listens on the port', () => {
      const copied = lineage(stages, stage('app')!)
        .filter((i) => i.keyword === 'COPY' && / docker\//.test(` ${i.args}`))
        .map((i) => i.args.split(/\s+/).find((a) => a.startsWith('docker/'))!);
      for (const file of copied)
        expect(fs.existsSync(path.join(IMAGES, dir, file.replace(/^docker\//, '')))).toBe(true);
      for (const claim of claims) {
        const { app, sidecar } = facts(claim);
        if (!text.includes('php-fpm')) continue;
        const pools = fs.readdirSync(path.join(IMAGES, dir)).filter((n) => /php-fpm.*\.conf$/.test(n));
        expect(pools.map((n) => /^clear_env = no$/m.test(fs.readFileSync(path.join(IMAGES, dir, n), 'utf8')))).toEqual([
          true,
        ]);
        const port = (sidecar ?? app).port!;
        const nginx = fs.readFileSync(path.join(IMAGES, dir, 'nginx.conf'), 'utf8');
        expect({ claim, listen: /listen (\d+);/.exec(nginx)?.[1] }).toEqual({ claim, listen: String(port) });
      }
    });

    test('a Laravel test stage has an APP_KEY of its own, and the app stage none', () => {
      // Without APP_KEY, Laravel's encrypter throws MissingAppKeyException ("No application
      // encryption key has been specified", laravel/framework EncryptionServiceProvider) as soon
      // as a test sends a request through the web middleware (EncryptCookies), which the default
      // ExampleTest does; a build has no .env. The key must decode to 32 bytes for AES-256-CBC.
      const test = stage('test');
      const runsArtisan = test && lineage(stages, test).some((i) => i.keyword === 'RUN' && /artisan test/.test(i.args));
      if (!runsArtisan) return;
      const keyOf = (s: DockerStage) =>
        lineage(stages, s)
          .filter((i) => i.keyword === 'ENV')
          .map((i) => /(?:^|\s)APP_KEY=(\S+)/.exec(i.args)?.[1])
          .filter((k) => k !== undefined)
          .pop();
      const key = keyOf(test) ?? '';
      expect({ dir, key: /^base64:/.test(key) && Buffer.from(key.slice(7), 'base64').length }).toEqual({
        dir,
        key: 32,
      });
      // Only for the tests: the running app reads the key from Secrets Manager.
      expect({ dir, app: keyOf(stage('app')!) }).toEqual({ dir, app: undefined });
    });
  });
}
