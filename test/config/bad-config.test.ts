import { resolveAll, resolvePipeline, resolveStage, type SystemDefinition } from '../../config';
import { csl } from '../../config/systems/csl';
import { edited, problemsOf, tierStagesOnly } from './edits';
import { shipment } from '../../config/systems/shipment';

/**
 * Mistakes a new owner made in a first week, each rejected at load with one line:
 * `system.stage.path: what is wrong (fix)`, no cascade, no stack trace, no pointer into lib/.
 * The AWS values behind them live in config/aws-tables.ts, with their sources.
 */

const problems = (system: SystemDefinition, stage: string) => problemsOf(() => resolveStage(system, stage));

describe('regions and zones', () => {
  test('a region that does not exist is named, and its zones are not blamed for it', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.region = 'eu-middle-7';
      d.stages.dev.availabilityZones = ['eu-middle-7a', 'eu-middle-7b'];
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.region: 'eu-middle-7' is not an AWS region (e.g. 'eu-west-1'; the list is in config/aws-tables.ts)",
    ]);
  });

  test('a region typo blames the region and suggests the right one', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.region = 'eu-wset-1';
    });
    expect(problems(bad, 'prod')).toEqual([
      "csl.prod.region: 'eu-wset-1' is not an AWS region (did you mean 'eu-west-1'?)",
    ]);
  });

  test('a zone letter the region does not have', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.availabilityZones = ['eu-west-1a', 'eu-west-1e'];
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.availabilityZones.1: 'eu-west-1e' is not a zone of region eu-west-1 (use one of 'eu-west-1a', 'eu-west-1b', 'eu-west-1c')",
    ]);
  });
});

describe('alerts', () => {
  test('prod with nobody to alert', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.alertEmails = [];
    });
    expect(problems(bad, 'prod')).toEqual([
      "shipment.prod.alertEmails: prod needs someone to receive its alarms (add an address, e.g. ['oncall@example.com'])",
    ]);
  });
});

describe('engine versions the service does not offer', () => {
  test('PostgreSQL', () => {
    const bad = edited(csl, (d) => {
      d.postgres.engineVersion = '15.1';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.postgres.engineVersion: '15.1' is not a PostgreSQL 15 version RDS offers (did you mean '15.10'?)",
    ]);
  });

  test('Valkey', () => {
    const bad = edited(csl, (d) => {
      d.redis.engineVersion = '6.2';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.redis.engineVersion: ElastiCache offers valkey 7.2, 8.0, 8.1, 8.2, 9.0, 9.1, not '6.2' (pick one of those)",
    ]);
  });

  test('RabbitMQ past its end of support', () => {
    const bad = edited(csl, (d) => {
      d.rabbitmq.engineVersion = '3.11';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.rabbitmq.engineVersion: '3.11' is not a RabbitMQ version Amazon MQ offers (did you mean '3.13'?)",
    ]);
  });

  test('RabbitMQ 4.2 on a broker family that runs only 3.13', () => {
    const bad = edited(csl, (d) => {
      d.rabbitmq.engineVersion = '4.2';
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.rabbitmq.instanceType: RabbitMQ 4.2 runs on mq.m7g brokers, not mq.t3.micro (change one of the two)',
    ]);
  });

  test('a cluster of mq.t3.micro, which Amazon MQ runs single-instance only', () => {
    const bad = edited(csl, (d) => {
      d.stages.staging.rabbitmq = { instanceType: 'mq.t3.micro', deploymentMode: 'CLUSTER_MULTI_AZ' };
    });
    expect(problems(bad, 'staging')).toEqual([
      "csl.staging.rabbitmq.deploymentMode: mq.t3.micro runs single-instance brokers only (set deploymentMode: 'SINGLE_INSTANCE' or a larger instanceType)",
    ]);
  });
});

