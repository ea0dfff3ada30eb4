import { Match, Template } from 'aws-cdk-lib/assertions';
import { pascal } from '../../../config/names';
import { withBootstrap } from '../../../lib/data/rds/app-users';
import { containers, type Container } from '../../helpers';
import type { StageFixture } from '../../stage-fixture';

/** Template tests of appStackCases; registered by test/lib/stages.test.ts. */
export function appStackCases(f: StageFixture): void {
  const get = (id: string) => ({
    stage: f.stage(id),
    config: f.config(id),
    app: f.template(id, 'app'),
    edge: f.template(id, 'edge'),
  });
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;

  const app_ = (t: Template, prefix: string) => containers(t, prefix).find((c) => c.Name === 'App')!;
  const envOf = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
  const secretNames = (c: Container) => (c.Secrets ?? []).map((s) => s.Name).sort();

  describe('cluster', () => {
    test.each(ALL)('%s: one cluster with Container Insights (enhanced)', (id) => {
      get(id).app.resourceCountIs('AWS::ECS::Cluster', 1);
      get(id).app.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    });
  });

  describe('Laravel wiring, in Laravel’s own names', () => {
    test('csl api: MySQL with a read replica, PostgreSQL, Redis over TLS, RabbitMQ (AMQPS), S3 without keys', () => {
      const api = app_(get('Csl-Prod').app, 'ApiApiTask');
      const env = envOf(api);
      expect(env).toEqual(
        expect.objectContaining({
          APP_ENV: 'production',
          APP_DEBUG: 'false',
          APP_URL: 'https://api.cfpcsl.com',
          DB_CONNECTION: 'mysql',
          DB_PORT: '3306',
          DB_DATABASE: 'csl_certification',
          DB_STICKY: 'true',
          DB_PGSQL_CONNECTION: 'pgsql',
          DB_PGSQL_DATABASE: 'csl_sales',
          REDIS_SCHEME: 'tls',
          REDIS_PORT: '6379',
          RABBITMQ_PORT: '5671',
          RABBITMQ_VHOST: '/',
          RABBITMQ_SSL_VERIFY_PEER: 'true',
          FILESYSTEM_DISK: 's3',
          QUEUE_CONNECTION: 'rabbitmq',
        }),
      );
      for (const key of ['DB_HOST', 'DB_READ_HOST', 'DB_PGSQL_HOST', 'REDIS_HOST', 'RABBITMQ_HOST', 'AWS_BUCKET']) {
        expect({ key, value: env[key] }).toEqual({ key, value: expect.anything() });
      }
      expect(secretNames(api)).toEqual([
        'APP_KEY',
        'DB_PASSWORD',
        'DB_PGSQL_PASSWORD',
        'DB_PGSQL_USERNAME',
        'DB_USERNAME',
        'RABBITMQ_PASSWORD',
        'RABBITMQ_USER',
        'REDIS_PASSWORD',
      ]);
      expect(Object.keys(env).filter((k) => /PASSWORD|SECRET|ACCESS_KEY|APP_KEY/.test(k))).toEqual([]);
    });

    test('shipment web: Dolibarr read-only connection, Redis in cluster mode, no RabbitMQ or PostgreSQL', () => {
      const web = app_(get('Shipment-Prod').app, 'WebWebTask');
      const env = envOf(web);
      expect(env).toEqual(
        expect.objectContaining({
          DOLIBARR_DB_CONNECTION: 'mysql',
          DOLIBARR_DB_HOST: 'dolibarr-db.internal',
          DOLIBARR_DB_PORT: '3306',
          DOLIBARR_DB_DATABASE: 'dolibarr',
          REDIS_CLUSTER: 'redis',
          QUEUE_CONNECTION: 'redis',
          FILESYSTEM_DISK: 's3',
        }),
      );
      expect(Object.keys(env).filter((k) => /^(RABBITMQ|DB_PGSQL)_/.test(k))).toEqual([]);
      expect(secretNames(web)).toEqual([
        'APP_KEY',
        'DB_PASSWORD',
        'DB_USERNAME',
        'DOLIBARR_DB_PASSWORD',
        'DOLIBARR_DB_USERNAME',
        'REDIS_PASSWORD',
      ]);
    });

    test('Dolibarr credentials come from the existing secret named in config', () => {
      const web = app_(get('Shipment-Prod').app, 'WebWebTask');
      const password = web.Secrets!.find((s) => s.Name === 'DOLIBARR_DB_PASSWORD')!;
      expect(JSON.stringify(password.ValueFrom)).toContain('secret:shipment/prod/dolibarr-readonly');
    });

    test('reads from the replica only where there is one, and debugs only in dev', () => {
      expect(envOf(app_(get('Shipment-Dev').app, 'WebWebTask'))).toEqual(
        expect.objectContaining({ APP_ENV: 'development', APP_DEBUG: 'true' }),
      );
      expect(envOf(app_(get('Shipment-Dev').app, 'WebWebTask')).DB_READ_HOST).toBeUndefined();
      expect(envOf(app_(get('Shipment-Staging').app, 'WebWebTask'))).toEqual(
        expect.objectContaining({ APP_ENV: 'staging', APP_DEBUG: 'false', DB_READ_HOST: expect.anything() }),
      );
    });

    test('workers, the scheduler and the migration task see what the web service sees', () => {
      const t = get('Csl-Prod').app;
      const web = secretNames(app_(t, 'ApiApiTask'));
      for (const prefix of ['ApiWorkerTask', 'ApiSchedulerTask']) {
        expect(secretNames(app_(t, prefix))).toEqual(web);
      }
      // The migration task alone also gets the master users, to create the app users.
      expect(secretNames(app_(t, 'ApiMigrationTask'))).toEqual(
        [...web, 'DB_ADMIN_PASSWORD', 'DB_ADMIN_USERNAME', 'DB_PGSQL_ADMIN_PASSWORD', 'DB_PGSQL_ADMIN_USERNAME'].sort(),
      );
    });

    test.each(ALL)('%s: services log in as the app user, never as the master user', (id) => {
      const { app, stage } = get(id);
      const data = stage.data;
      const refs = (c: Container, name: string) => JSON.stringify(c.Secrets?.find((s) => s.Name === name)?.ValueFrom);
      const appSecretId = data.getLogicalId(data.mysql!.appSecret.node.defaultChild as never);
      const masterId = data.getLogicalId(data.mysql!.secret.node.defaultChild as never);
      const defs = Object.entries(app.findResources('AWS::ECS::TaskDefinition'));
      const laravel = defs
        .flatMap(([, d]) => d.Properties.ContainerDefinitions as Container[])
        .filter((c) => (c.Secrets ?? []).some((s) => s.Name === 'DB_USERNAME'));
      expect(laravel.length).toBeGreaterThan(0);
      for (const c of laravel) {
        for (const name of ['DB_USERNAME', 'DB_PASSWORD']) {
          expect(refs(c, name)).toContain(appSecretId);
          expect(refs(c, name)).not.toContain(masterId);
        }
      }
    });

    test.each(ALL)('%s: a rotation of an app user brings new tasks: EventBridge rule and refresh function', (id) => {
      const { app } = get(id);
      app.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.secretsmanager'],
          'detail-type': ['AWS Service Event via CloudTrail'],
          detail: { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: Match.anyValue() } },
        },
      });
      const fn = Object.values(app.findResources('AWS::Lambda::Function')).find((r) =>
        JSON.stringify(r.Properties.Environment ?? {}).includes('codeDeploy'),
      );
      expect(fn).toBeDefined();
      // Blue/green services get a CodeDeploy deployment; UpdateService is allowed only on the
      // rolling ones (ECS refuses --force-new-deployment on a CODE_DEPLOY service anyway).
      const statements = Object.values(app.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes('CredentialRefresh'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
      const actions = statements.flatMap((st) => [st.Action].flat());
      expect(actions).toEqual(
        expect.arrayContaining(['codedeploy:CreateDeployment', 'codedeploy:RegisterApplicationRevision']),
      );
      // A system with web services only has no rolling service to update.
      const rolling = Object.values(get(id).config.services).some(
        (s) => s.kind !== 'laravel-web' && s.kind !== 'nextjs',
      );
      expect(actions.includes('ecs:UpdateService')).toBe(rolling);
      const update = statements.find((st) => [st.Action].flat().includes('ecs:UpdateService'));
      expect(JSON.stringify(update?.Resource ?? null)).not.toMatch(/ApiService|WebService|AdminService|Certification/);
    });

    test.each(ALL)(
      '%s: rotation events wait in a queue through a busy deployment, then a dead-letter queue alarms',
      (id) => {
        const { app } = get(id);
        const json = app.toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
        const all = Object.entries(json.Resources);
        const [ruleId, rule] = all.find(
          ([, r]) =>
            r.Type === 'AWS::Events::Rule' &&
            JSON.stringify(r.Properties.EventPattern ?? {}).includes('RotationSucceeded'),
        )!;
        expect(ruleId).toMatch(/^CredentialRefresh/);
        // The rule targets the queue, not the function (Lambda's async retries are two, minutes apart).
        const [target] = rule.Properties.Targets;
        const queueId = target.Arn['Fn::GetAtt'][0];
        const queue = json.Resources[queueId];
        expect(queue.Type).toBe('AWS::SQS::Queue');
        // Lambda developer guide: visibility timeout >= 6 × the function timeout.
        expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(600);
        const { maxReceiveCount, deadLetterTargetArn } = queue.Properties.RedrivePolicy;
        expect(maxReceiveCount * queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(4 * 3600);
        const mapping = all.find(
          ([, r]) =>
            r.Type === 'AWS::Lambda::EventSourceMapping' &&
            JSON.stringify(r.Properties.EventSourceArn).includes(queueId),
        )![1];
        expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
        const fn = json.Resources[mapping.Properties.FunctionName.Ref];
        expect(fn.Properties.Timeout * 6).toBeLessThanOrEqual(queue.Properties.VisibilityTimeout);
        const dlqId = deadLetterTargetArn['Fn::GetAtt'][0];
        const alarm = all.find(
          ([, r]) =>
            r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties.Dimensions ?? []).includes(dlqId),
        )![1];
        expect(alarm.Properties.MetricName).toBe('ApproximateNumberOfMessagesVisible');
        expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/MonitoringAlertTopic/);
      },
    );

    test('the uploads policy is attached to exactly the Laravel tasks, which use uploads', () => {
      const t = get('Csl-Prod').app;
      const roles = Object.entries(t.findResources('AWS::IAM::Role')).filter(([, r]) =>
        JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes('UploadsAccess'),
      );
      expect(roles.map(([id]) => id.replace(/TaskRole.*/, '')).sort()).toEqual([
        'ApiApiTask',
        'ApiMigrationTask',
        'ApiSchedulerTask',
        'ApiWorkerTask',
      ]);
    });
  });

  describe('Laravel services', () => {
    test('csl api: PHP-FPM behind an nginx sidecar in one task, non-root, read-only, with scratch volumes', () => {
      const [fpm, nginx] = containers(get('Csl-Prod').app, 'ApiApiTask');
      expect(fpm).toEqual(
        expect.objectContaining({
          Name: 'App',
          User: 'www-data',
          ReadonlyRootFilesystem: true,
          HealthCheck: expect.objectContaining({ Command: ['CMD-SHELL', expect.stringContaining('9000')] }),
        }),
      );
      expect((fpm.MountPoints as { ContainerPath: string }[]).map((m) => m.ContainerPath)).toEqual([
        '/var/www/html/storage',
        '/var/www/html/bootstrap/cache',
        '/tmp',
      ]);
      expect(fpm.PortMappings).toBeUndefined();
      expect(nginx).toEqual(
        expect.objectContaining({
          Name: 'Web',
          PortMappings: [expect.objectContaining({ ContainerPort: 80 })],
          DependsOn: [{ ContainerName: 'App', Condition: 'HEALTHY' }],
          ReadonlyRootFilesystem: true,
        }),
      );
    });

    test('shipment web: one container serving HTTP itself, as the seed image does', () => {
      const all = containers(get('Shipment-Prod').app, 'WebWebTask');
      expect(all.map((c) => c.Name)).toEqual(['App']);
      expect(all[0]).toEqual(
        expect.objectContaining({
          PortMappings: [expect.objectContaining({ ContainerPort: 8080 })],
          ReadonlyRootFilesystem: true,
        }),
      );
    });

    test('workers run queue:work with a stop timeout that covers the job timeout', () => {
      const worker = app_(get('Csl-Prod').app, 'ApiWorkerTask');
      expect(worker.Command).toEqual([
        'php',
        'artisan',
        'queue:work',
        '--sleep=3',
        '--tries=3',
        '--max-time=3600',
        '--timeout=90',
      ]);
      expect(worker.StopTimeout).toBe(100);
    });

    test('exactly one scheduler: one task, and a deploy stops the old one before starting the new one', () => {
      const withScheduler = ALL.filter((id) => schedulerPrefix(id) !== undefined);
      expect(withScheduler).toEqual(expect.arrayContaining(['Csl-Prod', 'Shipment-Prod']));
      for (const id of ALL) {
        const t = get(id).app;
        const schedulers = Object.values(t.findResources('AWS::ECS::Service')).filter((s) =>
          JSON.stringify(s.Properties.TaskDefinition).includes('SchedulerTask'),
        );
        expect(schedulers).toHaveLength(withScheduler.includes(id) ? 1 : 0);
        if (!withScheduler.includes(id)) continue;
        expect(schedulers[0].Properties).toEqual(
          expect.objectContaining({
            DesiredCount: 1,
            DeploymentConfiguration: expect.objectContaining({ MinimumHealthyPercent: 0, MaximumPercent: 100 }),
          }),
        );
        expect(app_(t, schedulerPrefix(id)!).Command).toEqual(['php', 'artisan', 'schedule:work']);
      }
    });

    test('a one-off task definition runs the migrations, after creating the app database users', () => {
      expect(app_(get('Csl-Prod').app, 'ApiMigrationTask').Command).toEqual(
        withBootstrap(['php', 'artisan', 'migrate', '--force']),
      );
      expect(app_(get('Shipment-Prod').app, 'WebMigrationTask').Command).toEqual(
        withBootstrap(['php', 'artisan', 'migrate', '--force']),
      );
    });

    test('web services deploy blue/green through CodeDeploy; workers and the scheduler roll with the circuit breaker', () => {
      const services = Object.values(get('Csl-Prod').app.findResources('AWS::ECS::Service'));
      const byController = (type: string) =>
        services.filter((s) => (s.Properties.DeploymentController?.Type ?? 'ECS') === type);
      expect(byController('CODE_DEPLOY')).toHaveLength(3); // api, certification, admin
      expect(byController('ECS')).toHaveLength(2); // worker, scheduler
      for (const service of byController('ECS')) {
        expect(service.Properties.DeploymentConfiguration.DeploymentCircuitBreaker).toEqual({
          Enable: true,
          Rollback: true,
        });
      }
      for (const service of services) {
        expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
      }
    });

    test('log to CloudWatch with the tier retention', () => {
      for (const [id, days] of [
        ['Csl-Prod', 365],
        ['Csl-Dev', 14],
      ] as const) {
        const groups = Object.entries(get(id).app.findResources('AWS::Logs::LogGroup')).filter(([logicalId]) =>
          /TaskLogs/.test(logicalId),
        );
        expect(groups).toHaveLength(6); // api, worker, scheduler, migration, certification, admin
        for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(days);
      }
    });
  });

  /** The logical-id prefix of the stage's scheduler task (`<Image><Service>Task`), if it has one. */
  function schedulerPrefix(id: string): string | undefined {
    const [name, scheduler] =
      Object.entries(get(id).config.services).find(([, s]) => s.kind === 'laravel-scheduler') ?? [];
    return scheduler ? `${pascal(scheduler.image)}${pascal(name!)}Task` : undefined;
  }

  describe('Next.js services', () => {
    test('run the Next.js server on 3000 and get the API base URL at run time', () => {
      const cert = app_(get('Csl-Staging').app, 'CertificationTask');
      expect(cert.PortMappings).toEqual([expect.objectContaining({ ContainerPort: 3000 })]);
      expect(envOf(cert)).toEqual(
        expect.objectContaining({
          NODE_ENV: 'production',
          PORT: '3000',
          API_BASE_URL: 'https://api.staging.cfpcsl.com/api',
        }),
      );
      expect(cert.Secrets).toBeUndefined();
    });
  });

  describe('load balancer', () => {
    test.each(ALL)('%s: internal, drops invalid headers, logs access; deletion-protected in staging and prod', (id) => {
      const { app: t, config } = get(id);
      const [alb] = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
      expect(alb.Properties.Scheme).toBe('internal');
      const attributes = Object.fromEntries(
        (alb.Properties.LoadBalancerAttributes as { Key: string; Value: unknown }[]).map((a) => [a.Key, a.Value]),
      );
      expect(attributes).toEqual(
        expect.objectContaining({
          'routing.http.drop_invalid_header_fields.enabled': 'true',
          'access_logs.s3.enabled': 'true',
          'access_logs.s3.prefix': 'alb',
          'deletion_protection.enabled': String(config.removal.deletionProtection),
        }),
      );
    });

    test.each(ALL)('%s: HTTPS with a TLS 1.3 policy, HTTP redirected to HTTPS', (id) => {
      const t = get(id).app;
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13-'),
      });
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [
          { Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
        ],
      });
    });

    test.each(ALL)('%s: one host rule per public service, on the production and on the test listener', (id) => {
      const { app: t, config } = get(id);
      const rules = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
      const hostsOn = (listener: RegExp) =>
        rules
          .filter((r) => listener.test(r.Properties.ListenerArn.Ref))
          .map((r) => r.Properties.Conditions[0].HostHeaderConfig.Values[0]);
      const expected = Object.values(config.services)
        .filter((s) => s.host)
        .map((s) => `${s.host}.${config.domainName}`);
      expect(hostsOn(/LoadBalancerHttps/)).toEqual(expected);
      expect(hostsOn(/LoadBalancerTest/)).toEqual(expected);
    });

    test('certifies every host, DNS-validated in the configured zone', () => {
      get('Csl-Prod').app.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'api.cfpcsl.com',
        SubjectAlternativeNames: ['certification.cfpcsl.com', 'admin.cfpcsl.com'],
        ValidationMethod: 'DNS',
        DomainValidationOptions: Match.arrayWith([
          { DomainName: 'api.cfpcsl.com', HostedZoneId: 'Z0000000000CSLPROD' },
        ]),
      });
    });

    test('drains quickly and checks health fast, per tier', () => {
      get('Shipment-Prod').app.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: '/health', // Laravel 10: the app's own route (see docs/image-contract-shipment.md)
        HealthCheckIntervalSeconds: 10,
        HealthyThresholdCount: 2,
        TargetType: 'ip',
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
      });
      get('Shipment-Dev').app.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }]),
      });
    });
  });

  describe('autoscaling', () => {
    test.each(ALL)('%s: every scaled service between its tier bounds', (id) => {
      const { app: t, config } = get(id);
      const targets = Object.entries(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
      const scaled = Object.entries(config.services).filter(([, s]) => s.kind !== 'laravel-scheduler');
      expect(targets).toHaveLength(scaled.length);
      for (const [name, service] of scaled) {
        const target = targets.find(([logicalId]) => logicalId.toLowerCase().includes(name))!;
        expect({ name, min: target[1].Properties.MinCapacity, max: target[1].Properties.MaxCapacity }).toEqual({
          name,
          min: service.minTasks,
          max: service.maxTasks,
        });
      }
    });

    test('web services scale on CPU and on requests per task over both target groups', () => {
      const policies = Object.entries(
        get('Shipment-Prod').app.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'),
      );
      const web = policies.filter(([id]) => id.startsWith('WebTaskCountTarget')).map(([, p]) => p);
      expect(web.map((p) => p.Properties.PolicyType).sort()).toEqual([
        'StepScaling',
        'StepScaling',
        'TargetTrackingScaling',
      ]);
      const cpu = web.find((p) => p.Properties.PolicyType === 'TargetTrackingScaling')!;
      expect(cpu.Properties.TargetTrackingScalingPolicyConfiguration).toEqual(
        expect.objectContaining({
          TargetValue: 60,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        }),
      );
      const alarms = Object.values(get('Shipment-Prod').app.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        (a.Properties.Metrics ?? []).some((m: { Expression?: string }) =>
          m.Expression?.includes('FILL(blue, 0) + FILL(green, 0)) / MAX'),
        ),
      );
      // Scale out above 500 requests per task per minute (prod tier), in below half of it.
      expect(alarms.map((a) => a.Properties.Threshold).sort((a, b) => a - b)).toEqual([250, 500]);
    });

    test('csl workers scale on Amazon MQ queue depth; shipment workers on CPU', () => {
      get('Csl-Prod').app.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: 'AWS/AmazonMQ', MetricName: 'MessageCount' }),
            }),
          }),
        ]),
      });
      const shipment = Object.values(
        get('Shipment-Prod').app.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'),
      ).filter((p) => JSON.stringify(p.Properties.ScalingTargetId).includes('Worker'));
      expect(shipment.map((p) => p.Properties.PolicyType)).toEqual(['TargetTrackingScaling']);
    });
  });

  describe('CloudFront', () => {
    test.each(ALL)(
      '%s: every host, TLS 1.2 (2021), WAF, logging; default to the load balancer through a VPC origin',
      (id) => {
        const { edge, config } = get(id);
        const hosts = Object.values(config.services)
          .filter((s) => s.host)
          .map((s) => `${s.host}.${config.domainName}`);
        edge.hasResourceProperties('AWS::CloudFront::Distribution', {
          DistributionConfig: Match.objectLike({
            Aliases: hosts,
            ViewerCertificate: Match.objectLike({
              MinimumProtocolVersion: 'TLSv1.2_2021',
              SslSupportMethod: 'sni-only',
            }),
            WebACLId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebAcl'), 'Arn'] },
            Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
            DefaultCacheBehavior: Match.objectLike({
              ViewerProtocolPolicy: 'redirect-to-https',
              CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
              OriginRequestPolicyId: '216adef6-5c7f-47e4-b989-5492eafa07d3', // AllViewer: the Host header reaches the ALB
            }),
          }),
        });
        edge.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
          VpcOriginEndpointConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only' }),
        });
        expect(get(id).stage.edge.region).toBe('us-east-1');
      },
    );

    test('serves static paths from the assets bucket through origin access control', () => {
      const { edge } = get('Csl-Prod');
      edge.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
      });
      const dist = Object.values(edge.findResources('AWS::CloudFront::Distribution'))[0].Properties.DistributionConfig;
      expect(dist.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual([
        '/_next/static/*',
        '/build/*',
      ]);
      const s3Origin = dist.Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig);
      expect(s3Origin.OriginAccessControlId).toBeDefined();
    });

    test('the web ACL has AWS managed rule groups and a rate limit', () => {
      const acl = Object.values(get('Shipment-Prod').edge.findResources('AWS::WAFv2::WebACL'))[0].Properties;
      expect(acl.Scope).toBe('CLOUDFRONT');
      expect(acl.Rules.map((r: { Name: string }) => r.Name)).toEqual([
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesPHPRuleSet',
        'AWSManagedRulesSQLiRuleSet',
        'RateLimitPerIp',
        'BodySizeDefault',
      ]);
      expect(acl.Rules[5].Statement.RateBasedStatement).toEqual({ Limit: 2000, AggregateKeyType: 'IP' });
    });

    test('points every host at the distribution (A and AAAA) once cut over, and certifies them in us-east-1', () => {
      const { edge } = get('Shipment-Dev');
      edge.resourcePropertiesCountIs('AWS::Route53::RecordSet', { Name: 'api.dev.shipmentapp.com.', Type: 'A' }, 1);
      edge.resourcePropertiesCountIs('AWS::Route53::RecordSet', { Name: 'api.dev.shipmentapp.com.', Type: 'AAAA' }, 1);
      edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'api.dev.shipmentapp.com',
        ValidationMethod: 'DNS',
      });
    });
  });
}
