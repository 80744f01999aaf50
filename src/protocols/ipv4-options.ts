/**
 * IPv4 options, RFC 791 (end of list, no operation, record route, loose and strict source route,
 * timestamp) and RFC 2113 (router alert). One item protocol with fields present by option type;
 * an unknown option keeps its bytes in `data`.
 *
 *   EOL, NOP:              | type |
 *   record route, LSRR, SSRR: | type | length | pointer | address … |
 *   timestamp:             | type | length | pointer | overflow:4 flag:4 | entries … (in `data`) |
 *   router alert:          | type | length=4 | value (2) |
 *   other:                 | type | length | data … |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";

/** IPv4 option types (the whole type byte: copied flag, class and number). */
export const IPv4OptionType = {
  EOL: 0,
  NOP: 1,
  recordRoute: 7,
  timestamp: 68,
  looseSourceRoute: 131,
  strictSourceRoute: 137,
  routerAlert: 148,
} as const;

/** An address in a route option. */
export const IPv4RouteAddress = defineProtocol("IPv4RouteAddress", {
  address: field.ipv4(),
}, { summary: (l) => l.address });

// Each known shape applies only when the length fits it; otherwise the option's bytes go to `data`.
// A length of 0 is never on the wire (it is malformed before these are checked): it is the
// not-yet-computed length of an option being built.
const ROUTE = "(type == 7 || type == 131 || type == 137) && (length == 0 || length >= 3 && (length - 3) % 4 == 0)";
const TIMESTAMP = "type == 68 && (length == 0 || length >= 4)";
const ALERT = "type == 148 && (length == 0 || length == 4)";

/** An IPv4 option. */
export const IPv4Option = defineProtocol("IPv4Option", {
  type: field.uint8({ enum: invert(IPv4OptionType), doc: "option type: copied flag (bit 7), class (bits 5-6), number (bits 0-4)" }),
  length: field.uint8({ when: "type > 1", lengthOf: "header", doc: "bytes of the whole option" }),
  pointer: field.uint8({ when: `(${ROUTE}) || (${TIMESTAMP})`, doc: "offset (from 1) of the next free slot" }),
  overflow: field.bits(4, { when: TIMESTAMP, doc: "timestamps that did not fit" }),
  flag: field.bits(4, { when: TIMESTAMP, doc: "0: timestamps, 1: address and timestamp pairs, 3: prespecified addresses" }),
  value: field.uint16({ when: ALERT, doc: "router alert value (0: examine the packet)" }),
  addresses: field.list(IPv4RouteAddress, { when: ROUTE, doc: "the route's addresses" }),
  data: field.bytes({ when: `type > 1 && !(${ROUTE}) && !(${ALERT})`, doc: "timestamp entries, or the body of another option" }),
}, {
  summary: (l) => invert(IPv4OptionType)[l.type as 0] ?? `option ${l.type}`,
});
export type IPv4Option = Infer<typeof IPv4Option>;

/** Return the entries of a timestamp option: timestamps, with addresses when its flag says so. */
export function timestampEntries(option: IPv4Option): { address?: string; timestamp: number }[] {
  const out: { address?: string; timestamp: number }[] = [];
  const d = option.data;
  if (option.type !== IPv4OptionType.timestamp || d === undefined) return out;
  const pairs = option.flag !== 0;
  const step = pairs ? 8 : 4;
  for (let i = 0; i + step <= d.length; i += step) {
    const t = pairs ? i + 4 : i;
    const timestamp = ((d[t]! << 24) | (d[t + 1]! << 16) | (d[t + 2]! << 8) | d[t + 3]!) >>> 0;
    out.push(pairs ? { address: `${d[i]}.${d[i + 1]}.${d[i + 2]}.${d[i + 3]}`, timestamp } : { timestamp });
  }
  return out;
}
