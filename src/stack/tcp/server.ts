/**
 * `TcpServer`: a listener shaped like Node's `net.Server` — `listen(port, host?, backlog?, cb?)`
 * or `listen({ port, host, backlog }, cb)`, the events `listening`, `connection`, `close` and
 * `error` (EADDRINUSE), `address()`, `close()`, `maxConnections`, `getConnections()`. A
 * `connection` socket can be handed to Node's `http.Server` with `httpServer.emit("connection", socket)`.
 */
import { EventEmitter } from "node:events";
import type { Clock } from "../clock.js";
import { SocketError } from "../udp.js";
import type { Connection } from "./tcb.js";
import type { Listener } from "./listen.js";
import type { Tcp } from "./tcp.js";
import { TcpSocket, type TcpAddressInfo, type TcpSocketOptions } from "./socket.js";

/** Options of `createServer` (as net's, in part). */
export interface TcpServerOptions extends Pick<TcpSocketOptions, "allowHalfOpen" | "noDelay" | "keepAlive" | "keepAliveInitialDelay"> {}

/** Options of `listen({ ... })`. */
export interface TcpListenOptions {
  readonly port?: number;
  readonly host?: string;
  readonly backlog?: number;
}

/** The events of a server. */
export interface TcpServerEvents {
  listening: [];
  connection: [socket: TcpSocket];
  close: [];
  error: [error: Error];
  /** A connection was refused because `maxConnections` was reached (as net's `drop`). */
  drop: [info: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number; remoteFamily: string }];
}

/** A TCP server on the stack, shaped like Node's `net.Server`. */
export class TcpServer extends EventEmitter<TcpServerEvents> {
  /** Connections beyond this are reset at once (as net, which destroys them). */
  maxConnections: number | undefined;
  private listener: Listener | undefined;
  private readonly sockets = new Set<TcpSocket>();
  private closing = false;

  /** @internal */
  constructor(private readonly tcp: Tcp, private readonly clock: Clock, private readonly options: TcpServerOptions = {}) {
    super();
  }

  /** Return whether the server is listening. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /**
   * Start listening: `listen(port, host?, backlog?, cb?)` or `listen({ port, host, backlog }, cb)`.
   * Port 0 (or none) takes an ephemeral port; `host` restricts to one local address. The backlog
   * bounds half-open connections (with `config.tcp.synQueue`); SYN cookies answer beyond it.
   */
  listen(port?: number | TcpListenOptions, host?: string | number | (() => void), backlog?: number | (() => void), callback?: () => void): this {
    let p: number | undefined;
    let h: string | undefined;
    let b: number | undefined;
    let cb: (() => void) | undefined;
    if (typeof port === "object") {
      p = port.port; h = port.host; b = port.backlog;
      if (typeof host === "function") cb = host;
    } else {
      p = port;
      for (const a of [host, backlog, callback]) {
        if (typeof a === "function") { cb = a; break; }
      }
      if (typeof host === "string") h = host;
      else if (typeof host === "number") b = host;
      if (typeof backlog === "number") b = backlog;
    }
    if (this.listener !== undefined) throw new SocketError("ERR_SERVER_ALREADY_LISTEN", "listen method has been called more than once without closing.");
    if (cb !== undefined) this.once("listening", cb);
    const portNumber = p ?? 0;
    if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) throw new RangeError(`port out of range: ${portNumber}`);
    let family: "IPv4" | "IPv6" | undefined;
    let address: string | undefined;
    if (h !== undefined && h !== "0.0.0.0" && h !== "::" && h !== "") {
      const r = this.tcp.resolve(h);
      if (r === undefined || !r.net.isLocal(r.address)) {
        process.nextTick(() => this.emit("error", new SocketError("EADDRNOTAVAIL", `listen EADDRNOTAVAIL: address not available ${h}:${portNumber}`, h, portNumber)));
        return this;
      }
      family = r.net.family;
      address = r.address;
    } else if (h === "0.0.0.0") family = "IPv4";
    try {
      this.listener = this.tcp.listen(family, address, portNumber, b ?? this.tcp.config.backlog, (c) => this.accept(c));
    } catch (e) {
      process.nextTick(() => this.emit("error", e as Error));
      return this;
    }
    this.closing = false;
    process.nextTick(() => this.emit("listening"));
    return this;
  }

  /** Return `{ address, family, port }` while listening, else null. */
  address(): TcpAddressInfo | null {
    const l = this.listener;
    if (l === undefined) return null;
    const family = l.family ?? "IPv4";
    return { address: l.address ?? (family === "IPv6" ? "::" : "0.0.0.0"), family, port: l.port };
  }

  /** Stop accepting connections; 'close' is emitted once every connection has closed. */
  close(callback?: (error?: Error) => void): this {
    const l = this.listener;
    if (l === undefined) {
      if (callback !== undefined) process.nextTick(() => callback(new SocketError("ERR_SERVER_NOT_RUNNING", "Server is not running.")));
      return this;
    }
    if (callback !== undefined) this.once("close", () => callback());
    this.tcp.unlisten(l);
    this.listener = undefined;
    this.closing = true;
    this.maybeClosed();
    return this;
  }

  /** Report the number of open connections (as net, through a callback). */
  getConnections(callback: (error: Error | null, count: number) => void): this {
    const n = this.sockets.size;
    process.nextTick(() => callback(null, n));
    return this;
  }

  /** Kept for the net shape. */
  ref(): this { return this; }
  unref(): this { return this; }

  private accept(c: Connection): void {
    if (this.maxConnections !== undefined && this.sockets.size >= this.maxConnections) {
      this.emit("drop", { localAddress: c.localAddress, localPort: c.localPort, remoteAddress: c.remoteAddress, remotePort: c.remotePort, remoteFamily: c.net.family });
      c.abort();
      return;
    }
    const socket = new TcpSocket(this.clock, this.tcp.config.sendBuffer, this.options);
    socket.attach(c);
    this.sockets.add(socket);
    socket.once("close", () => { this.sockets.delete(socket); this.maybeClosed(); });
    this.emit("connection", socket);
  }

  private maybeClosed(): void {
    if (this.closing && this.sockets.size === 0) {
      this.closing = false;
      process.nextTick(() => this.emit("close"));
    }
  }
}
