/**
 * NTP version 4, RFC 5905: the packet header over UDP 123. Timestamps are the 64-bit NTP format
 * (seconds since 1900 in the high 32 bits, the fraction in the low 32), read as bigint;
 * `ntpTime()` and `ntpDate()` convert.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |LI | VN  |Mode |    Stratum     |     Poll      |  Precision   |
 *  |                         Root Delay                            |
 *  |                         Root Dispersion                       |
 *  |                          Reference ID                         |
 *  |                     Reference Timestamp (64)                  |
 *  |                      Origin Timestamp (64)                    |
 *  |                      Receive Timestamp (64)                   |
 *  |                      Transmit Timestamp (64)                  |
 *  |          Extension fields, key identifier and digest          |
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { UDP } from "./udp.js";

/** NTP association modes. */
export const NtpMode = {
  reserved: 0, symmetricActive: 1, symmetricPassive: 2, client: 3, server: 4, broadcast: 5, control: 6, private: 7,
} as const;

/** The NTP port. */
export const NTP_PORT = 123;

/** Seconds from the NTP era 0 (1900-01-01) to the Unix epoch. */
export const NTP_UNIX_OFFSET = 2208988800n;

/** An NTP header. */
export const NTP = defineProtocol("NTP", {
  leap: field.bits(2, { doc: "leap indicator (3: clock unsynchronized)" }),
  version: field.bits(3, { default: 4 }),
  mode: field.bits(3, { enum: invert(NtpMode), default: NtpMode.client }),
  stratum: field.uint8(),
  poll: field.int8({ doc: "log2 of the poll interval in seconds" }),
  precision: field.int8({ doc: "log2 of the clock precision in seconds" }),
  rootDelay: field.uint32({ hex: true, doc: "NTP short format (16.16 seconds)" }),
  rootDispersion: field.uint32({ hex: true, doc: "NTP short format (16.16 seconds)" }),
  referenceId: field.uint32({ hex: true, doc: "a server address or a four-letter code" }),
  referenceTimestamp: field.uint64(),
  originTimestamp: field.uint64(),
  receiveTimestamp: field.uint64(),
  transmitTimestamp: field.uint64(),
  extensions: field.bytes({ doc: "extension fields, key identifier and digest, unparsed" }),
}, {
  summary: (l) => `v${l.version} ${(invert(NtpMode) as Record<number, string>)[l.mode] ?? l.mode} stratum ${l.stratum}`,
});
export type NTP = Infer<typeof NTP>;

/** Return the NTP timestamp of a Date (milliseconds precision). */
export function ntpTime(date: Date): bigint {
  const ms = BigInt(date.getTime());
  const seconds = ms / 1000n + NTP_UNIX_OFFSET;
  const fraction = (((ms % 1000n) << 32n) + 500n) / 1000n;
  return (seconds << 32n) | fraction;
}

/** Return the Date of an NTP timestamp (era 0). */
export function ntpDate(timestamp: bigint): Date {
  const seconds = (timestamp >> 32n) - NTP_UNIX_OFFSET;
  const ms = ((timestamp & 0xffffffffn) * 1000n + (1n << 31n)) >> 32n;
  return new Date(Number(seconds * 1000n + ms));
}

bind(UDP, NTP, { srcPort: NTP_PORT });
bind(UDP, NTP, { dstPort: NTP_PORT });
