import { formatChanges, stackChanges } from '../../../lib/guard/template-diff';

const bucket = (props: object, metadata: object = {}) => ({
  Type: 'AWS::S3::Bucket',
  Properties: props,
  Metadata: metadata,
});

describe('stack changes for review', () => {
  const before = {
    Resources: {
      Uploads: bucket({ BucketName: 'uploads-a' }),
      Logs: bucket({ LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] } }),
      Target: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: { MinCapacity: 2, MaxCapacity: 10 },
        Metadata: { 'aws:cdk:path': 'Shipment-Prod/App/Web/TaskCount/Target/Resource' },
      },
      Old: { Type: 'AWS::SNS::Topic', Properties: {} },
    },
    Outputs: { Url: { Value: 'a' } },
  };
  const after = {
    Resources: {
      // BucketName is a replacement property of AWS::S3::Bucket.
      Uploads: bucket({ BucketName: 'uploads-b' }),
      Logs: bucket({ LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] } }),
      Target: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: { MinCapacity: 4, MaxCapacity: 10 },
        Metadata: { 'aws:cdk:path': 'moved/elsewhere' },
      },
      New: { Type: 'AWS::SNS::Topic', Properties: {} },
    },
    Outputs: { Url: { Value: 'b' } },
  };

  test('names what is added, removed and replaced, and each changed value from → to', () => {
    const changes = stackChanges('S/App', before, after);
    expect(changes.resources).toEqual(
      expect.arrayContaining([
        { logicalId: 'New', type: 'AWS::SNS::Topic', action: 'add', properties: [] },
        { logicalId: 'Old', type: 'AWS::SNS::Topic', action: 'remove', properties: [] },
        {
          logicalId: 'Uploads',
          type: 'AWS::S3::Bucket',
          action: 'replace',
          properties: ['BucketName: "uploads-a" → "uploads-b"'],
        },
        {
          logicalId: 'Logs',
          type: 'AWS::S3::Bucket',
          action: 'update',
          properties: ['LifecycleConfiguration.Rules[0].ExpirationInDays: 30 → 90'],
        },
        {
          logicalId: 'Target',
          type: 'AWS::ApplicationAutoScaling::ScalableTarget',
          action: 'update',
          properties: ['MinCapacity: 2 → 4'],
        },
      ]),
    );
    expect(changes.outputs).toEqual(['Url']);
  });

  test('a metadata-only change is not shown', () => {
    const moved = structuredClone(before);
    moved.Resources.Target.Metadata = { 'aws:cdk:path': 'somewhere/else' };
    expect(stackChanges('S/App', before, moved).resources).toEqual([]);
    expect(formatChanges([stackChanges('S/App', before, moved)])).toBe(
      '0 added, 0 removed, 0 replaced, 0 changed in place: no changes',
    );
  });

  test('the text leads with counts and puts removals and replacements first', () => {
    const text = formatChanges([stackChanges('S/App', before, after)]);
    expect(text.split('\n')[0]).toBe('1 added, 1 removed, 1 replaced, 2 changed in place');
    expect(text.indexOf('REMOVED')).toBeLessThan(text.indexOf('REPLACED'));
    expect(text.indexOf('REPLACED')).toBeLessThan(text.indexOf('MinCapacity: 2 → 4'));
    expect(text).not.toMatch(/aws:cdk:path/);
  });
});
