import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { nextjsWiring, type NextjsWiringProps } from '../../../lib/services/nextjs-environment';
import { bareStack } from '../../helpers';

/** The wiring of a Next.js service on shop.example.com, on a fresh bare stack. */
function wire(props: Partial<NextjsWiringProps> = {}, service: Partial<NextjsWiringProps['service']> = {}) {
  const stack = bareStack();
  const wiring = nextjsWiring(stack, {
    host: 'shop.example.com',
    apiHost: 'api.example.com',
    ...props,
    service: { environment: {}, ...service },
  });
  return { stack, wiring, env: stack.resolve(wiring.environment) as Record<string, string> };
}

describe('nextjsWiring', () => {
  test('production mode on all interfaces, no telemetry, its own URL and the API’s, read at run time', () => {
    const { env } = wire();
    expect(env).toEqual({
      NODE_ENV: 'production',
      PORT: '3000',
      HOSTNAME: '0.0.0.0',
      NEXT_TELEMETRY_DISABLED: '1',
      SITE_URL: 'https://shop.example.com',
      API_BASE_URL: 'https://api.example.com/api',
    });
    // NEXT_PUBLIC_* would be baked into the image at build time.
    expect(Object.keys(env).filter((k) => k.startsWith('NEXT_PUBLIC_'))).toEqual([]);
  });

  test('listens on the port config names', () => {
    expect(wire({}, { port: 8080 }).env.PORT).toBe('8080');
  });

  test('no API base URL when the stage has no one API', () => {
    expect(wire({ apiHost: undefined }).env.API_BASE_URL).toBeUndefined();
  });

  test('the service’s own environment comes last and wins', () => {
    const { env } = wire({}, { environment: { API_BASE_URL: 'https://other.example.com', FEATURE: 'on' } });
    expect([env.API_BASE_URL, env.FEATURE]).toEqual(['https://other.example.com', 'on']);
  });

  test('its app secrets come as ECS secrets the execution role may decrypt; the task role gets nothing', () => {
    const { stack, wiring } = wire(
      {},
      {
        secrets: {
          STRIPE_KEY: {
            secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe-AbCdEf',
            jsonKey: 'key',
            keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/stripe',
          },
        },
      },
    );
    expect(Object.keys(wiring.secrets)).toEqual(['STRIPE_KEY']);
    expect(JSON.stringify(stack.resolve(wiring.secrets.STRIPE_KEY.arn))).toContain(':secret:stripe-AbCdEf:key::');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    wiring.grant(role);
    wiring.grantExecution(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: 'arn:aws:kms:eu-west-1:111111111111:key/stripe',
            Condition: {
              StringEquals: {
                'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
              },
              StringLike: {
                'kms:EncryptionContext:SecretARN': 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:stripe-AbCdEf',
              },
            },
          },
        ],
      },
    });
  });

  test('without app secrets: no secrets, no grants', () => {
    const { stack, wiring } = wire();
    expect(wiring.secrets).toEqual({});
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    wiring.grant(role);
    wiring.grantExecution(role);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });
});
