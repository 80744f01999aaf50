/**
 * ICMPv6 (RFC 4443) for the stack: echo replies, `ping()` over IPv6, the error messages
 * (destination unreachable, packet too big, time exceeded, parameter problem) with a token-bucket
 * rate limit and RFC 4443 2.4 (e)'s "never about" rules, received errors handed to the transport
 * or ping that sent the quoted packet, and the path MTU cache (RFC 8201) that `Ipv6.send` reads:
 * a packet too big lowers a destination's MTU (never below 1280, never up), and after
 * `pathMtuTimeout` the link MTU is tried again. Neighbour discovery and MLD messages are handed on
 * to ndp.ts, slaac.ts and mld.ts.
 */
import type { Packet } from "../packet/packet.js";
import { createDissector } from "../packet/packet.js";
import { internetChecksum } from "../packet/checksum.js";
import {
  ICMPv6, ICMPv6DestinationUnreachable, ICMPv6Echo, ICMPv6PacketTooBig, ICMPv6ParameterProblem, ICMPv6TimeExceeded, Icmpv6Type,
} from "../protocols/icmpv6.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { Raw } from "../protocols/raw.js";
import type { Clock } from "./clock.js";
import { PingTable } from "./ping-table.js";
import type { Ipv6Config } from "./config.js";
import type { Arrival6, Ipv6, Ipv6Layer, Send6Failure } from "./ipv6.js";
import { IPV6_HEADER, IPV6_MIN_MTU } from "./ipv6.js";
import type { Stats } from "./stats.js";
import { PingError, type PingOptions, type PingReply } from "./icmp.js";
import { formatAddress6, isMulticast6, pseudoHeaderSumAt, requireIPv6, UNSPECIFIED } from "./address6.js";

/** Bytes of the offending packet an error quotes at most (the error fits the minimum MTU). */
export const QUOTE_LIMIT6 = IPV6_MIN_MTU - IPV6_HEADER - 8;

/** Destination unreachable codes (RFC 4443 3.1). */
export const Icmpv6UnreachableCode = { noRoute: 0, prohibited: 1, beyondScope: 2, address: 3, port: 4, sourcePolicy: 5, rejectRoute: 6 } as const;

/** An ICMPv6 error about a packet we sent, as transports see it. */
export interface Icmpv6ErrorInfo {
  readonly type: number;
  readonly code: number;
  /** Who sent the error. */
  readonly reporter: string;
  /** The quoted packet's addresses and upper-layer protocol. */
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  /** The quoted transport header's ports (UDP, TCP) when there. */
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  /** The MTU of a packet too big. */
  readonly mtu: number | undefined;
  /** The pointer of a parameter problem. */
  readonly pointer: number | undefined;
}

/** Pings in flight at most. */
export const MAX_PINGS6 = 1024;

/** What receives the echo replies and errors of one identifier (a ping socket). */
export interface Echo6Endpoint {
  reply(from: string, seq: number, hopLimit: number, data: Uint8Array): void;
  error(seq: number, info: Icmpv6ErrorInfo): void;
}

/** Handlers of the ICMPv6 messages other files own. */
export interface Icmpv6Hooks {
  /** Neighbour solicitation, advertisement, redirect. */
  ndp?: (p: Packet, ip: Ipv6Layer, arrival: Arrival6) => void;
  /** Router solicitation and advertisement. */
  router?: (p: Packet, ip: Ipv6Layer, arrival: Arrival6) => void;
  /** MLD queries and reports. */
  mld?: (p: Packet, ip: Ipv6Layer, arrival: Arrival6) => void;
}

/** The ICMPv6 layer of a stack. */
export class Icmpv6 {
  private tokens: number;
  private lastRefill: number;
  private readonly pings: PingTable<string>;
  private readonly errorHandlers = new Map<number, (e: Icmpv6ErrorInfo) => void>();
  private readonly pmtu = new Map<string, { mtu: number; expires: number }>();
  private readonly quoteDissector = createDissector(IPv6);
  readonly hooks: Icmpv6Hooks = {};
  private readonly endpoints = new Map<number, Echo6Endpoint>();

  constructor(
    private readonly ipv6: Ipv6,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv6Config,
    private readonly echoId: number,
  ) {
    this.tokens = config.errorBurst;
    this.lastRefill = clock.now();
    this.pings = new PingTable(clock, MAX_PINGS6);
    ipv6.pathMtu = (dst) => this.pathMtu(dst);
  }

