import { Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { createHash } from 'crypto';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeAwsCustomResourceProvider } from '../shared/nag';

/** Properties of {@link LoadBalancer}. */
export interface LoadBalancerProps {
  /** The VPC; the load balancer sits in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** Every host the load balancer routes; the certificate covers them all. */
  readonly hosts: string[];
  /** Zone the certificate is validated in. */
  readonly hostedZone: route53.IHostedZone;
  /** Bucket for access logs. */
  readonly accessLogBucket: s3.IBucket;
  /**
   * Deletion protection.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/** The AWS-managed prefix list of CloudFront's origin-facing addresses. */
export const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing';

/**
 * The id of {@link CLOUDFRONT_ORIGIN_FACING} in this stack's region, looked up when the stack
 * deploys (the id differs per region, and synth makes no lookups).
 *
 * Why the prefix list and not the VPC range or `CloudFront-VPCOrigins-Service-SG`: the VPC range
 * admits every task and instance in the VPC, past CloudFront and its WAF. The service security
 * group is created by CloudFront in the VPC when the first VPC origin is, which happens in the
 * edge stack after this one deploys, so no rule here can name it. CloudFront's VPC-origin
 * guide recommends the origin-facing prefix list until that group exists. The list weighs 55
 * rules against a security group's default quota of 60 (Amazon VPC user guide, "AWS-managed
 * prefix lists"), so only 443 takes it: CloudFront reaches the origin over HTTPS only.
 */
function cloudFrontOriginFacing(scope: Construct): string {
  const lookup = new cr.AwsCustomResource(scope, 'CloudFrontPrefixList', {
    onUpdate: {
      service: 'EC2',
      action: 'describeManagedPrefixLists',
      parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING] }] },
      physicalResourceId: cr.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING),
      outputPaths: ['PrefixLists.0.PrefixListId'],
    },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
  });
  acknowledge(
    lookup,
    'AwsSolutions-IAM5[Resource::*]',
    'ec2:DescribeManagedPrefixLists has no resource-level permissions; the lookup only reads.',
  );
  acknowledgeAwsCustomResourceProvider(Stack.of(scope));
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}

/** The port of the test listener CodeDeploy sends green's test traffic to. */
export const TEST_LISTENER_PORT = 8443;

/** The two target groups of a service, between which CodeDeploy moves traffic. */
export interface BlueGreenTargets {
  /** Receives production traffic before the first deployment. */
  readonly blue: elbv2.ApplicationTargetGroup;
  /** Receives test traffic, and production traffic once a deployment shifts it. */
  readonly green: elbv2.ApplicationTargetGroup;
}

/** One service behind the load balancer. */
export interface LoadBalancerTarget {
  /** The service's name, for ids and descriptions. */
  readonly name: string;
  /** The host name routed to it. */
  readonly host: string;
  /** Container port. */
  readonly port: number;
  /** Health-check path. */
  readonly healthCheckPath: string;
  /** How long a deregistered task keeps draining. */
  readonly deregistrationDelay: Duration;
  /**
   * The listener rule priority of the host, for the rare host whose hash collides with another's.
   *
   * @default - derived from the host name, see {@link listenerPriority}
   */
  readonly priority?: number;
}

/** ALB listener rule priorities run from 1 to 50000 (ELB API reference, CreateRule). */
const MAX_PRIORITY = 50000;

/**
 * The listener rule priority of a host: a hash of the host name, so it never depends on the
 * order of services in config. After the first blue/green swap CodeDeploy, not CloudFormation,
 * decides which target group a rule forwards to; a rule whose priority moved to another host
 * would send that host's live traffic to the wrong, possibly empty, target group. Adding,
 * removing or reordering services therefore never changes an existing rule's priority.
 */
export function listenerPriority(host: string): number {
  const digest = createHash('sha256').update(host.toLowerCase()).digest();
  return (digest.readUInt32BE(0) % MAX_PRIORITY) + 1;
}

