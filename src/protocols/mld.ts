/**
 * Multicast Listener Discovery: MLDv1 (RFC 2710) query, report and done, and MLDv2 (RFC 3810)
 * query and report, as bodies after the `ICMPv6` header. A query (type 130) is MLDv2 when its
 * body has 24 bytes or more, as RFC 3810 section 8.1 says.
 *
 *   MLD (130, 131, 132):  | maxResponseDelay (2) | reserved (2) | multicastAddress (16) |
 *   MLDv2Query (130):     | maxResponseCode (2) | reserved (2) | multicastAddress (16) |
 *                         | resv:4 suppress:1 qrv:3 | qqic (1) | numSources (2) | sources (16 each) |
 *   MLDv2Report (143):    | reserved (2) | numRecords (2) | records… |
 *   MLDv2Record:          | recordType | auxDataLength (4-byte words) | numSources (2) |
 *                         | multicastAddress (16) | sources (16 each) | auxData |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { ICMPv6, icmpv6BodyHooks, Icmpv6Type } from "./icmpv6.js";

/** Record types of MLDv2 reports (and IGMPv3's). */
export const MulticastRecordType = {
  modeIsInclude: 1,
  modeIsExclude: 2,
  changeToInclude: 3,
  changeToExclude: 4,
  allowNewSources: 5,
  blockOldSources: 6,
} as const;

/** A source address in an MLDv2 query or record. */
export const MLDSource = defineProtocol("MLDSource", {
  address: field.ipv6(),
}, { summary: (l) => l.address });

/** An MLDv1 query, report or done message. */
export const MLD = defineProtocol("MLD", {
  maxResponseDelay: field.uint16({ doc: "milliseconds (queries)" }),
  reserved: field.uint16(),
  multicastAddress: field.ipv6({ default: "::", doc: "the group (:: in a general query)" }),
}, { summary: (l) => l.multicastAddress });
export type MLD = Infer<typeof MLD>;

/** An MLDv2 query. */
export const MLDv2Query = defineProtocol("MLDv2Query", {
  maxResponseCode: field.uint16({ default: 10000, doc: "maximum response delay code (milliseconds below 32768)" }),
  reserved: field.uint16(),
  multicastAddress: field.ipv6({ default: "::" }),
  reserved2: field.bits(4),
  suppress: field.bits(1, { doc: "suppress router-side processing" }),
  qrv: field.bits(3, { default: 2, doc: "querier's robustness variable" }),
  qqic: field.uint8({ default: 125, doc: "querier's query interval code" }),
  numSources: field.uint16({ countOf: "sources" }),
  sources: field.list(MLDSource),
}, { summary: (l) => `${l.multicastAddress} ${l.numSources} source(s)` });
export type MLDv2Query = Infer<typeof MLDv2Query>;

/** A multicast address record of an MLDv2 report. */
export const MLDv2Record = defineProtocol("MLDv2Record", {
  recordType: field.uint8({ enum: invert(MulticastRecordType), default: MulticastRecordType.changeToExclude }),
  auxDataLength: field.uint8({ lengthOf: "auxData", scale: 4, doc: "in 32-bit words" }),
  numSources: field.uint16({ countOf: "sources" }),
  multicastAddress: field.ipv6(),
  sources: field.list(MLDSource),
  auxData: field.bytes(),
}, { summary: (l) => `${l.multicastAddress} type ${l.recordType}` });
export type MLDv2Record = Infer<typeof MLDv2Record>;

/** An MLDv2 report (type 143). */
export const MLDv2Report = defineProtocol("MLDv2Report", {
  reserved: field.uint16(),
  numRecords: field.uint16({ countOf: "records" }),
  records: field.list(MLDv2Record),
}, { summary: (l) => `${l.numRecords} record(s)` });
export type MLDv2Report = Infer<typeof MLDv2Report>;

icmpv6BodyHooks.push((type, remaining) => (type === Icmpv6Type.multicastListenerQuery && remaining >= 24 ? MLDv2Query : undefined));
bind(ICMPv6, MLDv2Report, { type: Icmpv6Type.multicastListenerReportV2 });
bind(ICMPv6, MLDv2Query, { type: Icmpv6Type.multicastListenerQuery });
bind(ICMPv6, MLD, { type: Icmpv6Type.multicastListenerDone });
bind(ICMPv6, MLD, { type: Icmpv6Type.multicastListenerReport });
bind(ICMPv6, MLD, { type: Icmpv6Type.multicastListenerQuery });
