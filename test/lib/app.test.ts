import { CfnResource } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildTestApp } from '../helpers';

describe('the compliance gate', () => {
  test('fails synth on an unacknowledged cdk-nag error', () => {
    const { app, stages } = buildTestApp({ systems: ['csl'], stages: ['dev'] });
    new s3.Bucket(stages[0].app, 'UnloggedBucket', { enforceSSL: true });
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('fails synth on a CloudFormation-validation error', () => {
    const { app, stages } = buildTestApp({ systems: ['csl'], stages: ['dev'] });
    new CfnResource(stages[0].app, 'BadQueue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'forever' },
    });
    expect(() => app.synth()).toThrow(/BadQueue|VisibilityTimeout/);
  });
});
