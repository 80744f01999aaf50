/**
 * IPv6 addresses inside the stack are canonical text (RFC 5952, as `formatIPv6` writes it): map
 * keys and comparisons work on strings; prefix arithmetic works on the 16 bytes. This file has the
 * parsing and formatting (through the project's `parseIPv6`/`formatIPv6`), prefixes, interface
 * identifiers (modified EUI-64, RFC 4291 appendix A; stable privacy, RFC 7217), solicited-node
 * groups (RFC 4291 2.7.1), multicast MACs (RFC 2464 7: 33:33 + the low 32 bits), scopes, and the
 * pseudo-header sum of upper-layer checksums (RFC 8200 8.1).
 */
import { createHash } from "node:crypto";
import { formatIPv6, parseIPv6 } from "../schema/address.js";
import { onesComplementSum } from "../packet/checksum.js";

/** The unspecified address. */
export const UNSPECIFIED = "::";
/** All-nodes (link-local scope). */
export const ALL_NODES = "ff02::1";
/** All-routers (link-local scope). */
export const ALL_ROUTERS = "ff02::2";
/** All MLDv2-capable routers (RFC 3810), where MLDv2 reports go. */
export const ALL_MLDV2_ROUTERS = "ff02::16";

/** Return the 16 bytes of an IPv6 address (a zone `%x` is ignored), or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const b = new Uint8Array(16);
  return parseIPv6(text, b, 0) ? b : undefined;
}

/** Return canonical text of 16 bytes at `off`. */
export function formatAddress6(b: Uint8Array, off = 0): string {
  return formatIPv6(b, off);
}

/** Return the canonical text of an IPv6 address, or undefined when it is not one. */
export function canonical6(text: string): string | undefined {
  const b = ipv6Bytes(text);
  return b === undefined ? undefined : formatIPv6(b, 0);
}

/** Whether `text` looks like an IPv6 address (has a colon), to tell families apart at the API. */
export function isIPv6Text(text: string): boolean {
  return text.includes(":");
}

/** Return the canonical text or throw a TypeError naming `what`. */
export function requireIPv6(text: string, what: string): string {
  const c = canonical6(text);
  if (c === undefined) throw new TypeError(`${what}: not an IPv6 address: ${JSON.stringify(text)}`);
  return c;
}

/** An IPv6 address with a prefix length. */
export interface Cidr6 {
  readonly address: string;
  readonly prefixLength: number;
}

/** Parse `ADDR/LEN` (a bare address is /128); throw a TypeError when it is not one. */
export function parseCidr6(text: string): Cidr6 {
  const slash = text.indexOf("/");
  const a = slash < 0 ? text : text.slice(0, slash);
  const l = slash < 0 ? "128" : text.slice(slash + 1);
  const address = canonical6(a);
  const prefixLength = /^\d{1,3}$/.test(l) ? Number(l) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 128)) {
    throw new TypeError(`not an IPv6 address with a prefix length: ${JSON.stringify(text)}`);
  }
  return { address, prefixLength };
}

/** Return `address` with the bits after `length` cleared (the prefix), as canonical text. */
export function prefixOf(address: string, length: number): string {
  const b = ipv6Bytes(address)!;
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    b[i]! &= (0xff00 >> keep) & 0xff;
  }
  return formatIPv6(b, 0);
}

/** Whether the first `length` bits of `a` and `b` are equal. */
export function samePrefix(a: string, b: string, length: number): boolean {
  return commonPrefixLength(a, b) >= length;
}

// Parsed addresses for the per-datagram comparisons (route lookup, source selection): read-only,
// a bounded memo that is simply emptied when full.
const parsed = new Map<string, Uint8Array>();
function bytesOf(text: string): Uint8Array {
  let b = parsed.get(text);
  if (b === undefined) {
    b = ipv6Bytes(text) ?? new Uint8Array(16);
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(text, b);
  }
  return b;
}

/** Return how many leading bits `a` and `b` share (0..128). */
export function commonPrefixLength(a: string, b: string): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  for (let i = 0; i < 16; i++) {
    const d = x[i]! ^ y[i]!;
    if (d !== 0) return i * 8 + Math.clz32(d) - 24;
  }
  return 128;
}

/** Whether an address is multicast (ff00::/8). */
export function isMulticast6(address: string): boolean {
  return address.startsWith("ff");
}

