/**
 * SNAP, the Subnetwork Access Protocol header (RFC 1042, IEEE 802): after an LLC header with
 * DSAP = SSAP = 0xAA and control 0x03, an organisation code and a protocol ID (an EtherType when
 * the OUI is 0).
 *
 *  +--------+--------+--------+--------+--------+
 *  |     OUI (3 bytes)        |   Protocol ID   |
 *  +--------+--------+--------+--------+--------+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { EtherType } from "./ethernet.js";
import { LLC, Sap } from "./llc.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { ARP } from "./arp.js";
import { Dot1Q } from "./dot1q.js";

/** A SNAP header. */
export const SNAP = defineProtocol("SNAP", {
  oui: field.uint24({ hex: true, doc: "organisationally unique identifier (0: the code is an EtherType)" }),
  code: field.uint16({ hex: true, enum: invert(EtherType), doc: "protocol ID" }),
}, {
  summary: (l) => `oui 0x${l.oui.toString(16).padStart(6, "0")} code 0x${l.code.toString(16).padStart(4, "0")}`,
});
export type SNAP = Infer<typeof SNAP>;

bind(LLC, SNAP, { dsap: Sap.SNAP, ssap: Sap.SNAP, control: 0x03 });
bind(SNAP, Dot1Q, { oui: 0, code: EtherType.Dot1Q });
bind(SNAP, ARP, { oui: 0, code: EtherType.ARP });
bind(SNAP, IPv6, { oui: 0, code: EtherType.IPv6 });
bind(SNAP, IPv4, { oui: 0, code: EtherType.IPv4 });
