import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';
import type { Wiring } from './wiring';

/** Where the ECS Exec agent (the managed SSM agent) writes inside a container. */
const EXEC_AGENT_PATHS = ['/var/lib/amazon/ssm', '/var/log/amazon/ssm'];

/** A container of an {@link AppTask}. */
export interface AppContainerOptions {
  /** The image to run. */
  readonly image: ecs.ContainerImage;
  /**
   * Command override.
   *
   * @default - the image's own command
   */
  readonly command?: string[];
  /**
   * Port the container listens on, if any.
   *
   * @default - no port mapping
   */
  readonly port?: number;
  /**
   * User the process runs as.
   *
   * @default - the image's user
   */
  readonly user?: string;
  /** Read-only root file system with writable scratch volumes at `scratchPaths`. */
  readonly readonlyRootFilesystem: boolean;
  /** Paths the process writes to; each gets an ephemeral task volume. */
  readonly scratchPaths: string[];
  /**
   * Container health check command (`CMD-SHELL` form).
   *
   * @default - no container health check
   */
  readonly healthCheck?: string;
  /**
   * Seconds ECS waits after SIGTERM before SIGKILL (at most 120 on Fargate).
   *
   * @default - ECS's default, 30 seconds
   */
  readonly stopTimeout?: Duration;
}

/** Properties of {@link AppTask}. */
export interface AppTaskProps {
  /** CPU units of the task. */
  readonly cpu: number;
  /** Memory of the task. */
  readonly memoryMiB: number;
  /** The application container. */
  readonly app: AppContainerOptions;
  /**
   * A web-server sidecar (nginx in front of PHP-FPM); it receives the traffic.
   *
   * @default - none: the application container receives the traffic
   */
  readonly sidecar?: AppContainerOptions;
  /** Environment, secrets and grants of the application container. */
  readonly wiring: Wiring;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * A Fargate task definition for one service: the application container with its wiring,
 * optionally an nginx sidecar that takes the traffic, both logging to one group, both
 * non-root and read-only where the image allows, with scratch volumes for what they write.
 */
export class AppTask extends Construct {
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container. */
  public readonly app: ecs.ContainerDefinition;
  /** The container the load balancer sends traffic to: the sidecar when there is one. */
  public readonly web: ecs.ContainerDefinition;
  /** Where the containers log. */
  public readonly logGroup: logs.LogGroup;
  private execEnabled = false;
  /** Containers with a read-only root file system. */
  private readonly readOnly = new Set<ecs.ContainerDefinition>();

  constructor(scope: Construct, id: string, props: AppTaskProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Resource', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    props.wiring.grant(this.taskDefinition.taskRole);
    props.wiring.grantExecution(this.taskDefinition.obtainExecutionRole());

    this.app = this.addContainer('App', props.app, props.wiring);
    this.web = props.sidecar ? this.addContainer('Web', props.sidecar) : this.app;
    if (props.sidecar) {
      // nginx passes requests to PHP-FPM on localhost:9000; start it once FPM runs.
      this.web.addContainerDependencies({ container: this.app, condition: ecs.ContainerDependencyCondition.HEALTHY });
    }
    acknowledge(
      this.taskDefinition.obtainExecutionRole(),
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and secret reads are scoped to their repositories and secrets.',
    );
    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'Plain environment variables hold only non-secret settings (hosts, ports, names); every password and key is an ECS secret from Secrets Manager.',
    );
  }

  /**
   * Prepares the task for ECS Exec, for a service that enables it. The managed SSM agent writes
   * to `/var/lib/amazon/ssm` and `/var/log/amazon/ssm` and crashes on a read-only root file
   * system (aws/containers-roadmap#1359; the workaround there is writable volumes at these
   * paths), so every read-only container gets scratch volumes for them. Call it only where Exec
   * is on: the volumes are unused otherwise.
   */
  public enableExec(): void {
    if (this.execEnabled) return;
    this.execEnabled = true;
    for (const container of this.readOnly) {
      EXEC_AGENT_PATHS.forEach((path, i) => {
        const volume = `${container.containerName.toLowerCase()}-ssm-${i}`;
        this.taskDefinition.addVolume({ name: volume });
        container.addMountPoints({ containerPath: path, sourceVolume: volume, readOnly: false });
      });
    }
    acknowledge(
      this.taskDefinition.taskRole,
      'AwsSolutions-IAM5[Resource::*]',
      "ECS Exec's ssmmessages channel actions have no resource-level permissions; operators use it to reach the private RabbitMQ console and run artisan.",
    );
  }

  private addContainer(name: string, options: AppContainerOptions, wiring?: Wiring): ecs.ContainerDefinition {
    const container = this.taskDefinition.addContainer(name, {
      image: options.image,
      command: options.command,
      user: options.user,
      readonlyRootFilesystem: options.readonlyRootFilesystem,
      essential: true,
      environment: wiring?.environment,
      secrets: wiring?.secrets,
      stopTimeout: options.stopTimeout,
      portMappings: options.port ? [{ containerPort: options.port, protocol: ecs.Protocol.TCP }] : undefined,
      healthCheck: options.healthCheck
        ? {
            command: ['CMD-SHELL', options.healthCheck],
            interval: Duration.seconds(15),
            timeout: Duration.seconds(5),
            retries: 3,
            startPeriod: Duration.seconds(30),
          }
        : undefined,
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: name.toLowerCase(),
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      }),
    });
    if (options.readonlyRootFilesystem) this.readOnly.add(container);
    options.scratchPaths.forEach((path, i) => {
      const volume = `${name.toLowerCase()}-scratch-${i}`;
      this.taskDefinition.addVolume({ name: volume });
      container.addMountPoints({ containerPath: path, sourceVolume: volume, readOnly: false });
    });
    return container;
  }
}
