import { resolvePipeline, resolveStage, type SystemDefinition } from '../../config';
import { MQ_INSTANCE_TYPES, RABBITMQ_MEMORY_HIGH_WATERMARK_GIB } from '../../config/aws-tables';
import { checkBroker } from '../../config/rules/data-stores';
import { csl } from '../../config/systems/csl';
import { shipment } from '../../config/systems/shipment';
import { edited, problemsOf } from './edits';

const problems = (system: SystemDefinition, stage: string) => problemsOf(() => resolveStage(system, stage));

describe('a production stage on another tier', () => {
  test('is refused unless it says why', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.tier = 'staging';
    });
    expect(problems(bad, 'prod')).toEqual([
      "csl.prod.tier: stage 'prod' takes the staging tier, without prod's Multi-AZ, deletion protection and NAT per zone (set tier: 'prod', or say why in tierReason: '...')",
    ]);
  });

  test('is accepted with a reason, and a reason nobody needs is refused', () => {
    const ok = edited(csl, (d) => {
      d.stages.prod.tier = 'staging';
      d.stages.prod.tierReason = 'a rehearsal account before the real launch';
    });
    expect(resolveStage(ok, 'prod').tier).toBe('staging');
    const needless = edited(csl, (d) => {
      d.stages.dev.tierReason = 'nothing to explain here at all';
    });
    expect(problems(needless, 'dev')).toEqual([
      "csl.dev.tierReason: stage 'dev' takes the tier its name suggests; remove tierReason",
    ]);
  });
});

describe('NAT', () => {
  test('more NAT gateways than zones are refused', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network = { ...d.stages.dev.network, natGateways: 3 };
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.network.natGateways: 3 NAT gateways for 2 zones; use at most one per zone',
    ]);
  });
});

describe('the VPC range', () => {
  test('a public range is refused with a private one to use', () => {
    const bad = edited(csl, (d) => {
      d.stages.dev.network.cidr = '52.10.0.0/16';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.network.cidr: 52.10.0.0/16 is a public range; AWS gives a VPC's public range no internet access and it hides the real hosts of those addresses (use an RFC 1918 private range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, e.g. '10.30.0.0/16')",
    ]);
  });
});

describe('limits the deployed stack cannot exceed', () => {
  test('refuses a shard count the cache alarms cannot express', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.redis.shards = 6;
    });
    expect(problems(bad, 'prod')).toEqual([
      'shipment.prod.redis.shards: 6 shards of 2 nodes are 12 nodes; the cache alarms watch every node in one CloudWatch math expression, which takes at most 10 metrics (set shards: 5 or fewer, fewer replicasPerShard, or a larger nodeType)',
    ]);
    const five = edited(shipment, (d) => {
      d.stages.prod.redis.shards = 5;
    });
    expect(resolveStage(five, 'prod').redis?.shards).toBe(5);
  });

  test('refuses more images than the pipeline deploy action takes', () => {
    const bad = edited(csl, (d) => {
      for (const name of ['shop', 'blog']) {
        d.images[name] = { ...d.images.admin };
        d.services[name] = { kind: 'nextjs', image: name, host: name };
      }
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.images: 5 images, but a pipeline deploy action takes at most 4 (one static-files input each beside this repository); split the system or drop blog',
    ]);
  });

  test('refuses a second laravel-web service for one image: both would run its migrations', () => {
    const bad = edited(csl, (d) => {
      d.services.api2 = { kind: 'laravel-web', image: 'api', host: 'api2', uses: ['mysql'] };
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.api2.kind: image 'api' already has the laravel-web service 'api'; both would run its migrations on every deploy (keep one web service per Laravel image, or give this one an image of its own)",
    ]);
  });

  test('refuses an image no web service runs: the pipeline checks each image through one', () => {
    const bad = edited(csl, (d) => {
      d.images.jobs = { ...d.images.api };
      d.services.jobs = { kind: 'laravel-worker', image: 'jobs', uses: ['mysql'] };
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.images.jobs: no laravel-web or nextjs service runs this image, and the pipeline checks every image through its web service (add one, or remove the image)',
    ]);
  });

  test('a Multi-AZ broker needs a known memory high watermark for its node alarm', () => {
    const found: string[] = [];
    const prod = resolveStage(csl, 'prod');
    const { 'mq.m5.large': _, ...withoutM5Large } = RABBITMQ_MEMORY_HIGH_WATERMARK_GIB;
    checkBroker(prod, (path, message) => found.push(`${path.join('.')}: ${message}`), withoutM5Large);
    expect(found).toEqual([
      expect.stringMatching(/^rabbitmq\.instanceType: no memory high watermark is known for mq\.m5\.large/),
    ]);
  });

  test('every broker type that runs a cluster has a watermark', () => {
    const clusterTypes = MQ_INSTANCE_TYPES.filter((t) => t !== 'mq.t3.micro');
    expect(clusterTypes.filter((t) => !(t in RABBITMQ_MEMORY_HIGH_WATERMARK_GIB))).toEqual([]);
  });
});

