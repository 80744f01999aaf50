/**
 * The TCP layer of a stack: the connection and listener tables, demultiplexing of received
 * segments (connection by four-tuple, else listener by port and address, else RST as RFC 9293
 * 3.10.7.1), ICMP errors to their connection, ephemeral ports, the per-stack ISN secret and the
 * RFC 5961 challenge ACK rate limit. Address-family neutral: it talks to IP through `TcpNetwork`.
 */
import type { Clock } from "../clock.js";
import type { TcpConfig } from "../config.js";
import type { Stats } from "../stats.js";
import { SocketError } from "../udp.js";
import { IsnGenerator } from "./isn.js";
import { readOptions } from "./options.js";
import { writeSegment } from "./wire.js";
import { seqAdd } from "./seq.js";
import { Connection, type ConnectionHost } from "./tcb.js";
import { Listener } from "./listen.js";
import { segmentArrives } from "./input.js";
import { Flag, segmentLength, type Segment } from "./types.js";
import type { AddressFamily, IcmpNotice, InboundSegment, TcpNetwork, TcpReceiver } from "./network.js";

/** Where to connect. */
export interface ConnectTarget {
  /** The remote address (literal, of a family the stack has). */
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/** The TCP layer of one stack. */
export class Tcp implements ConnectionHost, TcpReceiver {
  /** @internal */ readonly connections = new Map<string, Connection>();
  /** @internal */ readonly listeners = new Map<string, Listener>();
  readonly isn: IsnGenerator;
  private readonly networks = new Map<AddressFamily, TcpNetwork>();
  private readonly portUse = new Map<number, number>();
  private nextEphemeral: number;
  private challengeTokens: number;
  private challengeRefill: number;

  constructor(readonly clock: Clock, readonly config: TcpConfig, readonly stats: Stats, secret?: Uint8Array) {
    this.isn = new IsnGenerator(secret);
    this.nextEphemeral = config.ephemeralFirst;
    this.challengeTokens = config.challengeAckLimit;
    this.challengeRefill = clock.now();
  }

  /** Let TCP use an address family's IP layer. */
  addNetwork(net: TcpNetwork): void {
    this.networks.set(net.family, net);
  }

  /** Return the network of a family. */
  network(family: AddressFamily): TcpNetwork | undefined {
    return this.networks.get(family);
  }

  /** Return the network whose family `address` is in, and the address's canonical text. */
  resolve(address: string): { net: TcpNetwork; address: string } | undefined {
    for (const net of this.networks.values()) {
      const a = net.canonical(address);
      if (a !== undefined) return { net, address: a };
    }
    return undefined;
  }

  /** Return the connections in the table (TIME-WAIT and half-open ones included). */
  get connectionCount(): number {
    return this.connections.size;
  }

  // ---- ConnectionHost ----

  /** @internal */
  add(c: Connection): void {
    this.connections.set(c.key, c);
    this.portUse.set(c.localPort, (this.portUse.get(c.localPort) ?? 0) + 1);
  }

  remove(c: Connection): void {
    const key = c.key;
    if (this.connections.get(key) !== c) return;
    this.connections.delete(key);
    const n = (this.portUse.get(c.localPort) ?? 1) - 1;
    if (n <= 0) this.portUse.delete(c.localPort);
    else this.portUse.set(c.localPort, n);
    if (c.listenerKey !== undefined) this.listeners.get(c.listenerKey)?.leftSynQueue(c);
  }

  established(c: Connection): void {
    const l = c.listenerKey === undefined ? undefined : this.listeners.get(c.listenerKey);
    l?.leftSynQueue(c);
    if (l === undefined) { c.abort(); return; }
    l.accept(c);
  }

  challengeAllowed(): boolean {
    const now = this.clock.now();
    const limit = this.config.challengeAckLimit;
    this.challengeTokens = Math.min(limit, this.challengeTokens + ((now - this.challengeRefill) * limit) / 1000);
    this.challengeRefill = now;
    if (this.challengeTokens < 1) return false;
    this.challengeTokens -= 1;
    return true;
  }

