import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ExternalDatabasePath } from '../network/external-database-path';
import { Network } from '../network/network';
import { natGatewayCount, pascal } from '../../config/names';
import { ServiceSecurityGroups } from '../network/service-security-groups';
import { removalPolicyFor } from '../shared/removal';
import { StageStack, type StageStackProps } from './stage-stack';

/** Properties of {@link NetworkStack}. */
export type NetworkStackProps = StageStackProps;

/** The network of one stage. Long-lived, but holds no data: only flow logs. */
export class NetworkStack extends StageStack {
  /** The stage's VPC and flow logs. */
  public readonly network: Network;
  /** One security group per service, for the data layer to admit. */
  public readonly serviceSecurityGroups: ServiceSecurityGroups;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.network = new Network(this, 'Network', {
      cidr: config.network.cidr,
      availabilityZones: config.availabilityZones,
      natGateways: natGatewayCount(config),
      nat: config.network.nat,
      interfaceEndpoints: config.network.interfaceEndpoints,
      flowLogRetention: config.network.flowLogRetentionDays as logs.RetentionDays,
      removalPolicy: removalPolicyFor(config),
    });
    // The route and name resolution of each external database; the data stack opens egress to it.
    for (const [name, db] of Object.entries(config.externalDatabases)) {
      new ExternalDatabasePath(this, `External${pascal(name)}`, {
        vpc: this.network.vpc,
        host: db.host,
        cidr: db.cidr,
        route: db.route,
        dns: db.dns,
      });
    }
    this.serviceSecurityGroups = new ServiceSecurityGroups(this, 'ServiceSecurityGroups', {
      vpc: this.network.vpc,
      services: Object.keys(config.services),
    });
  }
}
