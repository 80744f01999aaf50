/**
 * IPv4 (RFC 791, RFC 1122 host requirements) for the stack: checks received datagrams (version,
 * lengths, header checksum, source, destination), hands them to ICMP and UDP, and sends
 * datagrams through the routing table: to ARP for unicast next hops, to the broadcast MAC, to the
 * RFC 1112 multicast MAC, or back to itself for its own addresses. Datagrams larger than the MTU
 * are fragmented unless "don't fragment" is set. No forwarding: a host, not a router.
 */
import { createDissector, packet, type Packet } from "../packet/packet.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4 } from "../protocols/ipv4.js";
import { Raw } from "../protocols/raw.js";
import { EtherType } from "../protocols/ethernet.js";
import type { AnyLayer } from "../schema/protocol.js";
import type { Clock } from "./clock.js";
import type { Ipv4Config } from "./config.js";
import { BROADCAST_MAC, type Interface } from "./interface.js";
import type { Arp } from "./arp.js";
import type { RouteTable } from "./route.js";
import type { Stats } from "./stats.js";
import type { FrameMeta } from "./link.js";
import { ipv4ToNumber, isMulticast, LIMITED_BROADCAST, multicastMac, numberToIPv4, prefixMask } from "./address.js";

/** IPv4 flag bits as the `flags` field holds them. */
export const Ipv4Flags = { moreFragments: 1, dontFragment: 2 } as const;

/** The multicast group every host belongs to. */
export const ALL_HOSTS = 0xe0000001;

/** How a datagram reached us. */
export interface Arrival {
  /** The datagram bytes (the IPv4 header starts at `ip.span().start`). */
  readonly bytes: Uint8Array;
  readonly src: number;
  readonly dst: number;
  /** Sent to a broadcast or multicast address. */
  readonly broadcast: boolean;
  /** The link verified or completed the transport checksum (the kernel's own frames on a vnet TAP). */
  readonly checksumVerified?: boolean;
}

/** The IPv4 layer of a dissected datagram. */
export type Ipv4Layer = ReturnType<typeof IPv4>;

/** What IPv4 hands datagrams to, by protocol number. */
export type ProtocolHandler = (p: Packet, ip: Ipv4Layer, arrival: Arrival) => void;

/** What to send. */
export interface SendOptions {
  readonly dst: number;
  /** Source address; chosen from the route and the interface's addresses when omitted. */
  readonly src?: number | undefined;
  readonly protocol: number;
  /** The layers after the IPv4 header (checksums that cover a pseudo-header are computed). */
  readonly payload: readonly AnyLayer[];
  /**
   * Or the bytes after the IPv4 header, complete (a transport segment with its checksum): the
   * header is then written by hand, without the generic builder (the bulk-transfer path).
   */
  readonly data?: Uint8Array | undefined;
  readonly ttl?: number | undefined;
  readonly tos?: number | undefined;
  readonly dontFragment?: boolean | undefined;
  /** A TCP segment larger than the MTU: the payload bytes per wire segment the link cuts it into (LINK-OFFLOAD.md). */
  readonly segmentSize?: number | undefined;
}

/** Why a datagram could not be sent (Node-style error codes). */
export type SendFailure = "ENETUNREACH" | "EMSGSIZE" | "EADDRNOTAVAIL";

/** The IPv4 layer of a stack. */
export class Ipv4 {
  private readonly handlers = new Map<number, ProtocolHandler>();
  private readonly groups = new Set<number>([ALL_HOSTS]);
  private readonly loopDissector = createDissector(IPv4);
  private nextId = 1;
  /** Called with fragments (first fragment's datagram, or any fragment): reassembly hooks in here. */
  onFragment: ((p: Packet, ip: Ipv4Layer, arrival: Arrival) => void) | undefined;

  constructor(
    private readonly iface: Interface,
    private readonly arp: Arp,
    private readonly routes: RouteTable,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv4Config,
  ) {}

  /** Hand datagrams of `protocol` to `handler`. */
  register(protocol: number, handler: ProtocolHandler): void {
    this.handlers.set(protocol, handler);
  }

  /** Receive multicast datagrams sent to `group`. */
  joinGroup(group: number): void {
    this.groups.add(group);
  }

  /** Stop receiving `group` (the all-hosts group stays). */
  leaveGroup(group: number): void {
    if (group !== ALL_HOSTS) this.groups.delete(group);
  }

