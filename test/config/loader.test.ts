import { loadConfigs, resolveAll, resolvePipeline, resolveStage, stagesOf, SYSTEMS } from '../../config';
import { csl } from '../../config/systems/csl';
import { edited, problemsOf } from './edits';
import { shipment } from '../../config/systems/shipment';
import { deploymentWorstCase, MAX_DEPLOY_MINUTES } from '../../config/deployment-budget';

describe('committed configuration', () => {
  test('every stage of every system resolves', () => {
    const configs = loadConfigs();
    // Systems in SYSTEMS order, each system's stages in its pipeline's order.
    expect(configs.map((c) => `${c.system}.${c.stage}`)).toEqual(
      SYSTEMS.flatMap((system) => stagesOf(system).map((stage) => `${system.name}.${stage}`)),
    );
    expect(configs.map((c) => `${c.system}.${c.stage}`)).toEqual(
      expect.arrayContaining([
        'csl.dev',
        'csl.staging',
        'csl.prod',
        'shipment.dev',
        'shipment.staging',
        'shipment.prod',
      ]),
    );
  });

  test('tier defaults apply and per-stage overrides win', () => {
    const prod = resolveStage(shipment, 'prod');
    expect(prod.mysql?.multiAz).toBe(true);
    expect(prod.redis?.shards).toBe(3); // shipment's prod override
    expect(prod.redis?.clusterMode).toBe(true); // shipment's system file
    expect(prod.services.web.minTasks).toBe(2); // prod tier
    const dev = resolveStage(csl, 'dev');
    expect(dev.removal.policy).toBe('destroy');
    expect(dev.mysql?.readReplicas).toBe(0);
    expect(dev.services.worker.command).toEqual(expect.arrayContaining(['queue:work']));
  });

  test('a filter narrows to one system and stage', () => {
    expect(loadConfigs({ systems: ['csl'], stages: ['prod'] }).map((c) => `${c.system}.${c.stage}`)).toEqual([
      'csl.prod',
    ]);
  });

  test('an unknown system or stage in a filter is named', () => {
    const systems = SYSTEMS.map((s) => s.name).join(', ');
    const stages = [...new Set(SYSTEMS.flatMap(stagesOf))].join(', ');
    expect(problemsOf(() => loadConfigs({ systems: ['cls'], stages: ['production'] }))).toEqual([
      `system 'cls' is unknown (use one of: ${systems})`,
      `stage 'production' is unknown (use one of: ${stages})`,
    ]);
    expect(stages).toMatch(/^dev, .*prod/);
  });

  test('system names are unique', () => {
    expect(new Set(SYSTEMS.map((s) => s.name)).size).toBe(SYSTEMS.length);
  });
});

