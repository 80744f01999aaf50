/**
 * ICMP (RFC 792, RFC 1122 3.2.2) for the stack: answers echo requests, sends rate-limited
 * destination-unreachable errors (port, protocol), runs `ping()`, and hands received errors to the
 * transport that sent the quoted datagram (UDP sockets) or to the ping waiting for it. Errors are
 * never sent about ICMP errors, broadcasts, multicasts or non-first fragments (RFC 1122 3.2.2).
 */
import type { Packet } from "../packet/packet.js";
import {
  ICMP, ICMPDestinationUnreachable, ICMPEcho, ICMPParameterProblem, ICMPTimeExceeded, IcmpType, IcmpUnreachableCode,
} from "../protocols/icmp.js";
import { IPv4, IpProtocol } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { TCP } from "../protocols/tcp.js";
import { Raw } from "../protocols/raw.js";
import { internetChecksum } from "../packet/checksum.js";
import { WirecraftError } from "../errors.js";
import type { Clock } from "./clock.js";
import { PingTable } from "./ping-table.js";
import type { IcmpConfig } from "./config.js";
import { createDissector } from "../packet/packet.js";
import type { Arrival, Ipv4, Ipv4Layer, SendFailure } from "./ipv4.js";
import type { Stats } from "./stats.js";
import { ipv4ToNumber, isMulticast, LIMITED_BROADCAST } from "./address.js";

/** Bytes of the offending datagram an error quotes at most (so the error fits in 576, RFC 1812). */
export const QUOTE_LIMIT = 576 - 20 - 8;

/** The "time exceeded" code for "fragment reassembly time exceeded" (RFC 792). */
export const TIME_EXCEEDED_REASSEMBLY = 1;

/** An ICMP error received about a datagram we sent, as transports see it. */
export interface IcmpErrorInfo {
  readonly type: number;
  readonly code: number;
  /** Who sent the error (a router, or the destination). */
  readonly reporter: string;
  /** The quoted datagram's addresses and protocol. */
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  /** The quoted transport header's ports (UDP, TCP) when there. */
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  /** Next-hop MTU of "fragmentation needed". */
  readonly mtu: number | undefined;
}

/** The answer to one echo request. */
export interface PingReply {
  readonly address: string;
  readonly seq: number;
  /** Round-trip time in ms (clock time). */
  readonly time: number;
  readonly ttl: number;
  /** Bytes of echo data. */
  readonly bytes: number;
}

/** Options of `ping()`. */
export interface PingOptions {
  /** Bytes of data after the echo header (default 56, as ping(8)). */
  readonly size?: number;
  /** Give up after this many ms (default 1000). */
  readonly timeout?: number;
  readonly ttl?: number;
  /** Set "don't fragment". */
  readonly dontFragment?: boolean;
}

/** An error from `ping()`: `ETIMEDOUT`, a send failure, or the ICMP error received (`EHOSTUNREACH`…). */
export class PingError extends WirecraftError {
  constructor(code: string, message: string, readonly icmp?: IcmpErrorInfo) {
    super(code, message);
  }
}

/** Pings in flight at most per stack (a bound, like every table here). */
export const MAX_PINGS = 1024;

/** Echo identifiers bound by ping sockets at most per stack. */
export const MAX_ECHO_ENDPOINTS = 1024;

/** What receives the echo replies and errors of one identifier (a ping socket). */
export interface EchoEndpoint {
  reply(from: string, seq: number, ttl: number, data: Uint8Array): void;
  error(seq: number, info: IcmpErrorInfo): void;
}

/** The ICMP layer of a stack. */
export class Icmp {
  private tokens: number;
  private lastRefill: number;
  private readonly pings: PingTable<number>;
  private readonly echoId: number;
  /** Transports that want errors about their datagrams, by protocol number. */
  private readonly errorHandlers = new Map<number, (e: IcmpErrorInfo) => void>();
  private readonly endpoints = new Map<number, EchoEndpoint>();
  private nextEndpointId = 1;
  private readonly quoteDissector = createDissector(IPv4);

  constructor(
    private readonly ipv4: Ipv4,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: IcmpConfig,
    echoId: number,
  ) {
    this.tokens = config.errorBurst;
    this.lastRefill = clock.now();
    this.echoId = echoId & 0xffff;
    this.pings = new PingTable(clock, MAX_PINGS);
  }

  /** Hand ICMP errors about datagrams of `protocol` to `handler`. */
  onError(protocol: number, handler: (e: IcmpErrorInfo) => void): void {
    this.errorHandlers.set(protocol, handler);
  }

