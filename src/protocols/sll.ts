/**
 * Linux cooked capture headers, made by captures on "any" interface: SLL (link type 113) and
 * SLL2 (link type 276). See https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and
 * LINKTYPE_LINUX_SLL2.html. The address field is always 8 bytes; `addressLength` says how many
 * of them hold the link-layer address.
 *
 *  SLL:  | packet type (2) | ARPHRD type (2) | address length (2) | address (8) | protocol (2) |
 *  SLL2: | protocol (2) | reserved (2) | interface index (4) | ARPHRD type (2) |
 *        | packet type (1) | address length (1) | address (8) |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { EtherType } from "./ethernet.js";
import { LLC } from "./llc.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { ARP } from "./arp.js";
import { Dot1AD, Dot1Q } from "./dot1q.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";

/** Packet types (`sll_pkttype`). */
export const SllPacketType = {
  unicastToUs: 0,
  broadcast: 1,
  multicast: 2,
  otherHost: 3,
  outgoing: 4,
} as const;

/** The protocol value of 802.2 LLC frames (`ETH_P_802_2`). */
export const SLL_PROTOCOL_LLC = 0x0004;

const protocolNames = invert(EtherType);
const packetTypeNames = invert(SllPacketType);

function shownAddress(l: { address: Uint8Array; addressLength: number }): string {
  return Array.from(l.address.subarray(0, Math.min(8, l.addressLength)), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A Linux cooked capture (v1) header. */
export const SLL = defineProtocol("SLL", {
  packetType: field.uint16({ enum: packetTypeNames, doc: "to us, broadcast, multicast, to another host, or sent by us" }),
  addressType: field.uint16({ default: 1, doc: "ARPHRD_ type of the device (1: Ethernet)" }),
  addressLength: field.uint16({ default: 6, doc: "bytes of `address` in use" }),
  address: field.bytes(8, { doc: "link-layer source address, zero-padded to 8 bytes" }),
  protocol: field.uint16({ hex: true, enum: protocolNames, default: EtherType.IPv4, doc: "EtherType of the payload" }),
}, {
  summary: (l) => `${shownAddress(l)} ${packetTypeNames[l.packetType as 0] ?? l.packetType}`,
});
export type SLL = Infer<typeof SLL>;

/** A Linux cooked capture v2 header. */
export const SLL2 = defineProtocol("SLL2", {
  protocol: field.uint16({ hex: true, enum: protocolNames, default: EtherType.IPv4, doc: "EtherType of the payload" }),
  reserved: field.uint16(),
  interfaceIndex: field.uint32({ doc: "index of the interface the packet was seen on" }),
  addressType: field.uint16({ default: 1, doc: "ARPHRD_ type of the device (1: Ethernet)" }),
  packetType: field.uint8({ enum: packetTypeNames }),
  addressLength: field.uint8({ default: 6, doc: "bytes of `address` in use" }),
  address: field.bytes(8, { doc: "link-layer source address, zero-padded to 8 bytes" }),
}, {
  summary: (l) => `if ${l.interfaceIndex} ${shownAddress(l)} ${packetTypeNames[l.packetType as 0] ?? l.packetType}`,
});
export type SLL2 = Infer<typeof SLL2>;

for (const Cooked of [SLL, SLL2]) {
  bind(Cooked, LLC, { protocol: SLL_PROTOCOL_LLC });
  bind(Cooked, Dot1AD, { protocol: EtherType.QinQ });
  bind(Cooked, Dot1Q, { protocol: EtherType.Dot1Q });
  bind(Cooked, ARP, { protocol: EtherType.ARP });
  bind(Cooked, IPv6, { protocol: EtherType.IPv6 });
  bind(Cooked, IPv4, { protocol: EtherType.IPv4 });
}
registerLinkType(LinkType.LINUX_SLL, SLL);
registerLinkType(LinkType.LINUX_SLL2, SLL2);
