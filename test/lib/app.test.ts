import { CfnResource } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildTestApp } from '../helpers';

describe('the compliance gate', () => {
  // One faulty stage carries both faults: both gates report in the one error synth throws, so a
  // gate that stopped failing shows as its missing finding.
  let message = '';
  beforeAll(() => {
    const { app, stages } = buildTestApp({ systems: ['csl'], stages: ['dev'] });
    new s3.Bucket(stages[0].app, 'UnloggedBucket', { enforceSSL: true });
    new CfnResource(stages[0].app, 'BadQueue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'forever' },
    });
    try {
      app.synth();
    } catch (err) {
      message = String(err);
    }
  });

  test('fails synth on an unacknowledged cdk-nag error', () => {
    expect(message).toMatch(/AwsSolutions-S1/);
  });

  test('fails synth on a CloudFormation-validation error', () => {
    expect(message).toMatch(/BadQueue[\s\S]*VisibilityTimeout|VisibilityTimeout[\s\S]*BadQueue/);
  });
});