  /** Handle a received ICMP message. */
  receive(p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    const icmp = p.layer(ICMP);
    const s = icmp?.span();
    if (icmp === undefined || s === undefined || s.end - s.start < 8) { this.stats.drop("icmpMalformed"); return; }
    if (internetChecksum(arrival.bytes, s.start, s.end) !== 0) { this.stats.drop("icmpBadChecksum"); return; }
    this.stats.count("icmp.rx");
    switch (icmp.type) {
      case IcmpType.echoRequest: return this.echoRequest(p, ip, arrival);
      case IcmpType.echoReply: return this.echoReply(p, ip, arrival);
      case IcmpType.destinationUnreachable:
      case IcmpType.timeExceeded:
      case IcmpType.parameterProblem:
        return this.error(p, icmp.type, icmp.code, ip);
      default:
        this.stats.drop("icmpUnhandled", `type ${icmp.type}`);
    }
  }

  /** Send "destination unreachable" with `code` about the datagram in `arrival` (rate limited). */
  unreachable(code: number, ip: Ipv4Layer, arrival: Arrival): void {
    this.sendError(IcmpType.destinationUnreachable, code, ip, arrival);
  }

  /** Send "time exceeded" with `code` (1: fragment reassembly) about the datagram in `arrival` (rate limited). */
  timeExceeded(code: number, ip: Ipv4Layer, arrival: Arrival): void {
    this.sendError(IcmpType.timeExceeded, code, ip, arrival);
  }

  /** Give `endpoint` an echo identifier of its own (not the one `ping()` uses); undefined when none is free. */
  bindEcho(endpoint: EchoEndpoint): number | undefined {
    if (this.endpoints.size >= MAX_ECHO_ENDPOINTS) return undefined;
    for (let i = 0; i < 65536; i++) {
      const id = this.nextEndpointId;
      this.nextEndpointId = (id + 1) & 0xffff;
      if (id !== this.echoId && !this.endpoints.has(id)) { this.endpoints.set(id, endpoint); return id; }
    }
    return undefined;
  }

  /** Release an identifier from `bindEcho`. */
  unbindEcho(id: number): void {
    this.endpoints.delete(id);
  }

  /** Send one echo request. */
  sendEcho(dst: number, id: number, seq: number, data: Uint8Array, options: { ttl?: number | undefined; dontFragment?: boolean | undefined } = {}): SendFailure | undefined {
    this.stats.count("icmp.echoRequestSent");
    return this.ipv4.send({
      dst, protocol: IpProtocol.ICMP, ttl: options.ttl, dontFragment: options.dontFragment,
      payload: [ICMP({ type: IcmpType.echoRequest }), ICMPEcho({ id, seq }), Raw({ data })],
    });
  }

