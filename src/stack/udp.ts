/**
 * UDP (RFC 768) for the stack, with sockets shaped like Node's `dgram.Socket`: `bind`, `connect`,
 * `send`, `close`, `address`, `remoteAddress`, `setBroadcast`, `setTTL`, and the events
 * `listening`, `connect`, `message` (msg, rinfo), `error` and `close`. Datagrams to a closed port
 * get a (rate-limited) ICMP port unreachable; an ICMP error about a datagram a socket sent is
 * emitted on that socket as an `error` (ECONNREFUSED for port unreachable), when it listens for
 * errors (otherwise it is counted: an unhandled `error` event would throw inside the stack).
 */
import { EventEmitter } from "node:events";
import type { Packet } from "../packet/packet.js";
import { onesComplementSum, finishChecksum } from "../packet/checksum.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { IcmpType, IcmpUnreachableCode } from "../protocols/icmp.js";
import { UDP } from "../protocols/udp.js";
import { Raw } from "../protocols/raw.js";
import { WirecraftError } from "../errors.js";
import type { UdpConfig } from "./config.js";
import type { Arrival, Ipv4, Ipv4Layer } from "./ipv4.js";
import type { Icmp, IcmpErrorInfo } from "./icmp.js";
import type { Interface } from "./interface.js";
import type { Stats } from "./stats.js";
import { ipv4ToNumber, LIMITED_BROADCAST, numberToIPv4 } from "./address.js";

/** Where a datagram came from, as Node's `rinfo`. */
export interface RemoteInfo {
  readonly address: string;
  readonly family: "IPv4";
  readonly port: number;
  readonly size: number;
}

/** A socket's own or remote address, as Node's `socket.address()`. */
export interface AddressInfo {
  readonly address: string;
  readonly family: "IPv4";
  readonly port: number;
}

/** A socket error with a Node-style code (`ECONNREFUSED`, `EADDRINUSE`, `EMSGSIZE`…). */
export class SocketError extends WirecraftError {
  constructor(code: string, message: string, readonly address?: string, readonly port?: number, readonly icmp?: IcmpErrorInfo) {
    super(code, message);
  }
}

/** The largest UDP payload over IPv4 (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65507;

/** The callback of `send`: an error, or null and the bytes sent. */
export type SendCallback = (error: Error | null, bytes?: number) => void;
type Message = Uint8Array | string | DataView | readonly (Uint8Array | string)[];

/** The UDP layer of a stack: the table of bound sockets. */
export class Udp {
  /** @internal */ readonly sockets = new Map<number, UdpSocket>();
  private nextEphemeral: number;

  constructor(
    /** @internal */ readonly ipv4: Ipv4,
    private readonly icmp: Icmp,
    /** @internal */ readonly iface: Interface,
    /** @internal */ readonly stats: Stats,
    private readonly config: UdpConfig,
  ) {
    this.nextEphemeral = config.ephemeralFirst;
    icmp.onError(IpProtocol.UDP, (e) => this.icmpError(e));
  }

  /** Create a socket (unbound until `bind` or the first `send`). */
  createSocket(): UdpSocket {
    return new UdpSocket(this);
  }

  /** @internal Reserve `port` (0: an ephemeral one); return it, or undefined when taken or none free. */
  reserve(port: number, socket: UdpSocket): number | undefined {
    if (port !== 0) {
      if (this.sockets.has(port)) return undefined;
      this.sockets.set(port, socket);
      return port;
    }
    const { ephemeralFirst: first, ephemeralLast: last } = this.config;
    const span = last - first + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= last ? first : p + 1;
      if (!this.sockets.has(p)) { this.sockets.set(p, socket); return p; }
    }
    return undefined;
  }

  /** @internal */
  release(port: number, socket: UdpSocket): void {
    if (this.sockets.get(port) === socket) this.sockets.delete(port);
  }

  /** Handle a received UDP datagram. */
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
    const socket = this.sockets.get(udp.dstPort);
    if (socket === undefined || !socket.accepts(arrival, ip.src, udp.srcPort)) {
      this.stats.drop("udpPortClosed", String(udp.dstPort));
      this.icmp.unreachable(IcmpUnreachableCode.port, ip, arrival);
      return;
    }
    const msg = Buffer.from(bytes.subarray(s.headerEnd, end));
    socket.emit("message", msg, { address: ip.src, family: "IPv4", port: udp.srcPort, size: msg.length } satisfies RemoteInfo);
  }

  private icmpError(e: IcmpErrorInfo): void {
    if (e.srcPort === undefined || !this.iface.hasAddress(e.src)) { this.stats.count("udp.icmpErrorUnclaimed"); return; }
    const socket = this.sockets.get(e.srcPort);
    if (socket === undefined) { this.stats.count("udp.icmpErrorUnclaimed"); return; }
    const dst = numberToIPv4(e.dst);
    const code = e.type !== IcmpType.destinationUnreachable ? "EHOSTUNREACH"
      : e.code === IcmpUnreachableCode.port ? "ECONNREFUSED"
      : e.code === IcmpUnreachableCode.fragmentationNeeded ? "EMSGSIZE"
      : e.code === IcmpUnreachableCode.network ? "ENETUNREACH" : "EHOSTUNREACH";
    socket.icmpError(new SocketError(code, `${code}: ${dst}:${e.dstPort} (ICMP type ${e.type} code ${e.code} from ${e.reporter})`, dst, e.dstPort, e));
  }
}

