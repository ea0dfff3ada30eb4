import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { HandlerFunction } from '../../lib/deployment/handler-function';
import { bareStack } from '../helpers';
import { pipelineTemplate } from './pipeline/pipeline-template';

const root = path.resolve(__dirname, '..', '..');

/** The Node.js major `.ci/run` tests on (`NODE_MAJOR=24`). */
const testedMajor = Number(/^NODE_MAJOR=(\d+)$/m.exec(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'))![1]);

describe('one Node.js major from the tests to the pipeline and the handlers', () => {
  test('package.json admits the tested major and nothing past its end of life (Node.js 20 ended in April 2026)', () => {
    const engines = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines.node as string;
    const lowest = Number(/^>=(\d+)$/.exec(engines)![1]);
    expect(lowest).toBeGreaterThanOrEqual(22);
    expect(lowest).toBeLessThanOrEqual(testedMajor);
  });

  test('every CodeBuild step that runs this repository installs the tested major', () => {
    const projects = pipelineTemplate('csl').findResources('AWS::CodeBuild::Project');
    const majors = Object.values(projects)
      .map((p) => JSON.parse(p.Properties.Source.BuildSpec as string))
      .map((spec) => spec.phases?.install?.['runtime-versions']?.nodejs)
      .filter((v) => v !== undefined);
    expect(majors.length).toBeGreaterThan(0);
    expect(new Set(majors)).toEqual(new Set([String(testedMajor)]));
  });

  test("the handlers run on the tested major's Lambda runtime", () => {
    const stack = bareStack();
    new HandlerFunction(stack, 'Fn', { handler: 'smoke-test', description: 'x', environment: {}, logRetention: 14 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: `nodejs${testedMajor}.x` });
  });
});
