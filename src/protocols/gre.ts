/**
 * GRE, RFC 2784 with the key and sequence number extensions of RFC 2890.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|R|K|S| Reserved0       | Ver |         Protocol Type         |
 *  |      Checksum (optional)      |       Reserved1 (Optional)    |
 *  |                         Key (optional)                        |
 *  |                 Sequence Number (Optional)                    |
 *
 * The optional words are present when their bit is set: `GRE({ keyPresent: 1, key: 7 })`.
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { Ethernet, EtherType } from "./ethernet.js";
import { IPv4, IpProtocol } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { invert } from "../schema/field.js";

/** Protocol types GRE carries: EtherTypes, with Transparent Ethernet Bridging for Ethernet frames. */
export const GreProtocolType = { ...EtherType, TransparentEthernetBridging: 0x6558 } as const;

/** A GRE header. */
export const GRE = defineProtocol("GRE", {
  checksumPresent: field.bits(1),
  routingPresent: field.bits(1, { doc: "RFC 1701; must be 0 under RFC 2784" }),
  keyPresent: field.bits(1),
  sequencePresent: field.bits(1),
  reserved0: field.bits(9),
  version: field.bits(3),
  protocolType: field.uint16({ hex: true, enum: invert(GreProtocolType), default: EtherType.IPv4 }),
  checksum: field.uint16({ when: "checksumPresent || routingPresent", hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.end) }),
  reserved1: field.uint16({ when: "checksumPresent || routingPresent", doc: "the routing offset under RFC 1701" }),
  key: field.uint32({ when: "keyPresent", hex: true }),
  sequenceNumber: field.uint32({ when: "sequencePresent" }),
}, {
  summary: (l) => `${l.protocolType}${l.key !== undefined ? ` key ${l.key}` : ""}`,
});
export type GRE = Infer<typeof GRE>;

bind(IPv4, GRE, { protocol: IpProtocol.GRE });
bind(IPv6, GRE, { nextHeader: IpProtocol.GRE });
bind(GRE, Ethernet, { protocolType: GreProtocolType.TransparentEthernetBridging });
bind(GRE, IPv6, { protocolType: EtherType.IPv6 });
bind(GRE, IPv4, { protocolType: EtherType.IPv4 });
