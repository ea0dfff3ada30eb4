import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { allowCloudWatchLogs } from '../../../lib/observability/logs-key';
import { bareStack } from '../../helpers';

/** The key-policy statements of the one key of a stack, past the account's own. */
function logStatements(configure: (key: kms.Key) => void): unknown[] {
  const stack = bareStack();
  configure(new kms.Key(stack, 'Key'));
  const [key] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
  return key.Properties.KeyPolicy.Statement.slice(1);
}

describe('allowCloudWatchLogs', () => {
  test('lets CloudWatch Logs of the key’s region use it for the log groups of its account and region', () => {
    expect(logStatements((key) => allowCloudWatchLogs(key))).toEqual([
      {
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:*' },
        },
        Effect: 'Allow',
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Resource: '*',
      },
    ]);
  });

  test('limits it to the log groups a given ARN pattern matches', () => {
    const [statement] = logStatements((key) =>
      allowCloudWatchLogs(key, 'arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/exec:*'),
    );
    expect(statement).toEqual(
      expect.objectContaining({
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/exec:*',
          },
        },
      }),
    );
  });
});
