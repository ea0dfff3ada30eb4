import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { DeploymentConfig, ImageConfig, ServiceConfig } from '../../../config';
import { withBootstrap } from '../../../lib/data/rds/app-users';
import { LaravelService, type LaravelServiceProps } from '../../../lib/services/laravel-service';
import { containers, type Container } from '../../helpers';
import { bareStage, DEPLOYMENT } from '../deployment/bare-web-service';
import { fakeStageData, PROD_SETTINGS, type FakeStores } from './bare-stage-data';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };

const SIDECAR_IMAGE: ImageConfig = {
  repository: 'owner/api',
  runtime: 'laravel',
  phpVersion: '8.3',
  nginxSidecar: true,
  user: 'www-data',
  readonlyRootFilesystem: true,
};

const base = { environment: {}, cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 4 } as const;

/** An image `api` as csl runs it: web behind nginx, a RabbitMQ worker and the scheduler. */
const SIDECAR_SERVICES: Record<string, ServiceConfig> = {
  api: {
    ...base,
    kind: 'laravel-web',
    image: 'api',
    host: 'api',
    port: 80,
    healthCheckPath: '/up',
    smokePaths: ['/api/ping'],
    uses: ['mysql', 'postgres', 'redis', 'uploads'],
    environment: { QUEUE_CONNECTION: 'rabbitmq' },
    secrets: { MAIL_PASSWORD: { secretName: 'shop/prod/mail', jsonKey: 'password' } },
  },
  worker: {
    ...base,
    kind: 'laravel-worker',
    image: 'api',
    command: ['php', 'artisan', 'queue:work'],
    uses: ['mysql', 'redis', 'rabbitmq'],
    secrets: { STRIPE_KEY: { secretName: 'shop/prod/stripe', jsonKey: 'key' } },
  },
  scheduler: {
    ...base,
    kind: 'laravel-scheduler',
    image: 'api',
    command: ['php', 'artisan', 'schedule:work'],
    uses: ['mysql'],
    minTasks: 1,
    maxTasks: 1,
  },
};

/** An image `web` as shipment runs it: Laravel 10 serving HTTP itself, a worker on Redis. */
const SINGLE_IMAGE: ImageConfig = {
  repository: 'owner/web',
  runtime: 'laravel',
  phpVersion: '8.1',
  user: 'www-data',
  readonlyRootFilesystem: true,
  migrates: ['mysql'],
};
const SINGLE_SERVICES: Record<string, ServiceConfig> = {
  web: { ...base, kind: 'laravel-web', image: 'web', host: 'web', port: 8080, uses: ['mysql', 'postgres', 'redis'] },
  worker: {
    ...base,
    kind: 'laravel-worker',
    image: 'web',
    command: ['php', 'artisan', 'queue:work'],
    uses: ['redis'],
    jobTimeoutSeconds: 115,
  },
};

interface Options {
  readonly imageName?: string;
  readonly image?: ImageConfig;
  readonly services?: Record<string, ServiceConfig>;
  readonly deployment?: Partial<DeploymentConfig>;
  readonly stores?: FakeStores;
  readonly nginxRepository?: boolean;
}

/** A LaravelService `Api` on a bare stage, with a fake data layer and a security group per service. */
function build(options: Options = {}) {
  const imageName = options.imageName ?? 'api';
  const services = options.services ?? SIDECAR_SERVICES;
  const hosts = Object.fromEntries(
    Object.entries(services)
      .filter(([, s]) => s.host)
      .map(([name, s]) => [name, `${s.host}.example.com`]),
  );
  const stage = bareStage(Object.keys(hosts).length > 0 ? Object.values(hosts) : ['api.example.com']);
  const { stack, vpc, cluster, loadBalancer } = stage;
  const data = fakeStageData(stack, {
    mysql: { replicas: 1 },
    postgres: true,
    redis: {},
    rabbitmq: true,
    appKeys: [imageName],
    ...options.stores,
  });
  const groups = Object.fromEntries(
    Object.keys(services).map((name) => [name, new ec2.SecurityGroup(stack, `Sg${name}`, { vpc })]),
  );
  const repository = (name: string) =>
    ecr.Repository.fromRepositoryAttributes(stack, `Repo${name}`, {
      repositoryName: name,
      repositoryArn: `arn:aws:ecr:eu-west-1:222222222222:repository/${name}`,
    });
  const image = options.image ?? SIDECAR_IMAGE;
  const props: LaravelServiceProps = {
    imageName,
    image,
    services,
    hosts,
    laravel: PROD_SETTINGS,
    deployment: { ...DEPLOYMENT, execEnabled: true, ...options.deployment },
    scaling: { cpuTargetPercent: 60, requestsPerTarget: 500, messagesPerWorker: 100, spot: false },
    snapshotPrefix: 'predeploy-shop-prod',
    cluster,
    data,
    securityGroups: { of: (name) => groups[name] },
    loadBalancer,
    repository: repository(imageName),
    nginxRepository: (options.nginxRepository ?? image.nginxSidecar) ? repository(`${imageName}-nginx`) : undefined,
    imageTag: 'c0ffee1',
    logRetention: 30,
    vpc,
    database: data.mysql?.primary,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  };
  const laravel = new LaravelService(stack, 'Api', props);
  return { stack, laravel, groups, template: Template.fromStack(stack) };
}

