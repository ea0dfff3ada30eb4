import { type App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { EncryptLogGroups } from '../../../lib/observability/log-encryption';
import { bareStack, TEST_ENV } from '../../helpers';

describe('EncryptLogGroups', () => {
  const stack = bareStack();
  const own = new kms.Key(stack, 'OwnKey');
  new logs.LogGroup(stack, 'Plain');
  new logs.LogGroup(stack, 'Nested', { retention: logs.RetentionDays.ONE_WEEK });
  new logs.LogGroup(stack, 'AlreadyEncrypted', { encryptionKey: own });
  // As aws-cdk-lib does for a log group a service creates itself (RDS engine logs).
  new logs.LogRetention(stack, 'EngineLogs', {
    logGroupName: '/aws/rds/instance/db-1/error',
    retention: logs.RetentionDays.ONE_MONTH,
  });
  Aspects.of(stack).add(new EncryptLogGroups());
  const t = Template.fromStack(stack);
  const logKey = () => Object.keys(t.findResources('AWS::KMS::Key')).find((id) => id.startsWith('LogKey'))!;

  test('encrypts every log group of the stack with one rotated key of the stack', () => {
    const keys = Object.keys(t.findResources('AWS::KMS::Key')).filter((id) => id.startsWith('LogKey'));
    expect(keys).toHaveLength(1);
    t.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Test: CloudWatch Logs encryption',
      EnableKeyRotation: true,
    });
    const groups = t.findResources('AWS::Logs::LogGroup');
    const byId = Object.fromEntries(
      Object.entries(groups).map(([id, g]) => [id.replace(/[0-9A-F]{8}$/, ''), g.Properties.KmsKeyId]),
    );
    expect(byId.Plain).toEqual({ 'Fn::GetAtt': [logKey(), 'Arn'] });
    expect(byId.Nested).toEqual({ 'Fn::GetAtt': [logKey(), 'Arn'] });
  });

  test('leaves a log group that has a key of its own', () => {
    const [, group] = Object.entries(t.findResources('AWS::Logs::LogGroup')).find(([id]) =>
      id.startsWith('AlreadyEncrypted'),
    )!;
    expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OwnKey/), 'Arn'] });
  });

  test('lets CloudWatch Logs use the key, for this account’s and region’s log groups only', () => {
    const [, key] = Object.entries(t.findResources('AWS::KMS::Key')).find(([id]) => id.startsWith('LogKey'))!;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:*' },
        },
      }),
    );
  });

  test('associates the key with a log group a service creates, once its retention resource has run', () => {
    const retention = Object.keys(t.findResources('Custom::LogRetention'))[0];
    const associations = Object.values(t.findResources('Custom::AWS'));
    expect(associations).toHaveLength(1);
    const [association] = associations;
    expect(association.DependsOn).toEqual(expect.arrayContaining([retention, logKey()]));
    const create = JSON.stringify(association.Properties.Create);
    expect(create).toContain('associateKmsKey');
    expect(create).toContain('/aws/rds/instance/db-1/error');
  });

  test('the association may call AssociateKmsKey on that log group only, and use the key through CloudWatch Logs only', () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Condition?: unknown }[],
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'logs:AssociateKmsKey',
        Resource: 'arn:aws:logs:eu-west-1:111111111111:log-group:/aws/rds/instance/db-1/error:*',
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [logKey(), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'logs.eu-west-1.amazonaws.com' } },
      }),
    );
  });

  test('gives each stack a key of its own', () => {
    const first = bareStack('First');
    const app = first.node.scope as App;
    const second = new Stack(app, 'Second', { env: TEST_ENV });
    new logs.LogGroup(first, 'Group');
    new logs.LogGroup(second, 'Group');
    Aspects.of(app).add(new EncryptLogGroups());
    for (const s of [first, second]) {
      const template = Template.fromStack(s);
      const keys = Object.keys(template.findResources('AWS::KMS::Key'));
      expect(keys).toEqual([expect.stringMatching(/^LogKey/)]);
      template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keys[0], 'Arn'] } });
    }
  });
});
