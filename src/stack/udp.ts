/**
 * UDP (RFC 768; over IPv6, RFC 8200 8.1) for the stack, with sockets shaped like Node's
 * `dgram.Socket`: `bind`, `connect`, `send`, `close`, `address`, `remoteAddress`, `setBroadcast`,
 * `setTTL`, and the events `listening`, `connect`, `message` (msg, rinfo), `error` and `close`.
 *
 * Sockets are `udp4` or `udp6`, as in Node. A `udp6` socket bound to `::` also receives IPv4
 * datagrams, seen as IPv4-mapped addresses (`::ffff:10.0.0.1`), unless created with `ipv6Only`;
 * it may send to mapped addresses too. So a port holds one socket for each family at most: a
 * `udp4` and an `ipv6Only` `udp6` socket can share it, a dual-stack `udp6` socket takes both.
 * Link-local IPv6 addresses carry the interface as their scope (`fe80::1%tap0`, the stack's name):
 * accepted on input (the stack has one interface: the scope must name it, or be `1`), and given in
 * `rinfo.address` for link-local senders, as Node does.
 *
 * Datagrams to a closed port get a (rate-limited) ICMP or ICMPv6 port unreachable; an ICMP error
 * about a datagram a socket sent is emitted on that socket as an `error` (ECONNREFUSED for port
 * unreachable, EMSGSIZE for fragmentation needed / packet too big, EHOSTUNREACH, ENETUNREACH…),
 * when it listens for errors (otherwise it is counted: an unhandled `error` event would throw inside
 * the stack).
 */
import { EventEmitter } from "node:events";
import type { Packet } from "../packet/packet.js";
import { onesComplementSum, finishChecksum } from "../packet/checksum.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { IcmpType, IcmpUnreachableCode } from "../protocols/icmp.js";
import { Icmpv6Type } from "../protocols/icmpv6.js";
import { UDP } from "../protocols/udp.js";
import { Raw } from "../protocols/raw.js";
import { WirecraftError } from "../errors.js";
import type { AnyLayer } from "../schema/protocol.js";
import type { UdpConfig } from "./config.js";
import type { Arrival, Ipv4, Ipv4Layer } from "./ipv4.js";
import type { Arrival6 } from "./ipv6.js";
import type { Icmp, IcmpErrorInfo } from "./icmp.js";
import { Icmpv6UnreachableCode as U6 } from "./icmpv6.js";
import type { Interface } from "./interface.js";
import type { Stats } from "./stats.js";
import { ipv4ToNumber, LIMITED_BROADCAST, numberToIPv4 } from "./address.js";
import { canonical6, isLinkLocal6, isMulticast6 } from "./address6.js";

/** Where a datagram came from, as Node's `rinfo`. */
export interface RemoteInfo {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  readonly port: number;
  readonly size: number;
}

/** A socket's own or remote address, as Node's `socket.address()`. */
export interface AddressInfo {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  readonly port: number;
}

/** An ICMP or ICMPv6 error about a datagram we sent, as UDP needs it. */
export interface UdpIcmpError {
  /** 4: ICMP, 6: ICMPv6. */
  readonly family: 4 | 6;
  readonly type: number;
  readonly code: number;
  /** Who sent the error. */
  readonly reporter: string;
  /** The quoted datagram's source and destination (canonical text). */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  /** The MTU of "fragmentation needed" or "packet too big". */
  readonly mtu: number | undefined;
}

/** A socket error with a Node-style code (`ECONNREFUSED`, `EADDRINUSE`, `EMSGSIZE`…). */
export class SocketError extends WirecraftError {
  constructor(code: string, message: string, readonly address?: string, readonly port?: number, readonly icmp?: IcmpErrorInfo | UdpIcmpError) {
    super(code, message);
  }
}

/** The largest UDP payload over IPv4 (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65507;
/** The largest UDP payload over IPv6 without jumbograms (65535 - 8). */
export const MAX_UDP6_PAYLOAD = 65527;

