/**
 * DHCP, RFC 2131 (on BOOTP, RFC 951), with the options of RFC 2132, over UDP 67/68.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 *  |                            xid (4)                            |
 *  |           secs (2)            |           flags (2)           |
 *  |                 ciaddr, yiaddr, siaddr, giaddr (4 each)       |
 *  |                          chaddr (16)                          |
 *  |                          sname (64)                           |
 *  |                          file (128)                           |
 *  |                      magic cookie 99.130.83.99                |
 *  |                          options (variable)                   |
 *
 * Options are `DHCPOption` items: `code`, `length` (absent for pad and end), a typed value for
 * the common codes (`messageType`, `address`, `addresses`, `seconds`, `text`, `parameters`), and
 * `data`: the bytes of other codes, or bytes beyond a typed value.
 */
import { formatIPv4, parseIPv4 } from "../schema/address.js";
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { UDP } from "./udp.js";

/** DHCP option codes (RFC 2132 and IANA). */
export const DhcpOptionCode = {
  pad: 0, subnetMask: 1, timeOffset: 2, router: 3, timeServer: 4, nameServer: 5, domainNameServer: 6,
  logServer: 7, hostName: 12, domainName: 15, broadcastAddress: 28, ntpServers: 42, vendorSpecific: 43,
  netbiosNameServer: 44, requestedAddress: 50, leaseTime: 51, overload: 52, messageType: 53,
  serverIdentifier: 54, parameterRequestList: 55, message: 56, maxMessageSize: 57, renewalTime: 58,
  rebindingTime: 59, vendorClass: 60, clientIdentifier: 61, userClass: 77, clientFqdn: 81,
  relayAgentInformation: 82, domainSearch: 119, classlessStaticRoute: 121, end: 255,
} as const;

/** DHCP message types (option 53). */
export const DhcpMessageType = {
  discover: 1, offer: 2, request: 3, decline: 4, ack: 5, nak: 6, release: 7, inform: 8,
} as const;

/** The BOOTP op codes. */
export const BootpOp = { request: 1, reply: 2 } as const;

/** The magic cookie that starts the options (RFC 2131 §3). */
export const DHCP_MAGIC_COOKIE = 0x63825363;

/** DHCP ports. */
export const DhcpPort = { server: 67, client: 68 } as const;

const C = DhcpOptionCode;
const ADDRESS = [C.subnetMask, C.requestedAddress, C.serverIdentifier, C.broadcastAddress];
const ADDRESSES = [C.router, C.timeServer, C.nameServer, C.domainNameServer, C.logServer, C.ntpServers, C.netbiosNameServer];
const SECONDS = [C.leaseTime, C.renewalTime, C.rebindingTime];
const TEXT = [C.hostName, C.domainName, C.message, C.vendorClass];
const anyOf = (codes: readonly number[]) => codes.map((c) => `code == ${c}`).join(" || ");

/** A list of IPv4 addresses filling the rest of an option (whole addresses only). */
const addressList = field.custom<string[]>({
  kind: "ipv4List",
  default: [],
  when: anyOf(ADDRESSES),
  span: (c) => (c.end - c.offset) - ((c.end - c.offset) % 4),
  read: (c) => {
    const out: string[] = [];
    for (let o = c.offset; o + 4 <= c.end; o += 4) out.push(formatIPv4(c.bytes, o));
    return out;
  },
  normalize: (v) => {
    if (!Array.isArray(v)) throw new Error("expects an array of IPv4 addresses");
    const tmp = new Uint8Array(4);
    return v.map((a) => {
      if (typeof a !== "string" || !parseIPv4(a, tmp, 0)) throw new Error(`"${String(a)}" is not an IPv4 address`);
      return formatIPv4(tmp, 0);
    });
  },
  encode: (v) => {
    const out = new Uint8Array(v.length * 4);
    v.forEach((a, i) => parseIPv4(a, out, i * 4));
    return out;
  },
});

