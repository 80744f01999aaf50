/**
 * IPv6, RFC 8200: the fixed header. Extension headers are their own layers (ipv6-options.ts,
 * ipv6-routing.ts, ipv6-fragment.ts); an upper checksum uses this header through them, with the
 * final destination of a routing header.
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  |                     Source Address (16 bytes)                 |
 *  |                  Destination Address (16 bytes)               |
 */
import { parseIPv6 } from "../schema/address.js";
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import type { FieldValues } from "../schema/expression.js";
import { bind } from "../packet/bind.js";
import { onesComplementSum } from "../packet/checksum.js";
import { Ethernet, EtherType } from "./ethernet.js";
import { IPv4, IpProtocol, ipProtocolNames } from "./ipv4.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";

const scratch = new Uint8Array(32);

/** An IPv6 fixed header. */
export const IPv6 = defineProtocol("IPv6", {
  version: field.bits(4, { default: 6 }),
  trafficClass: field.bits(8, { hex: true }),
  flowLabel: field.bits(20, { hex: true }),
  payloadLength: field.uint16({ lengthOf: "payload" }),
  nextHeader: field.uint8({ enum: ipProtocolNames, default: IpProtocol.IPv6NoNxt }),
  hopLimit: field.uint8({ default: 64 }),
  src: field.ipv6({ default: "::1" }),
  dst: field.ipv6({ default: "::1" }),
}, {
  summary: (l) => `${l.src} > ${l.dst}`,
  validate: (l) => (l.version !== 6 ? `version is ${l.version}, not 6` : undefined),
  pseudoHeaderSum: (l, protocol, length, between, at) => {
    const extra = protocol + (length & 0xffff) + Math.floor(length / 65536);
    // No routing header in between: the addresses as written, bytes 8..40 of the header.
    if (at !== undefined && between.length === 0) return onesComplementSum(at.bytes, at.start + 8, at.start + 40, extra);
    parseIPv6(l.src, scratch, 0);
    parseIPv6(finalDestination(l.dst, between), scratch, 16);
    return onesComplementSum(scratch, 0, 32, protocol + (length & 0xffff) + Math.floor(length / 65536));
  },
});
export type IPv6 = Infer<typeof IPv6>;

/**
 * Return the destination an upper-layer checksum uses (RFC 8200 section 8.1): with a routing
 * header that has segments left, the final one (the last address; the first of a type 4 segment
 * list); else the header's destination.
 */
export function finalDestination(dst: string, between: readonly FieldValues[]): string {
  for (const h of between) {
    if (typeof h.routingType !== "number" || !Number(h.segmentsLeft) || !Array.isArray(h.addresses)) continue;
    const list = h.addresses as { address: string }[];
    if (list.length === 0) continue;
    return h.routingType === 4 ? list[0]!.address : list[list.length - 1]!.address;
  }
  return dst;
}

bind(Ethernet, IPv6, { type: EtherType.IPv6 });
bind(IPv4, IPv6, { protocol: IpProtocol.IPv6 });
bind(IPv6, IPv6, { nextHeader: IpProtocol.IPv6 });
bind(IPv6, IPv4, { nextHeader: IpProtocol.IPv4 });
registerLinkType(LinkType.IPV6, IPv6);