describe('bad input names the system, stage, path and fix', () => {
  test('a misspelled key', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.mysql = { mutliAz: true };
    });
    expect(problemsOf(() => resolveStage(bad, 'prod'))).toContain(
      "shipment.prod.mysql.mutliAz: unknown key (did you mean 'multiAz'?)",
    );
  });

  test('a misspelled key at the top of a stage', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.availabiltyZones = ['eu-west-1a'];
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toContain(
      "csl.dev.availabiltyZones: unknown key (did you mean 'availabilityZones'?)",
    );
  });

  test('a wrong type', () => {
    const bad = edited(csl, (d) => {
      d.stages.staging.mysql = { readReplicas: 'two' };
    });
    expect(problemsOf(() => resolveStage(bad, 'staging'))).toContain(
      "csl.staging.mysql.readReplicas: expected number, got the string 'two'",
    );
  });

  test('a missing required value', () => {
    const bad = edited(csl, (d) => {
      delete d.stages.dev.account;
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toContain(
      'csl.dev.account: required, but missing (expected string)',
    );
  });

  test('an invalid CIDR', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network.cidr = '10.300.0.0/16';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.network.cidr: '10.300.0.0/16' has an octet above 255",
    ]);
  });

  test('a CIDR with host bits set suggests the network address', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network.cidr = '10.10.1.0/16';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.network.cidr: '10.10.1.0/16' has host bits set (did you mean '10.10.0.0/16'?)",
    ]);
  });

  test('prod without Multi-AZ MySQL', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.mysql = { multiAz: false };
    });
    expect(problemsOf(() => resolveStage(bad, 'prod'))).toEqual([
      'shipment.prod.mysql.multiAz: prod requires Multi-AZ (set multiAz: true)',
    ]);
  });

  test('prod that would destroy its data or skip NAT redundancy', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.removal = { policy: 'destroy', deletionProtection: false };
      d.stages.prod.network.natGateways = 1;
    });
    expect(problemsOf(() => resolveStage(bad, 'prod'))).toEqual([
      "csl.prod.removal.policy: prod must keep its data (set policy: 'snapshot' or 'retain')",
      'csl.prod.removal.deletionProtection: prod requires deletion protection (set deletionProtection: true)',
      "csl.prod.network.natGateways: prod needs one NAT gateway per zone (set natGateways: 'one-per-az')",
    ]);
  });

  test('a host outside the stage domain', () => {
    const bad = edited(csl, (d) => {
      d.stages.staging.services = { api: { host: 'api.example.org' } };
    });
    expect(problemsOf(() => resolveStage(bad, 'staging'))).toEqual([
      "csl.staging.services.api.host: 'api.example.org' is outside the stage's domain 'staging.cfpcsl.com' (use a label such as 'api' or a name ending in '.staging.cfpcsl.com')",
    ]);
  });

  test('two services on one host', () => {
    const bad = edited(csl, (d) => {
      d.services.admin.host = 'certification.dev.cfpcsl.com';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.services.admin.host: 'certification.dev.cfpcsl.com' is already the host of service 'certification'; give each service its own host",
    ]);
  });

  test('an external database password given as plaintext', () => {
    const bad = edited(shipment, (d) => {
      d.stages.dev.externalDatabases.dolibarr.password = 'readonly_password';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'shipment.dev.externalDatabases.dolibarr.password: plaintext passwords are not allowed; store the read-only credentials in Secrets Manager and set credentials: { secretName: "..." }',
    ]);
  });

  test('a password the stage already provides, passed as a plain environment variable, is refused', () => {
    const bad = edited(shipment, (d) => {
      d.services.web.environment = { REDIS_PASSWORD: 'redis_password' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "shipment.dev.services.web.environment.REDIS_PASSWORD: the stage already sets REDIS_PASSWORD from the cache's auth token; remove it here (it would override the stage's)",
    ]);
  });

  test('a service that uses a data store the system does not have', () => {
    const bad = edited(shipment, (d) => {
      d.services.worker.uses = ['mysql', 'rabbitmq'];
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "shipment.dev.services.worker.uses.1: 'rabbitmq' is not a data store of this system (available: dolibarr, mysql, redis, uploads)",
    ]);
  });

  test('min tasks above max tasks', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.services = { web: { minTasks: 12 } };
    });
    expect(problemsOf(() => resolveStage(bad, 'prod'))).toEqual([
      'shipment.prod.services.web.minTasks: minTasks 12 is above maxTasks 10; lower minTasks or raise maxTasks',
    ]);
  });

  test('an availability zone outside the region', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.availabilityZones = ['eu-west-1a', 'us-east-1b'];
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.availabilityZones.1: 'us-east-1b' is not a zone of region eu-west-1 (use one of 'eu-west-1a', 'eu-west-1b', 'eu-west-1c')",
    ]);
  });

  test('a bare MySQL major version, which CloudFormation rejects', () => {
    const bad = edited(csl, (d) => {
      d.mysql.engineVersion = '8.4';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.mysql.engineVersion: must be a full MySQL 8.4 (or 8.0) version such as '8.4.10' (not '8.4')",
    ]);
  });

  // RDS standard support of MySQL 8.0 ends 31 July 2026; a new 8.0 instance is enrolled in paid
  // Extended Support from day one (RDS user guide, "MySQL major versions" / Extended Support).
  test('MySQL 8.0 without an explicit Extended Support choice', () => {
    const bad = edited(csl, (d) => {
      d.mysql.engineVersion = '8.0.44';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.mysql.engineVersion: 8.0.44 is past RDS standard support (31 July 2026) and runs only in paid Extended Support; use 8.4 (e.g. '8.4.10') or set engineLifecycleSupport: 'open-source-rds-extended-support'",
    ]);
  });

  test('MySQL 8.0 is accepted with Extended Support chosen explicitly, and 8.4 by default', () => {
    const ok = edited(csl, (d) => {
      d.mysql.engineVersion = '8.0.44';
      d.mysql.engineLifecycleSupport = 'open-source-rds-extended-support';
    });
    expect(resolveStage(ok, 'prod').mysql).toMatchObject({
      engineVersion: '8.0.44',
      engineLifecycleSupport: 'open-source-rds-extended-support',
    });
    expect(resolveStage(csl, 'prod').mysql?.engineVersion).toMatch(/^8\.4\.\d+$/);
  });

  test('every problem of every stage is reported at once', () => {
    const bad = edited(csl, (d) => {
      d.mysql.engineVersion = '8';
    });
    const problems = problemsOf(() => resolveAll([bad]));
    expect(problems.map((p) => p.split(':')[0])).toEqual(stagesOf(csl).map((s) => `csl.${s}.mysql.engineVersion`));
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  test('a job timeout on a service that is not a worker', () => {
    const bad = edited(shipment, (d) => {
      d.services.web.jobTimeoutSeconds = 60;
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'shipment.dev.services.web.jobTimeoutSeconds: only workers have a job timeout; remove it from this laravel-web service',
    ]);
  });

  test('a job timeout Fargate could not honour on shutdown', () => {
    const bad = edited(shipment, (d) => {
      d.services.worker.jobTimeoutSeconds = 300;
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))[0]).toMatch(
      /^shipment\.dev\.services\.worker\.jobTimeoutSeconds: /,
    );
  });

  test('an nginx sidecar on a Next.js image', () => {
    const bad = edited(csl, (d) => {
      d.images.admin.nginxSidecar = true;
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'csl.dev.images.admin: nginxSidecar, phpVersion, laravelVersion and migrateCommand apply to Laravel images only; remove them',
    ]);
  });

  test('an environment value naming a host that no service has', () => {
    const bad = edited(csl, (d) => {
      d.services.certification.environment = { API_BASE_URL: 'https://{host:backend}/api' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'csl.dev.services.certification.environment.API_BASE_URL: {host:backend} names no service with a host (use one of: api, certification, admin)',
    ]);
  });

  test('a worker with a host', () => {
    const bad = edited(csl, (d) => {
      d.services.worker.host = 'worker';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'csl.dev.services.worker.host: a laravel-worker service takes no traffic; remove host',
    ]);
  });
});

