/**
 * DNS, RFC 1035 (with the AD and CD bits of RFC 4035 and EDNS0 of RFC 6891), over UDP (port 53,
 * and mDNS on 5353) and over TCP (port 53, each message behind a 2-byte length: `DNSTCP`).
 *
 *                                   1  1  1  1  1  1
 *     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   |            Question / Answer / Authority / Additional sections
 *
 * Names are compressed when building and read with loop protection (see dns-name.ts); record
 * data is typed by the record type (see dns-data.ts).
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { UDP } from "./udp.js";
import { TCP } from "./tcp.js";
import { dnsNameField } from "./dns-name.js";
import { dnsDataField, DnsType } from "./dns-data.js";

export { DnsType, type DnsData, type EdnsOption, type MxData, type SoaData, type SrvData } from "./dns-data.js";

/** DNS classes. */
export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;
/** DNS opcodes. */
export const DnsOpcode = { query: 0, iquery: 1, status: 2, notify: 4, update: 5 } as const;
/** DNS response codes. */
export const DnsRcode = {
  ok: 0, formatError: 1, serverFailure: 2, nameError: 3, notImplemented: 4, refused: 5,
  yxDomain: 6, yxRRSet: 7, nxRRSet: 8, notAuth: 9, notZone: 10,
} as const;
/** Well-known DNS ports. */
export const DnsPort = { DNS: 53, MDNS: 5353 } as const;

const typeNames = invert(DnsType);
const classNames = invert(DnsClass);

/** A question: the name, type and class asked for. */
export const DNSQuestion = defineProtocol("DNSQuestion", {
  name: dnsNameField("the name asked for"),
  type: field.uint16({ enum: typeNames, default: DnsType.A }),
  class: field.uint16({ enum: classNames, default: DnsClass.IN }),
}, { summary: (l) => `${l.name} ${typeNames[l.type as keyof typeof typeNames] ?? l.type}` });
export type DNSQuestion = Infer<typeof DNSQuestion>;

/** A resource record. For OPT, `class` is the UDP payload size and `ttl` the extended rcode, version and flags. */
export const DNSRecord = defineProtocol("DNSRecord", {
  name: dnsNameField("the owner name"),
  type: field.uint16({ enum: typeNames, default: DnsType.A }),
  class: field.uint16({ enum: classNames, default: DnsClass.IN }),
  ttl: field.uint32(),
  dataLength: field.uint16({ lengthOf: "data", doc: "RDLENGTH" }),
  data: dnsDataField(),
}, { summary: (l) => `${l.name} ${typeNames[l.type as keyof typeof typeNames] ?? l.type}` });
export type DNSRecord = Infer<typeof DNSRecord>;

/** A DNS message. */
export const DNS = defineProtocol("DNS", {
  id: field.uint16({ hex: true }),
  qr: field.bits(1, { doc: "0 query, 1 response" }),
  opcode: field.bits(4, { enum: invert(DnsOpcode) }),
  aa: field.bits(1, { doc: "authoritative answer" }),
  tc: field.bits(1, { doc: "truncated" }),
  rd: field.bits(1, { default: 1, doc: "recursion desired" }),
  ra: field.bits(1, { doc: "recursion available" }),
  z: field.bits(1),
  ad: field.bits(1, { doc: "authentic data" }),
  cd: field.bits(1, { doc: "checking disabled" }),
  rcode: field.bits(4, { enum: invert(DnsRcode) }),
  qdCount: field.uint16({ countOf: "questions" }),
  anCount: field.uint16({ countOf: "answers" }),
  nsCount: field.uint16({ countOf: "authorities" }),
  arCount: field.uint16({ countOf: "additionals" }),
  questions: field.list(DNSQuestion),
  answers: field.list(DNSRecord),
  authorities: field.list(DNSRecord),
  additionals: field.list(DNSRecord),
}, {
  summary: (l) => {
    const q = l.questions[0];
    const what = q === undefined ? "" : ` ${q.name} ${typeNames[q.type as keyof typeof typeNames] ?? q.type}`;
    return `${l.qr ? "response" : "query"} 0x${l.id.toString(16).padStart(4, "0")}${what}`;
  },
});
export type DNS = Infer<typeof DNS>;

/** DNS over TCP (RFC 1035 §4.2.2): a 2-byte length before each message. */
export const DNSTCP = defineProtocol("DNSTCP", {
  length: field.uint16({ lengthOf: "payload", doc: "the DNS message, in bytes" }),
}, {
  summary: (l) => `${l.length} byte(s)`,
  next: () => DNS,
});
export type DNSTCP = Infer<typeof DNSTCP>;

bind(UDP, DNS, { srcPort: DnsPort.MDNS });
bind(UDP, DNS, { dstPort: DnsPort.MDNS });
bind(UDP, DNS, { srcPort: DnsPort.DNS });
bind(UDP, DNS, { dstPort: DnsPort.DNS });
bind(TCP, DNSTCP, { srcPort: DnsPort.DNS });
bind(TCP, DNSTCP, { dstPort: DnsPort.DNS });
