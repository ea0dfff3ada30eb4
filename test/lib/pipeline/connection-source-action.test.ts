import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConnectionSourceAction } from '../../../lib/pipeline/connection-source-action';
import { bareStack } from '../../helpers';

// The pipeline-wide check on the real connection ARNs: action-roles.test.ts.

/** The statements of the source action's role, in a minimal pipeline on the given connection. */
function sourceRoleStatements(connectionArn: string): { Action: unknown; Resource: unknown }[] {
  const stack = bareStack();
  const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', { pipelineType: codepipeline.PipelineType.V2 });
  const output = new codepipeline.Artifact('Src');
  pipeline.addStage({
    stageName: 'Source',
    actions: [new ConnectionSourceAction({ actionName: 'Src', connectionArn, owner: 'org', repo: 'repo', output })],
  });
  pipeline.addStage({
    stageName: 'Next',
    actions: [new actions.ManualApprovalAction({ actionName: 'Wait', role: iam.Role.fromRoleName(stack, 'R', 'r') })],
  });
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const [source] = Object.entries(policies).filter(([id]) => id.startsWith('PipelineSourceSrcCodePipelineActionRole'));
  return source[1].Properties.PolicyDocument.Statement;
}

describe('ConnectionSourceAction', () => {
  test.each([
    ['arn:aws:codeconnections:eu-west-1:111111111111:connection/abc', 'codeconnections:UseConnection'],
    ['arn:aws:codestar-connections:eu-west-1:111111111111:connection/abc', 'codestar-connections:UseConnection'],
  ])('may use the connection %s with the service prefix of its ARN', (arn, action) => {
    const statements = sourceRoleStatements(arn);
    const allowed = statements.filter((st) => st.Resource === arn).flatMap((st) => ([] as unknown[]).concat(st.Action));
    expect(allowed).toContain(action);
  });
});
