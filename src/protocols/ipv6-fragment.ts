/**
 * The IPv6 Fragment header, RFC 8200 section 4.5. A fragment other than the first carries no
 * header of the upper protocol: its payload stays Raw.
 *
 *  +---------------+---------------+-------------------------+-+-+-+
 *  |  Next Header  |   Reserved    |    Fragment Offset      |Res|M|
 *  +---------------+---------------+-------------------------+-+-+-+
 *  |                         Identification                        |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { bind } from "../packet/bind.js";
import { IpProtocol, ipProtocolNames } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { Raw } from "./raw.js";

/** The Fragment header. */
export const IPv6Fragment = defineProtocol("IPv6Fragment", {
  nextHeader: field.uint8({ enum: ipProtocolNames, default: IpProtocol.IPv6NoNxt }),
  reserved: field.uint8(),
  fragmentOffset: field.bits(13, { doc: "in 8-byte units" }),
  reserved2: field.bits(2),
  moreFragments: field.bits(1, { doc: "1: more fragments follow" }),
  id: field.uint32({ hex: true, doc: "identification" }),
}, {
  summary: (l) => `offset ${l.fragmentOffset * 8}${l.moreFragments ? " more" : ""} id 0x${l.id.toString(16)}`,
  next: (l) => (l.fragmentOffset !== 0 ? Raw : undefined),
  inheritBinds: IPv6,
});
export type IPv6Fragment = Infer<typeof IPv6Fragment>;

bind(IPv6, IPv6Fragment, { nextHeader: IpProtocol.IPv6Frag });
