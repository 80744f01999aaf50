/**
 * The IPv6 Routing header, RFC 8200 section 4.4: type 0 (deprecated, RFC 5095) and type 2 (Mobile
 * IPv6, RFC 6275) carry a list of addresses after 4 reserved bytes; type 4 (segment routing,
 * RFC 8754) carries last entry, flags and tag, then the segment list (in `addresses`) and TLVs
 * (in `data`). Other types keep their data raw.
 *
 *  +---------------+---------------+---------------+---------------+
 *  |  Next Header  |  Hdr Ext Len  | Routing Type  | Segments Left |
 *  +---------------+---------------+---------------+---------------+
 *  |                       type-specific data                      |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { bind } from "../packet/bind.js";
import { IpProtocol, ipProtocolNames } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

/** An address in a routing header. */
export const IPv6RouteAddress = defineProtocol("IPv6RouteAddress", {
  address: field.ipv6(),
}, { summary: (l) => l.address });

const ADDRESSES = "routingType == 0 || routingType == 2";
const SEGMENTS = "routingType == 4";

/** The Routing header. */
export const IPv6Routing = defineProtocol("IPv6Routing", {
  nextHeader: field.uint8({ enum: ipProtocolNames, default: IpProtocol.IPv6NoNxt }),
  length: field.uint8({ lengthOf: "header", scale: 8, adjust: -8, doc: "header length in 8-byte units, not counting the first 8" }),
  routingType: field.uint8({ doc: "0: source route (deprecated), 2: Mobile IPv6, 4: segment routing" }),
  segmentsLeft: field.uint8({ doc: "route segments still to visit" }),
  reserved: field.uint32({ when: ADDRESSES }),
  lastEntry: field.uint8({ when: SEGMENTS, doc: "index of the last segment" }),
  flags: field.uint8({ when: SEGMENTS, hex: true }),
  tag: field.uint16({ when: SEGMENTS }),
  addresses: field.list(IPv6RouteAddress, {
    when: `${ADDRESSES} || ${SEGMENTS}`,
    count: (l) => (l.routingType === 4 ? Number(l.lastEntry) + 1 : Math.floor(Number(l.length) / 2)),
    doc: "the route's addresses (segment list of type 4, last segment first)",
  }),
  data: field.bytes({ when: `!(${ADDRESSES})`, doc: "TLVs of type 4, or the data of other types" }),
}, {
  summary: (l) => `type ${l.routingType} left ${l.segmentsLeft}`,
  inheritBinds: IPv6,
});
export type IPv6Routing = Infer<typeof IPv6Routing>;

bind(IPv6, IPv6Routing, { nextHeader: IpProtocol.IPv6Route });
