/**
 * IEEE 802.2 Logical Link Control, the header of 802.3 length frames (an Ethernet "type" of 1500
 * or less is a length, and LLC follows). Only the one-byte control of unnumbered (U) frames is
 * decoded; I and S frames, whose control is two bytes, keep the second byte in the payload.
 *
 *  +--------+--------+---------+
 *  |  DSAP  |  SSAP  | Control |
 *  +--------+--------+---------+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";

/** Well-known service access points. */
export const Sap = {
  null: 0x00,
  STP: 0x42,
  SNAP: 0xaa,
  IPX: 0xe0,
  NetBIOS: 0xf0,
  global: 0xff,
} as const;

/** An 802.2 LLC header. */
export const LLC = defineProtocol("LLC", {
  dsap: field.uint8({ hex: true, enum: invert(Sap), doc: "destination service access point" }),
  ssap: field.uint8({ hex: true, enum: invert(Sap), doc: "source service access point" }),
  control: field.uint8({ hex: true, default: 0x03, doc: "control (0x03: unnumbered information)" }),
}, {
  summary: (l) => `dsap 0x${l.dsap.toString(16).padStart(2, "0")} ssap 0x${l.ssap.toString(16).padStart(2, "0")} control 0x${l.control.toString(16).padStart(2, "0")}`,
});
export type LLC = Infer<typeof LLC>;
