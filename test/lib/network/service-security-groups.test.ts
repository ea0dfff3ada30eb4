import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { ServiceSecurityGroups } from '../../../lib/network/service-security-groups';
import { bareStack, TEST_ENV, testVpc } from '../../helpers';

describe('ServiceSecurityGroups', () => {
  test('one group per service, with only HTTPS out', () => {
    const stack = bareStack('Network');
    new ServiceSecurityGroups(stack, 'Groups', { vpc: testVpc(stack), services: ['api', 'queue-worker'] });
    const groups = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup');
    const ids = Object.keys(groups).filter((id) => id.startsWith('Groups'));
    expect(ids).toEqual([expect.stringMatching(/^GroupsApi/), expect.stringMatching(/^GroupsQueueWorker/)]);
    for (const id of ids) {
      expect(groups[id].Properties.SecurityGroupEgress).toEqual([
        {
          CidrIp: '0.0.0.0/0',
          Description: 'HTTPS to AWS APIs and public endpoints',
          FromPort: 443,
          IpProtocol: 'tcp',
          ToPort: 443,
        },
      ]);
    }
  });

  test('names the known services when asked for one it does not have', () => {
    const stack = bareStack('Network');
    const groups = new ServiceSecurityGroups(stack, 'Groups', { vpc: testVpc(stack), services: ['api'] });
    expect(() => groups.of('web')).toThrow("no group for service 'web' (known: api)");
  });

  test('imported into a later stack, a rule added to a group is created there, not in the network stack', () => {
    const stack = bareStack('Network');
    const groups = new ServiceSecurityGroups(stack, 'Groups', { vpc: testVpc(stack), services: ['api'] });
    const app = new Stack(stack.node.scope as Construct, 'App', { env: TEST_ENV });
    const lookup = groups.importedInto(app);
    const imported = lookup.of('api');
    expect(lookup.of('api')).toBe(imported);
    imported.addIngressRule(ec2.Peer.ipv4('10.0.0.0/16'), ec2.Port.tcp(80), 'from the load balancer');
    expect(Object.keys(Template.fromStack(app).findResources('AWS::EC2::SecurityGroupIngress'))).toHaveLength(1);
    expect(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
  });
});
