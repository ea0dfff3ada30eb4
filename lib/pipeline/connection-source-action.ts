import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * The CodeConnections source action, with the permission AWS checks for the connection's ARN.
 * aws-cdk-lib 2.276 grants only `codestar-connections:UseConnection`; since the rename, a
 * connection whose ARN starts `arn:aws:codeconnections:` needs the `codeconnections:` action
 * ("the service prefix needs to match that of the resource": Developer Tools console user
 * guide, "Connections rename - Summary of changes").
 */
export class ConnectionSourceAction extends actions.CodeStarConnectionsSourceAction {
  constructor(private readonly connectionProps: actions.CodeStarConnectionsSourceActionProps) {
    super(connectionProps);
  }

  protected bound(
    scope: Construct,
    stage: codepipeline.IStage,
    options: codepipeline.ActionBindOptions,
  ): codepipeline.ActionConfig {
    const config = super.bound(scope, stage, options);
    const prefix = this.connectionProps.connectionArn.split(':')[2];
    options.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [`${prefix}:UseConnection`],
        resources: [this.connectionProps.connectionArn],
      }),
    );
    return config;
  }
}
