/**
 * IGMP: version 1 and 2 (RFC 2236) in one layer, `IGMP`; version 3 (RFC 3376) as a header,
 * `IGMPv3`, then `IGMPv3Query` or `IGMPv3Report` by type. A query (0x11) is version 3 when the
 * message is 12 bytes or longer (RFC 3376 section 7.1); `IGMPMessage`, bound to IPv4 protocol 2,
 * chooses. Both checksums cover the whole message.
 *
 *   IGMP:         | type | maxRespTime | checksum (2) | group (4) |
 *   IGMPv3:       | type | maxRespCode | checksum (2) |
 *   IGMPv3Query:  | group (4) | resv:4 suppress:1 qrv:3 | qqic | numSources (2) | sources (4 each) |
 *   IGMPv3Report: | reserved (2) | numRecords (2) | records… |
 *   IGMPv3Record: | recordType | auxDataLength | numSources (2) | multicastAddress (4) |
 *                 | sources (4 each) | auxData |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4, IpProtocol } from "./ipv4.js";
import { MulticastRecordType } from "./mld.js";

/** IGMP message types. */
export const IgmpType = {
  membershipQuery: 0x11,
  membershipReportV1: 0x12,
  membershipReportV2: 0x16,
  leaveGroup: 0x17,
  membershipReportV3: 0x22,
} as const;

const typeNames = invert(IgmpType);
const checksum = () => field.uint16({ hex: true, checksum: (c) => internetChecksum(c.bytes, c.start, c.end) });

/** An IGMPv1 or IGMPv2 message. */
export const IGMP = defineProtocol("IGMP", {
  type: field.uint8({ enum: typeNames, hex: true, default: IgmpType.membershipReportV2 }),
  maxRespTime: field.uint8({ doc: "in tenths of a second (queries)" }),
  checksum: checksum(),
  group: field.ipv4({ default: "0.0.0.0", doc: "the group (0.0.0.0 in a general query)" }),
}, { summary: (l) => `${typeNames[l.type as 0x11] ?? `type 0x${l.type.toString(16)}`} ${l.group}` });
export type IGMP = Infer<typeof IGMP>;

/** The IGMPv3 header. */
export const IGMPv3 = defineProtocol("IGMPv3", {
  type: field.uint8({ enum: typeNames, hex: true, default: IgmpType.membershipReportV3 }),
  maxRespCode: field.uint8({ doc: "maximum response code, tenths of a second below 128 (queries)" }),
  checksum: checksum(),
}, { summary: (l) => typeNames[l.type as 0x11] ?? `type 0x${l.type.toString(16)}` });
export type IGMPv3 = Infer<typeof IGMPv3>;

/** A source address in an IGMPv3 query or record. */
export const IGMPv3Source = defineProtocol("IGMPv3Source", {
  address: field.ipv4(),
}, { summary: (l) => l.address });

/** The body of an IGMPv3 membership query. */
export const IGMPv3Query = defineProtocol("IGMPv3Query", {
  group: field.ipv4({ default: "0.0.0.0" }),
  reserved: field.bits(4),
  suppress: field.bits(1, { doc: "suppress router-side processing" }),
  qrv: field.bits(3, { default: 2, doc: "querier's robustness variable" }),
  qqic: field.uint8({ default: 125, doc: "querier's query interval code" }),
  numSources: field.uint16({ countOf: "sources" }),
  sources: field.list(IGMPv3Source),
}, { summary: (l) => `${l.group} ${l.numSources} source(s)` });
export type IGMPv3Query = Infer<typeof IGMPv3Query>;

/** A group record of an IGMPv3 report. */
export const IGMPv3Record = defineProtocol("IGMPv3Record", {
  recordType: field.uint8({ enum: invert(MulticastRecordType), default: MulticastRecordType.changeToExclude }),
  auxDataLength: field.uint8({ lengthOf: "auxData", scale: 4, doc: "in 32-bit words" }),
  numSources: field.uint16({ countOf: "sources" }),
  multicastAddress: field.ipv4(),
  sources: field.list(IGMPv3Source),
  auxData: field.bytes(),
}, { summary: (l) => `${l.multicastAddress} type ${l.recordType}` });
export type IGMPv3Record = Infer<typeof IGMPv3Record>;

/** The body of an IGMPv3 membership report. */
export const IGMPv3Report = defineProtocol("IGMPv3Report", {
  reserved: field.uint16(),
  numRecords: field.uint16({ countOf: "records" }),
  records: field.list(IGMPv3Record),
}, { summary: (l) => `${l.numRecords} record(s)` });
export type IGMPv3Report = Infer<typeof IGMPv3Report>;

/** IPv4 protocol 2: chooses `IGMP` or `IGMPv3` by type and length; never a layer itself. */
export const IGMPMessage = defineProtocol("IGMPMessage", {}, {
  select: (bytes, offset, end) => {
    if (offset >= end) return undefined;
    const type = bytes[offset]!;
    return type === IgmpType.membershipReportV3 || (type === IgmpType.membershipQuery && end - offset >= 12) ? IGMPv3 : IGMP;
  },
});

bind(IGMPv3, IGMPv3Report, { type: IgmpType.membershipReportV3 });
bind(IGMPv3, IGMPv3Query, { type: IgmpType.membershipQuery });
bind(IPv4, IGMPv3, { protocol: IpProtocol.IGMP });
bind(IPv4, IGMP, { protocol: IpProtocol.IGMP });
bind(IPv4, IGMPMessage, { protocol: IpProtocol.IGMP });