describe('image tags', () => {
  test('a deploy tag wins over config, and a per-image tag over both', () => {
    const [prod] = loadConfigs({
      systems: ['csl'],
      stages: ['prod'],
      imageTag: '3f2a9c1',
      imageTags: { admin: 'b7e0' },
    });
    expect(Object.fromEntries(Object.entries(prod.images).map(([k, i]) => [k, i.tag]))).toEqual({
      api: '3f2a9c1',
      certification: '3f2a9c1',
      admin: 'b7e0',
    });
  });

  test('without a deploy tag, images run the tier default', () => {
    const [dev] = loadConfigs({ systems: ['shipment'], stages: ['dev'] });
    expect(dev.images.web.tag).toBe(dev.deployment.imageTag);
  });

  test('an invalid tag is named', () => {
    expect(problemsOf(() => loadConfigs({ imageTag: 'bad tag', imageTags: { api: ':x' } }))).toEqual([
      "imageTag: 'bad tag' is not a valid image tag (letters, digits, '_', '.', '-')",
      "imageTag.api: ':x' is not a valid image tag (letters, digits, '_', '.', '-')",
    ]);
  });
});

describe('pipeline settings', () => {
  test('the committed systems have valid pipelines', () => {
    expect(SYSTEMS.map((s) => resolvePipeline(s).branch)).toEqual(SYSTEMS.map(() => 'main'));
  });

  test('a branch other than main is refused', () => {
    const bad = edited(csl, (d) => {
      d.pipeline.branch = 'develop';
    });
    expect(problemsOf(() => resolvePipeline(bad))).toEqual([
      "csl.pipeline.branch: the pipeline deploys pushes to 'main' only (set branch: 'main')",
    ]);
  });

  test('a connection ARN of the wrong service, and a misspelled key, are named', () => {
    const bad = edited(shipment, (d) => {
      d.pipeline.connectionArn = 'arn:aws:iam::888888888888:role/github';
      d.pipeline.repo = 'x/y';
    });
    expect(problemsOf(() => resolvePipeline(bad))).toEqual([
      'shipment.pipeline.connectionArn: must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)',
      "shipment.pipeline.repo: unknown key (did you mean 'repository'?)",
    ]);
  });
});

