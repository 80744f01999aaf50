/**
 * IPv6 (RFC 8200) for the stack, beside IPv4: receive checks, the extension header chain
 * (Hop-by-Hop first only, Destination Options, Routing, Fragment), unknown options by their two
 * high action bits, ICMPv6 parameter problems where RFC 8200 says so, several addresses per
 * interface with states (tentative, preferred, deprecated), source address selection (RFC 6724,
 * rules 1, 2, 3 and 8), next-hop choice (redirects, on-link prefixes, routes, default routers),
 * fragmentation on output to the path MTU, and loopback to our own addresses. A host: nothing is
 * forwarded, the hop limit is not decremented.
 *
 * Transports register a handler per protocol and send with `send({ dst, protocol, payload })`,
 * as they do over `Ipv4`; their checksums cover the IPv6 pseudo-header when built (the protocol
 * definitions find the IPv6 layer) and `pseudoHeaderSum6()` checks them on input.
 */
import { createDissector, packet, type Packet } from "../packet/packet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IPv6HopByHop, IPv6Option, IPv6OptionType } from "../protocols/ipv6-options.js";
// Binds only: received fragments and routing headers dissect as themselves.
import "../protocols/ipv6-fragment.js";
import "../protocols/ipv6-routing.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { EtherType } from "../protocols/ethernet.js";
import type { AnyLayer } from "../schema/protocol.js";
import type { Clock } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import type { Interface } from "./interface.js";
import type { Stats } from "./stats.js";
import type { RouteTable6 } from "./route6.js";
import {
  ALL_NODES, commonPrefixLength, formatAddress6, isLinkLocal6, isMulticast6, multicastMac6, samePrefix, scope6,
} from "./address6.js";

/** The IPv6 header's length. */
export const IPV6_HEADER = 40;
/** The minimum link MTU of IPv6 (RFC 8200 5). */
export const IPV6_MIN_MTU = 1280;

/** The state of an address (RFC 4862). */
export type AddressState6 = "tentative" | "preferred" | "deprecated";
/** Where an address came from. */
export type AddressOrigin6 = "static" | "link-local" | "slaac";

/** An address of the interface. */
export interface Address6 {
  readonly address: string;
  readonly prefixLength: number;
  state: AddressState6;
  readonly origin: AddressOrigin6;
  /** Clock times the address stops being preferred and valid (Infinity: never). */
  preferredUntil: number;
  validUntil: number;
}

/** How a datagram reached us. */
export interface Arrival6 {
  /** The bytes the datagram is in (a frame, or a reassembled datagram). */
  readonly bytes: Uint8Array;
  /** Where the IPv6 header starts in `bytes`. */
  readonly start: number;
  readonly src: string;
  readonly dst: string;
  /** Sent to a multicast group. */
  readonly multicast: boolean;
  readonly hopLimit: number;
  readonly trafficClass: number;
  /** The upper-layer protocol and where its header starts and the datagram ends, in `bytes`. */
  readonly protocol: number;
  readonly upperStart: number;
  readonly upperEnd: number;
  /** Offset from `start` of the next-header field that names `protocol` (parameter problem pointers). */
  readonly nextHeaderField: number;
  /** Whether the datagram came in fragments. */
  readonly reassembled: boolean;
}

/** The IPv6 layer of a dissected datagram. */
export type Ipv6Layer = ReturnType<typeof IPv6>;

/** What IPv6 hands datagrams to, by upper-layer protocol. */
export type Protocol6Handler = (p: Packet, ip: Ipv6Layer, arrival: Arrival6) => void;

/** What to send. */
export interface Send6Options {
  readonly dst: string;
  /** Source address; chosen by RFC 6724 when omitted ("::" is sent as given: DAD, MLD before an address). */
  readonly src?: string | undefined;
  readonly protocol: number;
  /** The layers after the IPv6 header (checksums over the pseudo-header are computed). */
  readonly payload: readonly AnyLayer[];
  readonly hopLimit?: number | undefined;
  readonly trafficClass?: number | undefined;
  readonly flowLabel?: number | undefined;
  /** Add a Hop-by-Hop header with a router alert option of this value (0: MLD). */
  readonly routerAlert?: number | undefined;
  /** Fail with EMSGSIZE rather than fragment. */
  readonly dontFragment?: boolean | undefined;
}

/** Why a datagram could not be sent (Node-style error codes). */
export type Send6Failure = "ENETUNREACH" | "EMSGSIZE" | "EADDRNOTAVAIL" | "EHOSTUNREACH";

