import { Match, Template } from 'aws-cdk-lib/assertions';
import { alertTopic } from '../../../lib/observability/alert-topic';
import { bareStack } from '../../helpers';

describe('alertTopic', () => {
  const stack = bareStack();
  const edge = alertTopic(stack, {
    keyId: 'AlertKey',
    topicId: 'AlertTopic',
    stageName: 'csl prod',
    qualifier: 'edge',
    emails: ['oncall@example.com', 'lead@example.com'],
  });
  const t = Template.fromStack(stack);

  test('creates its key and topic on the given scope, under the given ids', () => {
    expect(edge.key.node.scope).toBe(stack);
    expect(edge.topic.node.scope).toBe(stack);
    expect(Object.keys(t.findResources('AWS::KMS::Key'))).toEqual([expect.stringMatching(/^AlertKey[0-9A-F]{8}$/)]);
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toEqual([expect.stringMatching(/^AlertTopic[0-9A-F]{8}$/)]);
  });

  test('encrypts the topic with a rotated key that goes with the stack, and names both after the stage', () => {
    t.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ Description: 'csl prod: edge alert topic', EnableKeyRotation: true }),
      DeletionPolicy: 'Delete',
    });
    t.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'csl prod edge alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlertKey'), 'Arn'] },
    });
    const plain = bareStack();
    alertTopic(plain, { keyId: 'K', topicId: 'T', stageName: 'csl prod', emails: [] });
    const p = Template.fromStack(plain);
    p.hasResourceProperties('AWS::KMS::Key', { Description: 'csl prod: alert topic' });
    p.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'csl prod alerts' });
    expect(p.findResources('AWS::SNS::Subscription')).toEqual({});
  });

  test('CloudWatch alarms may publish to it through the key', () => {
    const [key] = Object.values(t.findResources('AWS::KMS::Key'));
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
      }),
    );
  });

  test('refuses publishing without TLS', () => {
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  test('mails each address', () => {
    const subscriptions = Object.values(t.findResources('AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'lead@example.com'],
    ]);
  });
});
