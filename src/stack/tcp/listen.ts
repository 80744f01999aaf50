/**
 * LISTEN (RFC 9293 3.10.7.2): a SYN makes a half-open connection in SYN-RECEIVED, up to the SYN
 * queue's bound (the smaller of `config.tcp.synQueue` and the listen backlog); beyond it, SYN
 * cookies (isn.ts) answer without keeping state, and the ACK that returns a valid cookie makes an
 * ESTABLISHED connection directly. Connections that complete the handshake are handed to the
 * server at once (the accept queue never waits for an accept call, as with Node's servers).
 */
import { Flag, type Segment } from "./types.js";
import { seqAdd } from "./seq.js";
import { Connection } from "./tcb.js";
import { adoptSynOptions, receiveText } from "./input.js";
import { sendSyn } from "./output.js";
import type { AddressFamily, TcpNetwork } from "./network.js";
import type { Tcp } from "./tcp.js";

/** A listening endpoint. */
export class Listener {
  /** Half-open connections (SYN-RECEIVED). */
  readonly synQueue = new Set<Connection>();
  /** Bound of the SYN queue. */
  readonly synLimit: number;

  constructor(
    private readonly tcp: Tcp,
    /** The family listened on, or undefined for every family the stack has. */
    readonly family: AddressFamily | undefined,
    /** The local address listened on (canonical), or undefined for any. */
    readonly address: string | undefined,
    readonly port: number,
    readonly backlog: number,
    /** Called with each connection that completed its handshake. */
    readonly accept: (c: Connection) => void,
  ) {
    this.synLimit = Math.max(1, Math.min(tcp.config.synQueue, backlog));
  }

  /** Return the table key of this listener. */
  get key(): string {
    return Listener.key(this.family, this.address, this.port);
  }

  /** Return a listener table key. */
  static key(family: AddressFamily | undefined, address: string | undefined, port: number): string {
    return `${family ?? "*"} ${address ?? "*"} ${port}`;
  }

  /** Process a segment that matched no connection. */
  segment(net: TcpNetwork, seg: Segment): void {
    const tcp = this.tcp;
    const f = seg.flags;
    const stats = tcp.stats;
    if (f & Flag.RST) { stats.drop("tcpUnacceptable", "RST to LISTEN"); return; }
    if (f & Flag.ACK) {
      if (tcp.config.synCookies && !(f & Flag.SYN) && this.cookieAck(net, seg)) return;
      tcp.sendRst(net, seg);
      return;
    }
    if (!(f & Flag.SYN)) { stats.drop("tcpUnacceptable", "no SYN to LISTEN"); return; }
    stats.count("tcp.synReceived");
    if (tcp.connectionCount >= tcp.config.maxConnections) { stats.drop("tcpTableFull"); return; }
    if (this.synQueue.size >= this.synLimit) {
      if (!tcp.config.synCookies) { stats.drop("tcpSynQueueFull"); return; }
      this.sendCookie(net, seg);
      return;
    }
    const c = new Connection(tcp, net, seg.dst, seg.dstPort, seg.src, seg.srcPort, false);
    c.listenerKey = this.key;
    c.irs = seg.seq;
    c.rcvNxt = seqAdd(seg.seq, 1);
    adoptSynOptions(c, seg);
    c.rcvAdv = seqAdd(c.rcvNxt, Math.min(0xffff, c.receiveBuffer));
    c.iss = tcp.isn.isn(c, tcp.clock.now());
    c.sndUna = c.iss;
    c.sndNxt = c.iss;
    c.sndMax = c.iss;
    c.recoveryPoint = c.iss;
    c.sndWnd = seg.window; // a SYN's window is never scaled
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = c.iss;
    tcp.add(c);
    this.synQueue.add(c);
    c.setState("SYN-RECEIVED");
    sendSyn(c);
  }

  /** A SYN-RECEIVED connection left that state (established or gone). */
  leftSynQueue(c: Connection): void {
    this.synQueue.delete(c);
  }

  private sendCookie(net: TcpNetwork, seg: Segment): void {
    const tcp = this.tcp;
    const tuple = { localAddress: seg.dst, localPort: seg.dstPort, remoteAddress: seg.src, remotePort: seg.srcPort };
    const ourMss = net.mtu(seg.src) - net.ipHeaderLength - 20;
    const { isn, mss } = tcp.isn.cookie(tuple, seg.seq, Math.min(seg.options.mss ?? 536, ourMss), tcp.clock.now());
    tcp.stats.count("tcp.synCookieSent");
    tcp.sendStateless(net, seg.dst, seg.src, seg.dstPort, seg.srcPort, isn, seqAdd(seg.seq, 1), Flag.SYN | Flag.ACK, Math.min(0xffff, tcp.config.receiveBuffer), mss);
  }

  /** An ACK for LISTEN: a returning SYN cookie makes an ESTABLISHED connection. */
  private cookieAck(net: TcpNetwork, seg: Segment): boolean {
    const tcp = this.tcp;
    const tuple = { localAddress: seg.dst, localPort: seg.dstPort, remoteAddress: seg.src, remotePort: seg.srcPort };
    const clientIsn = seqAdd(seg.seq, -1);
    const cookie = seqAdd(seg.ack, -1);
    const mss = tcp.isn.checkCookie(tuple, clientIsn, cookie, tcp.clock.now());
    if (mss === undefined) { tcp.stats.count("tcp.synCookieInvalid"); return false; }
    if (tcp.connectionCount >= tcp.config.maxConnections) { tcp.stats.drop("tcpTableFull"); return true; }
    tcp.stats.count("tcp.synCookieAccepted");
    const c = new Connection(tcp, net, seg.dst, seg.dstPort, seg.src, seg.srcPort, false);
    c.irs = clientIsn;
    c.rcvNxt = seg.seq;
    c.peerMss = mss;
    c.rcvAdv = seqAdd(c.rcvNxt, Math.min(0xffff, c.receiveBuffer));
    c.iss = cookie;
    c.sndUna = seg.ack;
    c.sndNxt = seg.ack;
    c.sndMax = seg.ack;
    c.recoveryPoint = seg.ack;
    c.sndWnd = seg.window;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = seg.ack;
    tcp.add(c);
    c.setState("ESTABLISHED");
    this.accept(c);
    if (c.state !== "CLOSED" && (seg.data.length > 0 || seg.flags & Flag.FIN)) receiveText(c, seg);
    return true;
  }
}
