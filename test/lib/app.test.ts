import * as fs from 'fs';
import * as path from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { resolveStage } from '../../config';
import { csl } from '../../config/systems/csl';
import { buildApp } from '../../lib/app';
import { buildOfflineApp as buildTestApp } from '../../lib/offline-app';
import { testApp } from '../helpers';

/**
 * The gates on variants of a stage, with cdk-nag and the template validation on. One file, so
 * the validator starts once (it takes seconds; every stage as deployed is checked by the shared
 * fixture of test/lib/stages.test.ts).
 */

describe('the compliance gate', () => {
  // One faulty stage carries both faults; each test requires its own finding as an *error* in
  // the validation report (a gate turned down to warnings would still put the text in the
  // message synth throws for the other fault).
  let thrown = false;
  let findings: string[] = [];
  beforeAll(() => {
    const { app, stages } = buildTestApp({ systems: ['csl'], stages: ['dev'] });
    new s3.Bucket(stages[0].app, 'UnloggedBucket', { enforceSSL: true });
    new CfnResource(stages[0].app, 'BadQueue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'forever' },
    });
    try {
      app.synth();
    } catch {
      thrown = true;
    }
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };
    findings = report.pluginReports.flatMap((r) =>
      r.violations.map((v) => `${r.pluginName} ${v.ruleName} ${v.severity}`),
    );
  });

  test('fails synth on an unacknowledged cdk-nag error', () => {
    expect(thrown).toBe(true);
    expect(findings).toEqual(expect.arrayContaining([expect.stringMatching(/ AwsSolutions-S1 error$/)]));
  });

  test('fails synth on a CloudFormation-validation error', () => {
    expect(thrown).toBe(true);
    // F3012: a value of the wrong type (VisibilityTimeout must be an integer).
    expect(findings).toContain('CloudFormation Validate F3012 error');
  });
});

/**
 * Per-service app secrets, on one stage with secrets added to config and the
 * cdk-nag gate on: the committed systems declare none, so the shared fixture cannot show them.
 */
describe('app secrets from existing Secrets Manager secrets', () => {
  const config = resolveStage(
    {
      ...csl,
      services: {
        ...csl.services,
        api: {
          ...csl.services.api,
          secrets: {
            MAIL_PASSWORD: { secretName: 'csl/dev/mail', jsonKey: 'password' },
            STRIPE_SECRET: {
              secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:csl/dev/stripe-AbCdEf',
              keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            },
          },
        },
        admin: { ...csl.services.admin, secrets: { NEXTAUTH_SECRET: { secretName: 'csl/dev/nextauth' } } },
      },
    },
    'dev',
  );
  const app = testApp();
  const [stage] = buildApp(app, [config]);
  let synthError: unknown;
  let template: Template;
  beforeAll(() => {
    try {
      app.synth();
    } catch (err) {
      synthError = err;
    }
    template = Template.fromStack(stage.app);
  });

  const container = (prefix: string) => {
    const [def] = Object.entries(template.findResources('AWS::ECS::TaskDefinition')).filter(([id]) =>
      id.startsWith(prefix),
    );
    return (
      def[1].Properties.ContainerDefinitions as { Name: string; Secrets?: { Name: string; ValueFrom: unknown }[] }[]
    )[0];
  };
  const secret = (prefix: string, name: string) =>
    JSON.stringify(container(prefix).Secrets?.find((s) => s.Name === name)?.ValueFrom);

  test('reach the container as ECS secrets, by name with a JSON key, or by ARN', () => {
    expect(secret('ApiApiTask', 'MAIL_PASSWORD')).toMatch(/secret:csl\/dev\/mail:password::/);
    expect(secret('ApiApiTask', 'STRIPE_SECRET')).toContain('secret:csl/dev/stripe-AbCdEf');
    // Every service of the Laravel image gets them: a queued mail is sent by the worker.
    expect(secret('ApiWorkerTask', 'MAIL_PASSWORD')).toMatch(/csl\/dev\/mail/);
    expect(secret('ApiMigrationTask', 'MAIL_PASSWORD')).toMatch(/csl\/dev\/mail/);
    expect(secret('AdminTask', 'NEXTAUTH_SECRET')).toMatch(/secret:csl\/dev\/nextauth/);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/hunter2/);
  });

  test('the execution role may decrypt through Secrets Manager only, for that secret only; with a named key, only that key', () => {
    const decrypts = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
      .filter((s) => s.Action === 'kms:Decrypt' && JSON.stringify(s.Condition).includes('SecretARN'));
    expect(decrypts).toHaveLength(4 * 2 + 1); // api, worker, scheduler and migration tasks: 2 each; admin: 1
    const mail = decrypts.find((s) => JSON.stringify(s.Condition).includes('csl/dev/mail'))!;
    expect(mail.Condition).toEqual({
      StringEquals: { 'kms:ViaService': expect.anything() },
      StringLike: { 'kms:EncryptionContext:SecretARN': expect.anything() },
    });
    expect(JSON.stringify(mail.Resource)).toContain(':key/*');
    expect(JSON.stringify(mail.Condition)).toContain('csl/dev/mail-??????');
    const stripe = decrypts.find((s) => JSON.stringify(s.Condition).includes('csl/dev/stripe'))!;
    expect(stripe.Resource).toBe('arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  });

  test('pass the cdk-nag gate with a reason for each wildcard', () => {
    expect(synthError).toBeUndefined();
    const report = path.join(app.outdir, 'validation-report.json');
    const violations = fs.existsSync(report)
      ? (
          JSON.parse(fs.readFileSync(report, 'utf8')) as { pluginReports: { violations: unknown[] }[] }
        ).pluginReports.flatMap((r) => r.violations)
      : [];
    expect(violations).toEqual([]);
  });
});
