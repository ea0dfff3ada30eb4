import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Cdn, type BodyLimit } from '../../../lib/edge/cdn';
import { MysqlDatabase } from '../../../lib/data/rds/mysql';
import { RabbitmqBroker } from '../../../lib/data/rabbitmq';

const env = { account: '111111111111', region: 'eu-west-1' };
// Construct tests read templates; the built-in validation runs over every real stage in app.test.ts.
const app = () => new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
const vpcIn = (stack: Stack) =>
  new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    subnetConfiguration: [
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });

describe('web ACL body limits per path', () => {
  function acl(bodyLimits: BodyLimit[], maxBodyBytes = 16_384) {
    const stack = new Stack(app(), 'Edge', { env: { account: env.account, region: 'us-east-1' } });
    new Cdn(stack, 'Cdn', {
      hosts: ['api.example.com'],
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
        hostedZoneId: 'Z123',
        zoneName: 'example.com',
      }),
      loadBalancer: elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
        loadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/x/0123456789abcdef',
        securityGroupId: 'sg-12345678',
        loadBalancerDnsName: 'internal-x.eu-west-1.elb.amazonaws.com',
      }),
      assetsBucket: s3.Bucket.fromBucketName(stack, 'Assets', 'assets'),
      logBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs'),
      metricPrefix: 'test',
      maxBodyBytes,
      bodyLimits,
    });
    return Object.values(Template.fromStack(stack).findResources('AWS::WAFv2::WebACL'))[0].Properties;
  }
  const rule = (a: any, name: string) => a.Rules.find((r: any) => r.Name === name);

  test('a path with a limit inside the window gets its own blocking rule, and the default skips it', () => {
    const a = acl([{ pathPrefix: '/api/forms', maxBodyBytes: 40_000 }]);
    const own = rule(a, 'BodySize1').Statement.AndStatement.Statements;
    expect(own[0].ByteMatchStatement).toMatchObject({
      SearchString: '/api/forms',
      PositionalConstraint: 'STARTS_WITH',
    });
    expect(own[1].SizeConstraintStatement).toMatchObject({
      Size: 40_000,
      FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
    });
    const def = rule(a, 'BodySizeDefault').Statement.AndStatement.Statements;
    expect(def[0].SizeConstraintStatement.Size).toBe(16_384);
    expect(def[1].NotStatement.Statement.ByteMatchStatement.SearchString).toBe('/api/forms');
    // WAF must see 40 000 bytes of the body to judge it: the 48 KB window.
    expect(a.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit).toBe('KB_48');
  });

  test('an upload path above the 64 KB window is exempt at the edge; the application limits it', () => {
    const a = acl([
      { pathPrefix: '/api/uploads', maxBodyBytes: 50 * 1024 * 1024 },
      { pathPrefix: '/livewire/upload-file', maxBodyBytes: 10 * 1024 * 1024 },
    ]);
    expect(rule(a, 'BodySize1')).toBeUndefined();
    const exempt = rule(a, 'BodySizeDefault').Statement.AndStatement.Statements[1].NotStatement.Statement.OrStatement
      .Statements;
    expect(exempt.map((s: any) => s.ByteMatchStatement.SearchString)).toEqual([
      '/api/uploads',
      '/livewire/upload-file',
    ]);
    expect(a.AssociationConfig.RequestBody.CLOUDFRONT.DefaultSizeInspectionLimit).toBe('KB_16');
  });
});

describe('names and ids that survive routine edits', () => {
  test('the master secret keeps its logical id when the password rules change', () => {
    const secretId = (exclude?: string) => {
      const original = rds.Credentials.fromGeneratedSecret;
      const spy = jest
        .spyOn(rds.Credentials, 'fromGeneratedSecret')
        .mockImplementation((user, options) =>
          original(user, exclude ? { ...options, excludeCharacters: exclude } : options),
        );
      try {
        const stack = new Stack(app(), 'Data', { env });
        new MysqlDatabase(stack, 'Mysql', {
          vpc: vpcIn(stack),
          encryptionKey: new kms.Key(stack, 'Key'),
          databaseName: 'app',
          engineVersion: '8.0.44',
          instanceType: 't4g.micro',
          deletionProtection: false,
        });
        // The master secret (the app user's secret is generated otherwise).
        const ids = Object.keys(Template.fromStack(stack).findResources('AWS::SecretsManager::Secret')).filter(
          (id) => !id.includes('AppUser'),
        );
        expect(ids).toHaveLength(1);
        return ids[0];
      } finally {
        spy.mockRestore();
      }
    };
    expect(secretId('"@/\\')).toBe(secretId());
  });

  test('the broker name is what the caller gives, wherever the construct sits', () => {
    const nameAt = (id: string) => {
      const stack = new Stack(app(), 'Data', { env });
      new RabbitmqBroker(stack, id, {
        vpc: vpcIn(stack),
        encryptionKey: new kms.Key(stack, 'Key'),
        engineVersion: '3.13',
        instanceType: 'mq.t3.micro',
        deploymentMode: 'SINGLE_INSTANCE',
        brokerName: 'CslProdData-Rabbitmq-E65B6A16',
      });
      return Object.values(Template.fromStack(stack).findResources('AWS::AmazonMQ::Broker'))[0].Properties.BrokerName;
    };
    expect(nameAt('Rabbitmq')).toBe('CslProdData-Rabbitmq-E65B6A16');
    expect(nameAt('Queues')).toBe(nameAt('Rabbitmq'));
  });
});
