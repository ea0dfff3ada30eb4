import { Match, Template } from 'aws-cdk-lib/assertions';
import type { StageFixture } from '../../stage-fixture';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; DependsOn?: string[] };

/**
 * What each stage gets of the data, network and edge over time: backups that page and a DR
 * vault in code, a reachable Dolibarr, the cut-over switch, resources that survive routine
 * edits, and the edge that lets real traffic through while keeping the rest out. Registered by
 * test/lib/stages.test.ts.
 */
export function edgeNetworkCases(f: StageFixture): void {
  const resources = (t: Template, type: string) => Object.entries(t.findResources(type)) as [string, Resource][];

  describe('backups page and copy into a DR vault made in code', () => {
    const topicOf = (id: string) =>
      resources(f.template(id, 'app'), 'AWS::SNS::Topic').find(([lid]) => lid.startsWith('MonitoringAlertTopic'))![0];
    const rules = (id: string) =>
      resources(f.template(id, 'app'), 'AWS::Events::Rule').filter(
        ([, r]) => r.Properties.EventPattern?.source?.[0] === 'aws.backup',
      );

    test('a failed, aborted or expired backup job goes to the stage’s alert topic', () => {
      const [, rule] = rules('Shipment-Prod').find(
        ([, r]) => r.Properties.EventPattern['detail-type'][0] === 'Backup Job State Change',
      )!;
      expect(rule.Properties.EventPattern.detail).toEqual({
        $or: [{ state: ['FAILED', 'ABORTED', 'EXPIRED'] }, { status: ['FAILED', 'ABORTED', 'EXPIRED'] }],
      });
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { Ref: topicOf('Shipment-Prod') } })]);
    });

    test('a failed copy job pages where backups are copied, and only there', () => {
      const copy = (id: string) =>
        rules(id).filter(([, r]) => r.Properties.EventPattern['detail-type'][0] === 'Copy Job State Change');
      expect(copy('Csl-Prod')).toHaveLength(1);
      expect(copy('Csl-Prod')[0][1].Properties.Targets[0].Arn).toEqual({ Ref: topicOf('Csl-Prod') });
      expect(copy('Csl-Staging')).toHaveLength(0);
    });

    test('EventBridge may use the topic’s key', () => {
      const key = resources(f.template('Csl-Prod', 'app'), 'AWS::KMS::Key').find(([lid]) =>
        lid.startsWith('MonitoringTopicKey'),
      )![1];
      const principals = key.Properties.KeyPolicy.Statement.map((s: any) => s.Principal?.Service).flat();
      expect(principals).toContain('events.amazonaws.com');
    });

    test('Csl-Prod has a DR stack in eu-central-1: own rotated key kept on delete, locked vault that refuses deletions', () => {
      const stage = f.stage('Csl-Prod');
      expect(stage.dr?.region).toBe('eu-central-1');
      const dr = Template.fromStack(stage.dr!);
      dr.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ EnableKeyRotation: true }),
      });
      dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/csl-prod-disaster-recovery' });
      const [, vault] = resources(dr, 'AWS::Backup::BackupVault')[0];
      expect(vault.DeletionPolicy).toBe('Retain');
      expect(vault.Properties.BackupVaultName).toBe('csl-prod-disaster-recovery');
      expect(vault.Properties.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^VaultKey/), 'Arn'] });
      expect(vault.Properties.LockConfiguration).toEqual({ MinRetentionDays: 35 });
      const denied = vault.Properties.AccessPolicy.Statement.filter((s: any) => s.Effect === 'Deny').flatMap(
        (s: any) => s.Action,
      );
      expect(denied).toContain('backup:DeleteRecoveryPoint');
    });

    test('the plan copies into that vault, and the data stack deploys after it', () => {
      const plan = resources(f.template('Csl-Prod', 'data'), 'AWS::Backup::BackupPlan')[0][1];
      const copy = plan.Properties.BackupPlan.BackupPlanRule[0].CopyActions[0];
      expect(JSON.stringify(copy.DestinationBackupVaultArn)).toContain(':backup:eu-central-1:');
      expect(JSON.stringify(copy.DestinationBackupVaultArn)).toContain('backup-vault:csl-prod-disaster-recovery');
      const stage = f.stage('Csl-Prod');
      expect(stage.data.dependencies).toContain(stage.dr);
    });

    test('the copying role may use the DR key, found by its alias', () => {
      const policies = resources(f.template('Csl-Prod', 'data'), 'AWS::IAM::Policy').flatMap(
        ([, p]) => p.Properties.PolicyDocument.Statement,
      );
      expect(policies).toContainEqual(
        expect.objectContaining({
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/csl-prod-disaster-recovery' } },
        }),
      );
    });

    test('no DR stack where config asks for no copy', () => {
      expect(f.stage('Shipment-Prod').dr).toBeUndefined();
    });
  });

  describe('Dolibarr is reachable: routes and DNS from config', () => {
    test('dev: a site-to-site VPN with a static route to the ERP range, propagated to the private subnets', () => {
      const net = f.template('Shipment-Dev', 'network');
      net.hasResourceProperties('AWS::EC2::CustomerGateway', { IpAddress: '198.51.100.10', Type: 'ipsec.1' });
      net.hasResourceProperties('AWS::EC2::VPNConnectionRoute', { DestinationCidrBlock: '10.200.0.0/24' });
      net.hasResourceProperties('AWS::EC2::VPNGatewayRoutePropagation', Match.anyValue());
    });

    test('dev: a private zone named like the host answers with the configured address', () => {
      const net = f.template('Shipment-Dev', 'network');
      net.hasResourceProperties('AWS::Route53::HostedZone', {
        Name: 'dolibarr-db.internal.',
        VPCs: [Match.objectLike({ VPCId: Match.anyValue() })],
      });
      net.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'dolibarr-db.internal.',
        Type: 'A',
        ResourceRecords: ['10.200.0.10'],
      });
    });

    test('prod: the VPC attaches to the transit gateway and each private subnet routes the range to it', () => {
      const net = f.template('Shipment-Prod', 'network');
      const [attachmentId, attachment] = resources(net, 'AWS::EC2::TransitGatewayVpcAttachment')[0];
      expect(attachment.Properties.TransitGatewayId).toBe('tgw-00000000000000d01');
      expect(attachment.Properties.SubnetIds).toHaveLength(3);
      const routes = resources(net, 'AWS::EC2::Route').filter(
        ([, r]) => r.Properties.DestinationCidrBlock === '10.200.2.0/24',
      );
      expect(routes).toHaveLength(3);
      for (const [, r] of routes) {
        expect(r.Properties.TransitGatewayId).toBe('tgw-00000000000000d01');
        expect(r.DependsOn).toContain(attachmentId);
      }
    });

    test('prod: a resolver outbound endpoint forwards the host to the ERP’s DNS servers', () => {
      const net = f.template('Shipment-Prod', 'network');
      net.hasResourceProperties('AWS::Route53Resolver::ResolverEndpoint', { Direction: 'OUTBOUND' });
      net.hasResourceProperties('AWS::Route53Resolver::ResolverRule', {
        RuleType: 'FORWARD',
        DomainName: 'dolibarr-db.internal',
        TargetIps: [
          { Ip: '10.200.2.2', Port: '53' },
          { Ip: '10.200.2.3', Port: '53' },
        ],
      });
      net.resourceCountIs('AWS::Route53Resolver::ResolverRuleAssociation', 1);
    });

    test('csl, which has no external database, gets no route or resolver', () => {
      const net = f.template('Csl-Prod', 'network');
      net.resourceCountIs('AWS::Route53Resolver::ResolverEndpoint', 0);
      net.resourceCountIs('AWS::EC2::TransitGatewayVpcAttachment', 0);
    });
  });

  describe('DNS moves to the stage only at cut-over', () => {
    test('dev owns its records: A and AAAA for every host', () => {
      const edge = f.template('Csl-Dev', 'edge');
      for (const type of ['A', 'AAAA']) {
        edge.resourcePropertiesCountIs('AWS::Route53::RecordSet', { Name: 'api.dev.cfpcsl.com.', Type: type }, 1);
      }
    });

    test.each(['Csl-Staging', 'Csl-Prod', 'Shipment-Staging', 'Shipment-Prod'])(
      '%s creates no A/AAAA record until config turns cutover on',
      (id) => {
        expect(f.config(id).cdn.cutover).toBe(false);
        f.template(id, 'edge').resourceCountIs('AWS::Route53::RecordSet', 0);
      },
    );
  });

  describe('routine edits keep data', () => {
    test.each(['Csl-Staging', 'Csl-Prod', 'Shipment-Prod'])('%s: the RDS master secrets are retained', (id) => {
      const secrets = resources(f.template(id, 'data'), 'AWS::SecretsManager::Secret').filter(([lid]) =>
        /PrimarySecret/.test(lid),
      );
      expect(secrets.length).toBeGreaterThan(0);
      for (const [lid, secret] of secrets)
        expect({ lid, policy: secret.DeletionPolicy }).toEqual({ lid, policy: 'Retain' });
    });

    test('replicas have no deletion protection, so lowering readReplicas can delete one', () => {
      const replicas = resources(f.template('Csl-Prod', 'data'), 'AWS::RDS::DBInstance').filter(([lid]) =>
        lid.includes('ReadReplica'),
      );
      expect(replicas.length).toBeGreaterThan(0);
      for (const [, r] of replicas) {
        expect(r.Properties.DeletionProtection).toBe(false);
        expect(r.DeletionPolicy).toBe('Delete');
      }
    });

    test('the broker keeps the name it was created with', () => {
      const broker = resources(f.template('Csl-Prod', 'data'), 'AWS::AmazonMQ::Broker')[0][1];
      expect(broker.Properties.BrokerName).toBe('CslProdData-Rabbitmq-E65B6A16');
    });
  });

  describe('the edge lets real traffic through and keeps the rest out', () => {
    test('the CloudFront 5xx alarm carries Region=Global, as CloudFront publishes it', () => {
      const alarm = resources(f.template('Csl-Prod', 'edge'), 'AWS::CloudWatch::Alarm').find(([lid]) =>
        lid.startsWith('CloudFront5xx'),
      )![1];
      expect(alarm.Properties.MetricName).toBe('5xxErrorRate');
      expect(alarm.Properties.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Region', Value: 'Global' },
          expect.objectContaining({ Name: 'DistributionId' }),
        ]),
      );
    });

    test('the core rule set counts SizeRestrictions_BODY; a body-size rule from config blocks instead', () => {
      const acl = resources(f.template('Shipment-Prod', 'edge'), 'AWS::WAFv2::WebACL')[0][1].Properties;
      const crs = acl.Rules.find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet');
      expect(crs.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
        { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      ]);
      const body = acl.Rules.find((r: any) => r.Name === 'BodySizeDefault');
      expect(body.Action).toEqual({ Block: {} });
      expect(body.Statement.SizeConstraintStatement).toMatchObject({ ComparisonOperator: 'GT', Size: 65_536 });
      expect(acl.AssociationConfig).toEqual({ RequestBody: { CLOUDFRONT: { DefaultSizeInspectionLimit: 'KB_64' } } });
    });

    test('the load balancer admits 443 from CloudFront’s origin-facing prefix list only, nothing from the VPC range', () => {
      const app = f.template('Shipment-Prod', 'app');
      const [sgId, sg] = resources(app, 'AWS::EC2::SecurityGroup').find(([, r]) =>
        String(r.Properties.GroupDescription).includes('LoadBalancer'),
      )!;
      const inline = (sg.Properties.SecurityGroupIngress ?? []) as any[];
      const separate = resources(app, 'AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((r) => JSON.stringify(r.GroupId).includes(sgId) && r.FromPort !== 8443);
      const ingress = [...inline, ...separate];
      expect(ingress.map((r) => [r.FromPort, r.CidrIp, r.SourcePrefixListId === undefined])).toEqual([
        [443, undefined, false],
      ]);
      expect(JSON.stringify(ingress[0].SourcePrefixListId)).toContain('CloudFrontPrefixList');
      app.hasResourceProperties('Custom::AWS', {
        Create: Match.stringLikeRegexp('com.amazonaws.global.cloudfront.origin-facing'),
      });
    });

    test.each(['Csl-Dev', 'Shipment-Prod'])('%s: public subnets do not hand out public addresses', (id) => {
      const subnets = resources(f.template(id, 'network'), 'AWS::EC2::Subnet');
      expect(subnets.filter(([, s]) => s.Properties.MapPublicIpOnLaunch === true)).toEqual([]);
    });

    test('the assets bucket admits this stage’s distribution only, by its ARN, in a stack after the edge', () => {
      const stage = f.stage('Csl-Prod');
      const access = Template.fromStack(stage.originAccess);
      expect(stage.originAccess.region).toBe('eu-west-1');
      expect(stage.originAccess.dependencies).toContain(stage.edge);
      const [, policy] = resources(access, 'AWS::S3::BucketPolicy')[0];
      const oac = policy.Properties.PolicyDocument.Statement.find(
        (s: any) => s.Sid === 'CloudFrontOriginAccessControl',
      );
      expect(oac.Condition.ArnLike).toBeUndefined();
      expect(JSON.stringify(oac.Condition.StringEquals['AWS:SourceArn'])).toMatch(/distribution\//);
      expect(JSON.stringify(oac.Condition.StringEquals['AWS:SourceArn'])).toMatch(/Distribution|Cdn/);
      const tls = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Deny');
      expect(tls).toHaveLength(2);
      // Nothing else writes that bucket's policy: S3 keeps one per bucket.
      const data = f.template('Csl-Prod', 'data');
      const assetsPolicies = resources(data, 'AWS::S3::BucketPolicy').filter(([lid]) =>
        lid.startsWith('BucketsAssets'),
      );
      expect(assetsPolicies).toEqual([]);
    });

    test('prod MySQL exports its audit log through the MariaDB audit plugin; dev does not', () => {
      const prod = f.template('Shipment-Prod', 'data');
      prod.hasResourceProperties('AWS::RDS::OptionGroup', {
        OptionConfigurations: [Match.objectLike({ OptionName: 'MARIADB_AUDIT_PLUGIN' })],
      });
      const primary = resources(prod, 'AWS::RDS::DBInstance').find(([lid]) => lid.startsWith('MysqlPrimary'))![1];
      expect(primary.Properties.EnableCloudwatchLogsExports).toContain('audit');
      expect(primary.Properties.OptionGroupName).toBeDefined();
      f.template('Shipment-Dev', 'data').resourceCountIs('AWS::RDS::OptionGroup', 0);
    });

    test.each(['Csl-Prod', 'Shipment-Prod'])(
      '%s: every log group is encrypted with a key CloudWatch Logs may use',
      (id) => {
        for (const name of ['network', 'data', 'app'] as const) {
          const t = f.template(id, name);
          const groups = resources(t, 'AWS::Logs::LogGroup');
          for (const [lid, g] of groups)
            expect({ name, lid, key: g.Properties.KmsKeyId !== undefined }).toEqual({ name, lid, key: true });
          if (groups.length === 0) continue;
          const [, key] = resources(t, 'AWS::KMS::Key').find(([lid]) => lid.startsWith('LogKey'))!;
          expect(key.Properties.KeyPolicy.Statement).toContainEqual(
            expect.objectContaining({ Principal: { Service: `logs.${f.config(id).region}.amazonaws.com` } }),
          );
        }
      },
    );

    test.each(['Csl-Prod', 'Shipment-Prod'])(
      '%s: log groups RDS creates itself (engine logs) get the log key once their retention is set',
      (id) => {
        const t = f.template(id, 'data');
        const retentions = resources(t, 'Custom::LogRetention');
        const associations = resources(t, 'Custom::AWS').filter(([, r]) =>
          JSON.stringify(r.Properties.Create).includes('associateKmsKey'),
        );
        expect(retentions.length).toBeGreaterThan(0);
        for (const [lid, retention] of retentions) {
          const match = associations.find(([, a]) => (a.DependsOn ?? []).includes(lid));
          expect({ lid, associated: match !== undefined }).toEqual({ lid, associated: true });
          // The same log group: /aws/rds/instance/<the instance's Ref>/<log>.
          const [, [, ref, suffix]] = retention.Properties.LogGroupName['Fn::Join'];
          expect(JSON.stringify(match![1].Properties.Create)).toContain(`${JSON.stringify(ref)},"${suffix}`);
        }
        expect(resources(f.template(id.replace('Prod', 'Dev'), 'data'), 'Custom::AWS')).toEqual([]);
      },
    );

    test('dev log groups keep the AWS-owned key (ECS Exec session logs excepted: they have their own key)', () => {
      const groups = resources(f.template('Csl-Dev', 'app'), 'AWS::Logs::LogGroup');
      const keyed = groups.filter(([id, g]) => g.Properties.KmsKeyId !== undefined && !id.startsWith('ExecSessions'));
      expect(keyed).toEqual([]);
    });
  });
}
