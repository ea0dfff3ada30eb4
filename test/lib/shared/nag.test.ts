import { Fn } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { nagResource } from '../../../lib/shared/nag';
import { bareStack } from '../../helpers';

describe('nagResource', () => {
  test('prints a resource as cdk-nag names it in a finding: literals, <Ref>, <Id.Attr>, joined', () => {
    const stack = bareStack();
    const bucket = new s3.Bucket(stack, 'Assets');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expect(nagResource(stack, 'arn:aws:s3:::literal/*')).toBe('arn:aws:s3:::literal/*');
    expect(nagResource(stack, bucket.bucketName)).toMatch(/^<Assets[0-9A-F]{8}>$/);
    expect(nagResource(stack, bucket.arnForObjects('*'))).toMatch(/^<Assets[0-9A-F]{8}\.Arn>\/\*$/);
    expect(nagResource(stack, Fn.join(':', ['arn', role.roleName]))).toMatch(/^arn:<Role[0-9A-F]{8}>$/);
  });
});
