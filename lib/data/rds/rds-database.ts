import { type CfnResource, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { APP_USERNAME } from './app-users';
import { acknowledge } from '../../shared/nag';

/** Characters kept out of generated passwords: they break DSNs, shells or `.env` files. */
export const PASSWORD_EXCLUDE = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\=,';

/** Properties shared by {@link MysqlDatabase} and {@link PostgresDatabase}. */
export interface RdsDatabaseProps {
  /** The VPC; instances go in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Instance class without the `db.` prefix, e.g. `t4g.medium`. */
  readonly instanceType: string;
  /** The database Laravel connects to. */
  readonly databaseName: string;
  /** Key that encrypts storage, the credentials secret and Performance Insights. */
  readonly encryptionKey: kms.IKey;
  /**
   * Full engine version, e.g. `8.4.8` or `15.15`.
   */
  readonly engineVersion: string;
  /**
   * RDS Extended Support enrolment. Required for a major version past RDS standard support
   * (MySQL 8.0 after 31 July 2026), which RDS enrols in paid Extended Support from day one.
   *
   * @default - RDS's default for the version
   */
  readonly engineLifecycleSupport?: rds.EngineLifecycleSupport;
  /**
   * Port the database listens on.
   *
   * @default - the engine's default port
   */
  readonly port?: number;
  /**
   * A standby in a second zone.
   *
   * @default false
   */
  readonly multiAz?: boolean;
  /**
   * Initial storage.
   *
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Ceiling for storage autoscaling; at least `allocatedStorageGiB` (config validates it).
   *
   * @default - twice the allocated storage
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * How long automated backups are kept.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * Deletion protection on every instance.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the primary when it leaves the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the log groups the engine logs are exported to.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** What an engine-specific subclass supplies. */
export interface EngineSettings {
  readonly engine: rds.IInstanceEngine;
  readonly defaultPort: number;
  /** Parameters of the instance parameter group; TLS enforcement among them. */
  readonly parameters: Record<string, string>;
  /** Engine logs exported to CloudWatch Logs. */
  readonly logExports: string[];
  /** Master user name; never used by the application once it has its own user. */
  readonly masterUsername: string;
}

/**
 * An RDS instance to production standards: isolated subnets, its own security group with no
 * ingress until a consumer is admitted, encrypted with a customer-managed key, TLS enforced by
 * parameter, generated master credentials in Secrets Manager with rotation, IAM database
 * authentication, enhanced monitoring, Performance Insights where the class supports it, and
 * engine logs in CloudWatch.
 */
export abstract class RdsDatabase extends Construct implements ec2.IConnectable {
  /** The primary (writer) instance. */
  public readonly primary: rds.DatabaseInstance;
  /** Generated master credentials: `username`, `password`, `host`, `port`, `dbname`. Deploy path only. */
  public readonly secret: secretsmanager.ISecret;
  /** The application user's credentials (`app` or `app_clone`, alternating at each rotation). */
  public readonly appSecret: secretsmanager.ISecret;
  /** The multi-user rotation of {@link appSecret}. */
  public readonly appRotation: secretsmanager.SecretRotation;
  /** The group every instance of this database shares. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The port the database listens on. */
  public readonly port: number;
  /** The database Laravel connects to. */
  public readonly databaseName: string;
  /** Network access to the database. */
  public readonly connections: ec2.Connections;

  protected readonly subnetGroup: rds.SubnetGroup;
  protected readonly parameterGroup: rds.ParameterGroup;
  protected readonly settings: EngineSettings;
  protected readonly monitoringInterval = Duration.seconds(60);
  /** The role the enhanced-monitoring agent of every instance uses. */
  protected readonly monitoringRole: iam.Role;
  /** What every instance of this database shares: the primary and each read replica. */
  protected readonly sharedInstanceProps: Pick<
    rds.DatabaseInstanceReadReplicaProps,
    | 'instanceType'
    | 'vpc'
    | 'subnetGroup'
    | 'securityGroups'
    | 'port'
    | 'parameterGroup'
    | 'cloudwatchLogsExports'
    | 'cloudwatchLogsRetention'
    | 'monitoringInterval'
    | 'monitoringRole'
    | 'enablePerformanceInsights'
    | 'performanceInsightEncryptionKey'
    | 'performanceInsightRetention'
    | 'iamAuthentication'
    | 'autoMinorVersionUpgrade'
    | 'publiclyAccessible'
    | 'caCertificate'
    | 'deletionProtection'
    | 'storageType'
    | 'maxAllocatedStorage'
    | 'engineLifecycleSupport'
  >;

  constructor(scope: Construct, id: string, props: RdsDatabaseProps, settings: EngineSettings) {
    super(scope, id);
    this.settings = settings;
    this.port = props.port ?? settings.defaultPort;
    this.databaseName = props.databaseName;
    const allocatedStorage = props.allocatedStorageGiB ?? 20;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    // Subnet and parameter groups have no snapshot; keep them whenever the instance is kept.
    const supportRemoval = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: admits only the services that use this database`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(this.port),
    });
    this.subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      description: `${this.node.path}: isolated subnets`,
      removalPolicy: supportRemoval,
    });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: settings.engine,
      description: `${this.node.path}: TLS required`,
      parameters: settings.parameters,
      removalPolicy: supportRemoval,
    });
    this.monitoringRole = this.createMonitoringRole();
    this.sharedInstanceProps = this.instanceDefaults(props, allocatedStorage);
    this.primary = this.createPrimary(props, allocatedStorage, removalPolicy);
    this.secret = this.primary.secret!;
    // `primary.secret` is the attachment; the generated secret itself is the instance's child `Secret`.
    retainAndPinSecret(this.primary.node.findChild('Secret') as secretsmanager.ISecret, removalPolicy);
    this.acknowledgeNoDeletionProtection(this.primary);
    this.rotateMasterPassword();
    const app = this.addAppUser(props);
    this.appSecret = app.secret;
    this.appRotation = app.rotation;
  }

  /** The role the enhanced-monitoring agent of every instance uses. */
  private createMonitoringRole(): iam.Role {
    const role = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'The AWS-maintained policy of the RDS monitoring agent: it only writes the RDSOSMetrics log group, and AWS keeps it current.',
    );
    return role;
  }

  /**
   * What the primary and every read replica share. The autoscaling ceiling (config validates
   * it is at least the allocated storage) defaults to twice the allocation.
   */
  private instanceDefaults(props: RdsDatabaseProps, allocatedStorage: number): RdsDatabase['sharedInstanceProps'] {
    return {
      instanceType: new ec2.InstanceType(props.instanceType),
      vpc: props.vpc,
      subnetGroup: this.subnetGroup,
      securityGroups: [this.securityGroup],
      port: this.port,
      parameterGroup: this.parameterGroup,
      cloudwatchLogsExports: this.settings.logExports,
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      monitoringInterval: this.monitoringInterval,
      monitoringRole: this.monitoringRole,
      ...performanceInsights(props.instanceType, props.encryptionKey),
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      deletionProtection: props.deletionProtection ?? true,
      // Replicas share the primary's storage type and autoscaling ceiling: a replica that stays
      // smaller than a grown primary runs out of space and stops replicating.
      storageType: rds.StorageType.GP3,
      maxAllocatedStorage: props.maxAllocatedStorageGiB ?? allocatedStorage * 2,
      engineLifecycleSupport: props.engineLifecycleSupport,
    };
  }

  /** The writer, with generated master credentials encrypted with the data key. */
  private createPrimary(
    props: RdsDatabaseProps,
    allocatedStorage: number,
    removalPolicy: RemovalPolicy,
  ): rds.DatabaseInstance {
    return new rds.DatabaseInstance(this, 'Primary', {
      ...this.sharedInstanceProps,
      engine: this.settings.engine,
      databaseName: props.databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(this.settings.masterUsername, {
        encryptionKey: props.encryptionKey,
        excludeCharacters: PASSWORD_EXCLUDE,
      }),
      multiAz: props.multiAz ?? false,
      allocatedStorage,
      // A new major version in config (MySQL 8.0 -> 8.4) is an in-place upgrade, which RDS
      // refuses without this; CloudFormation does not replace the instance for it.
      allowMajorVersionUpgrade: true,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      backupRetention: props.backupRetention ?? Duration.days(7),
      preferredBackupWindow: '02:00-03:00',
      preferredMaintenanceWindow: 'sun:03:30-sun:04:30',
      copyTagsToSnapshot: true,
      removalPolicy,
    });
  }

  /**
   * The master user is for the deploy path only (it creates the app user); nothing keeps a
   * session with it, so swapping its password in place is safe.
   */
  private rotateMasterPassword(): void {
    this.primary.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      excludeCharacters: PASSWORD_EXCLUDE,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
  }

  /**
   * The application's own user. PHP-FPM opens a connection per request with the password the
   * task got at start, so the password a running task holds must outlive a rotation: the
   * multi-user scheme (SecretsManagerRDS<Engine>RotationMultiUser) alternates between `app`
   * and `app_clone` and changes the password of the user that is not current, so credentials
   * stay valid until the rotation after next; a refresh replaces tasks in between.
   */
  private addAppUser(props: RdsDatabaseProps): {
    secret: secretsmanager.ISecret;
    rotation: secretsmanager.SecretRotation;
  } {
    const secret = new rds.DatabaseSecret(this, 'AppUserSecret', {
      username: APP_USERNAME,
      dbname: props.databaseName,
      masterSecret: this.secret,
      encryptionKey: props.encryptionKey,
      excludeCharacters: PASSWORD_EXCLUDE,
    }).attach(this.primary);
    const rotation = this.primary.addRotationMultiUser('AppUserRotation', {
      secret,
      automaticallyAfter: Duration.days(30),
      excludeCharacters: PASSWORD_EXCLUDE,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      // The user exists only once the next deployment's migration task has created it; an
      // immediate rotation would find no user to log in as and fail.
      rotateImmediatelyOnUpdate: false,
    });
    return { secret, rotation };
  }

  /** Explains, where the tier turns it off, why an instance has no deletion protection. */
  protected acknowledgeNoDeletionProtection(instance: rds.IDatabaseInstance): void {
    if (this.sharedInstanceProps.deletionProtection) return;
    acknowledge(
      instance,
      'AwsSolutions-RDS10',
      'Deletion protection is off only where the tier is disposable (dev); config requires it in prod.',
    );
  }

  /** The writer's host name. */
  public get endpoint(): string {
    return this.primary.dbInstanceEndpointAddress;
  }

  /** Admits a consumer (a service's security group) on the database port, and only that. */
  public allowFrom(peer: ec2.IConnectable, description: string): void {
    this.connections.allowDefaultPortFrom(peer, description);
  }
}

/**
 * Performance Insights settings for an instance class: on (encrypted with the data key, free
 * 7-day retention) where RDS supports it; the micro and small burstable classes do not.
 */
export function performanceInsights(
  instanceType: string,
  key: kms.IKey,
): Pick<
  rds.DatabaseInstanceProps,
  'enablePerformanceInsights' | 'performanceInsightEncryptionKey' | 'performanceInsightRetention'
> {
  if (/^(t2|t3|t4g)\.(micro|small)$/.test(instanceType)) return { enablePerformanceInsights: false };
  return {
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: key,
    performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
  };
}

/**
 * The suffix aws-cdk-lib appended to the master secret's logical id for the password rules in
 * force when the stages were first deployed (an MD5 of `excludeCharacters`). Frozen here: with
 * the rules hashed into it, editing `PASSWORD_EXCLUDE` would give the secret a new logical id,
 * and CloudFormation would create a new secret and delete the one holding the live password.
 */
const PINNED_SECRET_SUFFIX = '66905d114b490ab05376098d3e4b4671';

/**
 * Keeps the master secret when the instance is kept (`RemovalPolicy.SNAPSHOT` or `RETAIN`): a
 * restored snapshot still has that password. And pins its logical id to the one deployed today
 * (`<unique id><suffix>`), so a change of the password rules no longer moves it.
 */
function retainAndPinSecret(secret: secretsmanager.ISecret, removalPolicy: RemovalPolicy): void {
  secret.applyRemovalPolicy(removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
  const cfn = secret.node.defaultChild as CfnResource;
  cfn.overrideLogicalId(`${Names.uniqueId(secret)}${PINNED_SECRET_SUFFIX}`.slice(-255));
}
