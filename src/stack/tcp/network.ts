/**
 * What TCP needs from the IP layer, independent of the address family: send a segment from a
 * local to a remote address, the MTU towards a destination (MSS = MTU - 40 over IPv4, - 60 over
 * IPv6), source selection, whether an address is ours, and segments and ICMP errors delivered in.
 * Addresses are canonical strings (`"10.0.0.1"`, `"fe80::1"`) with their family beside them.
 * `Ipv4Network` implements it over the stack's IPv4 and ICMP; an IPv6 one plugs in the same way.
 */
import type { Packet } from "../../packet/packet.js";
import { onesComplementSum, finishChecksum } from "../../packet/checksum.js";
import { IpProtocol } from "../../protocols/ipv4.js";
import { IcmpType, IcmpUnreachableCode } from "../../protocols/icmp.js";
import type { AnyLayer } from "../../schema/protocol.js";
import type { Arrival, Ipv4, Ipv4Layer } from "../ipv4.js";
import type { Icmp, IcmpErrorInfo } from "../icmp.js";
import type { Interface } from "../interface.js";
import type { Stats } from "../stats.js";
import { ipv4ToNumber, isMulticast, LIMITED_BROADCAST, numberToIPv4 } from "../address.js";
import type { SegmentHeader } from "./types.js";

/** An address family, as Node names them. */
export type AddressFamily = "IPv4" | "IPv6";

/** A received TCP segment whose checksum and lengths the network layer checked. */
export interface InboundSegment extends SegmentHeader {
  readonly family: AddressFamily;
  /** Remote (source) and local (destination) addresses, canonical. */
  readonly src: string;
  readonly dst: string;
  /** The bytes holding the segment, and where its header, payload and end are in them. */
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly payloadStart: number;
  readonly end: number;
}

/** An ICMP error about a segment we sent. */
export interface IcmpNotice {
  readonly family: AddressFamily;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Node's code for it: ECONNREFUSED (port unreachable), EHOSTUNREACH, ENETUNREACH, EMSGSIZE… */
  readonly code: string;
  /** A hard error (RFC 1122 4.2.3.9: port/protocol unreachable) rather than a soft one. */
  readonly hard: boolean;
  /** Next-hop MTU of a "packet too big" / "fragmentation needed". */
  readonly mtu: number | undefined;
  readonly detail: string;
}

/** TCP's view of one address family's IP layer. */
export interface TcpNetwork {
  readonly family: AddressFamily;
  /** Bytes of the IP header (no options): 20 or 40. */
  readonly ipHeaderLength: number;
  /** The wildcard address ("0.0.0.0", "::"). */
  readonly anyAddress: string;
  /** Return the canonical text of an address of this family, or undefined when it is not one. */
  canonical(address: string): string | undefined;
  /** Return whether `address` (canonical) is one of the stack's own. */
  isLocal(address: string): boolean;
  /** Return whether `address` (canonical) can be a TCP peer (unicast, not unspecified). */
  isUnicast(address: string): boolean;
  /** Return the source address to reach `remote`, or undefined when there is none. */
  sourceFor(remote: string): string | undefined;
  /** Return the IP MTU towards `remote`. */
  mtu(remote: string): number;
  /** Return the largest datagram of one segment the link cuts itself (segmentation offload), or undefined. */
  gsoMax(): number | undefined;
  /** Send a segment (its layers after the IP header; the checksum is computed over the pseudo-header); return a failure code. */
  send(local: string, remote: string, layers: readonly AnyLayer[], segmentSize?: number): string | undefined;
  /** Return the unfolded ones'-complement sum of the pseudo-header's two addresses (RFC 9293 3.1; RFC 8200 8.1). */
  pseudoHeaderSum(local: string, remote: string): number;
  /** Send a segment written by `writeSegment` (checksum filled in); return a failure code. */
  sendBytes(local: string, remote: string, segment: Uint8Array, segmentSize?: number): string | undefined;
}

/** What the TCP layer gives a network to deliver into. */
export interface TcpReceiver {
  receive(segment: InboundSegment): void;
  icmpError(notice: IcmpNotice): void;
}

/** TCP over the stack's IPv4. */
export class Ipv4Network implements TcpNetwork {
  readonly family = "IPv4" as const;
  readonly ipHeaderLength = 20;
  readonly anyAddress = "0.0.0.0";
  private receiver: TcpReceiver | undefined;
  /** Addresses as numbers, for the few peers in use (text to number is costly per segment). */
  private readonly numbers = new Map<string, number>();

  constructor(private readonly ipv4: Ipv4, icmp: Icmp, private readonly iface: Interface, private readonly stats: Stats) {
    icmp.onError(IpProtocol.TCP, (e) => this.icmpError(e));
  }

  /** Deliver received segments and errors to `receiver`. */
  attach(receiver: TcpReceiver): void {
    this.receiver = receiver;
  }

