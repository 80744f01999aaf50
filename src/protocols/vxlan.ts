/**
 * VXLAN, RFC 7348: an Ethernet frame inside UDP (port 4789).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { bind } from "../packet/bind.js";
import { Ethernet } from "./ethernet.js";
import { UDP } from "./udp.js";

/** The VXLAN port (IANA). */
export const VXLAN_PORT = 4789;

/** A VXLAN header; the inner Ethernet frame follows. */
export const VXLAN = defineProtocol("VXLAN", {
  flags: field.uint8({ hex: true, flags: { 0x08: "I" }, default: 0x08, doc: "I: the VNI is valid" }),
  reserved1: field.uint24({ hex: true }),
  vni: field.uint24({ doc: "VXLAN network identifier" }),
  reserved2: field.uint8({ hex: true }),
}, {
  summary: (l) => `vni ${l.vni}`,
  next: () => Ethernet,
});
export type VXLAN = Infer<typeof VXLAN>;

bind(UDP, VXLAN, { dstPort: VXLAN_PORT });
