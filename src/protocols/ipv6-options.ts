/**
 * IPv6 Hop-by-Hop Options and Destination Options headers, RFC 8200 section 4.3 and 4.6, with their
 * option TLVs (Pad1, PadN, router alert and others kept raw). The next header is dispatched with
 * IPv6's own binds (`inheritBinds`), so whatever binds to IPv6 also follows these headers. When
 * building, `padding` fills the header to a multiple of 8 bytes with a Pad1 or PadN option.
 *
 *  +---------------+---------------+-------------------------------+
 *  |  Next Header  |  Hdr Ext Len  |                               |
 *  +---------------+---------------+                               +
 *  |                 Options (TLVs: type, length, data)            |
 *  +---------------------------------------------------------------+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { IpProtocol, ipProtocolNames } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";

/** IPv6 option types. */
export const IPv6OptionType = {
  Pad1: 0,
  PadN: 1,
  routerAlert: 5,
  jumboPayload: 0xc2,
  homeAddress: 0xc9,
} as const;

const ALERT = "type == 5 && (length == 0 || length == 2)";

/** An IPv6 option TLV (Pad1 is the type byte alone). */
export const IPv6Option = defineProtocol("IPv6Option", {
  type: field.uint8({ enum: invert(IPv6OptionType), hex: true, doc: "action (2 bits), may-change (1 bit), number (5 bits)" }),
  length: field.uint8({ when: "type != 0", lengthOf: "header", adjust: -2, doc: "bytes of data" }),
  // Router alert (RFC 2711) when its length fits; a length of 0 is that of an option being built.
  value: field.uint16({ when: ALERT, doc: "router alert value (0: MLD, 1: RSVP, 2: active networks)" }),
  data: field.bytes({ when: `type != 0 && !(${ALERT})`, doc: "option data" }),
}, {
  summary: (l) => invert(IPv6OptionType)[l.type as 0] ?? `option 0x${l.type.toString(16)}`,
});
export type IPv6Option = Infer<typeof IPv6Option>;

/**
 * Padding after the options up to an 8-byte boundary, as Pad1 (one byte) or PadN: computed when
 * building if left empty (as Scapy's autopad does); dissected, the options run to the header's end
 * and this is empty.
 */
function padOptions() {
  return field.custom<Uint8Array, Uint8Array>({
    kind: "padOptions",
    default: new Uint8Array(0),
    doc: "Pad1 or PadN up to an 8-byte boundary (computed when building)",
    span: (c) => c.end - c.offset,
    read: (c) => c.bytes.subarray(c.offset, c.end),
    normalize: (v) => {
      if (!(v instanceof Uint8Array)) throw new Error("expects a Uint8Array");
      return v;
    },
    encode: (v, c) => {
      if (v.length > 0) return v;
      const n = (8 - (c.position % 8)) % 8;
      const pad = new Uint8Array(n);
      if (n >= 2) { pad[0] = IPv6OptionType.PadN; pad[1] = n - 2; }
      return pad;
    },
    format: (v) => (v.length === 0 ? "(none)" : Array.from(v, (x) => x.toString(16).padStart(2, "0")).join("")),
    json: (v) => Array.from(v, (x) => x.toString(16).padStart(2, "0")).join(""),
  });
}

function optionsHeader(name: "IPv6HopByHop" | "IPv6DestinationOptions") {
  return defineProtocol(name, {
    nextHeader: field.uint8({ enum: ipProtocolNames, default: IpProtocol.IPv6NoNxt }),
    length: field.uint8({ lengthOf: "header", scale: 8, adjust: -8, doc: "header length in 8-byte units, not counting the first 8" }),
    options: field.list(IPv6Option, { doc: "option TLVs, to the end of the header" }),
    padding: padOptions(),
  }, {
    summary: (l) => `${l.options.length} option(s)`,
    inheritBinds: IPv6,
  });
}

/** The Hop-by-Hop Options header. */
export const IPv6HopByHop = optionsHeader("IPv6HopByHop");
export type IPv6HopByHop = Infer<typeof IPv6HopByHop>;

/** The Destination Options header. */
export const IPv6DestinationOptions = optionsHeader("IPv6DestinationOptions");
export type IPv6DestinationOptions = Infer<typeof IPv6DestinationOptions>;

bind(IPv6, IPv6DestinationOptions, { nextHeader: IpProtocol.IPv6Opts });
bind(IPv6, IPv6HopByHop, { nextHeader: IpProtocol.HOPOPT });
