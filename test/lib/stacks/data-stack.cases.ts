import { Match, Template } from 'aws-cdk-lib/assertions';
import type { StageFixture } from '../../stage-fixture';

/** Template tests of dataStackCases; registered by test/lib/stages.test.ts. */
export function dataStackCases(f: StageFixture): void {
  const get = (id: string) => ({
    stage: f.stage(id),
    config: f.config(id),
    data: f.template(id, 'data'),
    network: f.template(id, 'network'),
  });
  // Every stage, in app order (test/lib/app.cases.ts pins the list).
  const ALL = f.ids;
  /** The stages whose system has this store (a system may have no cache, say). */
  const WITH = (store: 'mysql' | 'redis') => ALL.filter((id) => f.config(id)[store] !== undefined);

  /** The DB instances of a template that are primaries (no source instance). */
  function primaries(t: Template, engine: string) {
    return Object.values(t.findResources('AWS::RDS::DBInstance', { Properties: { Engine: engine } })).filter(
      (r) => r.Properties.SourceDBInstanceIdentifier === undefined,
    );
  }

  describe('MySQL', () => {
    test.each(WITH('mysql'))(
      '%s: one encrypted, private, TLS-only primary with IAM auth, monitoring and log exports',
      (id) => {
        const { data, config } = get(id);
        const [primary] = primaries(data, 'mysql');
        expect(primaries(data, 'mysql')).toHaveLength(1);
        expect(primary.Properties).toEqual(
          expect.objectContaining({
            EngineVersion: config.mysql!.engineVersion,
            DBName: config.mysql!.databaseName,
            DBInstanceClass: `db.${config.mysql!.instanceType}`,
            StorageEncrypted: true,
            KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
            PubliclyAccessible: false,
            EnableIAMDatabaseAuthentication: true,
            MonitoringInterval: 60,
            // Prod adds the MariaDB audit plugin's log.
            EnableCloudwatchLogsExports:
              config.stage === 'prod' ? ['error', 'slowquery', 'audit'] : ['error', 'slowquery'],
            MultiAZ: config.mysql!.multiAz,
            DeletionProtection: config.removal.deletionProtection,
            BackupRetentionPeriod: config.mysql!.backupRetentionDays,
            Port: '3306',
          }),
        );
        // RDS MySQL 8.4 still defaults require_secure_transport to OFF (RDS user guide,
        // "Requiring SSL/TLS for all connections to a MySQL DB instance"), so the parameter stays.
        data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
          Family: `mysql${config.mysql!.engineVersion.split('.').slice(0, 2).join('.')}`,
          Parameters: Match.objectLike({ require_secure_transport: '1' }),
        });
      },
    );

    test.each(WITH('mysql'))(
      '%s: runs MySQL 8.4 (8.0 left RDS standard support on 31 July 2026), upgradable in place',
      (id) => {
        const [primary] = primaries(get(id).data, 'mysql');
        expect(primary.Properties.EngineVersion).toMatch(/^8\.4\.\d+$/);
        // A major version change in config is an in-place ModifyDBInstance that RDS refuses
        // without AllowMajorVersionUpgrade; CloudFormation does not replace the instance for it.
        expect(primary.Properties.AllowMajorVersionUpgrade).toBe(true);
        // 8.4 is in standard support: no Extended Support enrolment, and no charge for it.
        expect(primary.Properties.EngineLifecycleSupport).toBeUndefined();
      },
    );

    test.each(['Csl-Staging', 'Csl-Prod', 'Shipment-Staging', 'Shipment-Prod'])(
      '%s: read replicas take the primary storage type and autoscaling ceiling',
      (id) => {
        const { data } = get(id);
        const [primary] = primaries(data, 'mysql');
        const replicas = Object.values(
          data.findResources('AWS::RDS::DBInstance', { Properties: { SourceDBInstanceIdentifier: Match.anyValue() } }),
        );
        expect(replicas.length).toBeGreaterThan(0);
        expect(primary.Properties.StorageType).toBe('gp3');
        for (const replica of replicas) {
          // A replica smaller than a grown primary fills up and stops replicating.
          expect(replica.Properties.StorageType).toBe('gp3');
          expect(replica.Properties.MaxAllocatedStorage).toBe(primary.Properties.MaxAllocatedStorage);
        }
      },
    );

    test('is Multi-AZ, deletion-protected and snapshotted on removal in prod; disposable in dev', () => {
      for (const id of ['Csl-Prod', 'Shipment-Prod']) {
        get(id).data.hasResource('AWS::RDS::DBInstance', {
          Properties: Match.objectLike({ Engine: 'mysql', MultiAZ: true, DeletionProtection: true }),
          DeletionPolicy: 'Snapshot',
          UpdateReplacePolicy: 'Snapshot',
        });
      }
      get('Shipment-Dev').data.hasResource('AWS::RDS::DBInstance', {
        Properties: Match.objectLike({ Engine: 'mysql', MultiAZ: false, DeletionProtection: false }),
        DeletionPolicy: 'Delete',
      });
    });

    test('keeps backups at least 7 days in prod', () => {
      for (const id of ['Csl-Prod', 'Shipment-Prod']) {
        const [primary] = primaries(get(id).data, 'mysql');
        expect(primary.Properties.BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
      }
    });

    test('has read replicas from config: none in dev, at least one in staging and prod', () => {
      const replicas = (id: string) =>
        get(id).data.resourcePropertiesCountIs(
          'AWS::RDS::DBInstance',
          { SourceDBInstanceIdentifier: Match.anyValue() },
          get(id).config.mysql!.readReplicas,
        );
      WITH('mysql').forEach(replicas);
      const count = (id: string) => get(id).config.mysql!.readReplicas;
      expect(WITH('mysql').filter((id) => get(id).config.tier === 'dev' && count(id) !== 0)).toEqual([]);
      expect(WITH('mysql').filter((id) => get(id).config.tier !== 'dev' && count(id) < 1)).toEqual([]);
      expect(['Csl-Dev', 'Csl-Staging', 'Csl-Prod'].map(count)).toEqual([0, 1, 1]);
      get('Shipment-Prod').data.hasResourceProperties('AWS::RDS::DBInstance', {
        SourceDBInstanceIdentifier: Match.anyValue(),
        StorageEncrypted: Match.absent(),
        EnablePerformanceInsights: true,
        MonitoringInterval: 60,
      });
    });

    test('turns Performance Insights on only where the instance class supports it', () => {
      const pi = (id: string) => primaries(get(id).data, 'mysql')[0].Properties.EnablePerformanceInsights;
      expect(pi('Csl-Dev')).toBe(false); // t4g.micro
      expect(pi('Csl-Staging')).toBe(false); // t4g.small
      expect(pi('Csl-Prod')).toBe(true); // m7g.large
      get('Csl-Prod').data.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'mysql',
        PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
      });
    });

    test.each(WITH('mysql'))(
      '%s: the app user rotates with alternating users (MultiUser), the master alone single-user',
      (id) => {
        const { data } = get(id);
        const [appUser] = Object.entries(data.findResources('AWS::SecretsManager::Secret'))
          .filter(([logicalId]) => logicalId.startsWith('MysqlAppUserSecret'))
          .map(([, r]) => r.Properties);
        // The template names the user and the master secret the rotation function logs in with.
        expect(JSON.stringify(appUser.GenerateSecretString.SecretStringTemplate)).toMatch(
          /\\"username\\":\\"app\\".*\\"masterarn\\"/,
        );
        expect(appUser.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
        // The rotation functions are AWS's serverless applications, named in the template's mappings.
        const mappings = Object.values(data.toJSON().Mappings ?? {}).map((m) => JSON.stringify(m));
        expect(mappings.filter((m) => m.includes('SecretsManagerRDSMySQLRotationMultiUser'))).toHaveLength(1);
        expect(mappings.filter((m) => m.includes('SecretsManagerRDSMySQLRotationSingleUser'))).toHaveLength(1);
        data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
          SecretId: { Ref: Match.stringLikeRegexp('MysqlAppUserSecret') },
          RotationRules: { ScheduleExpression: 'rate(30 days)' },
          // The app user exists only after the next deployment's migration task has run.
          RotateImmediatelyOnUpdate: false,
        });
      },
    );

    test('generates credentials in Secrets Manager, encrypted with the data key and rotated monthly', () => {
      for (const id of ALL) {
        const { data } = get(id);
        data.hasResourceProperties('AWS::SecretsManager::Secret', {
          GenerateSecretString: Match.objectLike({
            SecretStringTemplate: '{"username":"dbadmin"}',
            GenerateStringKey: 'password',
          }),
          KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        });
        data.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
          SecretId: { Ref: Match.stringLikeRegexp('MysqlPrimarySecret') },
          RotationRules: { ScheduleExpression: 'rate(30 days)' },
        });
      }
    });
  });

  describe('PostgreSQL', () => {
    test.each(['Csl-Dev', 'Csl-Staging', 'Csl-Prod'])('%s: csl_sales on PostgreSQL 15, TLS forced', (id) => {
      const { data, config } = get(id);
      data.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        EngineVersion: config.postgres!.engineVersion,
        DBName: 'csl_sales',
        StorageEncrypted: true,
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
        MultiAZ: config.stage === 'prod',
      });
      expect(config.postgres!.engineVersion).toMatch(/^15\./);
      data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Family: 'postgres15',
        Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
      });
    });

    test('does not exist in shipment, which has no PostgreSQL', () => {
      for (const id of ['Shipment-Dev', 'Shipment-Prod']) {
        get(id).data.resourcePropertiesCountIs('AWS::RDS::DBInstance', { Engine: 'postgres' }, 0);
      }
    });
  });

  describe('ElastiCache', () => {
    test.each(WITH('redis'))('%s: TLS required, encrypted at rest with the data key, AUTH token by reference', (id) => {
      get(id).data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        Engine: 'valkey',
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'required',
        AtRestEncryptionEnabled: true,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        AuthToken: {
          'Fn::Join': [
            '',
            ['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('RedisAuthToken') }, ':SecretString:token::}}'],
          ],
        },
        CacheSubnetGroupName: { Ref: Match.stringLikeRegexp('RedisSubnetGroup') },
      });
    });

    test('fails over automatically across zones in staging and prod, not in csl dev', () => {
      for (const id of ['Csl-Staging', 'Csl-Prod', 'Shipment-Staging', 'Shipment-Prod']) {
        get(id).data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
          AutomaticFailoverEnabled: true,
          MultiAZEnabled: true,
        });
      }
      get('Csl-Dev').data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        AutomaticFailoverEnabled: false,
        NumCacheClusters: 1,
      });
    });

    test('runs in cluster mode for shipment, with shards per stage', () => {
      const shards = (id: string) =>
        Object.values(get(id).data.findResources('AWS::ElastiCache::ReplicationGroup'))[0].Properties;
      expect(['Shipment-Dev', 'Shipment-Staging', 'Shipment-Prod'].map((id) => shards(id).NumNodeGroups)).toEqual([
        1, 2, 3,
      ]);
      for (const id of ['Shipment-Dev', 'Shipment-Staging', 'Shipment-Prod']) {
        expect(shards(id)).toEqual(
          expect.objectContaining({
            ClusterMode: 'enabled',
            ReplicasPerNodeGroup: 1,
            CacheParameterGroupName: 'default.valkey8.cluster.on',
          }),
        );
      }
    });

    test('changes shard count online: UseOnlineResharding, so NumNodeGroups does not replace the cluster', () => {
      // CloudFormation: "If you update NumNodeGroups without UseOnlineResharding, the update
      // replaces the replication group" (UpdatePolicy attribute, UseOnlineResharding policy).
      for (const id of ['Shipment-Dev', 'Shipment-Staging', 'Shipment-Prod']) {
        get(id).data.hasResource('AWS::ElastiCache::ReplicationGroup', {
          UpdatePolicy: { UseOnlineResharding: true },
        });
      }
    });

    test('runs without cluster mode for csl', () => {
      get('Csl-Prod').data.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        ClusterMode: 'disabled',
        NumCacheClusters: 2,
        NumNodeGroups: Match.absent(),
        CacheParameterGroupName: 'default.valkey8',
      });
    });

    test('keeps snapshots per tier and a final snapshot in prod', () => {
      get('Shipment-Prod').data.hasResource('AWS::ElastiCache::ReplicationGroup', {
        Properties: Match.objectLike({ SnapshotRetentionLimit: 7 }),
        DeletionPolicy: 'Snapshot',
      });
      get('Csl-Dev').data.hasResource('AWS::ElastiCache::ReplicationGroup', {
        Properties: Match.objectLike({ SnapshotRetentionLimit: 1 }),
        DeletionPolicy: 'Delete',
      });
    });
  });

  describe('Amazon MQ for RabbitMQ', () => {
    test('is private, logs to CloudWatch, and takes its password by reference', () => {
      for (const id of ['Csl-Dev', 'Csl-Staging', 'Csl-Prod']) {
        get(id).data.hasResourceProperties('AWS::AmazonMQ::Broker', {
          EngineType: 'RABBITMQ',
          EngineVersion: '3.13',
          PubliclyAccessible: false,
          AutoMinorVersionUpgrade: true,
          Logs: { General: true },
          Users: [
            {
              Username: 'laravel',
              Password: {
                'Fn::Join': [
                  '',
                  [
                    '{{resolve:secretsmanager:',
                    { Ref: Match.stringLikeRegexp('RabbitmqCredentials') },
                    ':SecretString:password::}}',
                  ],
                ],
              },
            },
          ],
        });
      }
    });

    test('is a single instance in dev and a Multi-AZ cluster in prod', () => {
      const broker = (id: string) => Object.values(get(id).data.findResources('AWS::AmazonMQ::Broker'))[0];
      expect(broker('Csl-Dev').Properties.DeploymentMode).toBe('SINGLE_INSTANCE');
      expect(broker('Csl-Dev').Properties.SubnetIds).toHaveLength(1);
      expect(broker('Csl-Prod').Properties.DeploymentMode).toBe('CLUSTER_MULTI_AZ');
      expect(broker('Csl-Prod').Properties.SubnetIds).toHaveLength(3);
      expect(broker('Csl-Prod').DeletionPolicy).toBe('Retain');
    });

    test('does not exist in shipment, which has no RabbitMQ', () => {
      get('Shipment-Prod').data.resourceCountIs('AWS::AmazonMQ::Broker', 0);
    });
  });

  describe('S3', () => {
    test.each(ALL)('%s: three private, TLS-only buckets', (id) => {
      const { data } = get(id);
      data.resourceCountIs('AWS::S3::Bucket', 3);
      data.resourcePropertiesCountIs(
        'AWS::S3::Bucket',
        {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        },
        3,
      );
      data.resourcePropertiesCountIs(
        'AWS::S3::BucketPolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
        // The assets bucket's TLS-only policy is in the origin-access stack (edge-network.cases.ts).
        2,
      );
    });

    test('versions and KMS-encrypts uploads, logs access, and expires old versions per tier', () => {
      for (const [id, days] of [
        ['Shipment-Dev', 7],
        ['Shipment-Prod', 90],
      ] as const) {
        get(id).data.hasResourceProperties('AWS::S3::Bucket', {
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
            ],
          },
          LoggingConfiguration: {
            DestinationBucketName: { Ref: Match.stringLikeRegexp('BucketsLogs') },
            LogFilePrefix: 'uploads/',
          },
          LifecycleConfiguration: {
            Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: days } })]),
          },
        });
      }
    });

    test('keeps buckets when prod removes them, empties and deletes them in dev', () => {
      get('Csl-Prod').data.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
      get('Csl-Prod').data.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
      // Not the assets bucket: its policy, which auto-delete would write to, is the origin-access stack's.
      get('Csl-Dev').data.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    });
  });

  describe('external database (Dolibarr)', () => {
    test.each(['Shipment-Dev', 'Shipment-Staging', 'Shipment-Prod'])(
      '%s: opens egress from each service that uses it to its range and port only',
      (id) => {
        const { data, config } = get(id);
        const dolibarr = config.externalDatabases.dolibarr;
        const users = Object.entries(config.services).filter(([, s]) => s.uses.includes('dolibarr'));
        expect(users.map(([name]) => name)).toEqual(['web', 'worker', 'scheduler']);
        data.resourcePropertiesCountIs(
          'AWS::EC2::SecurityGroupEgress',
          { CidrIp: dolibarr.cidr, FromPort: 3306, ToPort: 3306, IpProtocol: 'tcp' },
          users.length,
        );
        const egress = Object.values(data.findResources('AWS::EC2::SecurityGroupEgress')).filter(
          (r) => r.Properties.CidrIp,
        );
        expect(egress.map((r) => r.Properties.CidrIp)).toEqual(users.map(() => dolibarr.cidr));
      },
    );

    test('references the existing read-only secret by name, never a value', () => {
      const { stage } = get('Shipment-Prod');
      expect(stage.data.externalDatabases.dolibarr.secret.secretName).toBe('shipment/prod/dolibarr-readonly');
    });

    test('is absent from csl', () => {
      expect(Object.keys(get('Csl-Prod').stage.data.externalDatabases)).toEqual([]);
    });
  });

  describe('security groups', () => {
    const STORE_PORTS: Record<string, number> = { mysql: 3306, postgres: 5432, redis: 6379, rabbitmq: 5671 };

    test.each(ALL)('%s: each store admits exactly the services that use it, on its own port', (id) => {
      const { data, config, stage } = get(id);
      for (const [store, port] of Object.entries(STORE_PORTS)) {
        if (!(config as Record<string, unknown>)[store]) continue;
        const users = Object.entries(config.services)
          .filter(([, s]) => s.uses.includes(store))
          .map(([name]) => name);
        const rules = Object.values(data.findResources('AWS::EC2::SecurityGroupIngress')).filter(
          (r) =>
            JSON.stringify(r.Properties.GroupId).includes(
              `${store.charAt(0).toUpperCase()}${store.slice(1)}SecurityGroup`,
            ) && r.Properties.SourceSecurityGroupId?.['Fn::ImportValue'],
        );
        expect(rules.map((r) => r.Properties.Description).sort()).toEqual(users.map((u) => `${u} service`).sort());
        for (const rule of rules) expect([rule.Properties.FromPort, rule.Properties.ToPort]).toEqual([port, port]);
      }
      // Nothing is admitted from an address range: no store is reachable from the VPC at large.
      const cidrIngress = Object.values(data.findResources('AWS::EC2::SecurityGroupIngress')).filter(
        (r) => r.Properties.CidrIp || r.Properties.CidrIpv6,
      );
      expect(cidrIngress).toEqual([]);
      data.allResourcesProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
      expect(stage.network.serviceSecurityGroups.services).toEqual(Object.keys(config.services));
    });

    test('the Next.js front ends reach no data store', () => {
      const { data } = get('Csl-Prod');
      const fromFrontEnds = Object.values(data.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
        /^(certification|admin) service$/.test(r.Properties.Description ?? ''),
      );
      expect(fromFrontEnds).toEqual([]);
    });
  });

  describe('the data stack', () => {
    test('encrypts with a rotated customer-managed key, kept in prod', () => {
      get('Csl-Prod').data.hasResource('AWS::KMS::Key', {
        Properties: Match.objectLike({ EnableKeyRotation: true }),
        DeletionPolicy: 'Retain',
      });
    });

    test('is termination-protected in staging and prod', () => {
      expect(ALL.map((id) => get(id).stage.data.terminationProtection)).toEqual(
        ALL.map((id) => get(id).config.tier !== 'dev'),
      );
      expect(get('Csl-Dev').stage.data.terminationProtection).toBe(false);
      expect(get('Shipment-Prod').stage.data.terminationProtection).toBe(true);
    });
  });

  describe('static-asset publisher role', () => {
    test('trusts only the tooling account’s pipeline roles and may only put objects under the CDN static prefixes', () => {
      const t = f.template('Csl-Prod', 'data');
      const config = f.config('Csl-Prod');
      t.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'csl-prod-asset-publisher',
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Condition: {
                ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${config.toolingAccount}:role/Csl-Pipeline-*` },
              },
            }),
          ],
        },
      });
      const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties.Roles).includes('AssetPublisher'),
      );
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements.map((s: { Action: unknown }) => s.Action)).toEqual(['s3:PutObject']);
      const resources = JSON.stringify(statements[0].Resource);
      expect(resources).toContain('/_next/static/*');
      expect(resources).toContain('/build/*');
      t.hasOutput('AssetPublisherRoleArn', {});
    });
  });
}