/** The callback of `send`: an error, or null and the bytes sent. */
export type SendCallback = (error: Error | null, bytes?: number) => void;
type Message = Uint8Array | string | DataView | readonly (Uint8Array | string)[];

/** The socket types, as Node's `dgram.createSocket`. */
export type UdpSocketType = "udp4" | "udp6";

/** Options of `createSocket`, as Node's (`reuseAddr` and the rest are not supported). */
export interface UdpSocketOptions {
  readonly type: UdpSocketType;
  /** A `udp6` socket bound to `::` receives IPv6 only (default false: IPv4 too, as mapped addresses). */
  readonly ipv6Only?: boolean;
}

/** What UDP needs of the IPv6 layer; the stack wires its Ipv6 in through `attachIpv6`. */
export interface UdpIpv6 {
  /** Send a datagram; return a Node-style code when it cannot go. */
  send(o: { readonly src?: string | undefined; readonly dst: string; readonly protocol: number; readonly payload: readonly AnyLayer[]; readonly hopLimit?: number | undefined }): string | undefined;
  /** Whether `address` (canonical) is one of ours and usable as a source. */
  hasAddress(address: string): boolean;
}

/** Which families a socket receives. */
interface Claims { readonly v4: boolean; readonly v6: boolean }

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

/** The UDP layer of a stack: the table of bound sockets. */
export class Udp {
  /** @internal Sockets by port: one per family at most. */
  readonly sockets = new Map<number, UdpSocket[]>();
  private nextEphemeral: number;
  /** @internal */ ipv6: UdpIpv6 | undefined;
  /** @internal The interface name that link-local scopes must name. */
  scopeName = "";

  constructor(
    /** @internal */ readonly ipv4: Ipv4,
    private readonly icmp: Icmp,
    /** @internal */ readonly iface: Interface,
    /** @internal */ readonly stats: Stats,
    private readonly config: UdpConfig,
  ) {
    this.nextEphemeral = config.ephemeralFirst;
    icmp.onError(IpProtocol.UDP, (e) => this.icmpError({
      family: 4, type: e.type, code: e.code, reporter: e.reporter, src: numberToIPv4(e.src), dst: numberToIPv4(e.dst),
      srcPort: e.srcPort, dstPort: e.dstPort, mtu: e.mtu,
    }, e));
  }

  /**
   * Let sockets use IPv6 through `ipv6`; `scopeName` is the zone of link-local addresses
   * (`fe80::1%NAME`); `portUnreachable` answers a datagram to a closed port (ICMPv6, rate-limited).
   */
  attachIpv6(ipv6: UdpIpv6, scopeName: string, portUnreachable: (arrival: Arrival6) => void): void {
    this.ipv6 = ipv6;
    this.scopeName = scopeName;
    this.portUnreachable6 = portUnreachable;
  }

  private portUnreachable6: ((arrival: Arrival6) => void) | undefined;

  /** Create a socket (unbound until `bind` or the first `send`). */
  createSocket(options: UdpSocketOptions = { type: "udp4" }): UdpSocket {
    if (options.type !== "udp4" && options.type !== "udp6") throw new TypeError(`socket type must be udp4 or udp6: ${String(options.type)}`);
    return new UdpSocket(this, options.type, options.type === "udp6" && options.ipv6Only === true);
  }

