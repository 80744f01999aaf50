/**
 * `TcpSocket`: a connection as a `stream.Duplex` shaped like Node's `net.Socket` — addresses and
 * ports, `bytesRead`/`bytesWritten`, `setNoDelay`, `setKeepAlive`, `setTimeout` ('timeout'),
 * `end()` (half-close: FIN after the data), `destroy()` (FIN, or RST when received data was left
 * unread, as Linux), `resetAndDestroy()`, back-pressure through `write()`'s return value (the
 * send buffer is bounded by `config.tcp.sendBuffer`), errors with Node's codes.
 */
import { Duplex } from "node:stream";
import type { Clock } from "../clock.js";
import { SocketError } from "../udp.js";
import { ConnectionTimer } from "./timer.js";
import type { Connection } from "./tcb.js";
import type { ConnectionUser, TcpInfo } from "./types.js";
import type { AddressFamily } from "./network.js";

const NO_CONNECTION: TcpInfo = Object.freeze({
  state: "CLOSED", mss: 0, sendWindowScale: undefined, receiveWindowScale: undefined, sack: false, timestamps: false,
  srtt: undefined, rttvar: undefined, rto: 0, cwnd: 0, ssthresh: 0, retransmits: 0, timeouts: 0, congestion: "",
  sendWindow: 0, receiveWindow: 0, bytesInFlight: 0, inRecovery: false,
});

/** Options of a socket (as `net.Socket`'s, in part). */
export interface TcpSocketOptions {
  /** Keep the writable side open after the peer's FIN (default false, as net). */
  readonly allowHalfOpen?: boolean;
  /** Turn off Nagle's algorithm from the start. */
  readonly noDelay?: boolean;
  /** Turn keep-alive on from the start, with this idle time (ms) when given. */
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
  /** Idle time-out in ms ('timeout' event), as `setTimeout`. */
  readonly timeout?: number;
  /** The stream's high-water marks (default 16 KiB, as net). */
  readonly readableHighWaterMark?: number;
  readonly writableHighWaterMark?: number;
}

/** An address as `socket.address()` returns it. */
export interface TcpAddressInfo {
  readonly address: string;
  readonly family: AddressFamily;
  readonly port: number;
}

/** A TCP connection of the stack as a Duplex stream, shaped like Node's `net.Socket`. */
export class TcpSocket extends Duplex {
  /** True until the handshake completes (or fails). */
  connecting = true;
  /** Bytes received and written by the user. */
  bytesRead = 0;
  bytesWritten = 0;
  private conn: Connection | undefined;
  private lastInfo: TcpInfo | undefined;
  private waitingWrite: ((error?: Error | null) => void) | undefined;
  private readonly idle: ConnectionTimer;
  private idleMs = 0;
  private local: TcpAddressInfo | undefined;
  private remote: TcpAddressInfo | undefined;

