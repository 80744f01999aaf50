/**
 * Ethernet II (IEEE 802.3 with an EtherType), and IEEE 802.3 length frames: a `type` of 1500 or
 * less is the payload's length, an LLC header follows, and bytes after that length are Padding.
 * When building an 802.3 frame, set `type` to the LLC payload's length yourself.
 *
 *   0                   1                   2                   3
 *   +---------------------------------------------------------------+
 *   |                  Destination MAC (6 bytes)                    |
 *   |                  Source MAC (6 bytes)                         |
 *   |  EtherType or length (2)  |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";
import { LLC } from "./llc.js";

/** EtherType values. */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  Dot1Q: 0x8100,
  IPv6: 0x86dd,
  QinQ: 0x88a8,
  LLDP: 0x88cc,
  MPLS: 0x8847,
  PPPoEDiscovery: 0x8863,
  PPPoESession: 0x8864,
  Loopback: 0x9000,
} as const;

const names = invert(EtherType);

/** The largest 802.3 length; larger values are EtherTypes (from 0x0600 up). */
export const MAX_8023_LENGTH = 1500;

/** An Ethernet II header. */
export const Ethernet = defineProtocol("Ethernet", {
  dst: field.mac({ default: "ff:ff:ff:ff:ff:ff", doc: "destination MAC" }),
  src: field.mac({ default: "00:00:00:00:00:00", doc: "source MAC" }),
  type: field.uint16({ default: EtherType.Loopback, hex: true, enum: names, doc: "EtherType of the payload, or its length (802.3) when 1500 or less" }),
}, {
  summary: (l) => `${l.src} > ${l.dst}`,
  next: (l) => (l.type <= MAX_8023_LENGTH ? LLC : undefined),
  payloadLength: (l) => (l.type <= MAX_8023_LENGTH ? l.type : undefined),
});
export type Ethernet = Infer<typeof Ethernet>;

/** An IEEE 802.3 header with a length (LLC follows), for building: `length` is computed. */
export const Dot3 = defineProtocol("Dot3", {
  dst: field.mac({ default: "ff:ff:ff:ff:ff:ff", doc: "destination MAC" }),
  src: field.mac({ default: "00:00:00:00:00:00", doc: "source MAC" }),
  length: field.uint16({ lengthOf: "payload", doc: "bytes of the LLC header and its payload" }),
}, {
  summary: (l) => `${l.src} > ${l.dst}`,
  next: () => LLC,
});
export type Dot3 = Infer<typeof Dot3>;

registerLinkType(LinkType.ETHERNET, Ethernet);