/**
 * The application load balancer of a stage, replacing the seeds' Nginx/HAProxy and certbot.
 *
 * It is internal: CloudFront reaches it through a VPC origin, and its security group admits 443
 * from CloudFront's origin-facing prefix list only, so nothing in the VPC reaches it around the
 * CDN and its WAF. Port 80 admits nobody: CloudFront talks HTTPS to the origin. HTTPS with an ACM
 * certificate DNS-validated in the stage's zone and a TLS 1.3 policy; HTTP redirects to HTTPS;
 * invalid header fields are dropped; access logs go to the log bucket; one host rule per service.
 *
 * For blue/green deployments every service has two target groups and a second HTTPS listener
 * on 8443, the test listener, which routes each host to the green group. It admits only the
 * security groups given to {@link allowTestTrafficFrom} (the smoke tests).
 */
export class LoadBalancer extends Construct {
  /** The load balancer. */
  public readonly alb: elbv2.ApplicationLoadBalancer;
  /** The HTTPS listener on 443: production traffic. */
  public readonly https: elbv2.ApplicationListener;
  /** The HTTPS listener on 8443: test traffic to green during a deployment. */
  public readonly test: elbv2.ApplicationListener;
  /** The regional certificate for every host. */
  public readonly certificate: acm.Certificate;
  private readonly vpc: ec2.IVpc;
  /** Hosts by the priority their rules hold. */
  private readonly priorities = new Map<number, string>();

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    if (props.hosts.length === 0)
      throw new Error(`${this.node.path}: hosts is empty; a load balancer needs a host to route`);
    this.vpc = props.vpc;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${this.node.path}: HTTPS from CloudFront only`,
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(
      ec2.Peer.prefixList(cloudFrontOriginFacing(this)),
      ec2.Port.tcp(443),
      'HTTPS from CloudFront (VPC origin) only',
    );

    this.alb = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      internetFacing: false,
      securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? true,
      http2Enabled: true,
      idleTimeout: Duration.seconds(60),
    });
    this.alb.logAccessLogs(props.accessLogBucket, 'alb');

    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.hosts[0],
      subjectAlternativeNames: props.hosts.slice(1),
      validation: acm.CertificateValidation.fromDns(props.hostedZone),
    });

    const httpsListener = (id: string, port: number) =>
      this.alb.addListener(id, {
        port,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [this.certificate],
        sslPolicy: elbv2.SslPolicy.TLS13_12_RES_PQ,
        open: false,
        defaultAction: elbv2.ListenerAction.fixedResponse(404, {
          contentType: 'text/plain',
          messageBody: 'Unknown host',
        }),
      });
    this.https = httpsListener('Https', 443);
    this.test = httpsListener('Test', TEST_LISTENER_PORT);
    this.alb.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
  }

  /** Lets a trusted source (a smoke-test function) reach the test listener. */
  public allowTestTrafficFrom(peer: ec2.IConnectable, description: string): void {
    this.alb.connections.allowFrom(peer, ec2.Port.tcp(TEST_LISTENER_PORT), description);
  }

  /**
   * Creates the blue and green target groups of a service and routes its host to them: the
   * production listener to blue, the test listener to green. CodeDeploy swaps them on deploy.
   */
  public addTarget(target: LoadBalancerTarget): BlueGreenTargets {
    const group = (color: string) =>
      new elbv2.ApplicationTargetGroup(this, `${target.name}${color}`, {
        vpc: this.vpc,
        port: target.port,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: target.deregistrationDelay,
        // Fast, strict checks so a deploy moves on quickly and a bad task leaves quickly.
        healthCheck: {
          path: target.healthCheckPath,
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 3,
          healthyHttpCodes: '200-399',
        },
      });
    const targets = { blue: group('Blue'), green: group('Green') };
    const priority = target.priority ?? listenerPriority(target.host);
    const holder = this.priorities.get(priority);
    if (holder !== undefined) {
      throw new Error(
        `${this.node.path}: ${target.host} and ${holder} both get listener priority ${priority}; give ${target.host} an explicit priority (one no other host uses), never change ${holder}'s`,
      );
    }
    this.priorities.set(priority, target.host);
    const conditions = [elbv2.ListenerCondition.hostHeaders([target.host])];
    this.https.addTargetGroups(target.name, { priority, conditions, targetGroups: [targets.blue] });
    this.test.addTargetGroups(`${target.name}Test`, {
      priority,
      conditions,
      targetGroups: [targets.green],
    });
    return targets;
  }
}