describe('the Laravel major of an image picks names and the health path', () => {
  test('PHP 8.1 means Laravel 10: shipment web health-checks /health, which Laravel 10 apps serve', () => {
    const prod = resolveStage(shipment, 'prod');
    expect(prod.images.web.laravelVersion).toBe(10);
    expect(prod.services.web.healthCheckPath).toBe('/health');
  });

  test('Laravel 11 (PHP 8.3) keeps its built-in /up', () => {
    expect(resolveStage(csl, 'prod').services.api.healthCheckPath).toBe('/up');
    const unpinned = edited(csl, (d) => {
      delete d.images.api.laravelVersion;
    });
    expect(resolveStage(unpinned, 'prod').services.api.healthCheckPath).toBe('/up');
  });

  test('/up on a Laravel 10 image is refused: the first deploy would never turn healthy', () => {
    const bad = edited(shipment, (d) => {
      d.services.web.healthCheckPath = '/up';
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "shipment.dev.services.web.healthCheckPath: Laravel 10 has no /up route (it came with Laravel 11); use '/health' and serve it in the app (see docs/image-contract-shipment.md)",
    ]);
  });

  test('Laravel 11 on PHP 8.1 is refused (laravel/laravel 11.x requires PHP ^8.2)', () => {
    const bad = edited(shipment, (d) => {
      d.images.web.laravelVersion = 11;
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toContain(
      "shipment.dev.images.web.laravelVersion: Laravel 11 requires PHP 8.2 or later (set laravelVersion: 10 or phpVersion: '8.2')",
    );
  });

  test('a cache variable the version does not read is named with its replacement', () => {
    const bad = edited(shipment, (d) => {
      d.services.worker.environment = { CACHE_STORE: 'redis' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'shipment.dev.services.worker.environment.CACHE_STORE: Laravel 10 reads CACHE_DRIVER, not CACHE_STORE (rename it to CACHE_DRIVER)',
    ]);
  });
});

describe('Next.js run-time settings', () => {
  test('NEXT_PUBLIC_* in a Next.js service environment is refused: it is baked at build time', () => {
    const bad = edited(csl, (d) => {
      d.services.admin.environment = { NEXT_PUBLIC_API_BASE_URL: 'https://{host:api}/api' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'csl.dev.services.admin.environment.NEXT_PUBLIC_API_BASE_URL: Next.js inlines NEXT_PUBLIC_* at build time and one image runs in every stage, so a run-time value never reaches the browser (name it API_BASE_URL and read it on the server; see docs/image-contract-csl.md)',
    ]);
  });
});

describe('per-service app secrets', () => {
  test('a secret by name, with a JSON key, or by ARN with its key, is accepted', () => {
    const ok = edited(csl, (d) => {
      d.services.api.secrets = {
        MAIL_PASSWORD: { secretName: 'csl/mail', jsonKey: 'password' },
        STRIPE_SECRET: {
          secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:csl/stripe-AbCdEf',
          keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      };
    });
    expect(resolveStage(ok, 'dev').services.api.secrets).toEqual({
      MAIL_PASSWORD: { secretName: 'csl/mail', jsonKey: 'password' },
      STRIPE_SECRET: expect.objectContaining({ secretArn: expect.stringContaining('csl/stripe') }),
    });
  });

  test('a plaintext secret value is refused with the fix', () => {
    const bad = edited(csl, (d) => {
      d.services.api.secrets = { MAIL_PASSWORD: 'hunter2' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "csl.dev.services.api.secrets.MAIL_PASSWORD: plaintext secret values are not allowed; store the value in Secrets Manager and write { secretName: '...', jsonKey?: '...' }",
    ]);
  });

  test('a variable that is both a secret and plain environment is refused', () => {
    const bad = edited(csl, (d) => {
      d.services.api.secrets = { MAIL_USERNAME: { secretName: 'csl/mail', jsonKey: 'username' } };
      d.services.api.environment = { MAIL_USERNAME: 'noreply' };
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      'csl.dev.services.api.secrets.MAIL_USERNAME: is also a plain environment variable; keep it in one place (remove it from environment)',
    ]);
  });
});

describe('deployment time budget (CloudFormation waits at most 60 min for a custom resource)', () => {
  test.each(['dev', 'staging', 'prod'] as const)('the %s tier fits in 55 minutes', (stage) => {
    const { deployment } = resolveStage(csl, stage);
    const { total } = deploymentWorstCase(deployment);
    expect(total).toBeLessThanOrEqual(MAX_DEPLOY_MINUTES);
    expect(deployment.timeoutMinutes).toBeGreaterThanOrEqual(total);
    expect(deployment.timeoutMinutes).toBeLessThanOrEqual(MAX_DEPLOY_MINUTES);
  });

  test('a stage whose worst case passes 55 minutes is rejected with the arithmetic', () => {
    // The migration timeout prod had before this check.
    const bad = edited(csl, (d) => {
      d.stages.prod.deployment = { migrationTimeoutMinutes: 30 };
    });
    expect(problemsOf(() => resolveStage(bad, 'prod'))).toEqual([
      "csl.prod.deployment.migrationTimeoutMinutes: worst case 12 snapshot + 3 migration task start + 30 migrations + 5 green tasks healthy + 2 smoke test + 10 shifting (linear-10-1) + 1 waiter = 63 min exceeds 55 min (CloudFormation waits at most 60 min for the deployment's custom resource); lower migrationTimeoutMinutes or snapshotTimeoutMinutes by 8, or shift traffic faster",
    ]);
  });

  test('a cdk deploy timeout above 55 minutes, or below the worst case, is rejected', () => {
    const tooLong = edited(csl, (d) => {
      d.stages.prod.deployment = { timeoutMinutes: 120 };
    });
    expect(problemsOf(() => resolveStage(tooLong, 'prod'))).toEqual([
      'csl.prod.deployment.timeoutMinutes: CloudFormation waits at most 60 min for a custom resource; set at most 55',
    ]);
    const tooShort = edited(csl, (d) => {
      d.stages.dev.deployment = { timeoutMinutes: 20 };
    });
    expect(problemsOf(() => resolveStage(tooShort, 'dev'))).toEqual([
      'csl.dev.deployment.timeoutMinutes: 20 min is shorter than the worst case 10 snapshot + 3 migration task start + 15 migrations + 5 green tasks healthy + 2 smoke test + 0 shifting (all-at-once) + 1 waiter = 36 min; set timeoutMinutes between 36 and 55',
    ]);
  });

  test('an image that migrates a store the stage does not have', () => {
    const bad = edited(shipment, (d) => {
      d.images.web.migrates = ['mysql', 'postgres'];
    });
    expect(problemsOf(() => resolveStage(bad, 'dev'))).toEqual([
      "shipment.dev.images.web.migrates.1: this stage has no postgres to snapshot (remove 'postgres')",
    ]);
  });
});
