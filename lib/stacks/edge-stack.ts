import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Cdn } from '../edge/cdn';
import { alertTopic } from '../observability/alert-topic';
import { StageStack, type StageStackProps } from './stage-stack';
import { stageHosts } from '../../config/names';

/** Properties of {@link EdgeStack}. */
export interface EdgeStackProps extends StageStackProps {
  /** The stage's internal load balancer. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The stage's static-assets bucket (in the stage's region). */
  readonly assetsBucket: s3.IBucket;
  /** The stage's log bucket, for CloudFront's standard logs. */
  readonly logBucket: s3.IBucket;
}

/**
 * The edge of a stage: CloudFront, its WAF web ACL and viewer certificate, and the DNS records
 * of every host. CloudFront-scoped web ACLs and certificates exist only in us-east-1, so this
 * stack always deploys there; it reads the load balancer and buckets of the stage's region.
 */
export class EdgeStack extends StageStack {
  /** The distribution, its web ACL and certificate. */
  public readonly cdn: Cdn;
  /**
   * Alerts of the edge. CloudFront's metrics exist only in us-east-1, and an alarm can only
   * notify a topic of its own region, so the edge has its own topic, mailing the same addresses.
   */
  public readonly alertTopic: sns.Topic;
  /** CloudFront 5xx error rate above the tier's threshold. */
  public readonly errorRateAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: config.hostedZoneId,
      zoneName: config.domainName,
    });
    this.cdn = new Cdn(this, 'Cdn', {
      hosts: stageHosts(config),
      hostedZone,
      loadBalancer: props.loadBalancer,
      assetsBucket: this.bucketOfStage('Assets', props.assetsBucket),
      logBucket: this.bucketOfStage('Logs', props.logBucket),
      staticPaths: config.cdn.staticPaths,
      rateLimitPerIp: config.cdn.rateLimitPerIp,
      metricPrefix: `${config.system}-${config.stage}`,
      cutover: config.cdn.cutover,
      maxBodyBytes: config.cdn.maxBodyBytes,
      bodyLimits: config.cdn.bodyLimits,
    });
    this.alertTopic = alertTopic(this, {
      keyId: 'AlertKey',
      topicId: 'AlertTopic',
      stageName: `${config.system} ${config.stage}`,
      qualifier: 'edge',
      emails: config.alertEmails,
    }).topic;
    this.errorRateAlarm = this.alarmOnErrorRate(config.monitoring.cloudFront5xxPercent);
  }

  /**
   * A reference to a bucket of the stage's region, not the data stack's bucket itself:
   * CloudFront's origin access control would otherwise write this distribution into the bucket
   * policy over there, and the data stack would depend on the edge. The data stack grants
   * CloudFront read access itself.
   */
  private bucketOfStage(id: string, source: s3.IBucket): s3.IBucket {
    return s3.Bucket.fromBucketAttributes(this, id, {
      bucketArn: source.bucketArn,
      bucketRegionalDomainName: source.bucketRegionalDomainName,
      region: this.config.region,
    });
  }

  /** CloudFront's 5xx error rate above the threshold, for two five-minute periods. */
  private alarmOnErrorRate(percent: number): cloudwatch.Alarm {
    const { config } = this;
    const alarm = new cloudwatch.Alarm(this, 'CloudFront5xx', {
      alarmDescription: `${config.system} ${config.stage}: CloudFront 5xx error rate above ${percent} %`,
      // CloudFront publishes its metrics with `Region=Global` beside `DistributionId` (CloudFront
      // developer guide, "Viewing CloudFront and edge function metrics"); a metric without that
      // dimension matches no data and the alarm could never fire.
      metric: new cloudwatch.Metric({
        namespace: 'AWS/CloudFront',
        metricName: '5xxErrorRate',
        dimensionsMap: { DistributionId: this.cdn.distribution.distributionId, Region: 'Global' },
        period: Duration.minutes(5),
        statistic: 'Average',
      }),
      threshold: percent,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alertTopic));
    alarm.addOkAction(new actions.SnsAction(this.alertTopic));
    return alarm;
  }
}
