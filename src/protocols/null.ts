/**
 * BSD loopback ("null") headers: a 4-byte address family before an IP packet.
 * Link type 0 (DLT_NULL) writes the family in the byte order of the capturing host; link type 108
 * (DLT_LOOP) writes it in network byte order. `Null` reads the family little-endian, `Loop`
 * big-endian; `NullLink`, registered for link type 0, picks one as Wireshark does: a family with
 * any of its upper 16 bits set is byte-swapped, so the other order is right.
 *
 *  +--------+--------+--------+--------+
 *  |         address family (4)        |
 *  +--------+--------+--------+--------+
 */
import { defineProtocol, field, type Infer } from "../schema/protocol.js";
import { invert } from "../schema/field.js";
import { bind } from "../packet/bind.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";

/** Address families found in loopback headers (AF_INET6 differs between systems). */
export const LoopbackFamily = {
  IPv4: 2,
  IPv6Linux: 10,
  IPv6: 24,
  IPv6FreeBSD: 28,
  IPv6Darwin: 30,
} as const;

const familyNames = invert(LoopbackFamily);

function summary(l: { family: number }): string {
  return familyNames[l.family as 2] ?? `family ${l.family}`;
}

/** A null header with a little-endian (host order on x86 and ARM) family. */
export const Null = defineProtocol("Null", {
  family: field.uint32({ endian: "little", enum: familyNames, default: LoopbackFamily.IPv4, doc: "address family, host byte order" }),
}, { summary });
export type Null = Infer<typeof Null>;

/** A loopback header with a big-endian family (DLT_LOOP, and DLT_NULL from big-endian hosts). */
export const Loop = defineProtocol("Loop", {
  family: field.uint32({ enum: familyNames, default: LoopbackFamily.IPv4, doc: "address family, network byte order" }),
}, { summary });
export type Loop = Infer<typeof Loop>;

/** Return whether a DLT_NULL family at `offset` is big-endian (Wireshark's rule). */
export function nullIsBigEndian(bytes: Uint8Array, offset: number): boolean {
  // Read as little-endian, a real family fits in 16 bits; if the upper half is set, it was big-endian.
  return bytes[offset + 2] !== 0 || bytes[offset + 3] !== 0;
}

/** Link type 0: chooses `Null` or `Loop` by the family's byte order; never a layer itself. */
export const NullLink = defineProtocol("NullLink", {}, {
  select: (bytes, offset, end) => (end - offset >= 4 && nullIsBigEndian(bytes, offset) ? Loop : Null),
});

for (const Header of [Null, Loop]) {
  bind(Header, IPv6, { family: LoopbackFamily.IPv6Darwin });
  bind(Header, IPv6, { family: LoopbackFamily.IPv6FreeBSD });
  bind(Header, IPv6, { family: LoopbackFamily.IPv6Linux });
  bind(Header, IPv6, { family: LoopbackFamily.IPv6 });
  bind(Header, IPv4, { family: LoopbackFamily.IPv4 });
}
registerLinkType(LinkType.NULL, NullLink);
registerLinkType(LinkType.LOOP, Loop);