  // ---- receiving ----

  /** Handle a segment the network layer checked. Never throws. */
  receive(s: InboundSegment): void {
    const seg: Segment = {
      family: s.family, src: s.src, dst: s.dst, srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq, ack: s.ack,
      flags: s.flags, window: s.window, options: readOptions(s.bytes, s.start + 20, s.payloadStart), data: s.bytes.subarray(s.payloadStart, s.end),
    };
    const net = this.networks.get(s.family);
    if (net === undefined) return;
    if (seg.srcPort === 0 || seg.dstPort === 0 || !net.isUnicast(seg.src)) { this.stats.drop("tcpMalformed", "port 0 or source not unicast"); return; }
    const c = this.connections.get(Connection.key(s.family, seg.dst, seg.dstPort, seg.src, seg.srcPort));
    if (c !== undefined) {
      // RFC 6191-like: a new SYN to a TIME-WAIT connection from a peer with a higher sequence number may reopen it.
      if (c.state === "TIME-WAIT" && (seg.flags & (Flag.SYN | Flag.ACK)) === Flag.SYN && this.listenerFor(seg) !== undefined
          && ((seg.seq - c.rcvNxt) | 0) > 0) {
        c.terminate();
      } else {
        segmentArrives(c, seg);
        return;
      }
    }
    const l = this.listenerFor(seg);
    if (l !== undefined) { l.segment(net, seg); return; }
    this.stats.drop("tcpPortClosed", String(seg.dstPort));
    if (!(seg.flags & Flag.RST)) this.sendRst(net, seg);
  }

  private listenerFor(seg: Segment): Listener | undefined {
    return this.listeners.get(Listener.key(seg.family, seg.dst, seg.dstPort))
      ?? this.listeners.get(Listener.key(undefined, seg.dst, seg.dstPort))
      ?? this.listeners.get(Listener.key(seg.family, undefined, seg.dstPort))
      ?? this.listeners.get(Listener.key(undefined, undefined, seg.dstPort));
  }

  icmpError(n: IcmpNotice): void {
    const c = this.connections.get(Connection.key(n.family, n.localAddress, n.localPort, n.remoteAddress, n.remotePort));
    if (c === undefined) { this.stats.count("tcp.icmpErrorUnclaimed"); return; }
    this.stats.count("tcp.icmpError");
    c.icmpError(n);
  }

  // ---- sending without a connection ----

  /** Answer a segment that has no connection with RST (RFC 9293 3.10.7.1). */
  sendRst(net: TcpNetwork, seg: Segment): void {
    this.stats.count("tcp.rstSent");
    if (seg.flags & Flag.ACK) this.sendStateless(net, seg.dst, seg.src, seg.dstPort, seg.srcPort, seg.ack, 0, Flag.RST, 0);
    else this.sendStateless(net, seg.dst, seg.src, seg.dstPort, seg.srcPort, 0, seqAdd(seg.seq, segmentLength(seg)), Flag.RST | Flag.ACK, 0);
  }

  /** Send a segment that belongs to no connection (RST, SYN cookie SYN-ACK). */
  sendStateless(net: TcpNetwork, local: string, remote: string, localPort: number, remotePort: number, seq: number, ack: number, flags: number, window: number, mss?: number): void {
    const segment = writeSegment({ srcPort: localPort, dstPort: remotePort, seq, ack, flags, window, options: mss === undefined ? {} : { mss } },
      net.pseudoHeaderSum(local, remote));
    net.sendBytes(local, remote, segment);
    this.stats.count("tcp.tx");
  }

  // ---- opening ----