/** Whether an address is link-local unicast (fe80::/10). */
export function isLinkLocal6(address: string): boolean {
  const b = bytesOf(address);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** Whether an address is the loopback ::1. */
export function isLoopback6(address: string): boolean {
  return address === "::1";
}

/**
 * Return the scope of an address as RFC 6724 numbers it: 1 interface-local, 2 link-local,
 * 5 site-local, 14 global; multicast addresses carry theirs in the low nibble of byte 1.
 */
export function scope6(address: string): number {
  const b = bytesOf(address);
  if (b[0] === 0xff) return b[1]! & 0x0f;
  if (isLoopback6(address)) return 2; // RFC 6724 3.1: the loopback is link-local in scope.
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 2;
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 5;
  return 14;
}

/** Return the address made of a /64 `prefix` and an 8-byte interface identifier. */
export function withInterfaceId(prefix: string, id: Uint8Array): string {
  const b = ipv6Bytes(prefix)!;
  b.set(id.subarray(0, 8), 8);
  return formatIPv6(b, 0);
}

/** Return the modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A): ff:fe in the middle, U/L bit flipped. */
export function eui64(mac: string): Uint8Array {
  const m = mac.split(":").map((h) => parseInt(h, 16));
  return Uint8Array.from([m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!]);
}

/** The inputs of an RFC 7217 stable privacy identifier. */
export interface StableIdInput {
  /** The prefix (a /64 as canonical text). */
  readonly prefix: string;
  /** Net_Iface: the interface's MAC here (stable as long as the hardware is). */
  readonly netIface: string;
  /** Network_ID: optional (an SSID…); empty by default. */
  readonly networkId?: string;
  /** DAD_Counter: bumped after each duplicate, so that a new address is tried. */
  readonly dadCounter: number;
  /** The secret key: the same secret gives the same addresses. */
  readonly secret: string;
}

/**
 * Return an RFC 7217 interface identifier: the low 64 bits of
 * SHA-256(Prefix | Net_Iface | Network_ID | DAD_Counter | secret_key), avoiding the reserved ones
 * of RFC 5453 (all zero, the subnet-router anycast range, fdff:ffff:ffff:ff80..).
 */
export function stableInterfaceId(input: StableIdInput): Uint8Array {
  for (let extra = 0; extra < 16; extra++) {
    const h = createHash("sha256");
    h.update(ipv6Bytes(input.prefix)!.subarray(0, 8));
    h.update(input.netIface);
    h.update(input.networkId ?? "");
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, input.dadCounter + extra);
    h.update(c);
    h.update(input.secret);
    const id = new Uint8Array(h.digest().subarray(0, 8));
    if (!isReservedInterfaceId(id)) return id;
  }
  throw new Error("no usable stable identifier"); // unreachable in practice: 16 hashes all reserved
}

function isReservedInterfaceId(id: Uint8Array): boolean {
  if (id.every((x) => x === 0)) return true;
  // RFC 5453: fdff:ffff:ffff:ff80 .. fdff:ffff:ffff:ffff (subnet anycast), 0200:5efe (ISATAP-like) kept out too.
  if (id[0] === 0xfd && id[1] === 0xff && id[2] === 0xff && id[3] === 0xff && id[4] === 0xff && id[5] === 0xff && id[6] === 0xff && (id[7]! & 0x80) !== 0) return true;
  return id[0] === 0x02 && id[1] === 0x00 && id[2] === 0x5e && id[3] === 0xfe;
}

/** Return the solicited-node multicast group of an address: ff02::1:ffXX:XXXX with its low 24 bits. */
export function solicitedNode(address: string): string {
  const a = ipv6Bytes(address)!;
  const b = ipv6Bytes("ff02::1:ff00:0")!;
  b[13] = a[13]!;
  b[14] = a[14]!;
  b[15] = a[15]!;
  return formatIPv6(b, 0);
}

/** Return the Ethernet MAC of an IPv6 multicast group (RFC 2464 7: 33:33 and the last 4 bytes). */
export function multicastMac6(group: string): string {
  const b = ipv6Bytes(group)!;
  const h = (x: number): string => x.toString(16).padStart(2, "0");
  return `33:33:${h(b[12]!)}:${h(b[13]!)}:${h(b[14]!)}:${h(b[15]!)}`;
}

/** Return the ones'-complement sum of the IPv6 pseudo-header (RFC 8200 8.1) for an upper-layer checksum. */
export function pseudoHeaderSum6(src: string, dst: string, protocol: number, length: number): number {
  const b = new Uint8Array(32);
  parseIPv6(src, b, 0);
  parseIPv6(dst, b, 16);
  return onesComplementSum(b, 0, 32, protocol + (length & 0xffff) + Math.floor(length / 65536));
}

/**
 * Return the pseudo-header sum from a received datagram's own address bytes (the IPv6 header at
 * `start`): no text on the way, for the per-datagram checksum checks.
 */
export function pseudoHeaderSumAt(bytes: Uint8Array, start: number, protocol: number, length: number): number {
  return onesComplementSum(bytes, start + 8, start + 40, protocol + (length & 0xffff) + Math.floor(length / 65536));
}