/** An ICMPv6 parameter problem to send about a received datagram: code and pointer (RFC 4443 3.4). */
export type ParameterProblem = (code: number, pointer: number, arrival: Arrival6, evenToMulticast: boolean) => void;

/** The neighbour layer IPv6 sends through (ndp.ts). */
export interface NeighbourSender {
  send(nextHop: string, datagram: Uint8Array, src: string): void;
  /** Whether a router is known reachable or probably so (not INCOMPLETE, not unknown). */
  probablyReachable(address: string): boolean;
}

/** The IPv6 layer of a stack. */
export class Ipv6 {
  private readonly handlers = new Map<number, Protocol6Handler>();
  private readonly addrs: Address6[] = [];
  /** Groups joined, with counts (mld.ts keeps the reports; this is what input accepts). */
  private readonly groups = new Map<string, number>([[ALL_NODES, 1]]);
  private readonly dissector = createDissector(IPv6);
  private readonly fragmentDissector = createDissector(IPv6);
  private nextFragmentId: number;
  private on = false;
  /** The hop limit sent (a router advertisement may change it). */
  hopLimit: number;
  /** The link MTU for IPv6 (a router advertisement's MTU option may lower it). */
  linkMtu: number;
  /** Redirects: destination → better first hop (ndp.ts fills it). */
  readonly redirects = new Map<string, string>();
  /** The neighbour layer (set by the stack). */
  neighbours: NeighbourSender | undefined;
  /** The path MTU known for a destination (icmpv6.ts's cache). */
  pathMtu: ((dst: string) => number | undefined) | undefined;
  /** Called with a datagram whose next header is a Fragment header (reassembly6.ts hooks in here). */
  onFragment: ((arrival: Arrival6, fragmentHeader: number) => void) | undefined;
  /** Called to send a parameter problem (icmpv6.ts). */
  onParameterProblem: ParameterProblem | undefined;

  constructor(
    private readonly iface: Interface,
    private readonly routes: RouteTable6,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv6Config,
    random: () => number,
  ) {
    this.hopLimit = config.hopLimit;
    this.linkMtu = iface.mtu;
    this.nextFragmentId = Math.floor(random() * 0x100000000) >>> 0;
  }

  /** Whether IPv6 runs (frames of EtherType 0x86dd are dropped before it is turned on). */
  get enabled(): boolean {
    return this.on;
  }

  /** Turn IPv6 on (the all-nodes group's MAC is accepted from then on) or off. */
  set enabled(on: boolean) {
    if (on === this.on) return;
    this.on = on;
    if (on) this.iface.addMulticastMac(multicastMac6(ALL_NODES));
    else this.iface.removeMulticastMac(multicastMac6(ALL_NODES));
  }

  /** Hand datagrams of `protocol` to `handler`. */
  register(protocol: number, handler: Protocol6Handler): void {
    this.handlers.set(protocol, handler);
  }

  // ---- addresses ----

  /** Return the addresses (all states). */
  addresses(): readonly Address6[] {
    return this.addrs;
  }

  /** Return an address's entry. */
  address(address: string): Address6 | undefined {
    return this.addrs.find((a) => a.address === address);
  }

  /** Add an address entry; false if the address is there already. */
  addAddress(a: Address6): boolean {
    if (this.address(a.address) !== undefined) return false;
    this.addrs.push(a);
    return true;
  }

  /** Remove an address; false if it was not there. */
  removeAddress(address: string): boolean {
    const i = this.addrs.findIndex((a) => a.address === address);
    if (i < 0) return false;
    this.addrs.splice(i, 1);
    return true;
  }

  /** Whether `address` is ours and usable (preferred or deprecated). */
  hasAddress(address: string): boolean {
    for (const a of this.addrs) if (a.address === address && a.state !== "tentative") return true;
    return false;
  }

  /** Whether `address` is one of ours still being checked by DAD. */
  isTentative(address: string): boolean {
    return this.address(address)?.state === "tentative";
  }

  /** The link-local address in use, if any. */
  linkLocal(): string | undefined {
    return this.addrs.find((a) => a.state !== "tentative" && isLinkLocal6(a.address))?.address;
  }

  /** Accept datagrams to `group` (counted: as many leaves as joins). */
  acceptGroup(group: string): void {
    this.groups.set(group, (this.groups.get(group) ?? 0) + 1);
    if (this.groups.get(group) === 1) this.iface.addMulticastMac(multicastMac6(group));
  }