  /** Hand ICMPv6 errors about packets of `protocol` to `handler`. */
  onError(protocol: number, handler: (e: Icmpv6ErrorInfo) => void): void {
    this.errorHandlers.set(protocol, handler);
  }

  /** Return the path MTU learned for `dst`, if any (expired entries go). */
  pathMtu(dst: string): number | undefined {
    const e = this.pmtu.get(dst);
    if (e === undefined) return undefined;
    if (e.expires <= this.clock.now()) { this.pmtu.delete(dst); this.stats.count("icmpv6.pathMtuExpired"); return undefined; }
    return e.mtu;
  }

  /** Handle a received ICMPv6 message. */
  receive(p: Packet, ip: Ipv6Layer, arrival: Arrival6): void {
    const { bytes, upperStart: start, upperEnd: end } = arrival;
    if (end - start < 4) { this.stats.drop("icmpv6Malformed"); return; }
    // Routing headers with segments left are refused before this: the header's addresses are the pseudo-header's.
    if (internetChecksum(bytes, start, end, pseudoHeaderSumAt(bytes, arrival.start, IpProtocol.ICMPv6, end - start)) !== 0) {
      this.stats.drop("icmpv6BadChecksum");
      return;
    }
    this.stats.count("icmpv6.rx");
    const type = bytes[start]!;
    switch (type) {
      case Icmpv6Type.echoRequest: return this.echoRequest(arrival);
      case Icmpv6Type.echoReply: return this.echoReply(arrival);
      case Icmpv6Type.destinationUnreachable:
      case Icmpv6Type.packetTooBig:
      case Icmpv6Type.timeExceeded:
      case Icmpv6Type.parameterProblem:
        return this.error(p, arrival);
      case Icmpv6Type.neighborSolicitation:
      case Icmpv6Type.neighborAdvertisement:
      case Icmpv6Type.redirect:
        return this.hooks.ndp?.(p, ip, arrival);
      case Icmpv6Type.routerSolicitation:
      case Icmpv6Type.routerAdvertisement:
        return this.hooks.router?.(p, ip, arrival);
      case Icmpv6Type.multicastListenerQuery:
      case Icmpv6Type.multicastListenerReport:
      case Icmpv6Type.multicastListenerDone:
      case Icmpv6Type.multicastListenerReportV2:
        return this.hooks.mld?.(p, ip, arrival);
      default:
        // RFC 4443 2.4 (b), (c): unknown errors go up, unknown informational messages are dropped.
        if (type < 128) return this.error(p, arrival);
        this.stats.drop("icmpv6Unhandled", `type ${type}`);
    }
  }

  // ---- echo ----

  private echoRequest(arrival: Arrival6): void {
    if (arrival.multicast && !this.config.echoMulticast) { this.stats.count("icmpv6.echoMulticastIgnored"); return; }
    const { bytes, upperStart: s, upperEnd: e } = arrival;
    if (e - s < 8) { this.stats.drop("icmpv6Malformed", "echo"); return; }
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    this.ipv6.send({
      dst: arrival.src, src: arrival.multicast ? undefined : arrival.dst, protocol: IpProtocol.ICMPv6, trafficClass: arrival.trafficClass,
      payload: [ICMPv6({ type: Icmpv6Type.echoReply }), ICMPv6Echo({ id: view.getUint16(s + 4), seq: view.getUint16(s + 6) }), Raw({ data: bytes.slice(s + 8, e) })],
    });
    this.stats.count("icmpv6.echoReplySent");
  }

  private echoReply(arrival: Arrival6): void {
    const { bytes, upperStart: s, upperEnd: e } = arrival;
    if (e - s < 8) { this.stats.drop("icmpv6Malformed", "echo reply"); return; }
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const id = view.getUint16(s + 4);
    const seq = view.getUint16(s + 6);
    if (id !== this.echoId) {
      const endpoint = this.endpoints.get(id);
      if (endpoint === undefined) { this.stats.count("icmpv6.echoReplyUnmatched"); return; }
      endpoint.reply(arrival.src, seq, arrival.hopLimit, bytes.subarray(s + 8, e));
      return;
    }
    const matched = this.pings.reply(seq, arrival.src, (time) => ({ address: arrival.src, seq, time, ttl: arrival.hopLimit, bytes: e - s - 8 }));
    if (!matched) this.stats.count("icmpv6.echoReplyUnmatched");
  }

  /** Take the echo replies and errors of identifier `id` (a ping socket's, chosen by the IPv4 side). */
  bindEcho(id: number, endpoint: Echo6Endpoint): void {
    this.endpoints.set(id, endpoint);
  }

