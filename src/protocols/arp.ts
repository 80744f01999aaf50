/**
 * ARP, RFC 826, for Ethernet hardware and IPv4 protocol addresses (the fields after the lengths
 * are read as 6-byte MACs and 4-byte IPv4 addresses whatever `hwLen` and `protoLen` say).
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Hardware Type         |         Protocol Type         |
 *  |  HW Addr Len  | Proto Addr Len|            Opcode             |
 *  |              Sender Hardware Address (6 bytes)                |
 *  |              Sender Protocol Address (4 bytes)                |
 *  |              Target Hardware Address (6 bytes)                |
 *  |              Target Protocol Address (4 bytes)                |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { Ethernet, EtherType } from "./ethernet.js";
import { Dot1AD, Dot1Q } from "./dot1q.js";

/** ARP opcodes (RFC 826, RFC 903 for RARP). */
export const ArpOpcode = {
  request: 1,
  reply: 2,
  rarpRequest: 3,
  rarpReply: 4,
} as const;

/** ARP hardware types (the common ones). */
export const ArpHardware = {
  ethernet: 1,
  ieee802: 6,
} as const;

/** An ARP packet. */
export const ARP = defineProtocol("ARP", {
  hwType: field.uint16({ default: ArpHardware.ethernet, enum: invert(ArpHardware), doc: "hardware type" }),
  protoType: field.uint16({ default: EtherType.IPv4, hex: true, enum: invert(EtherType), doc: "protocol type (an EtherType)" }),
  hwLen: field.uint8({ default: 6, doc: "hardware address length" }),
  protoLen: field.uint8({ default: 4, doc: "protocol address length" }),
  opcode: field.uint16({ default: ArpOpcode.request, enum: invert(ArpOpcode) }),
  senderMac: field.mac(),
  senderIp: field.ipv4({ default: "0.0.0.0" }),
  targetMac: field.mac(),
  targetIp: field.ipv4({ default: "0.0.0.0" }),
}, {
  summary: (l) => (l.opcode === ArpOpcode.request ? `who has ${l.targetIp}? tell ${l.senderIp}`
    : l.opcode === ArpOpcode.reply ? `${l.senderIp} is at ${l.senderMac}` : `opcode ${l.opcode}`),
});
export type ARP = Infer<typeof ARP>;

bind(Ethernet, ARP, { type: EtherType.ARP });
bind(Dot1Q, ARP, { type: EtherType.ARP });
bind(Dot1AD, ARP, { type: EtherType.ARP });