  /** @internal Reserve `port` (0: an ephemeral one); return it, or undefined when taken or none free. */
  reserve(port: number, socket: UdpSocket, claims: Claims): number | undefined {
    const free = (p: number): boolean => !(this.sockets.get(p) ?? []).some((s) => { const c = s.claims(); return (c.v4 && claims.v4) || (c.v6 && claims.v6); });
    const take = (p: number): number => {
      const list = this.sockets.get(p);
      if (list === undefined) this.sockets.set(p, [socket]);
      else list.push(socket);
      return p;
    };
    if (port !== 0) return free(port) ? take(port) : undefined;
    const { ephemeralFirst: first, ephemeralLast: last } = this.config;
    const span = last - first + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= last ? first : p + 1;
      if (free(p)) return take(p);
    }
    return undefined;
  }

  /** @internal */
  release(port: number, socket: UdpSocket): void {
    const list = this.sockets.get(port);
    if (list === undefined) return;
    const i = list.indexOf(socket);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.sockets.delete(port);
  }

  /** The socket on `port` that receives `family`. */
  private socketFor(port: number, family: 4 | 6): UdpSocket | undefined {
    for (const s of this.sockets.get(port) ?? []) {
      const c = s.claims();
      if (family === 4 ? c.v4 : c.v6) return s;
    }
    return undefined;
  }

  /** Handle a received UDP datagram over IPv4. */
  receive(p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    const udp = p.layer(UDP);
    const s = udp?.span();
    const ipStart = ip.span()!.start;
    const ipEnd = ipStart + ip.totalLength;
    if (udp === undefined || s === undefined || udp.length < 8 || s.start + udp.length > ipEnd) {
      this.stats.drop("udpMalformed");
      return;
    }
    const end = s.start + udp.length;
    const bytes = arrival.bytes;
    if (udp.checksum !== 0 && arrival.checksumVerified !== true) {
      const pseudo = onesComplementSum(bytes, ipStart + 12, ipStart + 20, IpProtocol.UDP + udp.length);
      if (finishChecksum(onesComplementSum(bytes, s.start, end, pseudo)) !== 0) { this.stats.drop("udpBadChecksum"); return; }
    }
    this.stats.count("udp.rx");
    const socket = this.socketFor(udp.dstPort, 4);
    if (socket === undefined || !socket.accepts4(arrival, ip.src, udp.srcPort)) {
      this.stats.drop("udpPortClosed", String(udp.dstPort));
      this.icmp.unreachable(IcmpUnreachableCode.port, ip, arrival);
      return;
    }
    const msg = Buffer.from(bytes.subarray(s.headerEnd, end));
    const rinfo: RemoteInfo = socket.type === "udp6"
      ? { address: `::ffff:${ip.src}`, family: "IPv6", port: udp.srcPort, size: msg.length }
      : { address: ip.src, family: "IPv4", port: udp.srcPort, size: msg.length };
    socket.emit("message", msg, rinfo);
  }

  /** Handle a received UDP datagram over IPv6 (`p` has the UDP layer; the checksum is mandatory). */
  receive6(p: Packet, arrival: Arrival6): void {
    const udp = p.layer(UDP);
    const s = udp?.span();
    // A length of 0 means a jumbogram (RFC 2675), which the stack does not take.
    if (udp === undefined || s === undefined || udp.length < 8 || s.start + udp.length > arrival.upperEnd) {
      this.stats.drop("udpMalformed");
      return;
    }
    const end = s.start + udp.length;
    const bytes = arrival.bytes;
    if (udp.checksum === 0) { this.stats.drop("udpBadChecksum", "zero checksum over IPv6"); return; }
    // The pseudo-header from the header's address bytes (no text parsing per datagram; routing headers with segments left are refused below us).
    const pseudo = onesComplementSum(bytes, arrival.start + 8, arrival.start + 40, IpProtocol.UDP + udp.length);
    if (finishChecksum(onesComplementSum(bytes, s.start, end, pseudo)) !== 0) { this.stats.drop("udpBadChecksum"); return; }
    this.stats.count("udp.rx");
    this.stats.count("udp6.rx");
    const socket = this.socketFor(udp.dstPort, 6);
    if (socket === undefined || !socket.accepts6(arrival.dst, arrival.src, udp.srcPort)) {
      this.stats.drop("udpPortClosed", String(udp.dstPort));
      if (!arrival.multicast) this.portUnreachable6?.(arrival);
      return;
    }
    const msg = Buffer.from(bytes.subarray(s.headerEnd, end));
    socket.emit("message", msg, { address: this.scoped(arrival.src), family: "IPv6", port: udp.srcPort, size: msg.length } satisfies RemoteInfo);
  }

  /** @internal A link-local address with this interface as its scope; others as they are. */
  scoped(address: string): string {
    return isLinkLocal6(address) && this.scopeName !== "" ? `${address}%${this.scopeName}` : address;
  }

  /** Handle an ICMPv6 error about a UDP datagram we sent. */
  icmp6Error(e: Omit<UdpIcmpError, "family">): void {
    this.icmpError({ ...e, family: 6 });
  }

  private icmpError(e: UdpIcmpError, original?: IcmpErrorInfo): void {
    const ours = e.family === 4 ? this.iface.hasAddress(ipv4ToNumber(e.src) ?? -1) : this.ipv6?.hasAddress(e.src) === true;
    const socket = e.srcPort === undefined || !ours ? undefined : this.socketFor(e.srcPort, e.family);
    if (socket === undefined) { this.stats.count("udp.icmpErrorUnclaimed"); return; }
    const code = e.family === 4
      ? (e.type !== IcmpType.destinationUnreachable ? "EHOSTUNREACH"
        : e.code === IcmpUnreachableCode.port ? "ECONNREFUSED"
        : e.code === IcmpUnreachableCode.fragmentationNeeded ? "EMSGSIZE"
        : e.code === IcmpUnreachableCode.network ? "ENETUNREACH" : "EHOSTUNREACH")
      // ICMPv6 (RFC 4443) as Linux maps it (icmpv6_err_convert).
      : (e.type === Icmpv6Type.packetTooBig ? "EMSGSIZE"
        : e.type === Icmpv6Type.parameterProblem ? "EPROTO"
        : e.type !== Icmpv6Type.destinationUnreachable ? "EHOSTUNREACH"
        : e.code === U6.port ? "ECONNREFUSED"
        : e.code === U6.noRoute ? "ENETUNREACH"
        : e.code === U6.prohibited || e.code === U6.sourcePolicy || e.code === U6.rejectRoute ? "EACCES" : "EHOSTUNREACH");
    const dst = e.family === 6 && socket.type === "udp6" ? this.scoped(e.dst) : e.family === 4 && socket.type === "udp6" ? `::ffff:${e.dst}` : e.dst;
    const label = e.family === 4 ? "ICMP" : "ICMPv6";
    socket.icmpError(new SocketError(code, `${code}: ${dst}:${e.dstPort} (${label} type ${e.type} code ${e.code} from ${e.reporter})`, dst, e.dstPort, original ?? e));
  }
}

