/**
 * DHCPv6, RFC 8415, over UDP 546 (client) and 547 (server).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    msg-type   |               transaction-id                  |
 *  |                            options                            |
 *
 * Relay messages (12, 13) carry hop-count, link-address and peer-address instead of the
 * transaction id. Options are `DHCPv6Option` items: `code`, `length`, the typed value of known
 * codes (client and server DUIDs, IA_NA with its own options, ORO, elapsed time, DNS servers,
 * status code) and `data` for the rest. Options inside IA_NA and IA Address are `DHCPv6SubOption`
 * items (IA Address, status code; their own nested options stay raw).
 */
import { formatIPv6, parseIPv6 } from "../schema/address.js";
import { defineProtocol, field, type Infer, type Shape } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { UDP } from "./udp.js";

/** DHCPv6 message types. */
export const Dhcpv6MessageType = {
  solicit: 1, advertise: 2, request: 3, confirm: 4, renew: 5, rebind: 6, reply: 7, release: 8,
  decline: 9, reconfigure: 10, informationRequest: 11, relayForward: 12, relayReply: 13,
} as const;

/** DHCPv6 option codes. */
export const Dhcpv6OptionCode = {
  clientId: 1, serverId: 2, iaNa: 3, iaTa: 4, iaAddress: 5, optionRequest: 6, preference: 7,
  elapsedTime: 8, relayMessage: 9, authentication: 11, unicast: 12, statusCode: 13, rapidCommit: 14,
  userClass: 15, vendorClass: 16, vendorOptions: 17, interfaceId: 18, reconfigureMessage: 19,
  reconfigureAccept: 20, dnsServers: 23, domainList: 24, iaPd: 25, iaPrefix: 26, ntpServer: 56,
  clientFqdn: 39,
} as const;

/** DUID types. */
export const DuidType = { linkLayerTime: 1, enterprise: 2, linkLayer: 3, uuid: 4 } as const;

/** DHCPv6 ports. */
export const Dhcpv6Port = { client: 546, server: 547 } as const;

const O = Dhcpv6OptionCode;
const isDuid = `code == ${O.clientId} || code == ${O.serverId}`;

/** A list of 16-bit values (option codes) or IPv6 addresses filling the rest of an option. */
function listOf(kind: "codes" | "ipv6", when: string) {
  const width = kind === "codes" ? 2 : 16;
  return field.custom<(number | string)[]>({
    kind: kind === "codes" ? "codeList" : "ipv6List",
    default: [],
    when,
    span: (c) => (c.end - c.offset) - ((c.end - c.offset) % width),
    read: (c) => {
      const out: (number | string)[] = [];
      for (let o = c.offset; o + width <= c.end; o += width) out.push(kind === "codes" ? (c.bytes[o]! << 8) | c.bytes[o + 1]! : formatIPv6(c.bytes, o));
      return out;
    },
    normalize: (v) => {
      if (!Array.isArray(v)) throw new Error(`expects an array of ${kind === "codes" ? "option codes" : "IPv6 addresses"}`);
      const tmp = new Uint8Array(16);
      return v.map((x) => {
        if (kind === "codes") {
          const n = typeof x === "string" ? (Dhcpv6OptionCode as Record<string, number>)[x] : x;
          if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error(`${JSON.stringify(x)} is not an option code`);
          return n;
        }
        if (typeof x !== "string" || !parseIPv6(x, tmp, 0)) throw new Error(`"${String(x)}" is not an IPv6 address`);
        return formatIPv6(tmp, 0);
      });
    },
    encode: (v) => {
      const out = new Uint8Array(v.length * width);
      v.forEach((x, i) => {
        if (kind === "codes") { out[2 * i] = (x as number) >> 8; out[2 * i + 1] = (x as number) & 0xff; } else parseIPv6(x as string, out, 16 * i);
      });
      return out;
    },
  });
}

/** The option fields common to both levels: code, length, DUIDs, status code, IA Address. */
function optionHead() {
  return {
    code: field.uint16({ enum: invert(Dhcpv6OptionCode), default: O.elapsedTime }),
    length: field.uint16({ lengthOf: "header", adjust: -4, doc: "the option data, in bytes" }),
    duidType: field.uint16({ when: isDuid, enum: invert(DuidType), default: DuidType.linkLayer }),
    hardwareType: field.uint16({ when: `(${isDuid}) && (duidType == 1 || duidType == 3)`, default: 1 }),
    time: field.uint32({ when: `(${isDuid}) && duidType == 1`, doc: "seconds since 2000-01-01 UTC" }),
    enterpriseNumber: field.uint32({ when: `(${isDuid}) && duidType == 2` }),
    statusCode: field.uint16({ when: `code == ${O.statusCode}` }),
    address: field.ipv6({ when: `code == ${O.iaAddress}` }),
    preferredLifetime: field.uint32({ when: `code == ${O.iaAddress}` }),
    validLifetime: field.uint32({ when: `code == ${O.iaAddress}` }),
  } satisfies Shape;
}

/** An option inside IA_NA or IA Address; its own options stay raw in `data`. */
export const DHCPv6SubOption = defineProtocol("DHCPv6SubOption", {
  ...optionHead(),
  data: field.bytes({ doc: "status message, nested options, or data of other codes" }),
}, { summary: (l) => String(l.code) });
export type DHCPv6SubOption = Infer<typeof DHCPv6SubOption>;

/** A DHCPv6 option. */
export const DHCPv6Option = defineProtocol("DHCPv6Option", {
  ...optionHead(),
  iaid: field.uint32({ when: `code == ${O.iaNa}`, hex: true }),
  t1: field.uint32({ when: `code == ${O.iaNa}` }),
  t2: field.uint32({ when: `code == ${O.iaNa}` }),
  options: field.list(DHCPv6SubOption, { when: `code == ${O.iaNa} || code == ${O.iaAddress}` }),
  requested: listOf("codes", `code == ${O.optionRequest}`),
  elapsedTime: field.uint16({ when: `code == ${O.elapsedTime}`, doc: "hundredths of a second" }),
  servers: listOf("ipv6", `code == ${O.dnsServers}`),
  data: field.bytes({ doc: "DUID link-layer address, status message, or data of other codes" }),
}, { summary: (l) => String(l.code) });
export type DHCPv6Option = Infer<typeof DHCPv6Option>;

const isRelay = "msgType == 12 || msgType == 13";

/** A DHCPv6 message. */
export const DHCPv6 = defineProtocol("DHCPv6", {
  msgType: field.uint8({ enum: invert(Dhcpv6MessageType), default: Dhcpv6MessageType.solicit }),
  transactionId: field.uint24({ when: `!(${isRelay})`, hex: true }),
  hopCount: field.uint8({ when: isRelay }),
  linkAddress: field.ipv6({ when: isRelay }),
  peerAddress: field.ipv6({ when: isRelay }),
  options: field.list(DHCPv6Option),
}, {
  summary: (l) => `${(invert(Dhcpv6MessageType) as Record<number, string>)[l.msgType] ?? l.msgType}${l.transactionId !== undefined ? ` xid 0x${l.transactionId.toString(16)}` : ""}`,
});
export type DHCPv6 = Infer<typeof DHCPv6>;

bind(UDP, DHCPv6, { srcPort: Dhcpv6Port.client, dstPort: Dhcpv6Port.server });
bind(UDP, DHCPv6, { srcPort: Dhcpv6Port.server, dstPort: Dhcpv6Port.client });
bind(UDP, DHCPv6, { srcPort: Dhcpv6Port.server, dstPort: Dhcpv6Port.server });