  canonical(address: string): string | undefined {
    const n = ipv4ToNumber(address);
    return n === undefined ? undefined : numberToIPv4(n);
  }

  isLocal(address: string): boolean {
    const n = ipv4ToNumber(address);
    return n !== undefined && this.iface.hasAddress(n);
  }

  isUnicast(address: string): boolean {
    const n = ipv4ToNumber(address);
    return n !== undefined && n !== 0 && n !== LIMITED_BROADCAST && !isMulticast(n) && !this.iface.isSubnetBroadcast(n);
  }

  sourceFor(remote: string): string | undefined {
    const n = ipv4ToNumber(remote);
    if (n === undefined) return undefined;
    if (this.iface.hasAddress(n)) return remote;
    const s = this.ipv4.sourceFor(n);
    return s === undefined ? undefined : numberToIPv4(s);
  }

  mtu(_remote: string): number {
    return this.iface.mtu;
  }

  gsoMax(): number | undefined {
    return this.iface.link.gsoMax;
  }

  send(local: string, remote: string, layers: readonly AnyLayer[], segmentSize?: number): string | undefined {
    return this.ipv4.send({ src: this.number(local), dst: this.number(remote), protocol: IpProtocol.TCP, payload: layers, segmentSize });
  }

  sendBytes(local: string, remote: string, segment: Uint8Array, segmentSize?: number): string | undefined {
    return this.ipv4.send({ src: this.number(local), dst: this.number(remote), protocol: IpProtocol.TCP, payload: [], data: segment, segmentSize });
  }

  pseudoHeaderSum(local: string, remote: string): number {
    const a = this.number(local);
    const b = this.number(remote);
    return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
  }

  private number(address: string): number {
    let n = this.numbers.get(address);
    if (n === undefined) {
      n = ipv4ToNumber(address) ?? 0;
      if (this.numbers.size >= 1024) this.numbers.clear();
      this.numbers.set(address, n);
    }
    return n;
  }

  /**
   * Handle a received IPv4 datagram carrying TCP: check lengths and checksum, hand it on. The
   * fixed header is read from the bytes: asking the dissected packet for its TCP layer lays out
   * the option list too, which cost about a third of the receive path in bulk transfers.
   */
  receive(_p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    if (arrival.broadcast) { this.stats.drop("tcpNotUnicast", ip.dst); return; }
    const s = ip.span()!;
    const bytes = arrival.bytes;
    const ipEnd = s.start + ip.totalLength;
    const start = s.headerEnd;
    if (ipEnd - start < 20) { this.stats.drop("tcpMalformed", "shorter than a TCP header"); return; }
    const headerLength = (bytes[start + 12]! >> 4) * 4;
    if (headerLength < 20 || start + headerLength > ipEnd) { this.stats.drop("tcpMalformed", `data offset ${headerLength / 4}`); return; }
    // A checksum the link verified or computed itself (a vnet TAP's NEEDS_CSUM frames) is not redone (LINK-OFFLOAD.md).
    if (arrival.checksumVerified !== true) {
      const pseudo = onesComplementSum(bytes, s.start + 12, s.start + 20, IpProtocol.TCP + (ipEnd - start));
      if (finishChecksum(onesComplementSum(bytes, start, ipEnd, pseudo)) !== 0) { this.stats.drop("tcpBadChecksum"); return; }
    }
    const u16 = (i: number): number => (bytes[i]! << 8) | bytes[i + 1]!;
    const u32 = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    this.receiver?.receive({
      family: "IPv4", src: ip.src, dst: ip.dst, srcPort: u16(start), dstPort: u16(start + 2), seq: u32(start + 4), ack: u32(start + 8),
      flags: u16(start + 12) & 0x1ff, window: u16(start + 14), bytes, start, payloadStart: start + headerLength, end: ipEnd,
    });
  }

  private icmpError(e: IcmpErrorInfo): void {
    if (e.srcPort === undefined || e.dstPort === undefined || this.receiver === undefined) { this.stats.count("tcp.icmpErrorUnclaimed"); return; }
    const unreachable = e.type === IcmpType.destinationUnreachable;
    const code = !unreachable ? "EHOSTUNREACH"
      : e.code === IcmpUnreachableCode.port || e.code === IcmpUnreachableCode.protocol ? "ECONNREFUSED"
      : e.code === IcmpUnreachableCode.fragmentationNeeded ? "EMSGSIZE"
      : e.code === IcmpUnreachableCode.network ? "ENETUNREACH" : "EHOSTUNREACH";
    const hard = unreachable && (e.code === IcmpUnreachableCode.port || e.code === IcmpUnreachableCode.protocol);
    this.receiver.icmpError({
      family: "IPv4", localAddress: numberToIPv4(e.src), localPort: e.srcPort, remoteAddress: numberToIPv4(e.dst), remotePort: e.dstPort,
      code, hard, mtu: e.mtu, detail: `ICMP type ${e.type} code ${e.code} from ${e.reporter}`,
    });
  }
}
