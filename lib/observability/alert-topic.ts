import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

/** Options of {@link alertTopic}. */
export interface AlertTopicOptions {
  /** Construct id of the topic's key, a child of the given scope (`TopicKey`). */
  readonly keyId: string;
  /** Construct id of the topic, a child of the given scope (`AlertTopic`). */
  readonly topicId: string;
  /** How the key and the topic name the stage: `csl prod`. */
  readonly stageName: string;
  /**
   * What the topic alerts on, when a stage has more than one: `edge` makes the key
   * `csl prod: edge alert topic` and the topic `csl prod edge alerts`.
   *
   * @default - none: the stage's own alert topic (`csl prod: alert topic`, `csl prod alerts`)
   */
  readonly qualifier?: string;
  /** Who receives the alerts: each address is subscribed (and must confirm once). */
  readonly emails: readonly string[];
}

/** What {@link alertTopic} creates. */
export interface AlertTopic {
  /** The topic alarms publish to. */
  readonly topic: sns.Topic;
  /** The topic's key; grant other AWS services that publish to the topic on it. */
  readonly key: kms.Key;
}

/**
 * A stage's alert topic: encrypted with a rotated key of its own, TLS only, mailing the given
 * addresses. CloudWatch alarms may use the key: a service that publishes to an encrypted topic
 * needs `kms:GenerateDataKey*` and `kms:Decrypt` on it (SNS developer guide, "Encryption at
 * rest"). A function rather than a construct: the key and topic are children of `scope` itself,
 * so their logical ids are those of the stacks and constructs that created them directly.
 */
export function alertTopic(scope: Construct, options: AlertTopicOptions): AlertTopic {
  const qualifier = options.qualifier === undefined ? '' : `${options.qualifier} `;
  const key = new kms.Key(scope, options.keyId, {
    description: `${options.stageName}: ${qualifier}alert topic`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
  const topic = new sns.Topic(scope, options.topicId, {
    displayName: `${options.stageName} ${qualifier}alerts`,
    masterKey: key,
    enforceSSL: true,
  });
  for (const email of options.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return { topic, key };
}
