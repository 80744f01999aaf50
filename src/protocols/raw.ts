/**
 * Raw: bytes no protocol claims. Padding: bytes after the end a lower layer's length field gives
 * (Ethernet frames padded to 60 bytes, for instance), kept so that nothing is lost.
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { toHex } from "../schema/address.js";

/** Payload bytes that no protocol claims. */
export const Raw = defineProtocol("Raw", {
  data: field.bytes({ doc: "the bytes" }),
}, {
  summary: (l) => `${l.data.length} byte(s)${l.data.length ? " " + toHex(l.data.subarray(0, 8)) + (l.data.length > 8 ? "…" : "") : ""}`,
});
export type Raw = Infer<typeof Raw>;

/** Trailing bytes after a layer's declared end. */
export const Padding = defineProtocol("Padding", {
  data: field.bytes({ doc: "the bytes" }),
}, {
  summary: (l) => `${l.data.length} byte(s)`,
});
export type Padding = Infer<typeof Padding>;