  /** Handle a dissected frame or datagram whose first IPv4 layer is the one to read. Never throws. */
  receive(p: Packet, bytes: Uint8Array): void {
    this.stats.count("ipv4.rx");
    const ip = p.layer(IPv4);
    const s = ip?.span();
    if (ip === undefined || s === undefined) { this.stats.drop("ipv4Malformed", p.error?.message); return; }
    const headerLength = s.headerEnd - s.start;
    const total = ip.totalLength;
    if (ip.version !== 4 || headerLength < 20 || total < headerLength || s.start + total > bytes.length) {
      this.stats.drop("ipv4Malformed", `version ${ip.version}, header ${headerLength}, total ${total}, have ${bytes.length - s.start}`);
      return;
    }
    if (internetChecksum(bytes, s.start, s.headerEnd) !== 0) { this.stats.drop("ipv4BadChecksum"); return; }
    const src = ipv4ToNumber(ip.src)!;
    const dst = ipv4ToNumber(ip.dst)!;
    if (isMulticast(src) || src === LIMITED_BROADCAST || this.iface.isSubnetBroadcast(src)) { this.stats.drop("ipv4BadSource", ip.src); return; }
    let broadcast = false;
    if (!this.iface.hasAddress(dst)) {
      broadcast = dst === LIMITED_BROADCAST || this.iface.isSubnetBroadcast(dst) || (isMulticast(dst) && this.groups.has(dst));
      if (!broadcast) { this.stats.drop("ipv4NotForUs", ip.dst); return; }
    }
    const arrival: Arrival = this.iface.receiving?.checksumVerified === true
      ? { bytes, src, dst, broadcast, checksumVerified: true }
      : { bytes, src, dst, broadcast };
    if ((ip.flags & Ipv4Flags.moreFragments) !== 0 || ip.fragmentOffset !== 0) {
      if (this.onFragment === undefined) { this.stats.drop("ipv4Fragment"); return; }
      this.onFragment(p, ip, arrival);
      return;
    }
    this.deliver(p, ip, arrival);
  }

  /** Hand a whole datagram to its protocol (after reassembly, or directly). */
  deliver(p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    const h = this.handlers.get(ip.protocol);
    if (h === undefined) {
      this.stats.drop("ipv4ProtocolUnknown", String(ip.protocol));
      this.onUnknownProtocol?.(ip, arrival);
      return;
    }
    this.stats.count("ipv4.delivered");
    h(p, ip, arrival);
  }

  /** Called for a datagram of a protocol nobody handles (ICMP answers "protocol unreachable"). */
  onUnknownProtocol: ((ip: Ipv4Layer, arrival: Arrival) => void) | undefined;

  /** Dissect and receive a datagram given as bytes (loopback, reassembly). */
  receiveDatagram(bytes: Uint8Array): void {
    this.receive(this.loopDissector.dissect(bytes), bytes);
  }

  /** Choose the source address for `dst`: the route's, else one in the same subnet, else the first. */
  sourceFor(dst: number): number | undefined {
    const route = this.routes.lookup(dst);
    if (route?.source !== undefined) return route.source;
    const hop = route?.gateway ?? dst;
    const addrs = this.iface.addresses();
    for (const a of addrs) if (((a.address ^ hop) & prefixMask(a.prefixLength)) === 0) return a.address;
    return addrs[0]?.address;
  }

  /** Build and send a datagram; return why not when it cannot go. */
  send(o: SendOptions): SendFailure | undefined {
    const src = o.src ?? this.sourceFor(o.dst);
    if (src === undefined) return "EADDRNOTAVAIL";
    const flags = o.dontFragment ? Ipv4Flags.dontFragment : 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    const meta = o.segmentSize === undefined ? undefined : { segmentSize: o.segmentSize };
    if (o.data !== undefined) {
      const total = 20 + o.data.length;
      if (total > 0xffff) { this.stats.drop("ipv4TooBig", `${total} > 65535`); return "EMSGSIZE"; }
      const b = new Uint8Array(total);
      b[0] = 0x45;
      b[1] = o.tos ?? 0;
      b[2] = total >> 8; b[3] = total & 0xff;
      b[4] = id >> 8; b[5] = id & 0xff;
      b[6] = flags << 5;
      b[8] = o.ttl ?? this.config.ttl;
      b[9] = o.protocol;
      b[12] = src >>> 24; b[13] = (src >>> 16) & 0xff; b[14] = (src >>> 8) & 0xff; b[15] = src & 0xff;
      const dst = o.dst;
      b[16] = dst >>> 24; b[17] = (dst >>> 16) & 0xff; b[18] = (dst >>> 8) & 0xff; b[19] = dst & 0xff;
      const sum = internetChecksum(b, 0, 20);
      b[10] = sum >> 8; b[11] = sum & 0xff;
      b.set(o.data, 20);
      return this.output(b, dst, meta);
    }
    const header = IPv4({
      src: numberToIPv4(src), dst: numberToIPv4(o.dst), protocol: o.protocol, ttl: o.ttl ?? this.config.ttl,
      tos: o.tos ?? 0, id, flags,
    });
    const bytes = packet(header, ...o.payload).bytes();
    return this.output(bytes, o.dst, meta);
  }

