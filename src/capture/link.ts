/**
 * Which protocol a capture's link type starts with. Protocol files register themselves
 * (`registerLinkType(LinkType.ETHERNET, Ethernet)`) at the bottom, beside their binds.
 */
import type { AnyProtocol } from "../schema/protocol.js";

const table = new Map<number, AnyProtocol>();

/** Make records of `linkType` dissect starting with `protocol`. */
export function registerLinkType(linkType: number, protocol: AnyProtocol): void {
  table.set(linkType, protocol);
}

/** Return the first protocol for a link type, or undefined when none is registered. */
export function protocolForLinkType(linkType: number): AnyProtocol | undefined {
  return table.get(linkType);
}