/** The codes of a parameter request list, one byte each. */
const codeList = field.custom<number[]>({
  kind: "codeList",
  default: [],
  when: `code == ${C.parameterRequestList}`,
  span: (c) => c.end - c.offset,
  read: (c) => Array.from(c.bytes.subarray(c.offset, c.end)),
  normalize: (v) => {
    const names = DhcpOptionCode as Record<string, number>;
    if (!Array.isArray(v)) throw new Error("expects an array of option codes or names");
    return v.map((x) => {
      const n = typeof x === "string" ? names[x] : x;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 255) throw new Error(`${JSON.stringify(x)} is not an option code`);
      return n;
    });
  },
  encode: (v) => Uint8Array.from(v),
});

/** A DHCP option. */
export const DHCPOption = defineProtocol("DHCPOption", {
  code: field.uint8({ enum: invert(DhcpOptionCode), default: C.end }),
  length: field.uint8({ when: "code != 0 && code != 255", lengthOf: "header", adjust: -2, doc: "the data, in bytes" }),
  messageType: field.uint8({ when: `code == ${C.messageType}`, enum: invert(DhcpMessageType), default: DhcpMessageType.discover }),
  address: field.ipv4({ when: anyOf(ADDRESS) }),
  addresses: addressList,
  seconds: field.uint32({ when: anyOf(SECONDS) }),
  text: field.string({ when: anyOf(TEXT) }),
  parameters: codeList,
  data: field.bytes({ when: "code != 0 && code != 255", doc: "data of other codes, or bytes beyond a typed value" }),
}, { summary: (l) => String(l.code) });
export type DHCPOption = Infer<typeof DHCPOption>;

/** A DHCP (BOOTP) message. */
export const DHCP = defineProtocol("DHCP", {
  op: field.uint8({ enum: invert(BootpOp), default: BootpOp.request }),
  htype: field.uint8({ default: 1, doc: "hardware type (1: Ethernet)" }),
  hlen: field.uint8({ default: 6, doc: "hardware address length" }),
  hops: field.uint8(),
  xid: field.uint32({ hex: true, doc: "transaction id" }),
  secs: field.uint16(),
  flags: field.uint16({ hex: true, flags: { 0x8000: "B" }, doc: "B: broadcast" }),
  ciaddr: field.ipv4({ doc: "client address" }),
  yiaddr: field.ipv4({ doc: "'your' (offered) address" }),
  siaddr: field.ipv4({ doc: "next server address" }),
  giaddr: field.ipv4({ doc: "relay agent address" }),
  chaddr: field.bytes(16, { doc: "client hardware address, zero padded" }),
  sname: field.string({ length: 64, doc: "server host name" }),
  file: field.string({ length: 128, doc: "boot file name" }),
  magicCookie: field.uint32({ hex: true, default: DHCP_MAGIC_COOKIE }),
  options: field.list(DHCPOption),
}, {
  summary: (l) => {
    const t = l.options.find((o) => o.code === C.messageType)?.messageType;
    return `${t !== undefined ? (invert(DhcpMessageType) as Record<number, string>)[t] ?? t : l.op} xid 0x${l.xid.toString(16)}`;
  },
  validate: (l) => (l.magicCookie !== DHCP_MAGIC_COOKIE ? `magic cookie is 0x${l.magicCookie.toString(16)}` : undefined),
});
export type DHCP = Infer<typeof DHCP>;

/** Return a hardware address string as the 16-byte `chaddr` ("02:00:00:00:00:01"). */
export function chaddr(mac: string): Uint8Array {
  const out = new Uint8Array(16);
  const parts = mac.split(/[:-]/);
  parts.forEach((p, i) => { if (i < 16) out[i] = parseInt(p, 16); });
  return out;
}

bind(UDP, DHCP, { srcPort: DhcpPort.server, dstPort: DhcpPort.server });
bind(UDP, DHCP, { srcPort: DhcpPort.server, dstPort: DhcpPort.client });
bind(UDP, DHCP, { srcPort: DhcpPort.client, dstPort: DhcpPort.server });
