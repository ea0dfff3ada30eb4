import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AppTask, type AppContainerOptions } from '../../../lib/services/app-task';
import type { Wiring } from '../../../lib/services/wiring';
import { bareStack } from '../../helpers';

type Container = {
  Name: string;
  ReadonlyRootFilesystem?: boolean;
  MountPoints?: { ContainerPath: string; SourceVolume: string }[];
  [key: string]: any;
};

const SSM_PATHS = ['/var/lib/amazon/ssm', '/var/log/amazon/ssm'];

/**
 * Three tasks on one bare stack: `WebTask` (PHP-FPM read-only behind a read-only nginx sidecar,
 * Exec enabled twice), `PlainTask` (one writable container, Exec enabled) and `ReadOnlyTask`
 * (one read-only container, no Exec).
 */
function build() {
  const stack = bareStack();
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/php:8.3-fpm');
  const readOnly = (scratchPaths: string[], extra: Partial<AppContainerOptions> = {}): AppContainerOptions => ({
    image,
    readonlyRootFilesystem: true,
    scratchPaths,
    ...extra,
  });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    'AppKey',
    'arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-key-AbCdEf',
  );
  const granted: string[] = [];
  const wiring: Wiring = {
    environment: { APP_ENV: 'production' },
    secrets: { APP_KEY: ecs.Secret.fromSecretsManager(secret, 'key') },
    grant: (role) => {
      granted.push(`task:${role.node.path}`);
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonS3ReadOnlyAccess'));
    },
    grantExecution: (role) => granted.push(`execution:${(role as iam.IRole).node.path}`),
  };
  const task = (id: string, app: AppContainerOptions, sidecar?: AppContainerOptions) =>
    new AppTask(stack, id, {
      cpu: 512,
      memoryMiB: 1024,
      app,
      sidecar,
      wiring,
      logRetention: 90,
      logRemovalPolicy: RemovalPolicy.RETAIN,
    });
  const web = task(
    'WebTask',
    readOnly(['/var/www/html/storage', '/tmp'], {
      user: 'www-data',
      command: ['php-fpm'],
      healthCheck: 'php-fpm-healthcheck',
      stopTimeout: Duration.seconds(100),
    }),
    readOnly(['/var/cache/nginx'], { port: 80, healthCheck: 'curl -f http://127.0.0.1/up' }),
  );
  web.enableExec();
  web.enableExec();
  const plain = task('PlainTask', { image, readonlyRootFilesystem: false, scratchPaths: [], port: 8080 });
  plain.enableExec();
  const readOnlyTask = task('ReadOnlyTask', readOnly(['/tmp']));
  return { stack, web, plain, readOnlyTask, granted, template: Template.fromStack(stack) };
}