/** A UDP socket over the stack, shaped like Node's `dgram.Socket` (IPv4 only for now). */
export class UdpSocket extends EventEmitter {
  private port = 0;
  private boundAddress = 0;
  private remote: { address: number; port: number } | undefined;
  private broadcast = false;
  private ttl: number | undefined;
  private closed = false;
  /** ICMP errors received while no `error` listener was attached. */
  unhandledErrors = 0;

  /** @internal */
  constructor(private readonly udp: Udp) {
    super();
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
    let local = 0;
    if (a !== undefined && a !== "0.0.0.0") {
      const n = ipv4ToNumber(a);
      if (n === undefined || !this.udp.iface.hasAddress(n)) {
        this.later(() => this.emit("error", new SocketError("EADDRNOTAVAIL", `bind EADDRNOTAVAIL ${a}:${p}`, a, p)));
        return this;
      }
      local = n;
    }
    const got = this.udp.reserve(p, this);
    if (got === undefined) {
      this.later(() => this.emit("error", new SocketError(p === 0 ? "EAGAIN" : "EADDRINUSE", `bind ${p === 0 ? "EAGAIN" : "EADDRINUSE"} ${a ?? "0.0.0.0"}:${p}`, a, p)));
      return this;
    }
    this.port = got;
    this.boundAddress = local;
    if (cb !== undefined) this.once("listening", cb);
    this.later(() => this.emit("listening"));
    return this;
  }

  /** Associate the socket with one remote address: `send` without a destination goes there, and only its datagrams arrive. */
  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    const cb = typeof address === "function" ? address : callback;
    const a = typeof address === "string" ? address : "127.0.0.1";
    this.ensureOpen();
    if (this.remote !== undefined) throw new SocketError("ERR_SOCKET_DGRAM_IS_CONNECTED", "already connected");
    const n = ipv4ToNumber(a);
    if (n === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(a)}`);
    if (this.port === 0) this.bind(0);
    this.remote = { address: n, port };
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
    return { address: numberToIPv4(this.remote.address), family: "IPv4", port: this.remote.port };
  }

  /** Return the bound address. */
  address(): AddressInfo {
    if (this.port === 0) throw new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "not running");
    return { address: numberToIPv4(this.boundAddress), family: "IPv4", port: this.port };
  }

  /** Allow sending to broadcast addresses. */
  setBroadcast(flag: boolean): void {
    this.broadcast = flag;
  }

  /** Set the TTL of datagrams this socket sends (1..255). */
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
    let address = args[1] as string | undefined;
    const fail = (e: Error): void => {
      if (cb !== undefined) this.later(() => cb!(e));
      else this.later(() => this.deliverError(e));
    };
    if (this.closed) { fail(new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "the socket is closed")); return; }
    if (this.remote !== undefined) {
      if (port !== undefined) { fail(new SocketError("ERR_SOCKET_DGRAM_IS_CONNECTED", "connected sockets send to their remote address only")); return; }
      port = this.remote.port;
      address = numberToIPv4(this.remote.address);
    }
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) { fail(new SocketError("ERR_SOCKET_BAD_PORT", `bad port ${String(port)}`)); return; }
    const dst = ipv4ToNumber(address ?? "127.0.0.1");
    if (dst === undefined) { fail(new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`)); return; }
    if (data.length > MAX_UDP_PAYLOAD) { fail(new SocketError("EMSGSIZE", `send EMSGSIZE ${address}:${port}`, address, port)); return; }
    if ((dst === LIMITED_BROADCAST || this.udp.iface.isSubnetBroadcast(dst)) && !this.broadcast) {
      fail(new SocketError("EACCES", `send EACCES ${address}:${port} (setBroadcast(true) first)`, address, port));
      return;
    }
    if (this.port === 0) this.bind(0);
    if (this.port === 0) { fail(new SocketError("EAGAIN", "no ephemeral port free")); return; }
    const failure = this.udp.ipv4.send({
      dst, src: this.boundAddress !== 0 ? this.boundAddress : undefined, protocol: IpProtocol.UDP, ttl: this.ttl,
      payload: [UDP({ srcPort: this.port, dstPort: port }), Raw({ data })],
    });
    if (failure !== undefined) { fail(new SocketError(failure, `send ${failure} ${address}:${port}`, address, port)); return; }
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

  /** @internal Whether a datagram from `src:port` to the arrival's destination is for this socket. */
  accepts(arrival: Arrival, src: string, srcPort: number): boolean {
    if (this.closed) return false;
    if (this.boundAddress !== 0 && arrival.dst !== this.boundAddress && !arrival.broadcast) return false;
    if (this.remote !== undefined && (numberToIPv4(this.remote.address) !== src || this.remote.port !== srcPort)) return false;
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