  /** Stop accepting `group` once every join has left. */
  dropGroup(group: string): void {
    const n = this.groups.get(group);
    if (n === undefined || group === ALL_NODES) return;
    if (n > 1) { this.groups.set(group, n - 1); return; }
    this.groups.delete(group);
    this.iface.removeMulticastMac(multicastMac6(group));
  }

  /** Whether datagrams to `group` are accepted. */
  inGroup(group: string): boolean {
    return this.groups.has(group);
  }

  /**
   * Choose a source address for `dst` (RFC 6724 section 5, rules 1, 2, 3 and 8): the destination
   * itself, then an appropriate scope, then not deprecated, then the longest common prefix.
   */
  sourceFor(dst: string): string | undefined {
    let best: Address6 | undefined;
    const ds = scope6(dst);
    for (const a of this.addrs) {
      if (a.state === "tentative") continue;
      if (a.address === dst) return a.address;
      if (best === undefined) { best = a; continue; }
      const sa = scope6(a.address);
      const sb = scope6(best.address);
      if (sa !== sb) {
        if (sa < sb ? sa >= ds : sb < ds) best = a;
        continue;
      }
      if (a.state !== best.state) { if (best.state === "deprecated") best = a; continue; }
      if (commonPrefixLength(a.address, dst) > commonPrefixLength(best.address, dst)) best = a;
    }
    return best?.address;
  }

  // ---- input ----

  /** Handle a dissected frame whose first IPv6 layer is the one to read. Never throws. */
  receive(p: Packet, bytes: Uint8Array, reassembled = false): void {
    if (!this.enabled) { this.stats.drop("etherTypeUnknown", "0x86dd (IPv6 off)"); return; }
    this.stats.count("ipv6.rx");
    const ip = p.layer(IPv6);
    const start = ip?.span()?.start;
    if (ip === undefined || start === undefined || start + IPV6_HEADER > bytes.length || ip.version !== 6) {
      this.stats.drop("ipv6Malformed", p.error?.message ?? "short or not version 6");
      return;
    }
    const end = start + IPV6_HEADER + ip.payloadLength;
    if (end > bytes.length || ip.payloadLength === 0 && bytes[start + 6] === IpProtocol.HOPOPT) {
      this.stats.drop("ipv6Malformed", `payload length ${ip.payloadLength}, have ${bytes.length - start - IPV6_HEADER}`);
      return;
    }
    const src = formatAddress6(bytes, start + 8);
    const dst = formatAddress6(bytes, start + 24);
    if (isMulticast6(src)) { this.stats.drop("ipv6BadSource", src); return; }
    let multicast = false;
    if (isMulticast6(dst)) {
      if (!this.groups.has(dst)) { this.stats.drop("ipv6NotForUs", dst); return; }
      multicast = true;
    } else if (!this.hasAddress(dst)) {
      this.stats.drop("ipv6NotForUs", dst);
      return;
    }
    const base = {
      bytes, start, src, dst, multicast, hopLimit: ip.hopLimit, trafficClass: ip.trafficClass, reassembled,
    };
    // Walk the extension headers (RFC 8200 4.1: each processed in order; Hop-by-Hop only first).
    let next = bytes[start + 6]!;
    let field = 6;
    let at = start + IPV6_HEADER;
    for (let headers = 0; headers < 64; headers++) {
      const arrival: Arrival6 = { ...base, protocol: next, upperStart: at, upperEnd: end, nextHeaderField: field };
      if (next === IpProtocol.HOPOPT || next === IpProtocol.IPv6Opts || next === IpProtocol.IPv6Route) {
        if (next === IpProtocol.HOPOPT && headers !== 0) {
          this.stats.drop("ipv6HeaderRejected", "hop-by-hop not first");
          this.onParameterProblem?.(1, field, arrival, false);
          return;
        }
        if (at + 8 > end) { this.stats.drop("ipv6Malformed", "extension header past the end"); return; }
        const hdrEnd = at + 8 + bytes[at + 1]! * 8;
        if (hdrEnd > end) { this.stats.drop("ipv6Malformed", "extension header past the end"); return; }
        if (next === IpProtocol.IPv6Route) {
          // RFC 8200 4.4: segments left 0 → ignore the header; else, a type we cannot process
          // (a host forwards nothing; type 0 is deprecated, RFC 5095) → parameter problem at the type.
          if (bytes[at + 3] !== 0) {
            this.stats.drop("ipv6HeaderRejected", `routing type ${bytes[at + 2]} with segments left`);
            this.onParameterProblem?.(0, at + 2 - start, arrival, false);
            return;
          }
        } else if (!this.options(arrival, at + 2, hdrEnd)) return;
        field = at - start;
        next = bytes[at]!;
        at = hdrEnd;
        continue;
      }
      if (next === IpProtocol.IPv6Frag) {
        if (at + 8 > end) { this.stats.drop("ipv6Malformed", "fragment header past the end"); return; }
        if (this.onFragment === undefined) { this.stats.drop("ipv6ReassemblyInvalid", "no reassembly"); return; }
        this.onFragment(arrival, at);
        return;
      }
      if (next === IpProtocol.IPv6NoNxt) { this.stats.count("ipv6.noNextHeader"); return; }
      const h = this.handlers.get(next);
      if (h === undefined) {
        this.stats.drop("ipv6ProtocolUnknown", String(next));
        this.onParameterProblem?.(1, field, arrival, false);
        return;
      }
      this.stats.count("ipv6.delivered");
      h(p, ip, arrival);
      return;
    }
    this.stats.drop("ipv6Malformed", "too many extension headers");
  }