  /** @internal */
  constructor(private readonly clock: Clock, private readonly sendLimit: number, private readonly options: TcpSocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      decodeStrings: true,
      emitClose: true,
      autoDestroy: true,
    });
    this.idle = new ConnectionTimer(clock, () => this.emit("timeout"));
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
  }

  /** @internal Bind the socket to its connection (connecting or already established). */
  attach(conn: Connection): void {
    this.conn = conn;
    conn.user = this.user;
    this.local = { address: conn.localAddress, family: conn.net.family, port: conn.localPort };
    this.remote = { address: conn.remoteAddress, family: conn.net.family, port: conn.remotePort };
    if (this.options.noDelay) conn.noDelay = true;
    if (this.options.keepAlive) conn.setKeepAlive(true, this.options.keepAliveInitialDelay);
    if (conn.isSynchronized()) this.connecting = false;
  }

  /** @internal Fail before a connection exists (bad address, EADDRINUSE…), asynchronously as net does. */
  failEarly(error: Error): void {
    process.nextTick(() => { this.connecting = false; this.destroy(error); });
  }

  // ---- addresses ----

  get remoteAddress(): string | undefined { return this.remote?.address; }
  get remotePort(): number | undefined { return this.remote?.port; }
  get remoteFamily(): AddressFamily | undefined { return this.remote?.family; }
  get localAddress(): string | undefined { return this.local?.address; }
  get localPort(): number | undefined { return this.local?.port; }
  get localFamily(): AddressFamily | undefined { return this.local?.family; }
  /** True while connecting, as net's. */
  get pending(): boolean { return this.connecting || this.conn === undefined; }

  /** Return `{ address, family, port }` of the local end (empty before it is known, as net). */
  address(): TcpAddressInfo | Record<string, never> {
    return this.local ?? {};
  }

  /** Return "opening", "open", "readOnly", "writeOnly" or "closed", as net. */
  get readyState(): "opening" | "open" | "readOnly" | "writeOnly" | "closed" {
    if (this.connecting) return "opening";
    if (this.destroyed) return "closed";
    if (this.readable && this.writable) return "open";
    if (this.readable) return "readOnly";
    if (this.writable) return "writeOnly";
    return "closed";
  }

  /** Return the connection's state and negotiated parameters (see `TcpInfo`; state CLOSED before a connection exists). */
  tcpInfo(): TcpInfo {
    return this.conn?.info() ?? this.lastInfo ?? NO_CONNECTION;
  }

  // ---- options ----

  /** Turn Nagle's algorithm off (true, the default argument) or on. */
  setNoDelay(noDelay = true): this {
    if (this.conn !== undefined) {
      this.conn.noDelay = noDelay;
      if (noDelay && this.conn.isSynchronized()) this.conn.send(new Uint8Array(0));
    }
    return this;
  }

  /** Turn keep-alive probes on or off; `initialDelay` ms of idleness before the first (0: the configured default). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.conn?.setKeepAlive(enable, initialDelay > 0 ? initialDelay : undefined);
    return this;
  }

  /** Emit 'timeout' after `ms` of inactivity (0: never); the socket stays open. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idleMs = ms;
    if (callback !== undefined) this.once("timeout", callback);
    if (ms > 0) this.idle.set(ms);
    else this.idle.clear();
    return this;
  }

  /** Kept for the net shape: the stack holds nothing open in the event loop. */
  ref(): this { return this; }
  unref(): this { return this; }

  /** Close with RST at once (as net's `resetAndDestroy`). */
  resetAndDestroy(): this {
    const c = this.conn;
    this.conn = undefined;
    if (c !== undefined) { this.lastInfo = c.info(); c.user = undefined; c.abort(); }
    this.destroy();
    return this;
  }

  private touch(): void {
    if (this.idleMs > 0) this.idle.set(this.idleMs);
  }

  // ---- Duplex ----

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const c = this.conn;
    if (c === undefined || c.state === "CLOSED" || c.state === "TIME-WAIT" || c.finQueued) {
      callback(new SocketError("EPIPE", "write EPIPE", this.remoteAddress, this.remotePort));
      return;
    }
    c.send(chunk);
    this.bytesWritten += chunk.length;
    this.touch();
    if (c.sendBuffer.length < this.sendLimit) callback();
    else this.waitingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    const c = this.conn;
    if (c !== undefined) c.close();
    callback();
  }

  override _read(): void {
    this.conn?.windowUpdate();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const c = this.conn;
    this.conn = undefined;
    this.idle.stop();
    if (c !== undefined) {
      this.lastInfo = c.info();
      c.user = undefined;
      if (c.state !== "CLOSED") {
        // Unread data (or an error) resets the connection, as Linux's close() does; otherwise FIN.
        if (error !== null || this.readableLength > 0 || c.state === "SYN-SENT") c.abort();
        else { c.close(); c.detach(); }
      }
    }
    const w = this.waitingWrite;
    this.waitingWrite = undefined;
    w?.(error ?? new SocketError("EPIPE", "write EPIPE (socket destroyed)"));
    callback(error);
  }

  // ---- what the connection reports ----

  /** @internal The connection's view of this socket. */
  private readonly user: ConnectionUser = {
    onConnected: () => {
      this.connecting = false;
      this.touch();
      this.emit("connect");
      this.emit("ready");
    },
    onData: (bytes) => {
      this.bytesRead += bytes.length;
      this.touch();
      this.push(bytes);
    },
    unread: () => this.readableLength,
    onEnd: () => { this.push(null); },
    onSendSpace: () => {
      const w = this.waitingWrite;
      const c = this.conn;
      if (w === undefined || c === undefined || c.sendBuffer.length >= this.sendLimit) return;
      this.waitingWrite = undefined;
      w();
    },
    onError: (error) => {
      this.connecting = false;
      const c = this.conn;
      if (c !== undefined) this.lastInfo = c.info();
      this.conn = undefined;
      this.destroy(error);
    },
    onClosed: () => {
      const c = this.conn;
      if (c !== undefined) this.lastInfo = c.info();
      this.conn = undefined;
      const w = this.waitingWrite;
      this.waitingWrite = undefined;
      w?.(new SocketError("EPIPE", "write EPIPE"));
    },
  };
}