/** A parsed destination: IPv4 (also from a mapped address) or IPv6. */
type Destination = { readonly family: 4; readonly v4: number; readonly text: string } | { readonly family: 6; readonly v6: string; readonly text: string };

/** A UDP socket over the stack, shaped like Node's `dgram.Socket`. */
export class UdpSocket extends EventEmitter {
  private port = 0;
  /** The bound address: 0.0.0.0 / :: for any, or one of ours (IPv4, IPv6, or IPv4-mapped on udp6). */
  private bound: Destination | undefined;
  private remote: { readonly to: Destination; readonly port: number } | undefined;
  private broadcast = false;
  private ttl: number | undefined;
  private closed = false;
  /** ICMP errors received while no `error` listener was attached. */
  unhandledErrors = 0;

  /** @internal */
  constructor(private readonly udp: Udp, readonly type: UdpSocketType = "udp4", readonly ipv6Only = false) {
    super();
  }

  private get family(): "IPv4" | "IPv6" {
    return this.type === "udp4" ? "IPv4" : "IPv6";
  }

  /** @internal Which families this socket receives. */
  claims(): Claims {
    if (this.type === "udp4") return { v4: true, v6: false };
    if (this.bound === undefined) return { v4: !this.ipv6Only, v6: true };
    return this.bound.family === 4 ? { v4: true, v6: false } : { v4: false, v6: true };
  }

