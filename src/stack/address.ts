/**
 * IPv4 addresses inside the stack are unsigned 32-bit numbers (routing is arithmetic on them);
 * strings appear only at the API and in the protocol layers.
 */

/** Parse dotted-quad text to a 32-bit number; undefined when it is not an IPv4 address. */
export function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/** Format a 32-bit number as dotted-quad text. */
export function numberToIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Return the netmask of a prefix length (0..32) as a number. */
export function prefixMask(length: number): number {
  return length <= 0 ? 0 : length >= 32 ? 0xffffffff : (0xffffffff << (32 - length)) >>> 0;
}

/** An address with its prefix length: `10.0.0.1/24`. */
export interface Cidr {
  readonly address: number;
  readonly prefixLength: number;
}

/** Parse `ADDR/LEN` (or a bare address, /32); throw a TypeError when it is not one. */
export function parseCidr(text: string): Cidr {
  const [a, l, extra] = text.split("/");
  const address = ipv4ToNumber(a ?? "");
  const prefixLength = l === undefined ? 32 : /^\d{1,2}$/.test(l) ? Number(l) : NaN;
  if (address === undefined || extra !== undefined || !(prefixLength >= 0 && prefixLength <= 32)) {
    throw new TypeError(`not an IPv4 address with a prefix length: ${JSON.stringify(text)}`);
  }
  return { address, prefixLength };
}

/** Parse an address or throw a TypeError naming `what`. */
export function requireIPv4(text: string, what: string): number {
  const n = ipv4ToNumber(text);
  if (n === undefined) throw new TypeError(`${what}: not an IPv4 address: ${JSON.stringify(text)}`);
  return n;
}

/** Whether `n` is a multicast address (224.0.0.0/4). */
export function isMulticast(n: number): boolean {
  return n >>> 28 === 14;
}

/** The limited broadcast address 255.255.255.255. */
export const LIMITED_BROADCAST = 0xffffffff;

/** Return the Ethernet multicast MAC of an IPv4 multicast group (RFC 1112: 01:00:5e + low 23 bits). */
export function multicastMac(group: number): string {
  const h = (x: number): string => x.toString(16).padStart(2, "0");
  return `01:00:5e:${h((group >>> 16) & 0x7f)}:${h((group >>> 8) & 255)}:${h(group & 255)}`;
}
