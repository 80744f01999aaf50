/**
 * UDP, RFC 768, with its checksum over the IPv4 or IPv6 pseudo-header. A computed checksum of 0
 * is sent as 0xFFFF (0 means "no checksum" over IPv4).
 *
 *   0      7 8     15 16    23 24    31
 *  +--------+--------+--------+--------+
 *  |   Source Port   |Destination Port |
 *  |     Length      |    Checksum     |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4, IpProtocol } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

/** A UDP header. */
export const UDP = defineProtocol("UDP", {
  srcPort: field.uint16({ default: 53 }),
  dstPort: field.uint16({ default: 53 }),
  length: field.uint16({ lengthOf: "layer", doc: "header and payload, in bytes" }),
  checksum: field.uint16({
    hex: true,
    checksum: (c) => {
      const sum = internetChecksum(c.bytes, c.start, c.end, c.pseudoHeaderSum(IpProtocol.UDP));
      return sum === 0 ? 0xffff : sum;
    },
  }),
}, {
  summary: (l) => `${l.srcPort} > ${l.dstPort}`,
});
export type UDP = Infer<typeof UDP>;

bind(IPv4, UDP, { protocol: IpProtocol.UDP });
bind(IPv6, UDP, { nextHeader: IpProtocol.UDP });
