import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { pascal } from '../../config/names';

/** Properties of {@link ExternalDatabase}. */
export interface ExternalDatabaseProps {
  /** `mysql` or `postgres`, for `<PREFIX>_CONNECTION`. */
  readonly engine: 'mysql' | 'postgres';
  /** Host name the services connect to. */
  readonly host: string;
  /** Port the database listens on. */
  readonly port: number;
  /** Database name. */
  readonly database: string;
  /** Address range of the host: the only destination the egress rule opens. */
  readonly cidr: string;
  /** An existing secret with `username` and `password` of a read-only user. */
  readonly credentials: { readonly secretName: string } | { readonly secretArn: string };
  /** Laravel variable prefix, e.g. `DOLIBARR_DB` for `DOLIBARR_DB_HOST`. */
  readonly envPrefix: string;
}

/**
 * A database this system reads but does not own, such as ShipmentApp's Dolibarr ERP: its
 * coordinates, the existing secret with read-only credentials, and one egress rule per
 * consumer to that host's range and port only. Nothing here creates or changes the database.
 */
export class ExternalDatabase extends Construct {
  /** The read-only credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** Host name. */
  public readonly host: string;
  /** Port. */
  public readonly port: number;
  /** Database name. */
  public readonly database: string;
  /** `mysql` or `postgres`. */
  public readonly engine: 'mysql' | 'postgres';
  /** Laravel variable prefix. */
  public readonly envPrefix: string;
  private readonly cidr: string;

  constructor(scope: Construct, id: string, props: ExternalDatabaseProps) {
    super(scope, id);
    this.host = props.host;
    this.port = props.port;
    this.database = props.database;
    this.engine = props.engine;
    this.envPrefix = props.envPrefix;
    this.cidr = props.cidr;
    this.secret =
      'secretArn' in props.credentials
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'Credentials', props.credentials.secretArn)
        : secretsmanager.Secret.fromSecretNameV2(this, 'Credentials', props.credentials.secretName);
  }

  /**
   * Opens egress from a consumer's security group to this database's range and port. The rule
   * lives here, not in the consumer's stack, so the consumer's template does not change when a
   * system gains or loses an external database.
   */
  public allowFrom(group: ec2.ISecurityGroup, service: string): void {
    new ec2.CfnSecurityGroupEgress(this, `EgressFrom${pascal(service)}`, {
      groupId: group.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: this.port,
      toPort: this.port,
      cidrIp: this.cidr,
      description: `${service} to ${this.node.id} (${this.host}:${this.port}), read-only`,
    });
  }
}