  /**
   * Parse an address for this socket: IPv4 on udp4; IPv6 (with an optional scope naming the
   * interface), IPv4-mapped or plain IPv4 (dual-stack only) on udp6. A string saying why, when not.
   */
  private parse(text: string): Destination | string {
    if (this.type === "udp4") {
      const n = ipv4ToNumber(text);
      return n === undefined ? `not an IPv4 address: ${JSON.stringify(text)}` : { family: 4, v4: n, text: numberToIPv4(n) };
    }
    const pct = text.indexOf("%");
    const bare = pct < 0 ? text : text.slice(0, pct);
    const v4 = ipv4ToNumber(bare) ?? ipv4ToNumber(MAPPED.exec(canonical6(bare) ?? "")?.[1] ?? "");
    if (v4 !== undefined) {
      if (this.ipv6Only) return `an IPv4 address on an ipv6Only socket: ${text}`;
      return { family: 4, v4, text: numberToIPv4(v4) };
    }
    const c = canonical6(bare);
    if (c === undefined) return `not an IPv6 address: ${JSON.stringify(text)}`;
    if (pct >= 0) {
      const zone = text.slice(pct + 1);
      if (zone !== this.udp.scopeName && zone !== "1") return `unknown scope ${JSON.stringify(zone)} (the interface is ${JSON.stringify(this.udp.scopeName)})`;
    }
    return { family: 6, v6: c, text: c };
  }

  /** The text of an address as this socket shows it (IPv4 mapped on udp6, scoped link-local). */
  private show(d: Destination): string {
    if (d.family === 4) return this.type === "udp6" ? `::ffff:${d.text}` : d.text;
    return this.udp.scoped(d.v6);
  }

