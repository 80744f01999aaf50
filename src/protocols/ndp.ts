/**
 * IPv6 Neighbor Discovery, RFC 4861: the bodies of ICMPv6 types 133 to 137 and their options
 * (RFC 4861 section 4.6, RFC 8106 for RDNSS). One option item protocol with fields present by
 * option type; an unknown option, or one whose length does not fit its type, keeps its bytes in
 * `data`.
 *
 *   source/target link-layer address (1, 2):  | type | length=1 | address (6) |
 *   prefix information (3):  | type | length=4 | prefixLength | prefixFlags (L A R) |
 *                            | validLifetime (4) | preferredLifetime (4) | reserved2 (4) | prefix (16) |
 *   redirected header (4):   | type | length | reserved (2) | reserved2 (4) | data: the quoted packet |
 *   MTU (5):                 | type | length=1 | reserved (2) | mtu (4) |
 *   RDNSS (25):              | type | length | reserved (2) | lifetime (4) | addresses (16 each) |
 *   route information (24, RFC 4191): | type | length (1..3) | prefixLength | routePreference |
 *                            | lifetime (4) | routePrefix (0, 8 or 16 bytes) |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { ICMPv6, Icmpv6Type } from "./icmpv6.js";

/** Neighbor Discovery option types. */
export const NdpOptionType = {
  sourceLinkLayerAddress: 1,
  targetLinkLayerAddress: 2,
  prefixInformation: 3,
  redirectedHeader: 4,
  mtu: 5,
  routeInformation: 24,
  recursiveDnsServer: 25,
  dnsSearchList: 31,
} as const;

/** An address in an RDNSS option. */
export const NDPAddress = defineProtocol("NDPAddress", {
  address: field.ipv6(),
}, { summary: (l) => l.address });

// A length of 0 is malformed on the wire before these are checked: it is the length still to be
// computed of an option being built.
const LINK = "(type == 1 || type == 2) && (length == 0 || length == 1)";
const PREFIX = "type == 3 && (length == 0 || length == 4)";
const REDIRECTED = "type == 4";
const MTU = "type == 5 && (length == 0 || length == 1)";
const RDNSS = "type == 25 && (length == 0 || length % 2 == 1)";
const ROUTE = "type == 24 && length <= 3";

/** A Neighbor Discovery option. */
export const NDPOption = defineProtocol("NDPOption", {
  type: field.uint8({ enum: invert(NdpOptionType) }),
  length: field.uint8({ lengthOf: "header", scale: 8, doc: "length of the option in 8-byte units" }),
  address: field.mac({ when: LINK, doc: "link-layer address (Ethernet)" }),
  prefixLength: field.uint8({ when: `${PREFIX} || ${ROUTE}`, default: 64 }),
  prefixFlags: field.uint8({ when: PREFIX, flags: { 0x80: "L", 0x40: "A", 0x20: "R" }, default: 0xc0, doc: "L: on-link, A: autonomous address configuration, R: router address" }),
  routePreference: field.uint8({ when: ROUTE, hex: true, doc: "Prf in bits 4-3: 0x08 high, 0x00 medium, 0x18 low (RFC 4191)" }),
  validLifetime: field.uint32({ when: PREFIX, default: 0xffffffff, doc: "seconds" }),
  preferredLifetime: field.uint32({ when: PREFIX, default: 0xffffffff, doc: "seconds" }),
  reserved: field.uint16({ when: `${REDIRECTED} || ${MTU} || ${RDNSS}` }),
  reserved2: field.uint32({ when: `${PREFIX} || ${REDIRECTED}` }),
  mtu: field.uint32({ when: MTU, default: 1500 }),
  lifetime: field.uint32({ when: `${RDNSS} || ${ROUTE}`, default: 0xffffffff, doc: "seconds" }),
  prefix: field.ipv6({ when: PREFIX }),
  addresses: field.list(NDPAddress, { when: RDNSS, doc: "recursive DNS servers" }),
  routePrefix: field.bytes({ when: ROUTE, doc: "the route's prefix, its significant bytes (0, 8 or 16)" }),
  data: field.bytes({ when: `!(${LINK}) && !(${PREFIX}) && !(${MTU}) && !(${RDNSS}) && !(${ROUTE})`, doc: "the quoted packet of a redirected header, or an unknown option's bytes" }),
}, {
  summary: (l) => invert(NdpOptionType)[l.type as 1] ?? `option ${l.type}`,
});
export type NDPOption = Infer<typeof NDPOption>;

const options = () => field.list(NDPOption, { doc: "options, to the end of the message" });

/** Router solicitation (type 133). */
export const NDPRouterSolicitation = defineProtocol("NDPRouterSolicitation", {
  reserved: field.uint32(),
  options: options(),
});
export type NDPRouterSolicitation = Infer<typeof NDPRouterSolicitation>;

/** Router advertisement (type 134), with RFC 4191's preference and RFC 4389's proxy flag. */
export const NDPRouterAdvertisement = defineProtocol("NDPRouterAdvertisement", {
  currentHopLimit: field.uint8({ default: 64, doc: "hop limit hosts should use (0: unspecified)" }),
  managed: field.bits(1, { doc: "addresses come from DHCPv6" }),
  other: field.bits(1, { doc: "other configuration comes from DHCPv6" }),
  homeAgent: field.bits(1),
  preference: field.bits(2, { doc: "default router preference (RFC 4191)" }),
  proxy: field.bits(1),
  reserved: field.bits(2),
  routerLifetime: field.uint16({ default: 1800, doc: "seconds (0: not a default router)" }),
  reachableTime: field.uint32({ doc: "milliseconds" }),
  retransTimer: field.uint32({ doc: "milliseconds" }),
  options: options(),
}, { summary: (l) => `lifetime ${l.routerLifetime}` });
export type NDPRouterAdvertisement = Infer<typeof NDPRouterAdvertisement>;

/** Neighbor solicitation (type 135). */
export const NDPNeighborSolicitation = defineProtocol("NDPNeighborSolicitation", {
  reserved: field.uint32(),
  target: field.ipv6({ doc: "the address being resolved" }),
  options: options(),
}, { summary: (l) => `who has ${l.target}` });
export type NDPNeighborSolicitation = Infer<typeof NDPNeighborSolicitation>;

/** Neighbor advertisement (type 136). */
export const NDPNeighborAdvertisement = defineProtocol("NDPNeighborAdvertisement", {
  router: field.bits(1),
  solicited: field.bits(1),
  override: field.bits(1),
  reserved: field.bits(29),
  target: field.ipv6(),
  options: options(),
}, { summary: (l) => `${l.target} is here` });
export type NDPNeighborAdvertisement = Infer<typeof NDPNeighborAdvertisement>;

/** Redirect (type 137). */
export const NDPRedirect = defineProtocol("NDPRedirect", {
  reserved: field.uint32(),
  target: field.ipv6({ doc: "the better first hop" }),
  destination: field.ipv6({ doc: "the destination being redirected" }),
  options: options(),
}, { summary: (l) => `${l.destination} via ${l.target}` });
export type NDPRedirect = Infer<typeof NDPRedirect>;

bind(ICMPv6, NDPRedirect, { type: Icmpv6Type.redirect });
bind(ICMPv6, NDPNeighborAdvertisement, { type: Icmpv6Type.neighborAdvertisement });
bind(ICMPv6, NDPNeighborSolicitation, { type: Icmpv6Type.neighborSolicitation });
bind(ICMPv6, NDPRouterAdvertisement, { type: Icmpv6Type.routerAdvertisement });
bind(ICMPv6, NDPRouterSolicitation, { type: Icmpv6Type.routerSolicitation });
