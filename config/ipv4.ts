/**
 * IPv4 addresses and CIDR blocks, parsed in one place: config's checks, and the constructs that
 * must tell an address from a host name, use these and no regex of their own.
 */

/** An IPv4 address in dotted-decimal form, each octet 0-255 without leading zeros. */
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Anything written like an IPv4 address (four dot-separated groups of one to three digits),
 * valid or not: a host of this shape is meant as an address, never as a DNS name.
 */
export const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;

const CIDR_SHAPE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** A parsed IPv4 CIDR block: its first and last address as numbers, and its prefix length. */
export interface Ipv4Range {
  readonly start: number;
  readonly end: number;
  readonly prefix: number;
}

/** Whether a value is a valid IPv4 address such as `10.200.0.10`. */
export function isIpv4Address(value: string): boolean {
  return IPV4.test(value);
}

/** The number an IPv4 address stands for; undefined when it is not a valid address. */
export function parseIpv4(value: string): number | undefined {
  if (!IPV4.test(value)) return undefined;
  return value.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Dotted-decimal form of an address number. */
export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(address / 2 ** s) % 256).join('.');
}

/**
 * Checks an IPv4 CIDR block such as `10.20.0.0/16`.
 *
 * @returns an error message, or undefined when the block is valid
 */
export function cidrProblem(value: string, minPrefix = 8, maxPrefix = 32): string | undefined {
  const match = CIDR_SHAPE.exec(value);
  if (!match) return `'${value}' is not an IPv4 CIDR block (write it like '10.20.0.0/16')`;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) return `'${value}' has an octet above 255`;
  if (prefix < minPrefix || prefix > maxPrefix) {
    return `'${value}' has prefix /${prefix}; use a prefix between /${minPrefix} and /${maxPrefix}`;
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    return `'${value}' has host bits set (did you mean '${formatIpv4(address - (address % size))}/${prefix}'?)`;
  }
  return undefined;
}

/** Parses a valid CIDR block; undefined when {@link cidrProblem} finds fault with it. */
export function parseCidr(block: string): Ipv4Range | undefined {
  if (cidrProblem(block, 0, 32) !== undefined) return undefined;
  const [address, prefix] = block.split('/');
  const start = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return { start, end: start + 2 ** (32 - Number(prefix)) - 1, prefix: Number(prefix) };
}

/**
 * The first and last address of a valid IPv4 block, as numbers.
 *
 * @throws Error when the block is not valid (check it with {@link cidrProblem} first)
 */
export function cidrRange(block: string): [number, number] {
  const range = parseCidr(block);
  if (!range) throw new Error(`'${block}' is not a valid IPv4 CIDR block`);
  return [range.start, range.end];
}

/** Whether an IPv4 address lies in a block; false when either is not valid. */
export function cidrContains(block: string, ip: string): boolean {
  const range = parseCidr(block);
  const address = parseIpv4(ip);
  return range !== undefined && address !== undefined && address >= range.start && address <= range.end;
}

/** Whether two IPv4 CIDR blocks share any address; false when either is not valid. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x !== undefined && y !== undefined && x.start <= y.end && y.start <= x.end;
}

/**
 * The private address blocks of RFC 1918, section 3 ("Private Address Space"). The Amazon VPC
 * user guide ("VPC CIDR blocks") recommends a VPC range from these; it accepts a publicly
 * routable range too, but gives that range no direct internet access, and every address of it
 * then hides the real owner's hosts from the VPC (the internet-bound traffic routes inside).
 */
export const RFC1918_BLOCKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

/** Whether a valid block lies wholly inside one of the RFC 1918 private blocks. */
export function isPrivateCidr(block: string): boolean {
  const range = parseCidr(block);
  if (!range) return false;
  return RFC1918_BLOCKS.some((privateBlock) => {
    const p = parseCidr(privateBlock)!;
    return range.start >= p.start && range.end <= p.end;
  });
}
