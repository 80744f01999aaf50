/**
 * TCP over the stack's IPv6 (issue 8): the `TcpNetwork` of the IPv6 family. Addresses are
 * canonical text (RFC 5952); a link-local one may carry the interface as its scope
 * (`fe80::1%tap0`: the stack's name, or `1`). The MTU towards a peer is the path MTU that ICMPv6
 * packet too big messages taught (RFC 8201), so the MSS follows it (MTU - 60). The checksum covers
 * the IPv6 pseudo-header (RFC 8200 8.1). Segments TCP wrote go out with a header written here
 * (no generic builder per segment); on a link that segments (a vnet TAP), segments of several MSS
 * go whole, marked for the link to cut, as over IPv4.
 */
import type { Packet } from "../../packet/packet.js";
import { onesComplementSum, finishChecksum } from "../../packet/checksum.js";
import { IpProtocol } from "../../protocols/ipv4.js";
import { Icmpv6Type } from "../../protocols/icmpv6.js";
import type { AnyLayer } from "../../schema/protocol.js";
import type { Arrival6, Ipv6 } from "../ipv6.js";
import { Icmpv6UnreachableCode, type Icmpv6, type Icmpv6ErrorInfo } from "../icmpv6.js";
import type { Stats } from "../stats.js";
import type { Interface } from "../interface.js";
import { canonical6, ipv6Bytes, isMulticast6 } from "../address6.js";
import type { TcpNetwork, TcpReceiver } from "./network.js";

/** TCP over the stack's IPv6. */
export class Ipv6Network implements TcpNetwork {
  readonly family = "IPv6" as const;
  readonly ipHeaderLength = 40;
  readonly anyAddress = "::";
  private receiver: TcpReceiver | undefined;
  /** Addresses in use as bytes and word sums (text to bytes is costly per segment). */
  private readonly addressCache = new Map<string, { bytes: Uint8Array; sum: number }>();

  /** `scope` is the interface's name, which link-local scopes (`%NAME`) must give. */
  constructor(private readonly ipv6: Ipv6, icmpv6: Icmpv6, private readonly iface: Interface, private readonly stats: Stats, private readonly scope: string) {
    icmpv6.onError(IpProtocol.TCP, (e) => this.icmpError(e));
  }

  /** Deliver received segments and errors to `receiver`. */
  attach(receiver: TcpReceiver): void {
    this.receiver = receiver;
  }

  canonical(address: string): string | undefined {
    const pct = address.indexOf("%");
    if (pct >= 0) {
      const zone = address.slice(pct + 1);
      if (zone !== this.scope && zone !== "1") return undefined;
    }
    const c = canonical6(pct >= 0 ? address.slice(0, pct) : address);
    // IPv4-mapped addresses name IPv4 peers: TCP reaches them through the IPv4 network.
    return c === undefined || c.startsWith("::ffff:") && c.includes(".") ? undefined : c;
  }

  isLocal(address: string): boolean {
    return this.ipv6.hasAddress(address);
  }

  isUnicast(address: string): boolean {
    return address !== "::" && !isMulticast6(address);
  }

  sourceFor(remote: string): string | undefined {
    if (!this.ipv6.enabled) return undefined;
    return this.ipv6.hasAddress(remote) ? remote : this.ipv6.sourceFor(remote);
  }

  mtu(remote: string): number {
    return this.ipv6.mtuFor(remote);
  }

  gsoMax(): number | undefined {
    return this.ipv6.enabled ? this.iface.link.gsoMax : undefined;
  }

  send(local: string, remote: string, layers: readonly AnyLayer[]): string | undefined {
    return this.ipv6.send({ src: local, dst: remote, protocol: IpProtocol.TCP, payload: layers });
  }

  /**
   * Send a written segment: the 40-byte header is written here (no builder per segment), then
   * IPv6's output; a segment larger than the MTU with `segmentSize` (up to the link's `gsoMax`)
   * goes whole to the neighbour layer, marked for the link to cut (segmentation offload, as IPv4).
   */
  sendBytes(local: string, remote: string, segment: Uint8Array, segmentSize?: number): string | undefined {
    if (!this.ipv6.enabled) return "ENETUNREACH";
    if (segment.length > 0xffff) return "EMSGSIZE";
    const d = new Uint8Array(40 + segment.length);
    d[0] = 0x60;
    d[4] = segment.length >> 8;
    d[5] = segment.length & 0xff;
    d[6] = IpProtocol.TCP;
    d[7] = this.ipv6.hopLimit;
    d.set(this.address(local).bytes, 8);
    d.set(this.address(remote).bytes, 24);
    d.set(segment, 40);
    const gso = this.iface.link.gsoMax;
    if (segmentSize !== undefined && gso !== undefined && d.length <= gso && d.length > this.ipv6.mtuFor(remote) && !this.ipv6.hasAddress(remote)) {
      const hop = this.ipv6.nextHop(remote);
      const neighbours = this.ipv6.neighbours;
      if (hop === undefined || neighbours === undefined) { this.stats.drop("ipv6NoRoute", remote); return "ENETUNREACH"; }
      this.iface.markOffloaded(d, { segmentSize });
      this.stats.count("ipv6.offloaded");
      this.stats.count("ipv6.tx");
      neighbours.send(hop, d, local);
      return undefined;
    }
    return this.ipv6.output(d, remote, local);
  }