describe('instance classes and task sizes', () => {
  test('an unknown database instance class gets a short message and a suggestion', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.postgres = { instanceType: 't4g.mirco' };
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.postgres.instanceType: 't4g.mirco' is not an RDS instance class (write it without 'db.') (did you mean 't4g.micro'?)",
    ]);
  });

  test('an unknown cache node type', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.redis = { shards: 3, nodeType: 'cache.m7g.larg' };
    });
    expect(problems(bad, 'prod')).toEqual([
      "shipment.prod.redis.nodeType: 'cache.m7g.larg' is not an ElastiCache node type (did you mean 'cache.m7g.large'?)",
    ]);
  });

  test('a Fargate CPU/memory pair that does not exist is named at the config path', () => {
    const bad = edited(csl, (d) => {
      d.services.api.cpu = 1024;
      d.services.api.memoryMiB = 1024;
    });
    const found = problems(bad, 'dev');
    expect(found).toEqual([
      'csl.dev.services.api.memoryMiB: Fargate gives 1024 CPU units 2048, 3072, 4096, 5120, 6144, 7168, 8192 MiB, not 1024 (change memoryMiB or cpu)',
    ]);
    expect(found.join('\n')).not.toMatch(/lib\//);
  });

  test('a misspelt service kind is one problem, with the right kind suggested, not a cascade', () => {
    const bad = edited(csl, (d) => {
      d.services.worker.kind = 'laravel-wroker';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.worker.kind: the string 'laravel-wroker' is not allowed (did you mean 'laravel-worker'?)",
    ]);
  });
});

describe('networks and secrets', () => {
  test('an external database range inside the VPC', () => {
    const bad = edited(shipment, (d) => {
      d.stages.dev.externalDatabases.dolibarr.cidr = '10.20.5.0/24';
    });
    // (The resolver address then lies outside the routed range too, reported on its own line.)
    expect(problems(bad, 'dev')).toContain(
      "shipment.dev.externalDatabases.dolibarr.cidr: 10.20.5.0/24 lies inside this stage's VPC 10.20.0.0/16; an external database is outside it (give the host's own range, or move the VPC with network.cidr)",
    );
  });

  test.each(['STRIPE_KEY', 'MAIL_PASS', 'SENTRY_DSN', 'DB_PASSWD', 'AWS_CREDENTIALS'])(
    'a secret-looking variable name (%s) is refused as plain environment',
    (name) => {
      const bad = edited(csl, (d) => {
        d.services.admin.environment = { [name]: 'x' };
      });
      expect(problems(bad, 'dev')).toEqual([
        `csl.dev.services.admin.environment.${name}: looks like a secret; plain environment values end up in the template (move it to secrets: { ${name}: { secretName: '...' } })`,
      ]);
    },
  );

  test('ordinary names that contain KEY or PASS as part of a word pass', () => {
    const ok = edited(csl, (d) => {
      d.services.admin.environment = { KEYBOARD_LAYOUT: 'us', PASSPORT_ROUTE: '/p', MONKEY_MODE: 'off' };
    });
    expect(resolveStage(ok, 'dev').services.admin.environment.PASSPORT_ROUTE).toBe('/p');
  });

  test('a URL with a password in it', () => {
    const bad = edited(csl, (d) => {
      d.services.admin.environment = { ANALYTICS_URL: 'https://admin:hunter2@stats.example.com/' };
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.services.admin.environment.ANALYTICS_URL: holds a URL with a password in it; plain environment values end up in the template (keep the password in Secrets Manager)',
    ]);
  });
});