  /** Start an active open; return the connection in SYN-SENT. Throws a `SocketError` (EADDRINUSE…). */
  connect(target: ConnectTarget): Connection {
    const r = this.resolve(target.host);
    if (r === undefined) throw new SocketError("EINVAL", `not an address this stack can reach: ${JSON.stringify(target.host)}`, target.host, target.port);
    const { net, address: remote } = r;
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new SocketError("ERR_SOCKET_BAD_PORT", `bad port ${target.port}`, remote, target.port);
    if (!net.isUnicast(remote)) throw new SocketError("ENETUNREACH", `connect ENETUNREACH ${remote}:${target.port} (not unicast)`, remote, target.port);
    let local: string | undefined;
    if (target.localAddress !== undefined) {
      local = net.canonical(target.localAddress);
      if (local === undefined || !net.isLocal(local)) throw new SocketError("EADDRNOTAVAIL", `bind EADDRNOTAVAIL ${target.localAddress}`, target.localAddress, target.localPort);
    } else local = net.sourceFor(remote);
    if (local === undefined) throw new SocketError("ENETUNREACH", `connect ENETUNREACH ${remote}:${target.port}`, remote, target.port);
    if (this.connections.size >= this.config.maxConnections) throw new SocketError("ENOBUFS", `more than ${this.config.maxConnections} connections`, remote, target.port);
    let port = target.localPort ?? 0;
    if (port !== 0) {
      if (this.connections.has(Connection.key(net.family, local, port, remote, target.port))) {
        throw new SocketError("EADDRINUSE", `connect EADDRINUSE ${local}:${port}`, local, port);
      }
    } else {
      port = this.ephemeralPort(net.family, local, remote, target.port);
    }
    const c = new Connection(this, net, local, port, remote, target.port, true);
    this.add(c);
    c.open();
    return c;
  }

  private ephemeralPort(family: AddressFamily, local: string, remote: string, remotePort: number): number {
    const { ephemeralFirst: first, ephemeralLast: last } = this.config;
    const span = last - first + 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < span; i++) {
        const p = this.nextEphemeral;
        this.nextEphemeral = p >= last ? first : p + 1;
        // First pass: ports nobody uses; second: any whose four-tuple is free.
        if (pass === 0 ? !this.portUse.has(p) && !this.hasListener(p) : !this.connections.has(Connection.key(family, local, p, remote, remotePort))) return p;
      }
    }
    throw new SocketError("EADDRNOTAVAIL", "no ephemeral port free");
  }

  private hasListener(port: number): boolean {
    for (const l of this.listeners.values()) if (l.port === port) return true;
    return false;
  }

  /** Listen on `port` (0: an ephemeral one); throws EADDRINUSE. Returns the listener. */
  listen(family: AddressFamily | undefined, address: string | undefined, port: number, backlog: number, accept: (c: Connection) => void): Listener {
    let p = port;
    if (p === 0) {
      const { ephemeralFirst: first, ephemeralLast: last } = this.config;
      for (let i = 0; i <= last - first && p === 0; i++) {
        const q = this.nextEphemeral;
        this.nextEphemeral = q >= last ? first : q + 1;
        if (!this.portUse.has(q) && !this.hasListener(q)) p = q;
      }
      if (p === 0) throw new SocketError("EADDRINUSE", "no port free to listen on");
    }
    for (const l of this.listeners.values()) {
      if (l.port !== p) continue;
      const familyClash = l.family === undefined || family === undefined || l.family === family;
      const addressClash = l.address === undefined || address === undefined || l.address === address;
      if (familyClash && addressClash) throw new SocketError("EADDRINUSE", `listen EADDRINUSE: address already in use ${address ?? "::"}:${p}`, address, p);
    }
    const l = new Listener(this, family, address, p, backlog, accept);
    this.listeners.set(l.key, l);
    return l;
  }

  /** Stop listening (connections already made stay; half-open ones are reset). */
  unlisten(l: Listener): void {
    if (this.listeners.get(l.key) === l) this.listeners.delete(l.key);
    for (const c of [...l.synQueue]) c.abort();
  }

  /** Abort every connection and forget every listener (the stack is closing). */
  close(): void {
    for (const c of [...this.connections.values()]) c.terminate();
    this.listeners.clear();
  }
}