  pseudoHeaderSum(local: string, remote: string): number {
    return this.address(local).sum + this.address(remote).sum;
  }

  /** The bytes and the sum of the 16-bit words of an address (cached for the few in use). */
  private address(address: string): { bytes: Uint8Array; sum: number } {
    let a = this.addressCache.get(address);
    if (a === undefined) {
      const bytes = ipv6Bytes(address) ?? new Uint8Array(16);
      let sum = 0;
      for (let i = 0; i < 16; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
      a = { bytes, sum };
      if (this.addressCache.size >= 1024) this.addressCache.clear();
      this.addressCache.set(address, a);
    }
    return a;
  }

  /**
   * Handle a received IPv6 datagram carrying TCP: check lengths and checksum, hand it on. The
   * fixed header is read from the bytes at the upper layer's start (as over IPv4: no option list
   * laid out per segment).
   */
  receive(_p: Packet, arrival: Arrival6): void {
    if (arrival.multicast) { this.stats.drop("tcpNotUnicast", arrival.dst); return; }
    const bytes = arrival.bytes;
    const start = arrival.upperStart;
    const end = arrival.upperEnd;
    if (end - start < 20) { this.stats.drop("tcpMalformed", "shorter than a TCP header"); return; }
    const headerLength = (bytes[start + 12]! >> 4) * 4;
    if (headerLength < 20 || start + headerLength > end) { this.stats.drop("tcpMalformed", `data offset ${headerLength / 4}`); return; }
    // The pseudo-header from the header's address bytes (RFC 8200 8.1; the stack refuses routing headers with segments left).
    const length = end - start;
    const pseudo = onesComplementSum(bytes, arrival.start + 8, arrival.start + 40, IpProtocol.TCP + (length & 0xffff) + Math.floor(length / 65536));
    if (finishChecksum(onesComplementSum(bytes, start, end, pseudo)) !== 0) { this.stats.drop("tcpBadChecksum"); return; }
    const u16 = (i: number): number => (bytes[i]! << 8) | bytes[i + 1]!;
    const u32 = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    this.receiver?.receive({
      family: "IPv6", src: arrival.src, dst: arrival.dst, srcPort: u16(start), dstPort: u16(start + 2), seq: u32(start + 4), ack: u32(start + 8),
      flags: u16(start + 12) & 0x1ff, window: u16(start + 14), bytes, start, payloadStart: start + headerLength, end,
    });
  }

  private icmpError(e: Icmpv6ErrorInfo): void {
    if (e.srcPort === undefined || e.dstPort === undefined || this.receiver === undefined) { this.stats.count("tcp.icmpErrorUnclaimed"); return; }
    const unreachable = e.type === Icmpv6Type.destinationUnreachable;
    // As Linux's icmpv6_err_convert; port unreachable (and a parameter problem about the next header) are hard errors.
    const code = e.type === Icmpv6Type.packetTooBig ? "EMSGSIZE"
      : e.type === Icmpv6Type.parameterProblem ? "EPROTO"
      : !unreachable ? "EHOSTUNREACH"
      : e.code === Icmpv6UnreachableCode.port ? "ECONNREFUSED"
      : e.code === Icmpv6UnreachableCode.noRoute ? "ENETUNREACH"
      : e.code === Icmpv6UnreachableCode.prohibited || e.code === Icmpv6UnreachableCode.sourcePolicy || e.code === Icmpv6UnreachableCode.rejectRoute ? "EACCES"
      : "EHOSTUNREACH";
    const hard = (unreachable && e.code === Icmpv6UnreachableCode.port) || (e.type === Icmpv6Type.parameterProblem && e.code === 1);
    this.receiver.icmpError({
      family: "IPv6", localAddress: e.src, localPort: e.srcPort, remoteAddress: e.dst, remotePort: e.dstPort,
      code, hard, mtu: e.mtu, detail: `ICMPv6 type ${e.type} code ${e.code} from ${e.reporter}`,
    });
  }
}