  /**
   * Send built datagram bytes to `dst`, fragmenting to the MTU when allowed; a datagram with
   * `meta.segmentSize` of up to the link's `gsoMax` goes whole, for the link to cut.
   */
  output(bytes: Uint8Array, dst: number, meta?: FrameMeta): SendFailure | undefined {
    let hop: number | undefined;
    let mac: string | undefined;
    if (this.iface.hasAddress(dst)) {
      this.stats.count("ipv4.loopback");
      const copy = bytes.slice();
      this.clock.schedule(0, () => this.receiveDatagram(copy));
      return undefined;
    }
    if (dst === LIMITED_BROADCAST || this.iface.isSubnetBroadcast(dst)) mac = BROADCAST_MAC;
    else if (isMulticast(dst)) mac = multicastMac(dst);
    else {
      const route = this.routes.lookup(dst);
      if (route === undefined) { this.stats.drop("ipv4NoRoute", numberToIPv4(dst)); return "ENETUNREACH"; }
      hop = route.gateway ?? dst;
    }
    const mtu = this.iface.mtu;
    let pieces: Uint8Array[] = [bytes];
    const gsoMax = this.iface.link.gsoMax;
    if (bytes.length > mtu && meta?.segmentSize !== undefined && gsoMax !== undefined && bytes.length <= gsoMax) {
      this.iface.markOffloaded(bytes, meta);
      this.stats.count("ipv4.offloaded");
    } else if (bytes.length > mtu) {
      const f = this.fragment(bytes, mtu);
      if (f === undefined) { this.stats.drop("ipv4TooBig", `${bytes.length} > ${mtu}`); return "EMSGSIZE"; }
      pieces = f;
      this.stats.count("ipv4.fragmented");
      this.stats.count("ipv4.fragmentsCreated", f.length);
    }
    for (const piece of pieces) {
      this.stats.count("ipv4.tx");
      if (mac !== undefined) this.iface.send(mac, EtherType.IPv4, piece);
      else this.arp.send(hop!, piece);
    }
    return undefined;
  }

  private readonly fragDissector = createDissector(IPv4);

  /** Split a datagram into fragments that fit `mtu`; undefined when DF is set or it cannot be split. */
  private fragment(bytes: Uint8Array, mtu: number): Uint8Array[] | undefined {
    const ip = this.fragDissector.dissect(bytes).layer(IPv4);
    const s = ip?.span();
    if (ip === undefined || s === undefined || (ip.flags & Ipv4Flags.dontFragment) !== 0) return undefined;
    // Fragments carry no options: the stack sends none (RFC 791 copies only "copied" options anyway).
    const room = (mtu - 20) & ~7;
    if (room < 8) return undefined;
    const payload = bytes.subarray(s.headerEnd, s.start + ip.totalLength);
    const baseOffset = ip.fragmentOffset * 8;
    const lastHasMore = (ip.flags & Ipv4Flags.moreFragments) !== 0;
    const fields = { src: ip.src, dst: ip.dst, protocol: ip.protocol, ttl: ip.ttl, tos: ip.tos, id: ip.id };
    const out: Uint8Array[] = [];
    for (let off = 0; off < payload.length; off += room) {
      const end = Math.min(off + room, payload.length);
      const more = end < payload.length || lastHasMore;
      out.push(packet(IPv4({ ...fields, flags: more ? Ipv4Flags.moreFragments : 0, fragmentOffset: (baseOffset + off) / 8 }), Raw({ data: payload.subarray(off, end) })).bytes());
    }
    return out;
  }
}