describe('values named with what is allowed', () => {
  test('an unknown MySQL minor version suggests the nearest one RDS offers', () => {
    const bad = edited(csl, (d) => {
      d.mysql.engineVersion = '8.4.99';
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.mysql.engineVersion: '8.4.99' is not a MySQL version RDS offers (did you mean '8.4.9'? RDS offers 8.4.5 to 8.4.10 and 8.0.42 to 8.0.46; the list is in config/aws-tables.ts)",
    ]);
    const old = edited(csl, (d) => {
      d.mysql.engineVersion = '8.0.28';
    });
    expect(problems(old, 'dev')).toEqual([
      "csl.dev.mysql.engineVersion: '8.0.28' is not a MySQL version RDS offers (did you mean '8.0.42'? RDS offers 8.4.5 to 8.4.10 and 8.0.42 to 8.0.46; the list is in config/aws-tables.ts)",
    ]);
  });

  test('a CPU size Fargate does not offer names the sizes', () => {
    const bad = edited(csl, (d) => {
      d.services.api.cpu = 3000;
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.services.api.cpu: 3000 is not a Fargate task CPU size; use one of 256, 512, 1024, 2048, 4096 (CPU units, 1024 = 1 vCPU)',
    ]);
  });

  test('a lower-case environment or secret variable name is named with the name to use', () => {
    const bad = edited(csl, (d) => {
      d.services.api.environment = { ...d.services.api.environment, mail_from: 'noreply@example.com' };
      d.services.api.secrets = { 'stripe-key': { secretName: 'csl/stripe' } };
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.api.environment.mail_from: 'mail_from' is not an upper-case variable name (rename it to 'MAIL_FROM')",
      "csl.dev.services.api.secrets.stripe-key: 'stripe-key' is not an upper-case variable name (rename it to 'STRIPE_KEY')",
    ]);
  });

  test('a system without a pipeline is refused: every stage pulls its images from its registry', () => {
    const bad = edited(csl, (d) => {
      delete d.pipeline;
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.pipeline: missing (add pipeline: { account, region, connectionArn, repository, branch: 'main' }; every stage pulls its images from the registry there)",
    ]);
  });

  test('a pipeline region typo is reported where it was written, once', () => {
    const bad = edited(csl, (d) => {
      d.pipeline.region = 'eu-wset-1';
    });
    const expected = ["csl.pipeline.region: 'eu-wset-1' is not an AWS region (did you mean 'eu-west-1'?)"];
    expect(problems(bad, 'dev')).toEqual(expected);
    expect(problemsOf(() => resolvePipeline(bad))).toEqual(expected);
  });
});

describe('services', () => {
  test('a port or health path on a service that takes no traffic is refused, not ignored', () => {
    const bad = edited(shipment, (d) => {
      d.services.worker.port = 8080;
      d.services.scheduler.healthCheckPath = '/health';
    });
    expect(problems(bad, 'dev')).toEqual([
      'shipment.dev.services.worker.port: a laravel-worker service takes no traffic; remove port',
      'shipment.dev.services.scheduler.healthCheckPath: a laravel-scheduler service takes no traffic; remove healthCheckPath',
    ]);
  });

  test('a Next.js service that uses a store is refused: nothing wires it', () => {
    const bad = edited(csl, (d) => {
      d.services.admin.uses = ['postgres'];
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.admin.uses: a nextjs service is wired to no store (no variables, no grants), so 'postgres' would reach nothing; remove uses and read the data through the Laravel API",
    ]);
  });
});

