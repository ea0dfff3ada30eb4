import {
  cidrContains,
  cidrProblem,
  cidrRange,
  cidrsOverlap,
  formatIpv4,
  isIpv4Address,
  isPrivateCidr,
  IPV4_LITERAL,
  parseCidr,
  parseIpv4,
} from '../../config/ipv4';

describe('IPv4 addresses', () => {
  test.each(['10.200.0.10', '0.0.0.0', '255.255.255.255', '198.51.100.10'])('%s is an address', (value) => {
    expect(isIpv4Address(value)).toBe(true);
  });

  test.each(['10.200.0.256', '10.200.0', '10.200.0.010', 'dolibarr-db.internal', '10.0.0.1/32', ''])(
    '%s is not an address',
    (value) => {
      expect(isIpv4Address(value)).toBe(false);
      expect(parseIpv4(value)).toBeUndefined();
    },
  );

  test('an address parses to its number and back', () => {
    expect(parseIpv4('10.200.0.10')).toBe(10 * 2 ** 24 + 200 * 2 ** 16 + 10);
    expect(formatIpv4(parseIpv4('192.168.1.77')!)).toBe('192.168.1.77');
  });

  test('anything written like an address is meant as one, even with an octet above 255', () => {
    expect(IPV4_LITERAL.test('10.300.0.1')).toBe(true);
    expect(IPV4_LITERAL.test('db.internal')).toBe(false);
  });
});

describe('CIDR blocks', () => {
  test('a valid block has no problem and parses to its first and last address', () => {
    expect(cidrProblem('10.20.0.0/16')).toBeUndefined();
    expect(parseCidr('10.20.0.0/16')).toEqual({
      start: parseIpv4('10.20.0.0'),
      end: parseIpv4('10.20.255.255'),
      prefix: 16,
    });
    expect(cidrRange('10.200.1.0/24')).toEqual([parseIpv4('10.200.1.0'), parseIpv4('10.200.1.255')]);
  });

  test.each([
    ['10.20.0.0', "'10.20.0.0' is not an IPv4 CIDR block (write it like '10.20.0.0/16')"],
    ['10.300.0.0/16', "'10.300.0.0/16' has an octet above 255"],
    ['10.10.1.0/16', "'10.10.1.0/16' has host bits set (did you mean '10.10.0.0/16'?)"],
  ])('%s is refused with the fix', (block, problem) => {
    expect(cidrProblem(block)).toBe(problem);
    expect(parseCidr(block)).toBeUndefined();
  });

  test('a prefix outside the allowed lengths names them', () => {
    expect(cidrProblem('10.0.0.0/8', 16, 20)).toBe("'10.0.0.0/8' has prefix /8; use a prefix between /16 and /20");
  });

  test('cidrRange throws on a block that is not valid', () => {
    expect(() => cidrRange('10.0.0.1/8')).toThrow(/not a valid IPv4 CIDR block/);
  });

  test('containment and overlap', () => {
    expect(cidrContains('10.200.0.0/24', '10.200.0.10')).toBe(true);
    expect(cidrContains('10.200.0.0/24', '10.200.1.10')).toBe(false);
    expect(cidrContains('10.200.0.0/24', 'not-an-ip')).toBe(false);
    expect(cidrsOverlap('10.20.0.0/16', '10.20.5.0/24')).toBe(true);
    expect(cidrsOverlap('10.20.0.0/16', '10.21.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/8', '10.255.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.20.0.0/16', 'garbage')).toBe(false);
  });

  test('private ranges are the RFC 1918 blocks, wholly', () => {
    expect(['10.10.0.0/16', '172.16.0.0/16', '172.31.240.0/20', '192.168.0.0/16'].map(isPrivateCidr)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['52.10.0.0/16', '172.32.0.0/16', '100.64.0.0/16', '192.169.0.0/16'].map(isPrivateCidr)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
