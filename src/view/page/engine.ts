/**
 * The engine inside the page: every built-in protocol (the same set `wirecraft read` knows,
 * without `--load` modules), dissection from a frame's link type, the filter compiler and the
 * layer tree. Bundled by esbuild into the page script.
 */
import * as arp from "../../protocols/arp.js";
import * as dhcp from "../../protocols/dhcp.js";
import * as dhcpv6 from "../../protocols/dhcpv6.js";
import * as dns from "../../protocols/dns.js";
import * as dot1q from "../../protocols/dot1q.js";
import * as ethernet from "../../protocols/ethernet.js";
import * as gre from "../../protocols/gre.js";
import * as icmp from "../../protocols/icmp.js";
import * as icmpv6 from "../../protocols/icmpv6.js";
import * as igmp from "../../protocols/igmp.js";
import * as ipv4Options from "../../protocols/ipv4-options.js";
import * as ipv4 from "../../protocols/ipv4.js";
import * as ipv6Fragment from "../../protocols/ipv6-fragment.js";
import * as ipv6Options from "../../protocols/ipv6-options.js";
import * as ipv6Routing from "../../protocols/ipv6-routing.js";
import * as ipv6 from "../../protocols/ipv6.js";
import * as llc from "../../protocols/llc.js";
import * as mld from "../../protocols/mld.js";
import * as ndp from "../../protocols/ndp.js";
import * as ntp from "../../protocols/ntp.js";
import * as nullLink from "../../protocols/null.js";
import * as rawIp from "../../protocols/raw-ip.js";
import * as raw from "../../protocols/raw.js";
import * as sll from "../../protocols/sll.js";
import * as snap from "../../protocols/snap.js";
import * as tcp from "../../protocols/tcp.js";
import * as udp from "../../protocols/udp.js";
import * as vxlan from "../../protocols/vxlan.js";
import { protocolForLinkType } from "../../capture/link.js";
import { compileFilter, FilterError, protocolsIn, type FilterPredicate } from "../../filter/index.js";
import { createDissector, type Packet } from "../../packet/packet.js";
import type { AnyProtocol } from "../../schema/protocol.js";
import { packetTree, type TreeNode } from "../tree.js";
import { diagram } from "../../diagram/index.js";

/** Every protocol the page knows. */
export const PROTOCOLS: AnyProtocol[] = protocolsIn(
  arp, dhcp, dhcpv6, dns, dot1q, ethernet, gre, icmp, icmpv6, igmp, ipv4Options, ipv4, ipv6Fragment, ipv6Options,
  ipv6Routing, ipv6, llc, mld, ndp, ntp, nullLink, rawIp, raw, sll, snap, tcp, udp, vxlan,
);

const dissectors = new Map<number, { dissect(bytes: Uint8Array): Packet }>();

/** Dissect a frame's bytes from its link type (valid until the next call for the same link type). */
export function dissectFrame(bytes: Uint8Array, linkType: number): Packet {
  let d = dissectors.get(linkType);
  if (d === undefined) {
    d = createDissector(protocolForLinkType(linkType) ?? raw.Raw);
    dissectors.set(linkType, d);
  }
  return d.dissect(bytes);
}

/** A compiled filter, or where it is wrong. */
export type Compiled = { ok: true; test: FilterPredicate } | { ok: false; message: string; column: number };

/** Compile a filter over the page's protocols. */
export function compile(expr: string): Compiled {
  try {
    return { ok: true, test: compileFilter(expr, PROTOCOLS) };
  } catch (e) {
    if (e instanceof FilterError) return { ok: false, message: e.message, column: e.column };
    return { ok: false, message: (e as Error).message, column: 0 };
  }
}

/** Return the layer tree of a frame. */
export function frameTree(bytes: Uint8Array, linkType: number, frame: { number: number; length: number; time: string }): TreeNode[] {
  const p = dissectFrame(bytes, linkType);
  return packetTree(p, { ...frame, captured: bytes.length });
}

/** Return the SVG diagram of a frame: each layer's fields with their values, the bytes coloured by field. */
export function frameDiagram(bytes: Uint8Array, linkType: number): string {
  return diagram(dissectFrame(bytes, linkType), { format: "svg" });
}