  /**
   * Process the option TLVs of a Hop-by-Hop or Destination Options header (RFC 8200 4.2): Pad1,
   * PadN and router alert are known; an unknown option is skipped (action 00), or the datagram is
   * discarded (01), with a parameter problem code 2 pointing at the option (10), or with one only
   * when the destination was not multicast (11). Return whether to go on.
   */
  private options(arrival: Arrival6, from: number, to: number): boolean {
    const b = arrival.bytes;
    for (let i = from; i < to;) {
      const type = b[i]!;
      if (type === IPv6OptionType.Pad1) { i++; continue; }
      if (i + 2 > to || i + 2 + b[i + 1]! > to) { this.stats.drop("ipv6Malformed", "option past the header's end"); return false; }
      const len = b[i + 1]!;
      if (type !== IPv6OptionType.PadN && type !== IPv6OptionType.routerAlert) {
        const action = type >> 6;
        if (action !== 0) {
          this.stats.drop("ipv6OptionUnknown", `option 0x${type.toString(16)} action ${action}`);
          if (action === 2 || (action === 3 && !arrival.multicast)) this.onParameterProblem?.(2, i - arrival.start, arrival, action === 2);
          return false;
        }
        this.stats.count("ipv6.optionSkipped");
      }
      i += 2 + len;
    }
    return true;
  }

  /** Dissect and receive a datagram given as bytes (loopback, reassembly). */
  receiveDatagram(bytes: Uint8Array, reassembled = false): void {
    this.receive(this.dissector.dissect(bytes), bytes, reassembled);
  }

  // ---- output ----

  /** Build and send a datagram; return why not when it cannot go. */
  send(o: Send6Options): Send6Failure | undefined {
    if (!this.enabled) return "ENETUNREACH";
    const src = o.src ?? this.sourceFor(o.dst);
    if (src === undefined) { this.stats.drop("ipv6NoRoute", `no source address for ${o.dst}`); return "EADDRNOTAVAIL"; }
    return this.output(this.build({ ...o, src }), o.dst, src, o.dontFragment ?? false);
  }

  /** Build a datagram's bytes (the source must be given). */
  build(o: Send6Options & { readonly src: string }): Uint8Array {
    // The next-header fields name `protocol` themselves: a payload given as Raw bytes (TCP's
    // written segments) has no bind that would fill them in.
    const header = IPv6({
      src: o.src, dst: o.dst, hopLimit: o.hopLimit ?? this.hopLimit, trafficClass: o.trafficClass ?? 0, flowLabel: o.flowLabel ?? 0,
      nextHeader: o.routerAlert === undefined ? o.protocol : IpProtocol.HOPOPT,
    });
    const layers: AnyLayer[] = [header];
    if (o.routerAlert !== undefined) layers.push(IPv6HopByHop({ nextHeader: o.protocol, options: [IPv6Option({ type: IPv6OptionType.routerAlert, value: o.routerAlert })] }));
    return packet(...layers, ...o.payload).bytes();
  }

  /** Return the MTU for datagrams to `dst`: the path MTU if known, else the link's. */
  mtuFor(dst: string): number {
    const p = this.pathMtu?.(dst);
    return p === undefined ? this.linkMtu : Math.min(p, this.linkMtu);
  }

