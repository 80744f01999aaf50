/**
 * ICMPv6, RFC 4443, with its checksum over the IPv6 pseudo-header. As for ICMP, a message is the
 * common header `ICMPv6` (type, code, checksum) and a body chosen by `type`:
 *
 *   type 128, 129  ICMPv6Echo                    | id (2) | seq (2) | data…
 *   type 1         ICMPv6DestinationUnreachable  | unused (4) | quoted IPv6…
 *   type 2         ICMPv6PacketTooBig            | mtu (4) | quoted IPv6…
 *   type 3         ICMPv6TimeExceeded            | unused (4) | quoted IPv6…
 *   type 4         ICMPv6ParameterProblem        | pointer (4) | quoted IPv6…
 *   type 130..132, 143   MLD bodies (mld.ts); type 133..137  Neighbor Discovery bodies (ndp.ts)
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { defineProtocol, field, type AnyProtocol, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { IpProtocol } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

/** ICMPv6 message types. */
export const Icmpv6Type = {
  destinationUnreachable: 1,
  packetTooBig: 2,
  timeExceeded: 3,
  parameterProblem: 4,
  echoRequest: 128,
  echoReply: 129,
  multicastListenerQuery: 130,
  multicastListenerReport: 131,
  multicastListenerDone: 132,
  routerSolicitation: 133,
  routerAdvertisement: 134,
  neighborSolicitation: 135,
  neighborAdvertisement: 136,
  redirect: 137,
  multicastListenerReportV2: 143,
} as const;

const typeNames = invert(Icmpv6Type);

/** Choosers of the body by more than the type (MLDv1 or MLDv2 query), set by mld.ts. */
export const icmpv6BodyHooks: ((type: number, remaining: number) => AnyProtocol | undefined)[] = [];

/** The ICMPv6 header. */
export const ICMPv6 = defineProtocol("ICMPv6", {
  type: field.uint8({ enum: typeNames, default: Icmpv6Type.echoRequest }),
  code: field.uint8(),
  checksum: field.uint16({ hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.end, c.pseudoHeaderSum(IpProtocol.ICMPv6)) }),
}, {
  summary: (l) => `${typeNames[l.type as 1] ?? `type ${l.type}`}${l.code ? ` code ${l.code}` : ""}`,
  next: (l) => {
    const span = (l as unknown as { span(): { headerEnd: number; end: number } | undefined }).span();
    const remaining = span === undefined ? 0 : span.end - span.headerEnd;
    for (const hook of icmpv6BodyHooks) {
      const p = hook(l.type, remaining);
      if (p !== undefined) return p;
    }
    return undefined;
  },
});
export type ICMPv6 = Infer<typeof ICMPv6>;

/** Echo request and reply. */
export const ICMPv6Echo = defineProtocol("ICMPv6Echo", {
  id: field.uint16({ hex: true, doc: "identifier" }),
  seq: field.uint16({ doc: "sequence number" }),
}, { summary: (l) => `id 0x${l.id.toString(16)} seq ${l.seq}` });
export type ICMPv6Echo = Infer<typeof ICMPv6Echo>;

const quoted = { next: () => IPv6, quotes: true };

/** Destination unreachable. */
export const ICMPv6DestinationUnreachable = defineProtocol("ICMPv6DestinationUnreachable", {
  unused: field.uint32(),
}, quoted);
export type ICMPv6DestinationUnreachable = Infer<typeof ICMPv6DestinationUnreachable>;

/** Packet too big, with the MTU of the next hop. */
export const ICMPv6PacketTooBig = defineProtocol("ICMPv6PacketTooBig", {
  mtu: field.uint32({ default: 1280 }),
}, { ...quoted, summary: (l) => `mtu ${l.mtu}` });
export type ICMPv6PacketTooBig = Infer<typeof ICMPv6PacketTooBig>;

/** Time exceeded (hop limit, or fragment reassembly). */
export const ICMPv6TimeExceeded = defineProtocol("ICMPv6TimeExceeded", {
  unused: field.uint32(),
}, quoted);
export type ICMPv6TimeExceeded = Infer<typeof ICMPv6TimeExceeded>;

/** Parameter problem: `pointer` is the offset of the bad byte in the quoted packet. */
export const ICMPv6ParameterProblem = defineProtocol("ICMPv6ParameterProblem", {
  pointer: field.uint32(),
}, { ...quoted, summary: (l) => `pointer ${l.pointer}` });
export type ICMPv6ParameterProblem = Infer<typeof ICMPv6ParameterProblem>;

bind(IPv6, ICMPv6, { nextHeader: IpProtocol.ICMPv6 });
bind(ICMPv6, ICMPv6ParameterProblem, { type: Icmpv6Type.parameterProblem });
bind(ICMPv6, ICMPv6TimeExceeded, { type: Icmpv6Type.timeExceeded });
bind(ICMPv6, ICMPv6PacketTooBig, { type: Icmpv6Type.packetTooBig });
bind(ICMPv6, ICMPv6DestinationUnreachable, { type: Icmpv6Type.destinationUnreachable });
bind(ICMPv6, ICMPv6Echo, { type: Icmpv6Type.echoReply });
bind(ICMPv6, ICMPv6Echo, { type: Icmpv6Type.echoRequest });