describe('AppTask', () => {
  let built: ReturnType<typeof build>;
  let t: Template;
  beforeAll(() => {
    built = build();
    t = built.template;
  });
  const containersOf = (prefix: string): Container[] => {
    const defs = Object.entries(t.findResources('AWS::ECS::TaskDefinition')).filter(([lid]) => lid.startsWith(prefix));
    expect(defs).toHaveLength(1);
    return defs[0][1].Properties.ContainerDefinitions;
  };
  const volumesOf = (prefix: string): string[] =>
    (
      Object.entries(t.findResources('AWS::ECS::TaskDefinition')).find(([lid]) => lid.startsWith(prefix))![1].Properties
        .Volumes ?? []
    ).map((v: { Name: string }) => v.Name);
  const paths = (c: Container) => (c.MountPoints ?? []).map((m) => m.ContainerPath);

  test('a Fargate task of the given size on x86-64 Linux', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('the application container gets the wiring’s environment and secrets; the sidecar neither', () => {
    const [app, web] = containersOf('WebTask');
    expect(app).toEqual(
      expect.objectContaining({
        Name: 'App',
        Essential: true,
        User: 'www-data',
        Command: ['php-fpm'],
        StopTimeout: 100,
        Environment: [{ Name: 'APP_ENV', Value: 'production' }],
        Secrets: [{ Name: 'APP_KEY', ValueFrom: expect.stringContaining(':secret:app-key-AbCdEf:key::') }],
      }),
    );
    expect(app.PortMappings).toBeUndefined();
    expect([web.Name, web.Environment, web.Secrets]).toEqual(['Web', undefined, undefined]);
  });

  test('the wiring grants the task role and the execution role of each task', () => {
    expect(built.granted).toEqual(
      expect.arrayContaining([
        'task:Test/WebTask/Resource/TaskRole',
        'execution:Test/WebTask/Resource/ExecutionRole',
        'task:Test/PlainTask/Resource/TaskRole',
      ]),
    );
    t.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonS3ReadOnlyAccess']] },
      ]),
    });
  });

  test('the sidecar takes the traffic on its port and starts once the application is healthy', () => {
    const [, web] = containersOf('WebTask');
    expect(web).toEqual(
      expect.objectContaining({
        PortMappings: [{ ContainerPort: 80, Protocol: 'tcp' }],
        DependsOn: [{ ContainerName: 'App', Condition: 'HEALTHY' }],
      }),
    );
    expect(built.web.web.containerName).toBe('Web');
    expect(built.plain.web.containerName).toBe('App');
    expect(containersOf('PlainTask')[0].PortMappings).toEqual([{ ContainerPort: 8080, Protocol: 'tcp' }]);
  });

  test('each health check is a shell command, checked every 15 s after a 30 s start', () => {
    const [app] = containersOf('WebTask');
    expect(app.HealthCheck).toEqual({
      Command: ['CMD-SHELL', 'php-fpm-healthcheck'],
      Interval: 15,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 30,
    });
    expect(containersOf('PlainTask')[0].HealthCheck).toBeUndefined();
  });

  test('both containers log to the task’s group without blocking, each under its own prefix', () => {
    const [app, web] = containersOf('WebTask');
    for (const [container, prefix] of [
      [app, 'app'],
      [web, 'web'],
    ] as const) {
      expect(container.LogConfiguration).toEqual({
        LogDriver: 'awslogs',
        Options: {
          'awslogs-group': { Ref: expect.stringMatching(/^WebTaskLogs/) },
          'awslogs-stream-prefix': prefix,
          'awslogs-region': 'eu-west-1',
          mode: 'non-blocking',
        },
      });
    }
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
  });

  test('a read-only container gets a scratch volume for each path it writes', () => {
    const [app, web] = containersOf('WebTask');
    expect([app.ReadonlyRootFilesystem, web.ReadonlyRootFilesystem]).toEqual([true, true]);
    expect(paths(app).filter((p) => !SSM_PATHS.includes(p))).toEqual(['/var/www/html/storage', '/tmp']);
    expect(paths(web).filter((p) => !SSM_PATHS.includes(p))).toEqual(['/var/cache/nginx']);
    expect(volumesOf('WebTask')).toEqual(expect.arrayContaining(['app-scratch-0', 'app-scratch-1', 'web-scratch-0']));
  });

  test('with Exec, every read-only container gets writable SSM agent paths, once (the agent crashes otherwise)', () => {
    for (const container of containersOf('WebTask')) {
      expect([container.Name, SSM_PATHS.map((p) => paths(container).filter((q) => q === p).length)]).toEqual([
        container.Name,
        [1, 1],
      ]);
    }
    expect(volumesOf('WebTask').filter((v) => v.includes('-ssm-'))).toEqual([
      'app-ssm-0',
      'app-ssm-1',
      'web-ssm-0',
      'web-ssm-1',
    ]);
  });

  test('a writable container needs no SSM volumes, and a task without Exec gets none', () => {
    expect(paths(containersOf('PlainTask')[0])).toEqual([]);
    expect(paths(containersOf('ReadOnlyTask')[0])).toEqual(['/tmp']);
    expect(volumesOf('ReadOnlyTask')).toEqual(['app-scratch-0']);
  });
});