  /** Send built datagram bytes to `dst`, fragmenting to the path MTU unless told not to. */
  output(bytes: Uint8Array, dst: string, src: string, dontFragment = false): Send6Failure | undefined {
    if (this.hasAddress(dst) || dst === "::1") {
      this.stats.count("ipv6.loopback");
      const copy = bytes.slice();
      this.clock.schedule(0, () => this.receiveDatagram(copy));
      return undefined;
    }
    let hop: string | undefined;
    let mac: string | undefined;
    if (isMulticast6(dst)) mac = multicastMac6(dst);
    else {
      hop = this.nextHop(dst);
      if (hop === undefined) { this.stats.drop("ipv6NoRoute", dst); return "ENETUNREACH"; }
    }
    const mtu = this.mtuFor(dst);
    let pieces: Uint8Array[] = [bytes];
    if (bytes.length > mtu) {
      const f = dontFragment ? undefined : this.fragment(bytes, mtu);
      if (f === undefined) { this.stats.drop("ipv6TooBig", `${bytes.length} > ${mtu}`); return "EMSGSIZE"; }
      pieces = f;
      this.stats.count("ipv6.fragmented");
      this.stats.count("ipv6.fragmentsCreated", f.length);
    }
    for (const piece of pieces) {
      this.stats.count("ipv6.tx");
      if (mac !== undefined) this.iface.send(mac, EtherType.IPv6, piece);
      else this.neighbours?.send(hop!, piece, src);
    }
    return undefined;
  }

  /**
   * Return the first hop towards `dst` (RFC 4861 5.2): a redirect's target, the destination
   * itself when on-link (link-local, or an on-link prefix), the gateway of the best route, or a
   * default router (highest preference, probably reachable ones first).
   */
  nextHop(dst: string): string | undefined {
    const redirected = this.redirects.get(dst);
    if (redirected !== undefined) return redirected;
    if (isLinkLocal6(dst)) return dst;
    const now = this.clock.now();
    const route = this.routes.lookup(dst, now);
    if (route !== undefined) return route.gateway ?? dst;
    const routers = this.routes.defaultRouters(now);
    if (routers.length === 0) return undefined;
    const top = routers[0]!.preference;
    for (const r of routers) if (r.preference === top && this.neighbours?.probablyReachable(r.gateway!)) return r.gateway;
    return routers[0]!.gateway;
  }

  /** Whether `address` is on-link (link-local, or inside an on-link prefix). */
  isOnLink(address: string): boolean {
    if (isLinkLocal6(address)) return true;
    const r = this.routes.lookup(address, this.clock.now());
    return r !== undefined && r.kind === "connected";
  }

  /** Whether one of our addresses shares `prefixLength` bits with `address`. */
  ownsPrefix(address: string, prefixLength: number): boolean {
    return this.addrs.some((a) => samePrefix(a.address, address, prefixLength));
  }

  /**
   * Split a datagram into fragments that fit `mtu` (RFC 8200 4.5): the unfragmentable part (the
   * header and a Hop-by-Hop header) is repeated, a Fragment header follows it, each fragment's
   * data is a multiple of 8 bytes but the last's.
   */
  private fragment(bytes: Uint8Array, mtu: number): Uint8Array[] | undefined {
    const ip = this.fragmentDissector.dissect(bytes).layer(IPv6);
    if (ip === undefined) return undefined;
    let unfragmentable = IPV6_HEADER;
    let nextField = 6;
    if (bytes[6] === IpProtocol.HOPOPT) { nextField = IPV6_HEADER; unfragmentable += 8 + bytes[IPV6_HEADER + 1]! * 8; }
    const nextHeader = bytes[nextField]!;
    const room = (mtu - unfragmentable - 8) & ~7;
    if (room < 8) return undefined;
    const data = bytes.subarray(unfragmentable);
    const id = this.nextFragmentId;
    this.nextFragmentId = (this.nextFragmentId + 1) >>> 0;
    const out: Uint8Array[] = [];
    for (let off = 0; off < data.length; off += room) {
      const end = Math.min(off + room, data.length);
      const piece = new Uint8Array(unfragmentable + 8 + (end - off));
      piece.set(bytes.subarray(0, unfragmentable), 0);
      piece[nextField] = IpProtocol.IPv6Frag;
      const payloadLength = piece.length - IPV6_HEADER;
      piece[4] = payloadLength >> 8;
      piece[5] = payloadLength & 0xff;
      const f = unfragmentable;
      piece[f] = nextHeader;
      piece[f + 1] = 0;
      const offsetField = (off / 8) << 3 | (end < data.length ? 1 : 0);
      piece[f + 2] = offsetField >> 8;
      piece[f + 3] = offsetField & 0xff;
      new DataView(piece.buffer).setUint32(f + 4, id);
      piece.set(data.subarray(off, end), f + 8);
      out.push(piece);
    }
    return out;
  }

  /** The next fragment identification (tests read it). */
  get fragmentId(): number {
    return this.nextFragmentId;
  }
}

