import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RabbitmqBroker, type RabbitmqBrokerProps } from '../../../lib/data/rabbitmq';
import { bareStack, testVpc } from '../../helpers';

/** A broker on a bare stack, placed at construct id `id`. */
function broker(overrides: Partial<RabbitmqBrokerProps> = {}, id = 'Rabbitmq') {
  const stack = bareStack('Data');
  const mq = new RabbitmqBroker(stack, id, {
    vpc: testVpc(stack),
    encryptionKey: new kms.Key(stack, 'Key'),
    engineVersion: '3.13',
    instanceType: 'mq.t3.micro',
    deploymentMode: 'SINGLE_INSTANCE',
    brokerName: 'CslProdData-Rabbitmq-E65B6A16',
    ...overrides,
  });
  const template = Template.fromStack(stack);
  return { mq, template, props: Object.values(template.findResources('AWS::AmazonMQ::Broker'))[0].Properties };
}

describe('RabbitmqBroker', () => {
  test('is private, logs to CloudWatch, and its user’s password comes from Secrets Manager', () => {
    const { props, mq } = broker();
    expect(props).toMatchObject({
      EngineType: 'RABBITMQ',
      EngineVersion: '3.13',
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      Logs: { General: true },
    });
    expect(props.Users[0].Username).toBe('laravel');
    expect(JSON.stringify(props.Users[0].Password)).toContain('resolve:secretsmanager');
    expect(mq.port).toBe(5671);
  });

  test('the broker name is what the caller gives, wherever the construct sits', () => {
    expect(broker({}, 'Rabbitmq').props.BrokerName).toBe('CslProdData-Rabbitmq-E65B6A16');
    expect(broker({}, 'Queues').props.BrokerName).toBe('CslProdData-Rabbitmq-E65B6A16');
  });

  test('a single instance sits in one isolated subnet, a cluster in every zone', () => {
    expect(broker().props.SubnetIds).toHaveLength(1);
    const cluster = broker({ deploymentMode: 'CLUSTER_MULTI_AZ', instanceType: 'mq.m7g.large' }).props;
    expect(cluster.DeploymentMode).toBe('CLUSTER_MULTI_AZ');
    expect(cluster.SubnetIds).toHaveLength(2);
  });

  test('refuses a snapshot removal policy: Amazon MQ keeps no snapshot', () => {
    expect(() => broker({ removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(/have no snapshot/);
  });
});