describe('a new stage', () => {
  const withQa = (tier: string | undefined, order?: string[]) =>
    edited(tierStagesOnly(csl), (d) => {
      d.stages.qa = {
        ...structuredClone(d.stages.staging),
        domainName: 'qa.cfpcsl.com',
        hostedZoneId: 'Z0000000000CSLQA',
        network: { cidr: '10.13.0.0/16' },
        tier,
      };
      // A broker of its own: names are unique in an account and region (the default is csl-qa).
      delete d.stages.qa.rabbitmq;
      if (tier === undefined) delete d.stages.qa.tier;
      if (order) d.pipeline.order = order;
    });

  test('reuses a tier, and the pipeline places it by config', () => {
    const system = withQa('staging', ['dev', 'qa', 'staging', 'prod']);
    const configs = resolveAll([system]);
    expect(configs.map((c) => `${c.stage}:${c.tier}`)).toEqual([
      'dev:dev',
      'qa:staging',
      'staging:staging',
      'prod:prod',
    ]);
    expect(configs[1].mysql?.readReplicas).toBe(1); // the staging tier's default
    expect(resolvePipeline(system).order).toEqual(['dev', 'qa', 'staging', 'prod']);
  });

  test('without a tier it is named, not a crash', () => {
    expect(problems(withQa(undefined), 'qa')).toEqual([
      "csl.qa.tier: stage 'qa' names no tier (set tier: 'dev', 'staging', 'prod' to reuse one, or add a tier to config/tiers.ts)",
    ]);
  });

  test('a pipeline that does not place it says how to', () => {
    expect(problemsOf(() => resolvePipeline(withQa('staging')))).toEqual([
      "csl.pipeline.order: stage 'qa' has no place in the pipeline (list it, e.g. order: ['dev', 'staging', 'qa', 'prod'])",
    ]);
  });

  test('a pipeline order that does not end at prod', () => {
    expect(problemsOf(() => resolvePipeline(withQa('staging', ['dev', 'staging', 'prod', 'qa'])))).toEqual([
      "csl.pipeline.order: the pipeline starts at 'dev' and ends at 'prod', each stage once (e.g. order: ['dev', 'staging', 'qa', 'prod'])",
    ]);
  });
});

describe('a system with dev and prod only', () => {
  const devAndProd = edited(tierStagesOnly(csl), (d) => {
    delete d.stages.staging;
  });

  test('deploys dev, then prod, without a pipeline order', () => {
    expect(resolvePipeline(devAndProd).order).toEqual(['dev', 'prod']);
  });

  test('an order that starts at prod names the order to write', () => {
    const reversed = edited(devAndProd, (d) => {
      d.pipeline.order = ['prod', 'dev'];
    });
    expect(problemsOf(() => resolvePipeline(reversed))).toEqual([
      "csl.pipeline.order: the pipeline starts at 'dev' and ends at 'prod', each stage once (e.g. order: ['dev', 'prod'])",
    ]);
  });
});

describe('no stack traces', () => {
  test('a system without a web service is named in config, not by the load balancer', () => {
    const bad = edited(csl, (d) => {
      d.services = {};
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services: no service takes traffic (add a 'laravel-web' or 'nextjs' service with a host)",
    ]);
  });

  test('a store listed twice', () => {
    const bad = edited(csl, (d) => {
      d.services.api.uses = ['mysql', 'redis', 'mysql'];
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.api.uses.2: 'mysql' is listed twice; name each store once",
    ]);
  });

  test('null where an object belongs', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network = null;
    });
    const found = problems(bad, 'dev');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^csl\.dev\.network/);
  });

  test('a services entry that is not an object', () => {
    const bad = edited(csl, (d) => {
      d.services.admin = 'nextjs';
    });
    const found = problems(bad, 'dev');
    expect(found).toEqual([expect.stringMatching(/^csl\.dev\.services\.admin: /)]);
  });
});

describe('dev-tier savings kept out of prod', () => {
  test('a NAT instance in prod', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.network = { ...d.stages.prod.network, nat: 'instance' };
    });
    expect(problems(bad, 'prod')).toEqual([
      "shipment.prod.network.nat: prod needs managed NAT gateways; a NAT instance is a single point of failure (set nat: 'gateway')",
    ]);
  });

  test('Fargate Spot in prod', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.scaling = { ...d.stages.prod.scaling, spot: true };
    });
    expect(problems(bad, 'prod')).toEqual([
      'csl.prod.scaling.spot: prod runs on on-demand Fargate: Spot stops tasks at two minutes notice with no on-demand fallback (set spot: false)',
    ]);
  });

  test('a NAT that is neither a gateway nor an instance', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network = { ...d.stages.dev.network, nat: 'nat-box' };
    });
    expect(problems(bad, 'dev')).toEqual([expect.stringMatching(/^csl\.dev\.network\.nat: .*'gateway'.*'instance'/)]);
  });
});
