import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { templateOf } from '../../helpers';
import {
  applyAllowlist,
  compareWithBaselines,
  findDestructiveChanges,
  findExportsInUse,
  formatChange,
  guardedClosure,
  normalizeTemplate,
  readAllowlist,
  sameRegionWeakReferences,
  synthTemplates,
  type DestructiveChange,
} from '../../../lib/guard/guard';

const STACK = 'Test/Data';

/**
 * A throwaway App. Its templates only feed the diff, so the built-in template validation (which
 * test/lib/app.test.ts runs on the real app) is off: it would only flag the fixtures' shortcuts.
 */
function throwawayApp(outdir?: string): App {
  return new App({ builtinCloudFormationValidation: false, ...(outdir ? { outdir } : {}) });
}

/** The template of a throwaway stack that `build` fills. */
function synth(build: (stack: Stack) => void): object {
  const stack = new Stack(throwawayApp(), 'Data', { env: { account: '111111111111', region: 'eu-west-1' } });
  build(stack);
  return templateOf(stack);
}

/** The logical id of the only resource of `type` in `template`. */
function idOf(template: object, type: string): string {
  const ids = Object.entries((template as { Resources: Record<string, { Type: string }> }).Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

interface MysqlOptions {
  port?: number;
  storageEncrypted?: boolean;
  subnetGroupName?: string;
  allocatedStorage?: number;
  multiAz?: boolean;
}

/** A MySQL 8.0 instance in an imported VPC, with an explicit subnet group. */
function mysql(options: MysqlOptions = {}): object {
  return synth((stack) => {
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-1', 'subnet-2'],
    });
    const subnetGroup = new rds.SubnetGroup(stack, 'SubnetGroup', {
      vpc,
      description: 'isolated subnets',
      subnetGroupName: options.subnetGroupName ?? 'mysql-isolated',
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    new rds.DatabaseInstance(stack, 'Mysql', {
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      subnetGroup,
      port: options.port ?? 3306,
      storageEncrypted: options.storageEncrypted ?? true,
      allocatedStorage: options.allocatedStorage ?? 20,
      multiAz: options.multiAz ?? false,
    });
  });
}

function broker(deploymentMode: string): object {
  return synth((stack) => {
    new amazonmq.CfnBroker(stack, 'Rabbitmq', {
      brokerName: 'rabbitmq',
      engineType: 'RABBITMQ',
      engineVersion: '3.13',
      hostInstanceType: 'mq.m5.large',
      deploymentMode,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: ['subnet-1', 'subnet-2'],
      users: [{ username: 'app', password: '{{resolve:secretsmanager:rabbitmq:SecretString:password}}' }],
    });
  });
}

/** A stack with a bucket under construct id `id`, or none when `id` is undefined. */
function bucketStack(id: string | undefined, removalPolicy: RemovalPolicy, versioned = false): object {
  return synth((stack) => {
    if (id !== undefined) new s3.Bucket(stack, id, { removalPolicy, versioned });
  });
}

describe('findDestructiveChanges', () => {
  test('lets a read replica go: it holds no data of its own', () => {
    const withReplica = (replicas: number) =>
      synth((stack) => {
        const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
          vpcId: 'vpc-1',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          isolatedSubnetIds: ['subnet-1', 'subnet-2'],
        });
        const primary = new rds.DatabaseInstance(stack, 'Mysql', {
          engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }),
          instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        });
        for (let i = 1; i <= replicas; i++) {
          new rds.DatabaseInstanceReadReplica(stack, `Replica${i}`, {
            sourceDatabaseInstance: primary,
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
            vpc,
            vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          });
        }
      });
    expect(findDestructiveChanges(STACK, withReplica(1), withReplica(0))).toEqual([]);
  });

  test('catches a MySQL port change as a replacement', () => {
    const before = mysql();
    const changes = findDestructiveChanges(STACK, before, mysql({ port: 3307 }));
    expect(changes).toEqual([
      {
        stack: STACK,
        logicalId: idOf(before, 'AWS::RDS::DBInstance'),
        type: 'AWS::RDS::DBInstance',
        impact: 'replace',
        reason: 'Port',
      },
    ]);
  });

  test('catches a storage encryption flip as a replacement', () => {
    const changes = findDestructiveChanges(STACK, mysql(), mysql({ storageEncrypted: false }));
    expect(changes).toEqual([
      expect.objectContaining({ type: 'AWS::RDS::DBInstance', impact: 'replace', reason: 'StorageEncrypted' }),
    ]);
  });

  test('catches a renamed DB subnet group as a replacement of the instance that uses it', () => {
    // The subnet group is not stateful itself; its new name replaces it, and the diff carries
    // that replacement over to the instance's DBSubnetGroupName reference.
    const changes = findDestructiveChanges(STACK, mysql(), mysql({ subnetGroupName: 'mysql-isolated-v2' }));
    expect(changes).toEqual([
      expect.objectContaining({ type: 'AWS::RDS::DBInstance', impact: 'replace', reason: 'DBSubnetGroupName' }),
    ]);
  });

  test('diffs only the guarded resources and what they reference, through Ref, GetAtt and Sub', () => {
    // What the diff sees of a template: a replacement reaches a stateful resource only through
    // these references, so leaving out the rest changes no verdict (and saves most of the time).
    const template = {
      Resources: {
        Db: {
          Type: 'AWS::RDS::DBInstance',
          Properties: {
            DBSubnetGroupName: { Ref: 'Subnets' },
            KmsKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] },
            MonitoringRoleArn: { 'Fn::GetAtt': 'Role.Arn' },
            DBParameterGroupName: { 'Fn::Sub': '${Params}-${AWS::Region}' },
          },
        },
        Subnets: { Type: 'AWS::RDS::DBSubnetGroup', Properties: { SubnetIds: [{ Ref: 'SubnetA' }] } },
        SubnetA: { Type: 'AWS::EC2::Subnet' },
        Key: { Type: 'AWS::KMS::Key' },
        Role: { Type: 'AWS::IAM::Role' },
        Params: { Type: 'AWS::RDS::DBParameterGroup' },
        Service: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'Task' } } },
        Task: { Type: 'AWS::ECS::TaskDefinition' },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Dimensions: [{ Value: { Ref: 'Db' } }] } },
      },
    };
    expect([...guardedClosure(template)].sort()).toEqual(
      ['Db', 'Key', 'Params', 'Role', 'Service', 'SubnetA', 'Subnets', 'Task'].sort(),
    );
  });

  test('reports a Multi-AZ switch as a possible replacement', () => {
    // The resource spec marks MultiAZ as "conditionally" replacing, so the diff cannot be sure.
    expect(findDestructiveChanges(STACK, mysql(), mysql({ multiAz: true }))).toEqual([
      expect.objectContaining({ type: 'AWS::RDS::DBInstance', impact: 'may-replace', reason: 'MultiAZ' }),
    ]);
  });

  test('marks which properties only may replace when others certainly do', () => {
    expect(findDestructiveChanges(STACK, mysql(), mysql({ multiAz: true, port: 3307 }))).toEqual([
      expect.objectContaining({ impact: 'replace', reason: 'MultiAZ (may), Port' }),
    ]);
  });

  test('lets an in-place update of a stateful resource through', () => {
    expect(findDestructiveChanges(STACK, mysql(), mysql({ allocatedStorage: 50 }))).toEqual([]);
    expect(
      findDestructiveChanges(
        STACK,
        bucketStack('Uploads', RemovalPolicy.RETAIN),
        bucketStack('Uploads', RemovalPolicy.RETAIN, true),
      ),
    ).toEqual([]);
  });

  test('catches a RabbitMQ broker moving from single-instance to a cluster as a replacement', () => {
    const changes = findDestructiveChanges(STACK, broker('SINGLE_INSTANCE'), broker('CLUSTER_MULTI_AZ'));
    expect(changes).toEqual([
      {
        stack: STACK,
        logicalId: 'Rabbitmq',
        type: 'AWS::AmazonMQ::Broker',
        impact: 'replace',
        reason: 'DeploymentMode',
      },
    ]);
  });

  test('reports a removed bucket with a RETAIN policy as orphaned', () => {
    const before = bucketStack('Uploads', RemovalPolicy.RETAIN);
    const changes = findDestructiveChanges(STACK, before, bucketStack(undefined, RemovalPolicy.RETAIN));
    expect(changes).toEqual([
      {
        stack: STACK,
        logicalId: idOf(before, 'AWS::S3::Bucket'),
        type: 'AWS::S3::Bucket',
        impact: 'orphan',
        reason: 'removed from the template; DeletionPolicy Retain keeps it outside the stack',
      },
    ]);
  });

  test('reports a removed bucket with a DESTROY policy as destroyed', () => {
    const changes = findDestructiveChanges(
      STACK,
      bucketStack('Uploads', RemovalPolicy.DESTROY),
      bucketStack(undefined, RemovalPolicy.DESTROY),
    );
    expect(changes).toEqual([
      expect.objectContaining({
        impact: 'destroy',
        reason: 'removed from the template; DeletionPolicy Delete deletes it',
      }),
    ]);
  });

  test('reports a removed database with a SNAPSHOT policy as destroyed after a final snapshot', () => {
    const changes = findDestructiveChanges(
      STACK,
      mysql(),
      synth(() => undefined),
    );
    expect(changes).toEqual([
      expect.objectContaining({
        type: 'AWS::RDS::DBInstance',
        impact: 'destroy',
        reason: 'removed from the template; DeletionPolicy Snapshot deletes it after a final snapshot',
      }),
      // The generated master-user secret goes with it.
      expect.objectContaining({ type: 'AWS::SecretsManager::Secret', impact: 'destroy' }),
    ]);
  });

  test('reports a renamed bucket construct as the loss of the old logical id and names the new one', () => {
    const before = bucketStack('Uploads', RemovalPolicy.RETAIN);
    const after = bucketStack('UserUploads', RemovalPolicy.RETAIN);
    const changes = findDestructiveChanges(STACK, before, after);
    expect(changes).toEqual([
      expect.objectContaining({ logicalId: idOf(before, 'AWS::S3::Bucket'), impact: 'orphan' }),
    ]);
    expect(changes[0].reason).toContain(`added in the same stack: ${idOf(after, 'AWS::S3::Bucket')}`);
  });

  test('ignores changes to resources that hold no data, even replacements', () => {
    const network = (port: number, insights: boolean, description: string) =>
      synth((stack) => {
        const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
        const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, description });
        sg.addIngressRule(ec2.Peer.ipv4('10.0.0.0/16'), ec2.Port.tcp(port));
        new ecs.Cluster(stack, 'Cluster', {
          vpc,
          containerInsightsV2: insights ? ecs.ContainerInsights.ENABLED : undefined,
        });
      });
    // Ingress rule and cluster setting: in-place updates.
    expect(findDestructiveChanges(STACK, network(80, false, 'web'), network(443, true, 'web'))).toEqual([]);
    // A new description replaces the security group, which is not stateful.
    expect(findDestructiveChanges(STACK, network(80, false, 'web'), network(80, false, 'web tier'))).toEqual([]);
  });

  test('ignores CDK metadata, the bootstrap version and asset hashes', () => {
    const before = {
      Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/v' } },
      Rules: { CheckBootstrapVersion: { Assertions: [] } },
      Resources: {
        CDKMetadata: { Type: 'AWS::CDK::Metadata', Properties: { Analytics: 'v2:deflate64:abc' } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${'a'.repeat(64)}.zip` } } },
      },
    };
    const after = {
      Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: `${'b'.repeat(64)}.zip` } } } },
    };
    expect(normalizeTemplate(before)).toEqual(normalizeTemplate(after));
    expect(normalizeTemplate(after)).toEqual({
      Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: '<asset-hash>.zip' } } } },
    });
  });
});

describe('applyAllowlist', () => {
  const port: DestructiveChange = {
    stack: 'Csl-Prod/Data',
    logicalId: 'MysqlPrimary04EF300F',
    type: 'AWS::RDS::DBInstance',
    impact: 'replace',
    reason: 'Port',
  };
  const bucket: DestructiveChange = {
    ...port,
    logicalId: 'BucketsLogsF3E46FAF',
    type: 'AWS::S3::Bucket',
    impact: 'orphan',
  };

  test('moves an allowlisted change to allowed and keeps the others blocked', () => {
    const entry = {
      stack: 'Csl-Prod/Data',
      logicalId: 'MysqlPrimary04EF300F',
      reason: 'restored from snapshot in CHG-1234',
    };
    const stale = { stack: 'Csl-Dev/Data', logicalId: 'Gone', reason: 'left over from an earlier migration' };
    expect(applyAllowlist([port, bucket], [entry, stale])).toEqual({
      blocked: [bucket],
      allowed: [port],
      unusedEntries: [stale],
    });
  });

  test.each(['', '   ', 'ok, intended'])('rejects an entry whose reason is %j', (reason) => {
    expect(() => applyAllowlist([port], [{ stack: port.stack, logicalId: port.logicalId, reason }])).toThrow(
      /every allowlist entry needs a reason.*Csl-Prod\/Data MysqlPrimary04EF300F/,
    );
  });

  test('rejects an allowlist file that is not an array of entries', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'allowlist-'));
    const file = path.join(dir, 'allowlist.json');
    fs.writeFileSync(file, JSON.stringify([{ stack: 'Csl-Prod/Data', logicalid: 'X', reason: 'typo in a key name' }]));
    expect(() => readAllowlist(file)).toThrow(/must be an array of \{ stack, logicalId, reason \}/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('formatChange', () => {
  test('puts stack, logical id, type, impact and reason on one line', () => {
    expect(
      formatChange({
        stack: 'Csl-Prod/Data',
        logicalId: 'MysqlPrimary1234',
        type: 'AWS::RDS::DBInstance',
        impact: 'replace',
        reason: 'Port',
      }),
    ).toBe('Csl-Prod/Data MysqlPrimary1234 (AWS::RDS::DBInstance) would be REPLACED: Port');
  });
});

describe('synthTemplates and compareWithBaselines', () => {
  test('reads the stacks of nested stage assemblies by display name', () => {
    const app = throwawayApp(fs.mkdtempSync(path.join(os.tmpdir(), 'guard-')));
    const stage = new Stage(app, 'Csl-Prod');
    new s3.Bucket(new Stack(stage, 'Data'), 'Uploads');
    new Stack(app, 'TopLevel');
    app.synth();
    expect([...synthTemplates(app.outdir).keys()].sort()).toEqual(['Csl-Prod/Data', 'TopLevel']);
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  test('reports every stateful resource of a stack that no longer exists, and names new stacks', () => {
    const data = bucketStack('Uploads', RemovalPolicy.RETAIN);
    const result = compareWithBaselines(new Map([['Csl-Old/Data', data]]), new Map([['Csl-New/Data', data]]));
    expect(result.newStacks).toEqual(['Csl-New/Data']);
    expect(result.changes).toEqual([expect.objectContaining({ stack: 'Csl-Old/Data', impact: 'orphan' })]);
  });
});

describe('replace-on-update rules the specification leaves open', () => {
  /** A cluster-mode replication group with `shards` node groups, with or without online resharding. */
  const cache = (shards: number, replicas: number, online: boolean) =>
    synth((stack) => {
      const group = new elasticache.CfnReplicationGroup(stack, 'Redis', {
        replicationGroupDescription: 'cache',
        engine: 'valkey',
        cacheNodeType: 'cache.t4g.small',
        clusterMode: 'enabled',
        numNodeGroups: shards,
        replicasPerNodeGroup: replicas,
        automaticFailoverEnabled: true,
      });
      if (online) group.cfnOptions.updatePolicy = { useOnlineResharding: true };
    });

  test('a shard-count change without UseOnlineResharding replaces the cluster for certain', () => {
    expect(findDestructiveChanges(STACK, cache(1, 1, false), cache(2, 1, false))).toEqual([
      expect.objectContaining({
        type: 'AWS::ElastiCache::ReplicationGroup',
        impact: 'replace',
        reason: 'NumNodeGroups',
      }),
    ]);
  });

  test('a shard-count change with UseOnlineResharding reshards in place', () => {
    expect(findDestructiveChanges(STACK, cache(1, 1, true), cache(3, 1, true))).toEqual([]);
  });

  test('a replica-count change of a cluster-mode group replaces it, resharding or not', () => {
    // The resource specification marks ReplicasPerNodeGroup "Update requires: Replacement".
    expect(findDestructiveChanges(STACK, cache(1, 1, true), cache(1, 2, true))).toEqual([
      expect.objectContaining({ impact: 'replace', reason: 'ReplicasPerNodeGroup' }),
    ]);
  });
});

describe('reference strength', () => {
  const broker = (subnet: object) => ({
    Resources: {
      Rabbitmq: {
        Type: 'AWS::AmazonMQ::Broker',
        Properties: { BrokerName: 'rabbitmq', DeploymentMode: 'SINGLE_INSTANCE', SubnetIds: [subnet] },
      },
    },
  });
  const weak = (output: string) => ({
    'Fn::GetStackOutput': { StackName: 'Csl-Dev-Network', Region: 'eu-west-1', OutputName: output },
  });
  const strong = (output: string) => ({ 'Fn::ImportValue': `Csl-Dev-Network:${output}` });

  test('a reference moving from weak to strong reads the same value and replaces nothing', () => {
    const before = broker(weak('PublishOutputRefNetworkIsolatedSubnet1Subnet628117C003A2BACE'));
    const after = broker(strong('ExportsOutputRefNetworkIsolatedSubnet1Subnet628117C0C07379F6'));
    expect(findDestructiveChanges(STACK, before, after)).toEqual([]);
  });

  test('a reference to another producer value still replaces', () => {
    const before = broker(strong('ExportsOutputRefNetworkIsolatedSubnet1Subnet628117C0C07379F6'));
    const after = broker(strong('ExportsOutputRefNetworkIsolatedSubnet2SubnetABCDEF12C07379F6'));
    expect(findDestructiveChanges(STACK, before, after)).toEqual([
      expect.objectContaining({ logicalId: 'Rabbitmq', impact: 'replace', reason: 'SubnetIds' }),
    ]);
  });

  test('a new parameter group (a major version upgrade) does not replace an RDS instance', () => {
    const db = (group: string) => ({
      Resources: {
        Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'mysql', DBParameterGroupName: { Ref: group } } },
      },
    });
    expect(findDestructiveChanges(STACK, db('ParamsA'), db('ParamsB'))).toEqual([]);
  });

  test('finds same-region weak references and leaves cross-region ones alone', () => {
    const template = {
      Resources: {
        A: {
          Properties: {
            X: weak('PublishOutputRefA12345678'),
            Y: { 'Fn::GetStackOutput': { StackName: 'P', OutputName: 'O' } },
          },
        },
        B: { Properties: { X: { 'Fn::GetStackOutput': { StackName: 'Q', Region: 'us-east-1', OutputName: 'O' } } } },
      },
    };
    expect(sameRegionWeakReferences(template, 'eu-west-1')).toEqual([
      '"Csl-Dev-Network"/"PublishOutputRefA12345678"',
      '"P"/"O"',
    ]);
  });
});

describe('updates ECS refuses on a CODE_DEPLOY service', () => {
  /** A raw template with one ECS service; only the diff reads it. */
  const service = (controller: string, props: Record<string, unknown> = {}) => ({
    Resources: {
      WebService1234: {
        Type: 'AWS::ECS::Service',
        Properties: {
          Cluster: 'cluster',
          DeploymentController: { Type: controller },
          DesiredCount: 2,
          NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: ['sg-1'], Subnets: ['subnet-1'] } },
          LoadBalancers: [{ ContainerName: 'Web', ContainerPort: 80, TargetGroupArn: 'arn:tg/blue' }],
          ...props,
        },
      },
    },
  });

  test('flags a network change of a CODE_DEPLOY service with what to do instead', () => {
    const after = service('CODE_DEPLOY', {
      NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: ['sg-2'], Subnets: ['subnet-1'] } },
    });
    const [change] = findDestructiveChanges('Csl-Prod/App', service('CODE_DEPLOY'), after);
    expect(change).toEqual(
      expect.objectContaining({ logicalId: 'WebService1234', type: 'AWS::ECS::Service', impact: 'refused' }),
    );
    expect(formatChange(change)).toMatch(
      /would be REFUSED BY ECS: NetworkConfiguration changed\. ECS rejects this update on a CODE_DEPLOY service.*AppSpec networkConfiguration/,
    );
  });

  test('flags a load-balancer change of a CODE_DEPLOY service', () => {
    const after = service('CODE_DEPLOY', {
      LoadBalancers: [{ ContainerName: 'Web', ContainerPort: 8080, TargetGroupArn: 'arn:tg/blue' }],
    });
    expect(findDestructiveChanges('Csl-Prod/App', service('CODE_DEPLOY'), after)).toEqual([
      expect.objectContaining({
        impact: 'refused',
        reason: expect.stringMatching(/^LoadBalancers changed.*new construct id/),
      }),
    ]);
  });

  test('flags a CODE_DEPLOY service CloudFormation would replace (a launch type to Spot switch), not a rolling one', () => {
    // LaunchType is create-only (AWS::ECS::Service schema), and aws-cdk-lib leaves it out once a
    // capacity provider strategy is set: turning scaling.spot on or off replaces every service.
    const spot = { LaunchType: undefined, CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] };
    const onDemand = { LaunchType: 'FARGATE' };
    expect(
      findDestructiveChanges('Csl-Staging/App', service('CODE_DEPLOY', onDemand), service('CODE_DEPLOY', spot)),
    ).toEqual([
      expect.objectContaining({
        logicalId: 'WebService1234',
        impact: 'replace',
        reason: expect.stringMatching(/^LaunchType: .*blue target group.*listener/),
      }),
    ]);
    expect(findDestructiveChanges('Csl-Staging/App', service('ECS', onDemand), service('ECS', spot))).toEqual([]);
  });

  test('flags a new capacity provider strategy on a CODE_DEPLOY service updated in place', () => {
    const spot = (weight: number) => ({
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: weight },
      ],
    });
    expect(
      findDestructiveChanges('Csl-Dev/App', service('CODE_DEPLOY', spot(1)), service('CODE_DEPLOY', spot(3))),
    ).toEqual([
      expect.objectContaining({
        impact: 'refused',
        reason: expect.stringMatching(/^CapacityProviderStrategy changed/),
      }),
    ]);
  });

  test('lets through what ECS does update, and the same change on a rolling (ECS) service', () => {
    expect(
      findDestructiveChanges('Csl-Prod/App', service('CODE_DEPLOY'), service('CODE_DEPLOY', { DesiredCount: 3 })),
    ).toEqual([]);
    const network = {
      NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: ['sg-2'], Subnets: ['subnet-1'] } },
    };
    expect(findDestructiveChanges('Csl-Prod/App', service('ECS'), service('ECS', network))).toEqual([]);
  });
});

describe('exports another stack of the stage imports', () => {
  /**
   * The templates of a stage like ours: Data holds `buckets` buckets (think read replicas), App
   * reads the name of each of the first `imported` through a strong reference (Fn::ImportValue),
   * as `cdk.json`'s `defaultCrossStackReferences: strong` makes every same-region reference.
   */
  function stagePair(replicas: number, imported = replicas): Map<string, object> {
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
    });
    const stage = new Stage(app, 'Csl-Prod', { env: { account: '111111111111', region: 'eu-west-1' } });
    const data = new Stack(stage, 'Data');
    const consumer = new Stack(stage, 'App');
    for (let i = 1; i <= replicas; i++) {
      // A stateless stand-in (the guard treats a removed replica as losing nothing, too).
      const replica = new sns.Topic(data, `Replica${i}`);
      if (i <= imported) new ssm.StringParameter(consumer, `ReadHost${i}`, { stringValue: replica.topicName });
    }
    return new Map([data, consumer].map((s) => [`Csl-Prod/${s.node.id}`, templateOf(s)]));
  }

  test('flags an export the deployed consumer still imports when the producer drops it, with the two-step fix', () => {
    // Lowering mysql.readReplicas from 2 to 1 removes replica 2 and the App's read of it in one
    // synth; CloudFormation deploys Data first and refuses to delete the export App still imports.
    const found = findExportsInUse(stagePair(2), stagePair(1));
    expect(found).toEqual([
      expect.objectContaining({ stack: 'Csl-Prod/Data', impact: 'export-in-use', type: 'AWS::CloudFormation::Export' }),
    ]);
    expect(formatChange(found[0])).toMatch(
      /Csl-Prod\/Data ExportsOutputFnGetAttReplica2.* would be REFUSED BY CLOUDFORMATION: export Csl-Prod-Data:ExportsOutputFnGetAttReplica2.* is removed but Csl-Prod\/App imports it.*exportValue.*--exclusively/,
    );
  });

  test('the same check runs in compareWithBaselines', () => {
    expect(compareWithBaselines(stagePair(2), stagePair(1)).changes).toEqual([
      expect.objectContaining({ impact: 'export-in-use' }),
    ]);
  });

  test('lets through a new export, and a removal once the consumer no longer imports it', () => {
    expect(findExportsInUse(stagePair(1), stagePair(2))).toEqual([]);
    // Step 2 of the procedure: App was deployed without the import, Data keeps the export.
    expect(findExportsInUse(stagePair(2, 1), stagePair(1))).toEqual([]);
  });
});
