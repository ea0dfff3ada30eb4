import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { CachedCloudFormationValidation } from '../../lib/validation-cache';

/** An app with one stack holding an SQS queue, validated through a cache in `dir`. */
function synth(dir: string, visibilityTimeout: unknown): () => unknown {
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'vc-')),
    // Findings fail the synth, as cdk.json has it.
    context: { '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  Validations.of(app).addPlugins(new CachedCloudFormationValidation(dir));
  const stack = new Stack(app, 'Queues', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: visibilityTimeout } });
  return () => app.synth();
}

describe('CloudFormation validation with a cache of findings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-cache-'));
  const engine = jest.spyOn(CloudFormationValidatePlugin.prototype, 'validate');

  test('a finding is reported from the cache as it was from the validator, with the new template path', () => {
    expect(synth(dir, 'forever')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(1);
    expect(fs.readdirSync(dir)).toHaveLength(1);

    // Same template bytes in a new synth (another outdir): the validator is not started again,
    // and the same finding fails the synth.
    expect(synth(dir, 'forever')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(1);
  });

  test('a changed template is validated again', () => {
    expect(synth(dir, 30)).not.toThrow();
    expect(engine).toHaveBeenCalledTimes(2);
    expect(synth(dir, 'never')).toThrow(/VisibilityTimeout/);
    expect(engine).toHaveBeenCalledTimes(3);
  });
});
