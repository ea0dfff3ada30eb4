import { Duration, FileSystem } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { HandlerFunction } from '../../../lib/deployment/handler-function';
import { handlerBundleDir } from '../../../lib/deployment/handlers';
import { bareStack, testVpc } from '../../helpers';

/** Two functions on a bare stack: `Plain` with the defaults, `InVpc` in the VPC with a timeout. */
function build(): Template {
  const stack = bareStack();
  const vpc = testVpc(stack);
  new HandlerFunction(stack, 'Plain', {
    handler: 'smoke-test',
    description: 'plain',
    environment: { HOST: 'web.example.com' },
    logRetention: 14,
  });
  new HandlerFunction(stack, 'InVpc', {
    handler: 'migration-runner',
    description: 'in the VPC',
    environment: {},
    timeout: Duration.minutes(2),
    vpc,
    securityGroups: [new ec2.SecurityGroup(stack, 'Group', { vpc })],
    logRetention: 365,
  });
  return Template.fromStack(stack);
}

const policies = (t: Template, rolePrefix: string): string =>
  JSON.stringify(
    Object.entries(t.findResources('AWS::IAM::Role')).find(([lid]) => lid.startsWith(rolePrefix))![1].Properties
      .ManagedPolicyArns,
  );

describe('HandlerFunction', () => {
  let t: Template;
  beforeAll(() => {
    t = build();
  });

  test('runs its bundle from build/lambda on Node.js 24 on Graviton, traced, with the given environment', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'plain',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { HOST: 'web.example.com' } },
      Code: Match.objectLike({ S3Key: `${FileSystem.fingerprint(handlerBundleDir('smoke-test'))}.zip` }),
      VpcConfig: Match.absent(),
    });
  });

  test('logs to a log group of its own with the given retention', () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'plain',
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^PlainLogs') } },
    });
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: { RetentionInDays: 365 } });
  });

  test('in a VPC: its own bundle, the private subnets, the given security groups, the given timeout and the VPC access policy', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'in the VPC',
      Timeout: 120,
      Code: Match.objectLike({ S3Key: `${FileSystem.fingerprint(handlerBundleDir('migration-runner'))}.zip` }),
      VpcConfig: {
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') },
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') },
        ],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Group'), 'GroupId'] }],
      },
    });
    expect(policies(t, 'InVpcServiceRole')).toContain('AWSLambdaVPCAccessExecutionRole');
    expect(policies(t, 'PlainServiceRole')).not.toContain('AWSLambdaVPCAccessExecutionRole');
  });
});
