/**
 * An ICMP echo socket, like Linux's unprivileged ping sockets (`socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP)`): the socket owns an echo identifier, `send()` sends echo requests with it, and
 * replies carrying it come back as `message` events. ICMP errors about its requests (and "host
 * unreachable" when ARP fails) come back as `error` events, when someone listens (otherwise they
 * are counted: an unhandled `error` event would throw inside the stack).
 *
 *   const s = stack.createPingSocket();
 *   s.on("message", (r) => console.log(`${r.data.length} bytes from ${r.address}: seq=${r.seq} time=${r.time} ms`));
 *   s.send("10.0.0.2");              // seq 0, 56 bytes
 *   s.send("10.0.0.2", { size: 3000 }); // seq 1, fragmented
 *   s.send("fe80::1");               // ICMPv6 echo with the same identifier (when the stack runs IPv6)
 */
import { EventEmitter } from "node:events";
import { IcmpType } from "../protocols/icmp.js";
import type { Clock } from "./clock.js";
import type { EchoEndpoint, Icmp, IcmpErrorInfo } from "./icmp.js";
import type { Icmpv6, Icmpv6ErrorInfo } from "./icmpv6.js";
import { Icmpv6Type } from "../protocols/icmpv6.js";
import { isIPv6Text, requireIPv6 } from "./address6.js";
import { SocketError } from "./udp.js";
import type { Stats } from "./stats.js";
import { ipv4ToNumber } from "./address.js";

/** An echo reply, as a ping socket's `message` event gives it. */
export interface EchoReply {
  readonly address: string;
  readonly seq: number;
  readonly ttl: number;
  /** The echo data. */
  readonly data: Buffer;
  /** Round-trip time in ms (clock time), when the request was among the last `SEND_TIMES_KEPT` sent. */
  readonly time: number | undefined;
}

/** Options of one `send()`. */
export interface EchoSendOptions {
  /** Sequence number (default: one more than the last). */
  readonly seq?: number;
  /** Echo data (default `size` patterned bytes). */
  readonly data?: Uint8Array | string;
  /** Bytes of patterned data when `data` is not given (default 56, as ping(8)). */
  readonly size?: number;
  readonly ttl?: number;
  readonly dontFragment?: boolean;
}

/** Send times remembered per socket for `time` (older ones are forgotten: a bound). */
export const SEND_TIMES_KEPT = 1024;

/** The events of a ping socket. */
export interface PingSocketEvents {
  message: [reply: EchoReply];
  error: [error: SocketError];
  close: [];
}

/** An ICMP echo socket of a stack; see `Stack.createPingSocket()`. */
export class PingSocket extends EventEmitter<PingSocketEvents> {
  /** The echo identifier of this socket. */
  readonly id: number;
  private seq = 0;
  private closed = false;
  private readonly sent = new Map<number, number>();

  /** @internal */
  constructor(private readonly icmp: Icmp, private readonly clock: Clock, private readonly stats: Stats, private readonly icmpv6?: Icmpv6) {
    super();
    const endpoint: EchoEndpoint = {
      reply: (from, seq, ttl, data) => this.reply(from, seq, ttl, data),
      error: (seq, info) => this.icmpError(seq, info),
    };
    const id = icmp.bindEcho(endpoint);
    if (id === undefined) throw new SocketError("ENOBUFS", "no echo identifier free");
    this.id = id;
    icmpv6?.bindEcho(id, {
      reply: (from, seq, hopLimit, data) => this.reply(from, seq, hopLimit, data),
      error: (seq, info) => this.icmpv6Error(seq, info),
    });
  }

  /** Send an echo request to `address`; return its sequence number. Send failures throw a `SocketError`. */
  send(address: string, options: EchoSendOptions = {}): number {
    if (this.closed) throw new SocketError("ERR_SOCKET_DGRAM_NOT_RUNNING", "the socket is closed");
    const v6 = isIPv6Text(address);
    const dst = v6 ? undefined : ipv4ToNumber(address);
    if (v6 ? this.icmpv6 === undefined : dst === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
    const dst6 = v6 ? requireIPv6(address.split("%")[0]!, "send") : undefined;
    const seq = (options.seq ?? this.seq) & 0xffff;
    this.seq = (seq + 1) & 0xffff;
    let data: Uint8Array;
    if (options.data !== undefined) data = typeof options.data === "string" ? Buffer.from(options.data) : options.data;
    else {
      const size = options.size ?? 56;
      data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i + 8) & 0xff;
    }
    this.sent.delete(seq);
    this.sent.set(seq, this.clock.now());
    if (this.sent.size > SEND_TIMES_KEPT) this.sent.delete(this.sent.keys().next().value!);
    const failure = dst6 !== undefined
      ? this.icmpv6!.sendEcho(dst6, this.id, seq, data, { hopLimit: options.ttl, dontFragment: options.dontFragment })
      : this.icmp.sendEcho(dst!, this.id, seq, data, { ttl: options.ttl, dontFragment: options.dontFragment });
    if (failure !== undefined) throw new SocketError(failure, `cannot send to ${address}: ${failure}`, address);
    return seq;
  }

  /** Release the identifier; later replies are counted as unmatched. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.icmp.unbindEcho(this.id);
    this.icmpv6?.unbindEcho(this.id);
    this.sent.clear();
    queueMicrotask(() => this.emit("close"));
  }

  private reply(address: string, seq: number, ttl: number, data: Uint8Array): void {
    const at = this.sent.get(seq);
    const r: EchoReply = { address, seq, ttl, data: Buffer.from(data), time: at === undefined ? undefined : this.clock.now() - at };
    this.emit("message", r);
  }

  private icmpv6Error(seq: number, info: Icmpv6ErrorInfo): void {
    const code = info.type === Icmpv6Type.timeExceeded ? "ETIMEDOUT" : info.type === Icmpv6Type.packetTooBig ? "EMSGSIZE" : "EHOSTUNREACH";
    const e = new SocketError(code, `${code}: echo seq ${seq} (ICMPv6 type ${info.type} code ${info.code} from ${info.reporter})`);
    if (this.listenerCount("error") > 0) this.emit("error", e);
    else this.stats.count("icmp.pingSocketErrorUnhandled");
  }

  private icmpError(seq: number, info: IcmpErrorInfo): void {
    const code = info.type === IcmpType.timeExceeded ? "ETIMEDOUT" : info.code === 4 ? "EMSGSIZE" : "EHOSTUNREACH";
    const e = new SocketError(code, `${code}: echo seq ${seq} (ICMP type ${info.type} code ${info.code} from ${info.reporter})`, undefined, undefined, info);
    if (this.listenerCount("error") > 0) this.emit("error", e);
    else this.stats.count("icmp.pingSocketErrorUnhandled");
  }
}
