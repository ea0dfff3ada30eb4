import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { appSecrets, dataSecret, decryptWith, importSecret } from '../../../lib/services/app-secrets';
import type { StageData } from '../../../lib/data/stage-data';
import { bareStack } from '../../helpers';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:mysql-app-AbCdEf';
const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/data';

/** A bare stack with a data-layer secret (encrypted with the data key) and a scope for the service. */
function setup() {
  const stack = bareStack();
  const key = kms.Key.fromKeyArn(stack, 'DataKey', KEY);
  const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'MysqlApp', {
    secretCompleteArn: ARN,
    encryptionKey: key,
  });
  const scope = new Construct(stack, 'Service');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  return { stack, key, secret, scope, role };
}

const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('importSecret', () => {
  test('one key-less reference per secret, owned by the scope, with the same ARN', () => {
    const { stack, secret, scope } = setup();
    const first = importSecret(scope, secret);
    expect(importSecret(scope, secret)).toBe(first);
    expect(first.node.scope).toBe(scope);
    expect(first.encryptionKey).toBeUndefined();
    expect(stack.resolve(first.secretArn)).toBe(ARN);
  });
});

describe('dataSecret', () => {
  test('a secret encrypted with the data key is read through a reference; another one as it is', () => {
    const { stack, secret, scope } = setup();
    const plain = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Plain', ARN.replace('mysql-app', 'plain'));
    expect(JSON.stringify(stack.resolve(dataSecret(scope, secret, 'password').arn))).toContain(`${ARN}:password::`);
    expect(scope.node.children.map((c) => c.node.id)).toEqual([expect.stringMatching(/^Secret/)]);
    dataSecret(scope, plain, 'password');
    expect(scope.node.children).toHaveLength(1);
  });
});

describe('decryptWith', () => {
  test('lets a role decrypt the data key only when Secrets Manager asks', () => {
    const { stack, key, role } = setup();
    decryptWith({ key } as unknown as StageData)(role);
    expect(statements(Template.fromStack(stack))).toEqual([
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KEY,
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      },
    ]);
  });
});

describe('appSecrets', () => {
  test('by name or by ARN, with the JSON key; one reference per variable, reused', () => {
    const { stack, scope } = setup();
    const refs = {
      MAIL_PASSWORD: { secretName: 'shop/prod/mail', jsonKey: 'password' },
      STRIPE_KEY: { secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe-AbCdEf', jsonKey: 'key' },
    };
    const { secrets } = appSecrets(refs, scope);
    appSecrets(refs, scope);
    expect(scope.node.children.map((c) => c.node.id)).toEqual(['AppSecretMAIL_PASSWORD', 'AppSecretSTRIPE_KEY']);
    expect(JSON.stringify(stack.resolve(secrets.MAIL_PASSWORD.arn))).toContain(':secret:shop/prod/mail:password::');
    expect(JSON.stringify(stack.resolve(secrets.STRIPE_KEY.arn))).toContain(':secret:stripe-AbCdEf:key::');
  });

  test('the execution role may decrypt each with its named key, or any key for that very secret only', () => {
    const { stack, scope, role } = setup();
    appSecrets(
      {
        MAIL_PASSWORD: { secretName: 'shop/prod/mail', jsonKey: 'password' },
        STRIPE_KEY: {
          secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe-AbCdEf',
          jsonKey: 'key',
          keyArn: KEY,
        },
      },
      scope,
    ).grantExecution(role);
    const [mail, stripe] = statements(Template.fromStack(stack));
    expect(JSON.stringify(mail.Resource)).toContain(':key/*');
    expect(JSON.stringify(mail.Condition.StringLike)).toContain(':secret:shop/prod/mail-??????');
    expect(stripe.Resource).toBe(KEY);
    expect(stripe.Condition.StringLike).toEqual({
      'kms:EncryptionContext:SecretARN': 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe-AbCdEf',
    });
    for (const statement of [mail, stripe]) {
      expect(statement.Condition.StringEquals).toEqual({
        'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      });
    }
  });
});
