import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ExternalDatabase, type ExternalDatabaseProps } from '../../../lib/data/external-database';
import { bareStack, testVpc } from '../../helpers';

const dolibarr: ExternalDatabaseProps = {
  engine: 'mysql',
  host: 'erp.internal.example.com',
  port: 3306,
  database: 'dolibarr',
  cidr: '10.200.0.0/24',
  credentials: { secretName: 'shipment/dolibarr-readonly' },
  envPrefix: 'DOLIBARR_DB',
};

describe('ExternalDatabase', () => {
  test('opens egress from each consumer to the database’s range and port only, in its own scope', () => {
    const stack = bareStack('Data');
    const vpc = testVpc(stack);
    const db = new ExternalDatabase(stack, 'ExternalDolibarr', dolibarr);
    db.allowFrom(new ec2.SecurityGroup(stack, 'Web', { vpc }), 'web');
    db.allowFrom(new ec2.SecurityGroup(stack, 'Worker', { vpc }), 'worker');
    const egress = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupEgress');
    expect(Object.keys(egress).sort()).toEqual([
      expect.stringMatching(/^ExternalDolibarrEgressFromWeb/),
      expect.stringMatching(/^ExternalDolibarrEgressFromWorker/),
    ]);
    for (const rule of Object.values(egress)) {
      expect(rule.Properties).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: 3306,
        ToPort: 3306,
        CidrIp: '10.200.0.0/24',
      });
    }
  });

  test('reads the read-only credentials from an existing secret, by name or by ARN, and creates none', () => {
    const stack = bareStack('Data');
    const byName = new ExternalDatabase(stack, 'ByName', dolibarr);
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:erp-AbCdEf';
    const byArn = new ExternalDatabase(stack, 'ByArn', { ...dolibarr, credentials: { secretArn: arn } });
    expect(byName.secret.secretName).toBe('shipment/dolibarr-readonly');
    expect(byArn.secret.secretArn).toBe(arn);
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});