const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];
const find = (t: Template, type: string, prefix: string): [string, Resource] => {
  const found = resources(t, type).filter(([lid]) => lid.startsWith(prefix));
  expect(found.map(([lid]) => lid)).toHaveLength(1);
  return found[0];
};
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const app = (t: Template, prefix: string) => containers(t, prefix).find((c) => c.Name === 'App')!;
const envOf = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
const secretNames = (c: Container) => (c.Secrets ?? []).map((s) => s.Name).sort();
const mounts = (c: Container) => ((c.MountPoints ?? []) as { ContainerPath: string }[]).map((m) => m.ContainerPath);

describe('LaravelService', () => {
  // Two syntheses: csl's shape (nginx sidecar, Laravel 11, RabbitMQ worker, scheduler, Exec on)
  // and shipment's (one container, Laravel 10, Redis worker, the image's own `migrates`, Exec off).
  let sidecar: ReturnType<typeof build>;
  let single: ReturnType<typeof build>;
  beforeAll(() => {
    sidecar = build();
    single = build({
      imageName: 'web',
      image: SINGLE_IMAGE,
      services: SINGLE_SERVICES,
      deployment: { execEnabled: false },
    });
  });

  describe('checks', () => {
    test('refuses an image that is not Laravel, a sidecar without its repository, an image without services', () => {
      expect(() => build({ image: { ...SIDECAR_IMAGE, runtime: 'nextjs' } })).toThrow(/'api' is a nextjs image/);
      expect(() => build({ nginxRepository: false })).toThrow(/uses an nginx sidecar; pass nginxRepository/);
      expect(() => build({ services: {} })).toThrow(/image 'api' has no service/);
    });
  });

  describe('the web service', () => {
    test('PHP-FPM behind an nginx sidecar: FPM checks its pool on 9000, nginx itself with curl (the Debian image has no wget)', () => {
      const [fpm, nginx] = containers(sidecar.template, 'ApiApiTask');
      expect(fpm.HealthCheck).toEqual(
        expect.objectContaining({ Command: ['CMD-SHELL', expect.stringContaining('fsockopen("127.0.0.1", 9000)')] }),
      );
      expect(fpm.PortMappings).toBeUndefined();
      const command = (nginx.HealthCheck as { Command: string[] }).Command.join(' ');
      expect(command).toMatch(/^CMD-SHELL curl -fsS -o \/dev\/null http:\/\/127\.0\.0\.1:80\/up/);
      expect(command).not.toMatch(/\bwget\b/);
      expect(nginx).toEqual(
        expect.objectContaining({ Name: 'Web', PortMappings: [expect.objectContaining({ ContainerPort: 80 })] }),
      );
      expect(mounts(nginx)).toEqual(expect.arrayContaining(['/var/cache/nginx', '/var/run', '/tmp']));
      expect(JSON.stringify(nginx.Image)).toContain('api-nginx:c0ffee1');
    });

    test('one container serving HTTP itself, checked on its port at the health path of its Laravel major', () => {
      const all = containers(single.template, 'ApiWebTask');
      expect(all.map((c) => c.Name)).toEqual(['App']);
      expect(all[0].PortMappings).toEqual([expect.objectContaining({ ContainerPort: 8080 })]);
      // Laravel 10 has no /up route: the image contract asks for /health.
      expect(JSON.stringify(all[0].HealthCheck)).toContain('http://127.0.0.1:8080/health');
      single.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health' });
    });

    test('non-root, read-only, with scratch volumes for what Laravel writes', () => {
      const fpm = app(sidecar.template, 'ApiApiTask');
      expect(fpm).toEqual(expect.objectContaining({ User: 'www-data', ReadonlyRootFilesystem: true }));
      expect(mounts(fpm)).toEqual(
        expect.arrayContaining(['/var/www/html/storage', '/var/www/html/bootstrap/cache', '/tmp']),
      );
      expect(JSON.stringify(fpm.Image)).toMatch(/repository\/api"|\/api:c0ffee1/);
    });

    test('deploys its own task definition blue/green on its host, smoke-testing the health path and the smoke paths', () => {
      const { laravel, stack, template } = sidecar;
      const [, deployment] = find(template, 'Custom::EcsDeployment', 'ApiApiBlueGreen');
      expect(JSON.stringify(deployment.Properties.revisionAppSpecContent)).toContain(
        JSON.stringify({ Ref: logicalId(stack, laravel.tasks.api.taskDefinition) }),
      );
      const [, smoke] = find(template, 'AWS::Lambda::Function', 'ApiApiBlueGreenSmokeTest');
      expect(smoke.Properties.Environment.Variables).toEqual(
        expect.objectContaining({ HOST: 'api.example.com', PATHS: '["/up","/api/ping"]' }),
      );
      expect(laravel.blueGreen?.web.service).toBe(laravel.services.api);
    });

    test('its task definitions stay registered when replaced, for rollbacks', () => {
      for (const prefix of ['ApiApiTask', 'ApiMigrationTask']) {
        expect(find(sidecar.template, 'AWS::ECS::TaskDefinition', prefix)[1].DeletionPolicy).toBe('Retain');
      }
      expect(find(sidecar.template, 'AWS::ECS::TaskDefinition', 'ApiWorkerTask')[1].DeletionPolicy).toBeUndefined();
    });
  });

  describe('migrations before each web deployment', () => {
    test('BeforeInstall runs the migrations hook; AfterAllowTestTraffic the smoke test', () => {
      const [, deployment] = find(sidecar.template, 'Custom::EcsDeployment', 'ApiApiBlueGreen');
      const appspec = JSON.stringify(deployment.Properties.revisionAppSpecContent);
      expect(appspec).toMatch(/BeforeInstall.{0,40}ApiMigrationsHook[0-9A-F]{8}/);
      expect(appspec).toMatch(/AfterAllowTestTraffic.*ApiApiBlueGreenSmokeTest/);
      expect(sidecar.laravel.migrations?.hook).toBeDefined();
    });

    test('the runner runs the migration task with the web service’s security group, within the deployment’s timeout', () => {
      const { template, stack, groups } = sidecar;
      const [, runner] = find(template, 'AWS::Lambda::Function', 'ApiMigrationsRunner');
      expect(runner.Properties.Environment.Variables).toEqual(
        expect.objectContaining({
          TASK_DEFINITION: { Ref: expect.stringMatching(/^ApiMigrationTask/) },
          CONTAINER_NAME: 'App',
          TIMEOUT_SECONDS: String(DEPLOYMENT.migrationTimeoutMinutes * 60),
          SECURITY_GROUPS: { 'Fn::GetAtt': [logicalId(stack, groups.api), 'GroupId'] },
        }),
      );
    });

    test('the hook reports to the web service’s deployment group', () => {
      const [, policy] = find(sidecar.template, 'AWS::IAM::Policy', 'ApiMigrationsHookServiceRoleDefaultPolicy');
      const statements = policy.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[];
      expect(
        JSON.stringify(
          statements.find((s) => s.Action === 'codedeploy:PutLifecycleEventHookExecutionStatus')!.Resource,
        ),
      ).toMatch(/deploymentgroup:.*ApiApiBlueGreenApplication.*ApiApiBlueGreenDeploymentGroup/);
    });

    test('snapshots the databases the web service uses, MySQL first; or those the image says it migrates', () => {
      const instances = (t: Template) =>
        JSON.stringify(find(t, 'AWS::Lambda::Function', 'ApiMigrationsSnapshots')[1].Properties.Environment.Variables);
      expect(instances(sidecar.template)).toMatch(
        /mysql.*predeploy-shop-prod\\".*postgres.*predeploy-shop-prod-postgres/,
      );
      expect(instances(single.template)).toContain('predeploy-shop-prod');
      expect(instances(single.template)).not.toContain('postgres');
    });

    test('the migration task first creates the app’s database users, with the web service’s wiring and the master users', () => {
      const t = sidecar.template;
      const migration = app(t, 'ApiMigrationTask');
      expect(migration.Command).toEqual(withBootstrap(['php', 'artisan', 'migrate', '--force']));
      const web = secretNames(app(t, 'ApiApiTask'));
      expect(secretNames(migration)).toEqual(
        [...web, 'DB_ADMIN_PASSWORD', 'DB_ADMIN_USERNAME', 'DB_PGSQL_ADMIN_PASSWORD', 'DB_PGSQL_ADMIN_USERNAME'].sort(),
      );
      expect(envOf(migration)).toEqual(
        expect.objectContaining({ ...envOf(app(t, 'ApiApiTask')), DB_USERS_BOOTSTRAP: expect.any(String) }),
      );
    });
  });

  describe('workers and the scheduler', () => {
    test('workers run their command with the job timeout and stop within it (at most 120 s on Fargate)', () => {
      const worker = app(sidecar.template, 'ApiWorkerTask');
      expect(worker.Command).toEqual(['php', 'artisan', 'queue:work', '--timeout=90']);
      expect(worker.StopTimeout).toBe(100);
      const long = app(single.template, 'ApiWorkerTask');
      expect(long.Command).toEqual(['php', 'artisan', 'queue:work', '--timeout=115']);
      expect(long.StopTimeout).toBe(120);
    });

    test('a RabbitMQ worker scales on the broker’s queue depth; another on CPU', () => {
      const policies = (t: Template) =>
        resources(t, 'AWS::ApplicationAutoScaling::ScalingPolicy')
          .filter(([lid]) => lid.startsWith('ApiWorker'))
          .map(([, p]) => p.Properties.PolicyType);
      expect(policies(sidecar.template)).toEqual(['StepScaling', 'StepScaling']);
      const depth = resources(sidecar.template, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
        JSON.stringify(a.Properties.Metrics ?? []).includes('"MessageCount"'),
      );
      expect(depth).toHaveLength(2);
      expect(JSON.stringify(depth[0][1].Properties.Metrics)).toContain('"Value":"shop-prod-mq"');
      expect(JSON.stringify(depth[0][1].Properties.Metrics)).toContain('depth / 100');
      expect(policies(single.template)).toEqual(['TargetTrackingScaling']);
    });

    test('workers roll with the circuit breaker; exactly one scheduler, stopped before the new one starts', () => {
      const [, worker] = find(sidecar.template, 'AWS::ECS::Service', 'ApiWorker');
      expect(worker.Properties.DeploymentConfiguration).toEqual(
        expect.objectContaining({
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        }),
      );
      const [, scheduler] = find(sidecar.template, 'AWS::ECS::Service', 'ApiScheduler');
      expect(scheduler.Properties).toEqual(
        expect.objectContaining({
          DesiredCount: 1,
          DeploymentConfiguration: expect.objectContaining({
            DeploymentCircuitBreaker: { Enable: true, Rollback: true },
            MinimumHealthyPercent: 0,
            MaximumPercent: 100,
          }),
        }),
      );
      expect(app(sidecar.template, 'ApiSchedulerTask').Command).toEqual(['php', 'artisan', 'schedule:work']);
    });

    test('roll only after the web deployment succeeded, so they never run code whose migrations have not run', () => {
      for (const prefix of ['ApiWorker', 'ApiScheduler']) {
        const [, service] = find(sidecar.template, 'AWS::ECS::Service', prefix);
        expect(service.DependsOn).toEqual(
          expect.arrayContaining([expect.stringMatching(/^ApiApiBlueGreenDeploymentGroupDeployment[0-9A-F]{8}$/)]),
        );
      }
    });
  });

  describe('what every service of the image shares', () => {
    test('the web service’s URL, and the app secrets any service of the image declares', () => {
      for (const prefix of ['ApiApiTask', 'ApiWorkerTask', 'ApiSchedulerTask', 'ApiMigrationTask']) {
        const container = app(sidecar.template, prefix);
        expect([prefix, envOf(container).APP_URL]).toEqual([prefix, 'https://api.example.com']);
        expect([prefix, secretNames(container)]).toEqual([
          prefix,
          expect.arrayContaining(['MAIL_PASSWORD', 'STRIPE_KEY']),
        ]);
      }
    });

    test('with Exec on, read-only containers of the services get writable SSM agent paths; the migration task, which runs without Exec, none', () => {
      const t = sidecar.template;
      for (const prefix of ['ApiApiTask', 'ApiWorkerTask']) {
        for (const container of containers(t, prefix)) {
          expect([prefix, container.Name, mounts(container)]).toEqual([
            prefix,
            container.Name,
            expect.arrayContaining(['/var/lib/amazon/ssm', '/var/log/amazon/ssm']),
          ]);
        }
      }
      expect(mounts(app(t, 'ApiMigrationTask'))).not.toContain('/var/lib/amazon/ssm');
      for (const [lid, service] of resources(t, 'AWS::ECS::Service')) {
        expect([lid, service.Properties.EnableExecuteCommand]).toEqual([lid, true]);
      }
      // Exec off: no agent paths anywhere.
      expect(JSON.stringify(single.template.toJSON())).not.toContain('/var/lib/amazon/ssm');
    });

    test('exposes each service and task by its config name', () => {
      expect(Object.keys(sidecar.laravel.services)).toEqual(['api', 'worker', 'scheduler']);
      expect(Object.keys(sidecar.laravel.tasks)).toEqual(['api', 'worker', 'scheduler']);
    });
  });
});
