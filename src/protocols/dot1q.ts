/**
 * IEEE 802.1Q VLAN tag (EtherType 0x8100) and IEEE 802.1ad service tag (QinQ, EtherType 0x88a8),
 * which has the same layout. A `type` of 1500 or less is an 802.3 length: LLC follows.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | PCP |D|        VLAN ID        |      EtherType or length      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { Ethernet, EtherType, MAX_8023_LENGTH } from "./ethernet.js";
import { LLC } from "./llc.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

function tagFields() {
  return {
    pcp: field.bits(3, { doc: "priority code point" }),
    dei: field.bits(1, { doc: "drop eligible indicator" }),
    vid: field.bits(12, { default: 1, doc: "VLAN identifier" }),
    type: field.uint16({ hex: true, enum: invert(EtherType), default: EtherType.Loopback, doc: "EtherType of the payload, or its length when 1500 or less" }),
  };
}

const tagOptions = {
  summary: (l: { vid: number; pcp: number }) => `vlan ${l.vid}${l.pcp ? ` pcp ${l.pcp}` : ""}`,
  next: (l: { type: number }) => (l.type <= MAX_8023_LENGTH ? LLC : undefined),
  payloadLength: (l: { type: number }) => (l.type <= MAX_8023_LENGTH ? l.type : undefined),
};

/** An 802.1Q VLAN tag. */
export const Dot1Q = defineProtocol("Dot1Q", tagFields(), tagOptions);
export type Dot1Q = Infer<typeof Dot1Q>;

/** An 802.1ad service VLAN tag (the outer tag of QinQ). */
export const Dot1AD = defineProtocol("Dot1AD", tagFields(), tagOptions);
export type Dot1AD = Infer<typeof Dot1AD>;

for (const Tag of [Dot1Q, Dot1AD]) {
  bind(Tag, IPv6, { type: EtherType.IPv6 });
  bind(Tag, IPv4, { type: EtherType.IPv4 });
  bind(Tag, Dot1Q, { type: EtherType.Dot1Q });
  bind(Tag, Dot1AD, { type: EtherType.QinQ });
}
bind(Ethernet, Dot1AD, { type: EtherType.QinQ });
bind(Ethernet, Dot1Q, { type: EtherType.Dot1Q });
