import { closestName as fromTables, REGIONS } from '../../config/aws-tables';
import { closestName, editDistance, typoTolerance } from '../../config/closest';

describe('edit distance', () => {
  test('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('multiAz', 'multiAz')).toBe(0);
  });

  test('counts an adjacent transposition as one edit', () => {
    expect(editDistance('eu-wset-1', 'eu-west-1')).toBe(1);
    expect(editDistance('mutliAz', 'multiAz')).toBe(1);
    expect(editDistance('t4g.mirco', 't4g.micro')).toBe(1);
  });
});

describe('did you mean', () => {
  test('a transposed letter, in keys and values alike', () => {
    expect(closestName('eu-wset-1', REGIONS)).toBe('eu-west-1');
    expect(closestName('mutliAz', ['multiAz', 'readReplicas'])).toBe('multiAz');
    expect(closestName('laravel-wroker', ['laravel-web', 'laravel-worker'])).toBe('laravel-worker');
  });

  test('an abbreviation of three letters or more names the longer word', () => {
    expect(closestName('repo', ['account', 'repository'])).toBe('repository');
    expect(closestName('15.1', ['15.10', '15.12'])).toBe('15.10');
    expect(closestName('re', ['region'])).toBeUndefined();
  });

  test('ignores case', () => {
    expect(closestName('MULTIAZ', ['multiAz'])).toBe('multiAz');
  });

  test('suggests nothing when nothing is near', () => {
    expect(closestName('eu-middle-7', REGIONS)).toBeUndefined();
    expect(closestName('nat-box', ['gateway', 'instance'])).toBeUndefined();
  });

  test('tolerates two edits, or a third of a long word', () => {
    expect(typoTolerance('abc')).toBe(2);
    expect(typoTolerance('availabilityZones')).toBe(5);
    expect(closestName('availabiltyZones', ['availabilityZones'])).toBe('availabilityZones');
  });

  test('the AWS tables use the same policy', () => {
    expect(fromTables).toBe(closestName);
  });
});
