/**
 * ICMP for IPv4, RFC 792 (with RFC 1191's next-hop MTU). The message is two layers: `ICMP`, the
 * header every message has (type, code, checksum), then a body chosen by `type`:
 *
 *   type 0, 8     ICMPEcho                    | id (2) | seq (2) | data…
 *   type 3        ICMPDestinationUnreachable  | unused (2) | nextHopMtu (2) | quoted IPv4…
 *   type 5        ICMPRedirect                | gateway (4) | quoted IPv4…
 *   type 11       ICMPTimeExceeded            | unused (4) | quoted IPv4…
 *   type 12       ICMPParameterProblem        | pointer (1) | unused (3) | quoted IPv4…
 *
 * Error messages quote the offending datagram: its IPv4 header and at least 8 bytes of what it
 * carried. The quote is dissected as IPv4 (and UDP, ICMP… as far as bytes go); its lengths say more
 * than is there, so the packet is marked truncated but every layer is read; a header cut short
 * inside the quote (8 bytes of TCP) stays Raw, truncated, without an error. Building, the body's
 * protocol fills `type` (echo request for ICMPEcho); set it for the others that share a body.
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4, IpProtocol } from "./ipv4.js";

/** ICMP message types. */
export const IcmpType = {
  echoReply: 0,
  destinationUnreachable: 3,
  sourceQuench: 4,
  redirect: 5,
  echoRequest: 8,
  routerAdvertisement: 9,
  routerSolicitation: 10,
  timeExceeded: 11,
  parameterProblem: 12,
  timestamp: 13,
  timestampReply: 14,
} as const;

/** Codes of destination unreachable messages. */
export const IcmpUnreachableCode = {
  network: 0,
  host: 1,
  protocol: 2,
  port: 3,
  fragmentationNeeded: 4,
  sourceRouteFailed: 5,
  administrativelyProhibited: 13,
} as const;

const typeNames = invert(IcmpType);

/** The ICMP header. */
export const ICMP = defineProtocol("ICMP", {
  type: field.uint8({ enum: typeNames, default: IcmpType.echoRequest }),
  code: field.uint8(),
  checksum: field.uint16({ hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.end) }),
}, {
  summary: (l) => `${typeNames[l.type as 0] ?? `type ${l.type}`}${l.code ? ` code ${l.code}` : ""}`,
});
export type ICMP = Infer<typeof ICMP>;

/** Echo request and reply. */
export const ICMPEcho = defineProtocol("ICMPEcho", {
  id: field.uint16({ hex: true, doc: "identifier" }),
  seq: field.uint16({ doc: "sequence number" }),
}, { summary: (l) => `id 0x${l.id.toString(16)} seq ${l.seq}` });
export type ICMPEcho = Infer<typeof ICMPEcho>;

const quoted = { next: () => IPv4, quotes: true };

/** Destination unreachable, with the next-hop MTU of "fragmentation needed" (code 4). */
export const ICMPDestinationUnreachable = defineProtocol("ICMPDestinationUnreachable", {
  unused: field.uint16(),
  nextHopMtu: field.uint16({ doc: "MTU of the next hop (code 4), else 0" }),
}, { ...quoted, summary: (l) => (l.nextHopMtu ? `mtu ${l.nextHopMtu}` : "") });
export type ICMPDestinationUnreachable = Infer<typeof ICMPDestinationUnreachable>;

/** Redirect: use `gateway` for the quoted datagram's destination. */
export const ICMPRedirect = defineProtocol("ICMPRedirect", {
  gateway: field.ipv4({ doc: "the better first hop" }),
}, { ...quoted, summary: (l) => `to ${l.gateway}` });
export type ICMPRedirect = Infer<typeof ICMPRedirect>;

/** Time exceeded (TTL reached zero in transit, or reassembly timed out). */
export const ICMPTimeExceeded = defineProtocol("ICMPTimeExceeded", {
  unused: field.uint32(),
}, quoted);
export type ICMPTimeExceeded = Infer<typeof ICMPTimeExceeded>;

/** Parameter problem: `pointer` is the offset of the bad byte in the quoted header. */
export const ICMPParameterProblem = defineProtocol("ICMPParameterProblem", {
  pointer: field.uint8({ doc: "offset of the problem in the quoted datagram" }),
  unused: field.uint24(),
}, { ...quoted, summary: (l) => `pointer ${l.pointer}` });
export type ICMPParameterProblem = Infer<typeof ICMPParameterProblem>;

bind(IPv4, ICMP, { protocol: IpProtocol.ICMP });
bind(ICMP, ICMPParameterProblem, { type: IcmpType.parameterProblem });
bind(ICMP, ICMPTimeExceeded, { type: IcmpType.timeExceeded });
bind(ICMP, ICMPRedirect, { type: IcmpType.redirect });
bind(ICMP, ICMPDestinationUnreachable, { type: IcmpType.destinationUnreachable });
bind(ICMP, ICMPEcho, { type: IcmpType.echoReply });
bind(ICMP, ICMPEcho, { type: IcmpType.echoRequest });