  /**
   * Report datagrams dropped because their next hop never answered ARP as "host unreachable" to
   * whoever sent them (a UDP socket, a ping), as Linux does; only first fragments are reported.
   */
  unresolved(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) {
      const p = this.quoteDissector.dissect(d);
      const ip = p.layer(IPv4);
      if (ip === undefined || ip.fragmentOffset !== 0) continue;
      const udp = ip.protocol === IpProtocol.UDP ? p.layer(UDP) : ip.protocol === IpProtocol.TCP ? p.layer(TCP) : undefined;
      const echo = ip.protocol === IpProtocol.ICMP && p.layer(ICMP)?.type === IcmpType.echoRequest ? p.layer(ICMPEcho) : undefined;
      const info: IcmpErrorInfo = {
        type: IcmpType.destinationUnreachable, code: IcmpUnreachableCode.host, reporter: ip.src,
        src: ipv4ToNumber(ip.src) ?? 0, dst: ipv4ToNumber(ip.dst) ?? 0, protocol: ip.protocol,
        srcPort: udp?.srcPort, dstPort: udp?.dstPort, mtu: undefined,
      };
      this.stats.count("icmp.hostUnreachableLocal");
      this.dispatch(info, echo);
    }
  }

  /** Send an echo request to `dst` and wait for the reply. */
  ping(dst: string, options: PingOptions = {}): Promise<PingReply> {
    const to = ipv4ToNumber(dst);
    if (to === undefined) return Promise.reject(new TypeError(`not an IPv4 address: ${JSON.stringify(dst)}`));
    return this.pings.start(to, dst, options, (seq, data) => this.sendEcho(to, this.echoId, seq, data, options));
  }

  /** Reject every ping in flight (the stack is closing). */
  close(): void {
    this.pings.close();
  }

  private echoRequest(p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    if (arrival.broadcast && !this.config.echoBroadcast) { this.stats.count("icmp.echoBroadcastIgnored"); return; }
    const echo = p.layer(ICMPEcho);
    const s = echo?.span();
    if (echo === undefined || s === undefined) { this.stats.drop("icmpMalformed"); return; }
    const data = arrival.bytes.subarray(s.headerEnd, s.end);
    this.ipv4.send({
      dst: arrival.src, src: arrival.broadcast ? undefined : arrival.dst, protocol: IpProtocol.ICMP, tos: ip.tos,
      payload: [ICMP({ type: IcmpType.echoReply }), ICMPEcho({ id: echo.id, seq: echo.seq }), Raw({ data })],
    });
    this.stats.count("icmp.echoReplySent");
  }

  private echoReply(p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    const echo = p.layer(ICMPEcho);
    const s = echo?.span();
    if (echo === undefined || s === undefined) { this.stats.drop("icmpMalformed"); return; }
    if (echo.id !== this.echoId) {
      const endpoint = this.endpoints.get(echo.id);
      if (endpoint === undefined) { this.stats.count("icmp.echoReplyUnmatched"); return; }
      endpoint.reply(ip.src, echo.seq, ip.ttl, arrival.bytes.subarray(s.headerEnd, s.end));
      return;
    }
    const seq = echo.seq;
    const matched = this.pings.reply(seq, ipv4ToNumber(ip.src) ?? -1, (time) => ({ address: ip.src, seq, time, ttl: ip.ttl, bytes: s.end - s.headerEnd }));
    if (!matched) this.stats.count("icmp.echoReplyUnmatched");
  }

  private error(p: Packet, type: number, code: number, ip: Ipv4Layer): void {
    const quoted = p.layers(IPv4)[1];
    if (quoted === undefined) { this.stats.drop("icmpMalformed", "no quoted datagram"); return; }
    const body = p.layer(ICMPDestinationUnreachable);
    // UDP and TCP both start with the two ports.
    const udp = quoted.protocol === IpProtocol.UDP ? p.layers(UDP)[0] : quoted.protocol === IpProtocol.TCP ? p.layers(TCP)[0] : undefined;
    const echo = quoted.protocol === IpProtocol.ICMP ? p.layers(ICMPEcho)[0] : undefined;
    const info: IcmpErrorInfo = {
      type, code, reporter: ip.src,
      src: ipv4ToNumber(quoted.src) ?? 0, dst: ipv4ToNumber(quoted.dst) ?? 0, protocol: quoted.protocol,
      srcPort: udp?.srcPort, dstPort: udp?.dstPort,
      mtu: body !== undefined && code === 4 ? body.nextHopMtu : undefined,
    };
    this.stats.count("icmp.errorReceived");
    this.dispatch(info, echo);
  }

  /** Hand an error to the ping, ping socket or transport that sent the datagram. */
  private dispatch(info: IcmpErrorInfo, echo: { id: number; seq: number } | undefined): void {
    const { type, code } = info;
    if (echo !== undefined && echo.id === this.echoId) {
      if (this.pings.fail(echo.seq, () => new PingError(type === IcmpType.timeExceeded ? "ETIMEDOUT" : "EHOSTUNREACH", `${info.reporter} reports ICMP type ${type} code ${code}`, info))) return;
    }
    if (echo !== undefined) {
      const endpoint = this.endpoints.get(echo.id);
      if (endpoint !== undefined) { endpoint.error(echo.seq, info); return; }
    }
    const h = this.errorHandlers.get(info.protocol);
    if (h === undefined) { this.stats.count("icmp.errorUnclaimed"); return; }
    h(info);
  }

  private sendError(type: number, code: number, ip: Ipv4Layer, arrival: Arrival): void {
    // RFC 1122 3.2.2: never about broadcasts, multicasts, non-first fragments, odd sources, or ICMP errors.
    if (arrival.broadcast || isMulticast(arrival.dst) || ip.fragmentOffset !== 0) return;
    if (arrival.src === 0 || arrival.src === LIMITED_BROADCAST || isMulticast(arrival.src)) return;
    if (ip.protocol === IpProtocol.ICMP && !this.isQuery(ip, arrival)) return;
    if (!this.takeToken()) { this.stats.drop("icmpRateLimited"); return; }
    const s = ip.span()!;
    const end = Math.min(s.start + ip.totalLength, s.start + QUOTE_LIMIT, arrival.bytes.length);
    const quote = arrival.bytes.slice(s.start, end);
    const body = type === IcmpType.destinationUnreachable ? ICMPDestinationUnreachable({})
      : type === IcmpType.timeExceeded ? ICMPTimeExceeded({}) : ICMPParameterProblem({});
    this.ipv4.send({
      dst: arrival.src, src: arrival.dst, protocol: IpProtocol.ICMP,
      payload: [ICMP({ type, code }), body, Raw({ data: quote })],
    });
    this.stats.count("icmp.errorSent");
  }

  /** Whether an ICMP datagram is a query (echo…) rather than an error: errors are never answered. */
  private isQuery(ip: Ipv4Layer, arrival: Arrival): boolean {
    const s = ip.span()!;
    const t = arrival.bytes[s.headerEnd];
    return t === IcmpType.echoRequest || t === IcmpType.echoReply || t === IcmpType.timestamp || t === IcmpType.timestampReply;
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