describe('secrets in plain values', () => {
  test.each([
    ['PAYMENT_PROVIDER', 'sk_live_51Habcdefghijklmnop', 'a Stripe secret key'],
    ['STRIPE_TEST', 'sk_test_51Habcdefghijklmnop', 'a Stripe secret key'],
    ['SIGNING', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'a PEM private key'],
    ['GITHUB', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'a GitHub token'],
    ['SLACK_HOOK', 'xoxb-1234567890-abcdefghij', 'a Slack token'],
  ])('%s holding %s is refused, moved to Secrets Manager', (key, value, what) => {
    const bad = edited(csl, (d) => {
      d.services.admin.environment = { [key]: value };
    });
    expect(problems(bad, 'dev')).toEqual([
      `csl.dev.services.admin.environment.${key}: holds ${what}; plain environment values end up in the template (store it in Secrets Manager, set secrets: { ${key}: { secretName: '...' } }, and rotate it: it is in git now)`,
    ]);
  });

  test.each([
    ['S3_UPLOADER', 'AKIAIOSFODNN7EXAMPLE'],
    ['TEMP_KEY_ID', 'ASIAIOSFODNN7EXAMPLE'],
    ['AWS_ACCESS_KEY_ID', 'x'],
    ['AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ])('%s (an AWS access key) is removed, not moved: tasks use their task role', (key, value) => {
    const bad = edited(csl, (d) => {
      d.services.api.environment = { ...d.services.api.environment, [key]: value };
    });
    expect(problems(bad, 'dev')).toEqual([
      `csl.dev.services.api.environment.${key}: AWS access keys are removed, not moved: tasks call AWS with their task role (S3 through uses: uploads); delete it, and deactivate the key in IAM`,
    ]);
  });

  test('an AWS access key as an app secret is removed too', () => {
    const bad = edited(csl, (d) => {
      d.services.api.secrets = { AWS_SECRET_ACCESS_KEY: { secretName: 'csl/aws' } };
    });
    expect(problems(bad, 'dev')).toEqual([
      'csl.dev.services.api.secrets.AWS_SECRET_ACCESS_KEY: AWS access keys are removed, not moved: tasks call AWS with their task role (S3 through uses: uploads); delete it, and deactivate the key in IAM',
    ]);
  });

  test.each([
    ['DB_PASSWORD', "the MySQL app user's secret, rotated"],
    ['DB_USERNAME', "the MySQL app user's secret, rotated"],
    ['DB_PGSQL_PASSWORD', "the PostgreSQL app user's secret"],
    ['RABBITMQ_USER', "the broker's secret"],
    ['APP_KEY', "the image's own APP_KEY secret"],
  ])('%s, which the stage provides, may be overridden neither in environment nor in secrets', (key, origin) => {
    const bad = edited(csl, (d) => {
      d.services.api.environment = { ...d.services.api.environment, [key]: 'x' };
      d.services.worker.secrets = { [key]: { secretName: 'csl/own' } };
    });
    expect(problems(bad, 'dev')).toEqual([
      `csl.dev.services.api.environment.${key}: the stage already sets ${key} from ${origin}; remove it here (it would override the stage's)`,
      `csl.dev.services.worker.secrets.${key}: the stage already sets ${key} from ${origin}; remove it from secrets`,
    ]);
  });

  test("an external database's credentials are the stage's too", () => {
    const bad = edited(shipment, (d) => {
      d.services.worker.secrets = { DOLIBARR_DB_PASSWORD: { secretName: 'shipment/erp' } };
    });
    expect(problems(bad, 'dev')).toEqual([
      'shipment.dev.services.worker.secrets.DOLIBARR_DB_PASSWORD: the stage already sets DOLIBARR_DB_PASSWORD from externalDatabases.dolibarr.credentials; remove it from secrets',
    ]);
  });

  test('a Next.js service gets none of them, so its DB_PASSWORD is only a secret-looking name', () => {
    const bad = edited(csl, (d) => {
      d.services.admin.environment = { DB_PASSWORD: 'x' };
    });
    expect(problems(bad, 'dev')).toEqual([
      "csl.dev.services.admin.environment.DB_PASSWORD: looks like a secret; plain environment values end up in the template (move it to secrets: { DB_PASSWORD: { secretName: '...' } })",
    ]);
  });
});

/**
 * Rules on the shape of a store that only config checks: the constructs take their props as
 * given (each prop's JSDoc names the rule), so these messages are the one guard.
 */
describe('the shape of the stores', () => {
  const cases: [string, SystemDefinition, string, (d: any) => void, string][] = [
    [
      'shards without cluster mode',
      csl,
      'dev',
      (d) => (d.redis.shards = 2),
      'csl.dev.redis.shards: shards only apply in cluster mode (set shards: 1 or clusterMode: true)',
    ],
    [
      'failover without a replica',
      csl,
      'staging',
      (d) => (d.stages.staging.redis = { replicasPerShard: 0 }),
      'csl.staging.redis.replicasPerShard: automatic failover needs a replica (set replicasPerShard: 1 or more)',
    ],
    [
      'cluster mode without failover',
      shipment,
      'dev',
      (d) => (d.stages.dev.redis = { automaticFailover: false }),
      'shipment.dev.redis.automaticFailover: cluster mode requires automatic failover (set automaticFailover: true)',
    ],
    [
      'a storage ceiling below the allocation',
      csl,
      'dev',
      (d) => Object.assign(d.mysql, { allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 }),
      'csl.dev.mysql.maxAllocatedStorageGiB: 50 is below allocatedStorageGiB 100; raise it or lower allocatedStorageGiB',
    ],
    [
      'more than five read replicas',
      csl,
      'staging',
      (d) => (d.mysql.readReplicas = 6),
      'csl.staging.mysql.readReplicas: 6 is out of range; set at most 5',
    ],
    [
      'backup copies into the stage’s own region',
      csl,
      'prod',
      (d) => (d.stages.prod.backup.crossRegionCopy.region = 'eu-west-1'),
      "csl.prod.backup.crossRegionCopy.region: copies must go to another region than eu-west-1 (pick one such as 'eu-central-1')",
    ],
  ];
  test.each(cases)('refuses %s', (_what, system, stage, edit, message) => {
    expect(problems(edited(system, edit), stage)).toEqual([message]);
  });
});
