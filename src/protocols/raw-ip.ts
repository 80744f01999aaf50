/**
 * Raw IP (link type 101, LINKTYPE_RAW): the packet starts with an IPv4 or IPv6 header and nothing
 * says which but the version nibble. `RawIP` is a selector, never a layer: `dissect(bytes, RawIP)`
 * gives the IPv4 or IPv6 layer first.
 */
import { defineProtocol } from "../schema/protocol.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { registerLinkType } from "../capture/link.js";
import { LinkType } from "../capture/record.js";

/** Raw IP: IPv4 or IPv6, by the first nibble. */
export const RawIP = defineProtocol("RawIP", {}, {
  select: (bytes, offset, end) => {
    if (offset >= end) return undefined;
    const version = bytes[offset]! >> 4;
    return version === 4 ? IPv4 : version === 6 ? IPv6 : undefined;
  },
});

registerLinkType(LinkType.RAW, RawIP);
