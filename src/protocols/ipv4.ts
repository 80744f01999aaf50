/**
 * IPv4, RFC 791, with its options as a list of `IPv4Option` items (see ipv4-options.ts). When
 * building, `padding` fills the options to a multiple of 4 bytes with zeros (EOL); dissected, the
 * option list runs to the header's end and `padding` is empty. A fragment other than the first
 * carries no upper header: its payload stays Raw.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  |                    Options                    |    Padding    |
 */
import { parseIPv4 } from "../schema/address.js";
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { internetChecksum, onesComplementSum } from "../packet/checksum.js";
import { Ethernet, EtherType } from "./ethernet.js";
import { Raw } from "./raw.js";
import { IPv4Option } from "./ipv4-options.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";

/** IP protocol numbers (IANA). */
export const IpProtocol = {
  HOPOPT: 0, ICMP: 1, IGMP: 2, IPv4: 4, TCP: 6, UDP: 17, IPv6: 41, IPv6Route: 43, IPv6Frag: 44,
  GRE: 47, ESP: 50, AH: 51, ICMPv6: 58, IPv6NoNxt: 59, IPv6Opts: 60, SCTP: 132,
} as const;

/** Names of IP protocol numbers, for enum fields. */
export const ipProtocolNames = invert(IpProtocol);

const scratch = new Uint8Array(8);

/** An IPv4 header. */
export const IPv4 = defineProtocol("IPv4", {
  version: field.bits(4, { default: 4 }),
  ihl: field.bits(4, { lengthOf: "header", scale: 4, doc: "header length in 32-bit words" }),
  tos: field.uint8({ hex: true, doc: "type of service (DSCP and ECN)" }),
  totalLength: field.uint16({ lengthOf: "layer", doc: "header and payload, in bytes" }),
  id: field.uint16({ default: 1 }),
  flags: field.bits(3, { flags: ["MF", "DF", "evil"] }),
  fragmentOffset: field.bits(13, { doc: "in 8-byte units" }),
  ttl: field.uint8({ default: 64 }),
  protocol: field.uint8({ enum: ipProtocolNames, default: 0 }),
  checksum: field.uint16({ hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.headerEnd) }),
  src: field.ipv4({ default: "127.0.0.1" }),
  dst: field.ipv4({ default: "127.0.0.1" }),
  options: field.list(IPv4Option, { doc: "options, to the end of the header" }),
  padding: field.padding({ align: 4, doc: "zeros after the options up to a 32-bit boundary (building)" }),
}, {
  summary: (l) => `${l.src} > ${l.dst}`,
  validate: (l) => (l.version !== 4 ? `version is ${l.version}, not 4` : undefined),
  // A fragment other than the first carries no header of the upper protocol.
  next: (l) => (l.fragmentOffset !== 0 ? Raw : undefined),
  pseudoHeaderSum: (l, protocol, length, _between, at) => {
    // The addresses as written: bytes 12..20 of the header.
    if (at !== undefined) return onesComplementSum(at.bytes, at.start + 12, at.start + 20, protocol + length);
    parseIPv4(l.src, scratch, 0);
    parseIPv4(l.dst, scratch, 4);
    return onesComplementSum(scratch, 0, 8, protocol + length);
  },
});
export type IPv4 = Infer<typeof IPv4>;

bind(Ethernet, IPv4, { type: EtherType.IPv4 });
bind(IPv4, IPv4, { protocol: IpProtocol.IPv4 });
registerLinkType(LinkType.IPV4, IPv4);
