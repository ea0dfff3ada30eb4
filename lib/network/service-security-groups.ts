import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { pascal } from '../../config/names';

/** Properties of {@link ServiceSecurityGroups}. */
export interface ServiceSecurityGroupsProps {
  /** The VPC the services run in. */
  readonly vpc: ec2.IVpc;
  /** Names of the services, one group each. */
  readonly services: string[];
}

/** Finds the security group of a service by name. */
export interface SecurityGroupLookup {
  /**
   * The security group of one service.
   *
   * @throws when the service has no group
   */
  of(service: string): ec2.ISecurityGroup;
}

/**
 * One security group per service, created ahead of the services so the data layer can admit
 * exactly the services that use each store while references still flow network → data → app.
 *
 * Outbound traffic is closed except HTTPS (AWS APIs, ECR, Secrets Manager, S3); the data layer
 * opens each store's port, and each external database's, to the services that use them.
 */
export class ServiceSecurityGroups extends Construct implements SecurityGroupLookup {
  private readonly groups = new Map<string, ec2.SecurityGroup>();

  constructor(scope: Construct, id: string, props: ServiceSecurityGroupsProps) {
    super(scope, id);
    for (const service of props.services) {
      const group = new ec2.SecurityGroup(this, pascal(service), {
        vpc: props.vpc,
        description: `Tasks of the ${service} service`,
        allowAllOutbound: false,
      });
      group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and public endpoints');
      this.groups.set(service, group);
    }
  }

  /** Names of the services that have a group. */
  public get services(): string[] {
    return [...this.groups.keys()];
  }

  /**
   * The security group of one service.
   *
   * @throws when the service has no group
   */
  public of(service: string): ec2.SecurityGroup {
    const group = this.groups.get(service);
    if (!group) {
      throw new Error(`ServiceSecurityGroups: no group for service '${service}' (known: ${this.services.join(', ')})`);
    }
    return group;
  }

  /**
   * The same groups as references owned by `scope`. Rules that a later stack adds to them (the
   * load balancer admitting a service) are then created in that stack, which depends on the
   * network stack, instead of in the network stack, which would then depend on it: a cycle.
   */
  public importedInto(scope: Construct): SecurityGroupLookup {
    const imported = new Map<string, ec2.ISecurityGroup>();
    return {
      of: (service: string) => {
        let group = imported.get(service);
        if (!group) {
          group = ec2.SecurityGroup.fromSecurityGroupId(
            scope,
            `${pascal(service)}SecurityGroup`,
            this.of(service).securityGroupId,
            {
              allowAllOutbound: false,
            },
          );
          imported.set(service, group);
        }
        return group;
      },
    };
  }
}
