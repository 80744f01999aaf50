/**
 * TCP, RFC 9293, with its options (RFC 9293 EOL/NOP/MSS, RFC 7323 window scale and timestamps,
 * RFC 2018 SACK) and its checksum over the IPv4 or IPv6 pseudo-header.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  |                        Sequence Number                        |
 *  |                    Acknowledgment Number                      |
 *  |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
 *  |       |     | |R|E|G|K|H|T|N|N|                               |
 *  |           Checksum            |         Urgent Pointer        |
 *  |                    Options                    |    Padding    |
 *
 * Options are a list of `TCPOption` items: `kind`, `length` (absent for EOL and NOP), the typed
 * value of a known kind (`mss`, `shift`, `blocks`, `tsValue`/`tsEchoReply`), and `data`: the
 * bytes of an unknown kind, or whatever a known kind's length says beyond its value.
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4, IpProtocol } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

/** TCP option kinds (IANA). */
export const TcpOptionKind = {
  eol: 0, nop: 1, mss: 2, windowScale: 3, sackPermitted: 4, sack: 5, timestamps: 8,
  md5: 19, userTimeout: 28, authentication: 29, multipath: 30, fastOpen: 34,
} as const;

/** One block of a SACK option: the left and right edges of a received range. */
export const TCPSackBlock = defineProtocol("TCPSackBlock", {
  left: field.uint32(),
  right: field.uint32(),
}, { summary: (l) => `${l.left}-${l.right}` });
export type TCPSackBlock = Infer<typeof TCPSackBlock>;

/** A TCP option. */
export const TCPOption = defineProtocol("TCPOption", {
  kind: field.uint8({ enum: invert(TcpOptionKind), default: TcpOptionKind.nop }),
  length: field.uint8({ when: "kind > 1", lengthOf: "header", doc: "the whole option, in bytes" }),
  mss: field.uint16({ when: "kind == 2", default: 1460, doc: "maximum segment size" }),
  shift: field.uint8({ when: "kind == 3", doc: "window scale shift count" }),
  blocks: field.list(TCPSackBlock, { when: "kind == 5" }),
  tsValue: field.uint32({ when: "kind == 8", doc: "TSval" }),
  tsEchoReply: field.uint32({ when: "kind == 8", doc: "TSecr" }),
  data: field.bytes({ when: "kind > 1", doc: "unknown option data, or bytes past a known option's value" }),
}, {
  summary: (l) => String(l.kind),
});
export type TCPOption = Infer<typeof TCPOption>;

/** TCP flag names, least significant bit first, as Scapy writes them ("SA" is SYN+ACK). */
export const TcpFlags = ["F", "S", "R", "P", "A", "U", "E", "C", "N"] as const;

/** A TCP header. */
export const TCP = defineProtocol("TCP", {
  srcPort: field.uint16({ default: 20 }),
  dstPort: field.uint16({ default: 80 }),
  seq: field.uint32(),
  ack: field.uint32(),
  dataOffset: field.bits(4, { lengthOf: "header", scale: 4, doc: "header length in 32-bit words" }),
  reserved: field.bits(3),
  flags: field.bits(9, { flags: TcpFlags, default: 0x002 }),
  window: field.uint16({ default: 8192 }),
  checksum: field.uint16({ hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.end, c.pseudoHeaderSum(IpProtocol.TCP)) }),
  urgentPointer: field.uint16(),
  options: field.list(TCPOption),
  padding: field.padding({ align: 4, doc: "zeros after the options up to a 32-bit boundary" }),
}, {
  summary: (l) => `${l.srcPort} > ${l.dstPort} ${flagText(l.flags)}`,
  validate: (l) => (l.dataOffset < 5 ? `data offset ${l.dataOffset} is less than 5` : undefined),
});
export type TCP = Infer<typeof TCP>;

/** Return flags as Scapy writes them ("SA", "PA", "FA"…). */
export function flagText(flags: number): string {
  let s = "";
  for (let i = 0; i < TcpFlags.length; i++) if (flags & (1 << i)) s += TcpFlags[i];
  return s;
}

bind(IPv4, TCP, { protocol: IpProtocol.TCP });
bind(IPv6, TCP, { nextHeader: IpProtocol.TCP });