  /** Bind to `port` (0 or omitted: an ephemeral port) and optionally a local address. */
  bind(port?: number | { port?: number; address?: string }, address?: string | (() => void), callback?: () => void): this {
    let p = 0;
    let a: string | undefined;
    let cb = callback;
    if (typeof port === "object") { p = port.port ?? 0; a = port.address; if (typeof address === "function") cb = address; }
    else { p = port ?? 0; if (typeof address === "function") cb = address; else a = address; }
    this.ensureOpen();
    if (this.port !== 0) throw new SocketError("ERR_SOCKET_ALREADY_BOUND", "the socket is already bound");
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`port out of range: ${p}`);
    const any = this.type === "udp4" ? "0.0.0.0" : "::";
    let local: Destination | undefined;
    if (a !== undefined && a !== any && a !== "" && !(this.type === "udp6" && canonical6(a) === "::")) {
      const d = this.parse(a);
      const ours = typeof d !== "string" && (d.family === 4 ? this.udp.iface.hasAddress(d.v4) : this.udp.ipv6?.hasAddress(d.v6) === true);
      if (typeof d === "string" || !ours) {
        this.later(() => this.emit("error", new SocketError("EADDRNOTAVAIL", `bind EADDRNOTAVAIL ${a}:${p}`, a, p)));
        return this;
      }
      local = d;
    }
    this.bound = local;
    const got = this.udp.reserve(p, this, this.claims());
    if (got === undefined) {
      this.bound = undefined;
      this.later(() => this.emit("error", new SocketError(p === 0 ? "EAGAIN" : "EADDRINUSE", `bind ${p === 0 ? "EAGAIN" : "EADDRINUSE"} ${a ?? any}:${p}`, a, p)));
      return this;
    }
    this.port = got;
    if (cb !== undefined) this.once("listening", cb);
    this.later(() => this.emit("listening"));
    return this;
  }

  /** Associate the socket with one remote address: `send` without a destination goes there, and only its datagrams arrive. */
  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    const cb = typeof address === "function" ? address : callback;
    const a = typeof address === "string" ? address : this.type === "udp4" ? "127.0.0.1" : "::1";
    this.ensureOpen();
    if (this.remote !== undefined) throw new SocketError("ERR_SOCKET_DGRAM_IS_CONNECTED", "already connected");
    const d = this.parse(a);
    if (typeof d === "string") throw new TypeError(d);
    if (this.port === 0) this.bind(0);
    this.remote = { to: d, port };
    if (cb !== undefined) this.once("connect", cb);
    this.later(() => this.emit("connect"));
  }

  /** Forget the remote address. */
  disconnect(): void {
    if (this.remote === undefined) throw new SocketError("ERR_SOCKET_DGRAM_NOT_CONNECTED", "not connected");
    this.remote = undefined;
  }

  /** Return the remote address of a connected socket. */
  remoteAddress(): AddressInfo {
    if (this.remote === undefined) throw new SocketError("ERR_SOCKET_DGRAM_NOT_CONNECTED", "not connected");
    return { address: this.show(this.remote.to), family: this.family, port: this.remote.port };
  }

  /** Return the bound address. */
  address(): AddressInfo {
    if (this.port === 0) throw new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "not running");
    const address = this.bound === undefined ? (this.type === "udp4" ? "0.0.0.0" : "::") : this.show(this.bound);
    return { address, family: this.family, port: this.port };
  }

  /** Allow sending to broadcast addresses. */
  setBroadcast(flag: boolean): void {
    this.broadcast = flag;
  }

  /** Set the TTL (IPv4) or hop limit (IPv6) of datagrams this socket sends (1..255). */
  setTTL(ttl: number): number {
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new RangeError(`ttl out of range: ${ttl}`);
    this.ttl = ttl;
    return ttl;
  }

  /**
   * Send a datagram: `send(msg, port, address, cb)`, `send(msg, offset, length, port, address, cb)`,
   * or `send(msg, cb)` on a connected socket. Binds to an ephemeral port first if unbound.
   */
  send(msg: Message, port: number, address?: string, callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, port: number, address?: string, callback?: SendCallback): void;
  send(msg: Message, callback?: SendCallback): void;
  send(msg: Message, ...args: unknown[]): void {
    let cb: SendCallback | undefined;
    if (typeof args[args.length - 1] === "function") cb = args.pop() as SendCallback;
    let data = toBytes(msg);
    if (typeof args[0] === "number" && typeof args[1] === "number" && args.length >= 3) {
      const [offset, length] = args as [number, number];
      data = data.subarray(offset, offset + length);
      args = args.slice(2);
    }
    let port = args[0] as number | undefined;
    const address = args[1] as string | undefined;
    const fail = (e: Error): void => {
      if (cb !== undefined) this.later(() => cb!(e));
      else this.later(() => this.deliverError(e));
    };
    if (this.closed) { fail(new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "the socket is closed")); return; }
    let dst: Destination;
    if (this.remote !== undefined) {
      if (port !== undefined) { fail(new SocketError("ERR_SOCKET_DGRAM_IS_CONNECTED", "connected sockets send to their remote address only")); return; }
      port = this.remote.port;
      dst = this.remote.to;
    } else {
      const d = this.parse(address ?? (this.type === "udp4" ? "127.0.0.1" : "::1"));
      if (typeof d === "string") { fail(new TypeError(d)); return; }
      dst = d;
    }
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) { fail(new SocketError("ERR_SOCKET_BAD_PORT", `bad port ${String(port)}`)); return; }
    const shown = this.show(dst);
    if (data.length > (dst.family === 4 ? MAX_UDP_PAYLOAD : MAX_UDP6_PAYLOAD)) { fail(new SocketError("EMSGSIZE", `send EMSGSIZE ${shown}:${port}`, shown, port)); return; }
    if (dst.family === 4 && (dst.v4 === LIMITED_BROADCAST || this.udp.iface.isSubnetBroadcast(dst.v4)) && !this.broadcast) {
      fail(new SocketError("EACCES", `send EACCES ${shown}:${port} (setBroadcast(true) first)`, shown, port));
      return;
    }
    if (this.bound !== undefined && this.bound.family !== dst.family) {
      fail(new SocketError("EINVAL", `send EINVAL ${shown}:${port} (bound to an IPv${this.bound.family} address)`, shown, port));
      return;
    }
    if (this.port === 0) this.bind(0);
    if (this.port === 0) { fail(new SocketError("EAGAIN", "no ephemeral port free")); return; }
    const payload = [UDP({ srcPort: this.port, dstPort: port }), Raw({ data })];
    let failure: string | undefined;
    if (dst.family === 4) {
      const src = this.bound?.family === 4 ? this.bound.v4 : undefined;
      failure = this.udp.ipv4.send({ dst: dst.v4, src, protocol: IpProtocol.UDP, ttl: this.ttl, payload });
    } else {
      const ipv6 = this.udp.ipv6;
      const src = this.bound?.family === 6 ? this.bound.v6 : undefined;
      failure = ipv6 === undefined ? "ENETUNREACH" : ipv6.send({ dst: dst.v6, src, protocol: IpProtocol.UDP, hopLimit: this.ttl, payload });
      if (failure === undefined) this.udp.stats.count("udp6.tx");
    }
    if (failure !== undefined) { fail(new SocketError(failure, `send ${failure} ${shown}:${port}`, shown, port)); return; }
    this.udp.stats.count("udp.tx");
    if (cb !== undefined) { const n = data.length; this.later(() => cb!(null, n)); }
  }

  /** Close the socket; it emits `close`. */
  close(callback?: () => void): this {
    if (this.closed) throw new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "not running");
    this.closed = true;
    if (this.port !== 0) this.udp.release(this.port, this);
    if (callback !== undefined) this.once("close", callback);
    this.later(() => this.emit("close"));
    return this;
  }

  /** Kept for the dgram shape: the stack holds nothing open in the event loop. */
  ref(): this { return this; }
  unref(): this { return this; }

  /** @internal Whether an IPv4 datagram from `src:port` to the arrival's destination is for this socket. */
  accepts4(arrival: Arrival, src: string, srcPort: number): boolean {
    if (this.closed) return false;
    if (this.bound?.family === 4 && arrival.dst !== this.bound.v4 && !arrival.broadcast) return false;
    const r = this.remote;
    if (r !== undefined && (r.to.family !== 4 || r.to.text !== src || r.port !== srcPort)) return false;
    return true;
  }

  /** @internal Whether an IPv6 datagram from `src:port` to `dst` is for this socket. */
  accepts6(dst: string, src: string, srcPort: number): boolean {
    if (this.closed) return false;
    if (this.bound?.family === 6 && dst !== this.bound.v6 && !isMulticast6(dst)) return false;
    const r = this.remote;
    if (r !== undefined && (r.to.family !== 6 || r.to.v6 !== src || r.port !== srcPort)) return false;
    return true;
  }

  /** @internal */
  icmpError(e: SocketError): void {
    this.deliverError(e);
  }

  private deliverError(e: Error): void {
    if (this.listenerCount("error") > 0) this.emit("error", e);
    else { this.unhandledErrors++; this.udp.stats.count("udp.errorUnhandled"); }
  }

  private ensureOpen(): void {
    if (this.closed) throw new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "the socket is closed");
  }

  /** Run `f` after the current call returns (as Node's sockets report asynchronously). */
  private later(f: () => void): void {
    queueMicrotask(f);
  }
}

function toBytes(msg: Message): Uint8Array {
  if (typeof msg === "string") return Buffer.from(msg);
  if (msg instanceof Uint8Array) return msg;
  if (msg instanceof DataView) return new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
  return Buffer.concat(msg.map((m) => (typeof m === "string" ? Buffer.from(m) : m)));
}