  /** Release an identifier from `bindEcho`. */
  unbindEcho(id: number): void {
    this.endpoints.delete(id);
  }

  /** Send one echo request. */
  sendEcho(dst: string, id: number, seq: number, data: Uint8Array, options: { hopLimit?: number | undefined; dontFragment?: boolean | undefined } = {}): Send6Failure | undefined {
    this.stats.count("icmpv6.echoRequestSent");
    return this.ipv6.send({
      dst, protocol: IpProtocol.ICMPv6, hopLimit: options.hopLimit, dontFragment: options.dontFragment,
      payload: [ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id, seq }), Raw({ data })],
    });
  }

  /** Send an echo request to `dst` (IPv6 text) and wait for the reply. */
  ping(dst: string, options: PingOptions = {}): Promise<PingReply> {
    let to: string;
    try { to = requireIPv6(dst, "ping"); } catch (e) { return Promise.reject(e); }
    return this.pings.start(to, dst, options, (seq, data) => this.sendEcho(to, this.echoId, seq, data, { hopLimit: options.ttl, dontFragment: options.dontFragment }));
  }

  /** Reject every ping in flight. */
  close(): void {
    this.pings.close();
  }

  // ---- errors received ----

  private error(p: Packet, arrival: Arrival6): void {
    const { bytes, upperStart: s, upperEnd: e } = arrival;
    const type = bytes[s]!;
    const code = bytes[s + 1]!;
    if (e - s < 8 + IPV6_HEADER) { this.stats.drop("icmpv6Malformed", "error without a quoted header"); return; }
    const q = s + 8;
    const src = formatAddress6(bytes, q + 8);
    const dst = formatAddress6(bytes, q + 24);
    const word = new DataView(bytes.buffer, bytes.byteOffset).getUint32(s + 4);
    // Find the quoted upper-layer header past the quoted extension headers.
    let next = bytes[q + 6]!;
    let at = q + IPV6_HEADER;
    for (let i = 0; i < 16 && (next === IpProtocol.HOPOPT || next === IpProtocol.IPv6Opts || next === IpProtocol.IPv6Route || next === IpProtocol.IPv6Frag) && at + 8 <= e; i++) {
      const len = next === IpProtocol.IPv6Frag ? 8 : 8 + bytes[at + 1]! * 8;
      if (next === IpProtocol.IPv6Frag && (((bytes[at + 2]! << 8) | bytes[at + 3]!) & 0xfff8) !== 0) { next = -1; break; }
      next = bytes[at]!;
      at += len;
    }
    const ports = (next === IpProtocol.UDP || next === IpProtocol.TCP) && at + 4 <= e;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const info: Icmpv6ErrorInfo = {
      type, code, reporter: arrival.src, src, dst, protocol: next,
      srcPort: ports ? view.getUint16(at) : undefined, dstPort: ports ? view.getUint16(at + 2) : undefined,
      mtu: type === Icmpv6Type.packetTooBig ? word : undefined,
      pointer: type === Icmpv6Type.parameterProblem ? word : undefined,
    };
    this.stats.count("icmpv6.errorReceived");
    void p;
    if (type === Icmpv6Type.packetTooBig) this.packetTooBig(dst, word);
    const echo = next === IpProtocol.ICMPv6 && at + 8 <= e && bytes[at] === Icmpv6Type.echoRequest
      ? { id: view.getUint16(at + 4), seq: view.getUint16(at + 6) } : undefined;
    this.dispatch(info, echo);
  }

  /** RFC 8201 4: lower the path MTU of `dst` (never below 1280, never up), for `pathMtuTimeout`. */
  private packetTooBig(dst: string, mtu: number): void {
    const m = Math.max(IPV6_MIN_MTU, mtu);
    const current = this.ipv6.mtuFor(dst);
    if (m >= current) { this.stats.count("icmpv6.packetTooBigIgnored"); return; }
    if (!this.pmtu.has(dst) && this.pmtu.size >= this.config.pathMtuCacheSize) this.pmtu.delete(this.pmtu.keys().next().value!);
    this.pmtu.set(dst, { mtu: m, expires: this.clock.now() + this.config.pathMtuTimeout });
    this.stats.count("icmpv6.pathMtuLowered");
  }

  /**
   * Report datagrams that neighbour discovery could not deliver as "address unreachable" to
   * whoever sent them (a transport, a ping), as RFC 4861 7.2.2 says.
   */
  unresolved(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) {
      const p = this.quoteDissector.dissect(d);
      if (p.layer(IPv6) === undefined) continue;
      const fake = new Uint8Array(8 + d.length);
      fake[0] = Icmpv6Type.destinationUnreachable;
      fake[1] = Icmpv6UnreachableCode.address;
      fake.set(d, 8);
      const src = formatAddress6(d, 8);
      this.stats.count("icmpv6.addressUnreachableLocal");
      this.error(p, { bytes: fake, start: 0, src, dst: src, multicast: false, hopLimit: 64, trafficClass: 0, protocol: IpProtocol.ICMPv6, upperStart: 0, upperEnd: fake.length, nextHeaderField: 6, reassembled: false });
    }
  }

  private dispatch(info: Icmpv6ErrorInfo, echo: { id: number; seq: number } | undefined): void {
    if (echo !== undefined && echo.id === this.echoId) {
      if (this.pings.has(echo.seq)) {
        if (info.type === Icmpv6Type.packetTooBig) return; // the next try fits; this one is lost
        this.pings.fail(echo.seq, () => new PingError(info.type === Icmpv6Type.timeExceeded ? "ETIMEDOUT" : "EHOSTUNREACH", `${info.reporter} reports ICMPv6 type ${info.type} code ${info.code}`));
        return;
      }
    }
    if (echo !== undefined) {
      const endpoint = this.endpoints.get(echo.id);
      if (endpoint !== undefined) { endpoint.error(echo.seq, info); return; }
    }
    const h = this.errorHandlers.get(info.protocol);
    if (h === undefined) { this.stats.count("icmpv6.errorUnclaimed"); return; }
    h(info);
  }

  // ---- errors sent ----

  /** Send destination unreachable with `code` about the datagram in `arrival`. */
  unreachable(code: number, arrival: Arrival6): void {
    this.sendError(Icmpv6Type.destinationUnreachable, code, 0, arrival, false);
  }

  /** Send a parameter problem (code 0 header field, 1 next header, 2 option, 3 incomplete chain) pointing at `pointer`. */
  parameterProblem(code: number, pointer: number, arrival: Arrival6, evenToMulticast = false): void {
    this.sendError(Icmpv6Type.parameterProblem, code, pointer, arrival, evenToMulticast);
  }

  /** Send time exceeded code 1 (reassembly) quoting `first`, a packet as received. */
  reassemblyTimeExceeded(first: Uint8Array): void {
    const src = formatAddress6(first, 8);
    const dst = formatAddress6(first, 24);
    this.sendError(Icmpv6Type.timeExceeded, 1, 0, {
      bytes: first, start: 0, src, dst, multicast: isMulticast6(dst), hopLimit: first[7]!, trafficClass: 0, protocol: IpProtocol.IPv6Frag,
      upperStart: IPV6_HEADER, upperEnd: first.length, nextHeaderField: 6, reassembled: false,
    }, false);
  }

  private sendError(type: number, code: number, word: number, arrival: Arrival6, evenToMulticast: boolean): void {
    // RFC 4443 2.4 (e): never about an error message, a packet to a multicast group (but packet
    // too big and an unknown option of action 10), or from "::" or a multicast source.
    if (arrival.multicast && !evenToMulticast) return;
    if (arrival.src === UNSPECIFIED || isMulticast6(arrival.src)) return;
    if (arrival.protocol === IpProtocol.ICMPv6 && arrival.upperStart < arrival.upperEnd && arrival.bytes[arrival.upperStart]! < 128) return;
    if (!this.takeToken()) { this.stats.drop("icmpv6RateLimited"); return; }
    const quote = arrival.bytes.slice(arrival.start, Math.min(arrival.upperEnd, arrival.start + QUOTE_LIMIT6));
    const body = type === Icmpv6Type.destinationUnreachable ? ICMPv6DestinationUnreachable({})
      : type === Icmpv6Type.packetTooBig ? ICMPv6PacketTooBig({ mtu: word })
      : type === Icmpv6Type.timeExceeded ? ICMPv6TimeExceeded({}) : ICMPv6ParameterProblem({ pointer: word });
    this.ipv6.send({
      dst: arrival.src, src: arrival.multicast ? undefined : arrival.dst, protocol: IpProtocol.ICMPv6,
      payload: [ICMPv6({ type, code }), body, Raw({ data: quote })],
    });
    this.stats.count("icmpv6.errorSent");
  }

  private takeToken(): boolean {
    const now = this.clock.now();
    const c = this.config;
    this.tokens = Math.min(c.errorBurst, this.tokens + ((now - this.lastRefill) * c.errorsPerSecond) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
