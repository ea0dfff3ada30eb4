import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';
import { handlerCode, type HandlerName } from './handlers';

/** Properties of {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /** The handler's folder under `lambda/` (bundled into `build/lambda/<handler>`). */
  readonly handler: HandlerName;
  /** What the function does, for the console. */
  readonly description: string;
  /** Its environment: where things are, never secrets. */
  readonly environment: Record<string, string>;
  /**
   * How long one invocation may run.
   *
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * The VPC to run in, for functions that reach private endpoints.
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Security groups, when in a VPC.
   *
   * @default - a group of its own that allows all outbound traffic, when in a VPC
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * A function running one of this project's handlers from `lambda/`, bundled ahead of synth by
 * `scripts/build-lambdas.mjs`: Node.js 24 on Graviton, its own log group with the tier's
 * retention, and X-Ray tracing.
 */
export class HandlerFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: handlerCode(props.handler),
      environment: props.environment,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
      securityGroups: props.securityGroups,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
    });
    acknowledge(
      this.role!,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The AWS-maintained basic execution policy lets the function write only its own logs.',
    );
    acknowledge(
      this.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace segments and telemetry have no resource-level permissions.',
    );
    if (props.vpc) {
      acknowledge(
        this.role!,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'The AWS-maintained VPC access policy manages the network interfaces of a function in the VPC, nothing else.',
      );
    }
  }
}
