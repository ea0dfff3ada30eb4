import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../shared/nag';

/** Properties of {@link RabbitmqBroker}. */
export interface RabbitmqBrokerProps {
  /** The VPC; the broker goes in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Key that encrypts the credentials secret. */
  readonly encryptionKey: kms.IKey;
  /** Engine version, e.g. `3.13`. */
  readonly engineVersion: string;
  /** Broker instance type, e.g. `mq.m5.large`. */
  readonly instanceType: string;
  /**
   * One instance, or a three-node cluster across zones.
   *
   * @default 'CLUSTER_MULTI_AZ'
   */
  readonly deploymentMode?: 'SINGLE_INSTANCE' | 'CLUSTER_MULTI_AZ';
  /**
   * The broker's name, unique per account and region. Changing it replaces the broker, so it is
   * given, never derived from the construct path (which a refactor may move).
   */
  readonly brokerName: string;
  /**
   * The application user's name.
   *
   * @default 'laravel'
   */
  readonly username?: string;
  /**
   * What happens to the broker when it leaves the stack. Brokers have no snapshot.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Amazon MQ for RabbitMQ, replacing the seeds' `rabbitmq:3-management` container: private (no
 * public endpoint), AMQP over TLS on 5671, the application user's password generated in Secrets
 * Manager and passed by dynamic reference so it never appears in a template, general logs to
 * CloudWatch. The management UI is served by the broker on 443 inside the VPC.
 */
export class RabbitmqBroker extends Construct implements ec2.IConnectable {
  /** The broker. */
  public readonly broker: amazonmq.CfnBroker;
  /** The application user: JSON keys `username` and `password`. */
  public readonly secret: secretsmanager.Secret;
  /** The group the broker uses. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access to the broker. */
  public readonly connections: ec2.Connections;
  /** AMQPS port. */
  public readonly port = 5671;

  constructor(scope: Construct, id: string, props: RabbitmqBrokerProps) {
    super(scope, id);
    const deploymentMode = props.deploymentMode ?? 'CLUSTER_MULTI_AZ';
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const username = props.username ?? 'laravel';
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds;

    if (deploymentMode === 'CLUSTER_MULTI_AZ' && subnets.length < 2) {
      throw new Error(`${this.node.path}: CLUSTER_MULTI_AZ needs isolated subnets in at least two zones`);
    }
    if (removalPolicy === RemovalPolicy.SNAPSHOT) {
      throw new Error(`${this.node.path}: Amazon MQ brokers have no snapshot; use RETAIN or DESTROY`);
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: admits only the services that use this broker`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(this.port),
    });

    this.secret = new secretsmanager.Secret(this, 'Credentials', {
      description: `${this.node.path}: RabbitMQ application user (RABBITMQ_USER / RABBITMQ_PASSWORD)`,
      encryptionKey: props.encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username }),
        generateStringKey: 'password',
        // Amazon MQ refuses commas, colons and equals signs; the rest are kept out of URLs.
        excludePunctuation: true,
        passwordLength: 32,
      },
      removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Amazon MQ has no managed rotation; a password change is a broker user update, done by hand with a maintenance window (see README).',
    );

    this.broker = new amazonmq.CfnBroker(this, 'Resource', {
      brokerName: props.brokerName,
      engineType: 'RABBITMQ',
      engineVersion: props.engineVersion,
      hostInstanceType: props.instanceType,
      deploymentMode,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: deploymentMode === 'SINGLE_INSTANCE' ? [subnets[0]] : subnets,
      securityGroups: [this.securityGroup.securityGroupId],
      users: [
        {
          username,
          password: this.secret.secretValueFromJson('password').unsafeUnwrap(),
        },
      ],
      logs: { general: true },
      maintenanceWindowStartTime: { dayOfWeek: 'SUNDAY', timeOfDay: '04:00', timeZone: 'UTC' },
    });
    this.broker.applyRemovalPolicy(removalPolicy);
  }

  /** The broker's host name (AMQPS on 5671, management UI on 443). */
  public get endpoint(): string {
    return `${this.broker.attrId}.mq.${Aws.REGION}.${Aws.URL_SUFFIX}`;
  }

  /** Admits a consumer (a service's security group) on AMQPS and nothing else. */
  public allowFrom(peer: ec2.IConnectable, description: string): void {
    this.connections.allowDefaultPortFrom(peer, description);
  }
}
