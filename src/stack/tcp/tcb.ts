/**
 * The transmission control block (RFC 9293 3.3.1): one connection's variables, its user calls
 * (OPEN, SEND, CLOSE, ABORT: 3.10.1-3.10.5) and its timers (3.10.8). Segment arrival is in
 * `input.ts`, segment sending in `output.ts`; the algorithms (RTO, congestion control, SACK
 * scoreboard) are separate modules used through their interfaces.
 */
import type { Clock } from "../clock.js";
import type { TcpConfig } from "../config.js";
import type { Stats } from "../stats.js";
import { SocketError } from "../udp.js";
import { RttEstimator } from "./rtt.js";
import { congestionControls, type CongestionControl } from "./congestion.js";
import { SackScoreboard } from "./scoreboard.js";
import { ConnectionTimer } from "./timer.js";
import { OutOfOrderQueue, SendBuffer } from "./buffers.js";
import { MAX_WINDOW_SCALE } from "./options.js";
import { seqAdd, seqDiff } from "./seq.js";
import type { IcmpNotice, TcpNetwork } from "./network.js";
import type { FourTuple, IsnGenerator } from "./isn.js";
import { Flag, type ConnectionUser, type TcpInfo, type TcpState } from "./types.js";
import { output, sendAck, sendControl, sendSyn } from "./output.js";

/** What a connection needs from the TCP layer that holds it. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly config: TcpConfig;
  readonly stats: Stats;
  readonly isn: IsnGenerator;
  /** Remove the connection from the tables (it reached CLOSED). */
  remove(c: Connection): void;
  /** Whether another RFC 5961 challenge ACK may go out now (a per-stack rate limit). */
  challengeAllowed(): boolean;
  /** A passive connection completed its handshake (hand it to its listener). */
  established(c: Connection): void;
}

/** Milliseconds of the timestamp clock (RFC 7323 5.4: 1 ms ticks). */
const TS_TICK = 1;

/** Return the window shift that lets a window of `buffer` bytes be advertised. */
export function windowShiftFor(buffer: number): number {
  let s = 0;
  while (s < MAX_WINDOW_SCALE && buffer >> s > 0xffff) s++;
  return s;
}

/** One TCP connection. */
export class Connection implements FourTuple {
  state: TcpState = "CLOSED";
  user: ConnectionUser | undefined;
  /** The user closed or destroyed its socket: data arriving now is answered with RST. */
  orphan = false;
  /** Whether we opened actively (connect) or from a listener. */
  readonly active: boolean;
  /** The listener's key for passive connections (SYN queue accounting). */
  listenerKey: string | undefined;
  // Send sequence variables (RFC 9293 3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** The highest sequence number sent (SND.NXT may go back on a retransmission time-out). */
  sndMax = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  maxSndWnd = 0;
  readonly sendBuffer = new SendBuffer();
  /** The user called CLOSE: a FIN follows the data. */
  finQueued = false;
  // Receive sequence variables.
  irs = 0;
  rcvNxt = 0;
  /** The right edge of the window advertised (never moved left: RFC 9293 3.8.6.2.2). */
  rcvAdv = 0;
  readonly receiveBuffer: number;
  readonly outOfOrder: OutOfOrderQueue;
  finReceived = false;
  // Options.
  /** MSS we advertise, and the peer's. */
  readonly ourMss: number;
  peerMss = 536;
  sndWscale = 0;
  rcvWscale = 0;
  readonly offerWscale: number;
  wscaleOk = false;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  tsRecentAge = 0;
  lastAckSent = 0;
  readonly tsOffset: number;
  // RTT, congestion, recovery.
  readonly rtt: RttEstimator;
  cc: CongestionControl;
  scoreboard: SackScoreboard;
  /** Sequence number being timed without timestamps (Karn: cleared on retransmission), and when it was sent. */
  rttSeq: number | undefined;
  rttTime = 0;
  dupAcks = 0;
  inRecovery = false;
  /** RFC 6582 "recover" / RFC 6675 RecoveryPoint. */
  recoveryPoint = 0;
  highRxt = 0;
  rescueRxt: number | undefined;
  /** SND.MAX when the segment at SND.UNA was last retransmitted (lost-retransmission detection). */
  unaRetransmitMark: number | undefined;
  /** Consecutive time-outs of the segment at SND.UNA (reset by new ACKs). */
  backoffCount = 0;
  retransmits = 0;
  timeouts = 0;
  // Receiver ACK state.
  /** Full segments received since the last ACK (every second one is ACKed at once). */
  unackedSegments = 0;
  // Options of the user.
  noDelay = false;
  keepAlive = false;
  keepAliveIdle: number;
  keepAliveProbesSent = 0;
  lastReceived = 0;
  // Timers.
  readonly rtoTimer: ConnectionTimer;
  readonly delackTimer: ConnectionTimer;
  readonly keepAliveTimer: ConnectionTimer;
  readonly persistTimer: ConnectionTimer;
  readonly stateTimer: ConnectionTimer;
  persistBackoff = 0;
  /** The error to report when the connection dies of time-outs (the last ICMP soft error, or ETIMEDOUT). */
  softError: IcmpNotice | undefined;

  constructor(
    readonly host: ConnectionHost,
    readonly net: TcpNetwork,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    active: boolean,
  ) {
    const cfg = host.config;
    this.active = active;
    this.receiveBuffer = cfg.receiveBuffer;
    this.outOfOrder = new OutOfOrderQueue(cfg.outOfOrderSegments);
    this.ourMss = Math.max(536, net.mtu(remoteAddress) - net.ipHeaderLength - 20);
    this.offerWscale = windowShiftFor(this.receiveBuffer);
    this.tsOffset = host.isn.timestampOffset(this);
    this.rtt = new RttEstimator({ minRto: cfg.minRto, maxRto: cfg.maxRto, initialRto: cfg.initialRto });
    this.cc = congestionControls[cfg.congestion](this.ourMss);
    this.scoreboard = new SackScoreboard(this.ourMss);
    this.keepAliveIdle = cfg.keepAliveIdle;
    const clock = host.clock;
    this.rtoTimer = new ConnectionTimer(clock, () => this.onRetransmitTimeout());
    this.delackTimer = new ConnectionTimer(clock, () => { if (this.isSynchronized()) sendAck(this); });
    this.keepAliveTimer = new ConnectionTimer(clock, () => this.onKeepAlive());
    this.persistTimer = new ConnectionTimer(clock, () => this.onPersist());
    this.stateTimer = new ConnectionTimer(clock, () => this.onStateTimeout());
    this.lastReceived = clock.now();
    this.pseudoSum = net.pseudoHeaderSum(localAddress, remoteAddress);
  }

  /** The pseudo-header's address sum of every segment we send. */
  readonly pseudoSum: number;

  /** Return the table key of a four-tuple. */
  static key(family: string, localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
    return `${family} ${localAddress} ${localPort} ${remoteAddress} ${remotePort}`;
  }

  /** Return this connection's table key. */
  get key(): string {
    return Connection.key(this.net.family, this.localAddress, this.localPort, this.remoteAddress, this.remotePort);
  }

  get now(): number {
    return this.host.clock.now();
  }

  /** Return the timestamp clock's value now (RFC 7323), offset per connection. */
  tsNow(): number {
    return (Math.floor(this.now / TS_TICK) + this.tsOffset) >>> 0;
  }

  /** Return the MSS for data: the peer's MSS capped by our path, less the timestamp option. */
  get effectiveMss(): number {
    const mss = Math.min(this.peerMss, this.ourMss);
    return Math.max(64, mss - (this.tsOk ? 12 : 0));
  }

  /** Return whether the connection is past its handshake (synchronized states). */
  isSynchronized(): boolean {
    const s = this.state;
    return s !== "CLOSED" && s !== "LISTEN" && s !== "SYN-SENT" && s !== "SYN-RECEIVED";
  }

  /** Return the sequence number right after the last byte of data the user gave (where FIN goes). */
  get dataEnd(): number {
    if (this.finSeq !== undefined && this.finAckSeen) return this.finSeq;
    // Before the SYN is acknowledged SND.UNA is the ISS; the data starts after the SYN.
    const base = this.state === "SYN-SENT" || this.state === "SYN-RECEIVED" ? seqAdd(this.iss, 1) : this.sndUna;
    return seqAdd(base, this.sendBuffer.length);
  }

  /** The sequence number of our FIN once it was sent. */
  finSeq: number | undefined;
  /** An ACK covering our FIN arrived. */
  finAckSeen = false;

  /** Return whether our FIN has been sent. */
  get finSent(): boolean {
    return this.finSeq !== undefined;
  }

  /** Return the bytes sent and not yet acknowledged. */
  get flightSize(): number {
    return seqDiff(this.sndMax, this.sndUna);
  }

  // ---- user calls ----

  /** OPEN, active: choose the ISS, send SYN, go to SYN-SENT. */
  open(): void {
    this.iss = this.host.isn.isn(this, this.now);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.recoveryPoint = this.iss;
    this.setState("SYN-SENT");
    sendSyn(this);
  }

  /**
   * SEND: queue a copy of the bytes (sent when the window, congestion window and Nagle allow).
   * A copy: the writer may reuse its buffer once the write completes, long before the last
   * retransmission of those bytes.
   */
  send(bytes: Uint8Array): void {
    if (this.finQueued || this.state === "CLOSED") return;
    if (bytes.length === 0) { if (this.isSynchronized()) output(this); return; }
    const copy = new Uint8Array(bytes.length); // not bytes.slice(): a Buffer's slice is a view
    copy.set(bytes);
    this.sendBuffer.push(copy);
    if (this.isSynchronized()) output(this);
  }

  /** CLOSE: no more data; FIN goes after what is queued (RFC 9293 3.10.4). */
  close(): void {
    switch (this.state) {
      case "SYN-SENT":
        if (this.sendBuffer.length === 0) { this.terminate(); return; }
        this.finQueued = true;
        return;
      case "SYN-RECEIVED":
        this.finQueued = true; // FIN-WAIT-1 once established
        return;
      case "ESTABLISHED":
        this.finQueued = true;
        this.setState("FIN-WAIT-1");
        output(this);
        return;
      case "CLOSE-WAIT":
        this.finQueued = true;
        this.setState("LAST-ACK");
        output(this);
        return;
      default:
        return;
    }
  }

  /** ABORT: send RST when synchronized (or SYN-RECEIVED), drop everything, CLOSED (RFC 9293 3.10.5). */
  abort(): void {
    if (this.state === "CLOSED") return;
    const s = this.state;
    if (s === "SYN-RECEIVED" || s === "ESTABLISHED" || s === "FIN-WAIT-1" || s === "FIN-WAIT-2" || s === "CLOSE-WAIT") {
      sendControl(this, this.sndNxt, 0, Flag.RST);
      this.host.stats.count("tcp.rstSent");
    }
    this.terminate();
  }

  /** The user is gone (socket destroyed): finish the close alone, reset on new data, time out FIN-WAIT-2. */
  detach(): void {
    this.orphan = true;
    this.user = undefined;
    if (this.state === "FIN-WAIT-2") this.stateTimer.set(this.host.config.finTimeout);
  }

  /** Turn keep-alive on or off; `idle` ms without traffic before the first probe. */
  setKeepAlive(on: boolean, idle?: number): void {
    this.keepAlive = on;
    if (idle !== undefined && idle > 0) this.keepAliveIdle = idle;
    this.keepAliveProbesSent = 0;
    if (on && this.isSynchronized()) this.keepAliveTimer.set(this.keepAliveIdle);
    else this.keepAliveTimer.clear();
  }

  /** Data was consumed by the user: open the window if it grew enough (receiver SWS avoidance). */
  windowUpdate(): void {
    if (!this.isSynchronized() || this.finReceived) return;
    const offered = seqDiff(this.rcvAdv, this.rcvNxt);
    const possible = Math.min(this.receiveBuffer - (this.user?.unread() ?? 0), 0xffff * 2 ** this.rcvWscale);
    if (possible - offered >= Math.min(this.receiveBuffer / 2, 2 * this.effectiveMss)) sendAck(this);
  }

  // ---- state changes ----

  /** Move to `state`, arming what the state needs. */
  setState(state: TcpState): void {
    if (this.state === state) return;
    this.state = state;
    this.host.stats.count(`tcp.state.${state}`);
    if (state === "TIME-WAIT") {
      this.rtoTimer.stop();
      this.persistTimer.stop();
      this.keepAliveTimer.stop();
      this.delackTimer.stop();
      this.stateTimer.set(this.host.config.timeWait);
      this.sendBuffer.clear();
      this.outOfOrder.clear();
      const u = this.user;
      this.user = undefined;
      u?.onClosed();
    } else if (state === "FIN-WAIT-2" && this.orphan) {
      this.stateTimer.set(this.host.config.finTimeout);
    }
  }

  /** Go to CLOSED, drop the TCB from the tables, tell the user (closed, after `error` if given). */
  terminate(error?: Error): void {
    if (this.state === "CLOSED" && this.removed) return;
    this.state = "CLOSED";
    this.removed = true;
    this.rtoTimer.stop();
    this.delackTimer.stop();
    this.keepAliveTimer.stop();
    this.persistTimer.stop();
    this.stateTimer.stop();
    this.sendBuffer.clear();
    this.outOfOrder.clear();
    this.host.remove(this);
    const u = this.user;
    this.user = undefined;
    if (u !== undefined) {
      if (error !== undefined) u.onError(error);
      u.onClosed();
    }
  }

  private removed = false;

  /** Fail the connection with a Node-style error code. */
  fail(code: string, message: string): void {
    this.host.stats.count(`tcp.error.${code}`);
    this.terminate(new SocketError(code, message, this.remoteAddress, this.remotePort));
  }

  /** An ICMP error about this connection (RFC 1122 4.2.3.9, RFC 5461): hard errors abort a handshake. */
  icmpError(n: IcmpNotice): void {
    if (n.hard && (this.state === "SYN-SENT" || this.state === "SYN-RECEIVED")) {
      this.fail(n.code, `connect ${n.code} ${this.remoteAddress}:${this.remotePort} (${n.detail})`);
      return;
    }
    this.softError = n;
  }

  // ---- timers ----

  private onRetransmitTimeout(): void {
    const cfg = this.host.config;
    if (this.state === "CLOSED" || this.state === "TIME-WAIT") return;
    if (this.flightSize === 0 && !(this.state === "SYN-SENT" || this.state === "SYN-RECEIVED")) return;
    const handshake = this.state === "SYN-SENT" || this.state === "SYN-RECEIVED";
    const limit = handshake ? cfg.synRetries : cfg.retries;
    if (this.backoffCount >= limit) {
      const code = this.softError?.code ?? "ETIMEDOUT";
      if (this.state === "SYN-RECEIVED" && !this.active) { this.terminate(); return; }
      this.fail(code, `${handshake ? "connect" : "read"} ${code} ${this.remoteAddress}:${this.remotePort}`);
      return;
    }
    this.backoffCount++;
    this.timeouts++;
    this.host.stats.count("tcp.timeout");
    this.rtt.backoff();
    this.rttSeq = undefined;
    if (handshake) {
      this.retransmits++;
      sendSyn(this);
      return;
    }
    this.cc.onRetransmitTimeout(this.now, this.flightSize);
    this.inRecovery = false;
    this.dupAcks = 0;
    this.recoveryPoint = this.sndMax;
    // Go back N: resend from SND.UNA as the (one-segment) congestion window allows.
    this.sndNxt = this.sndUna;
    this.rtoTimer.set(this.rtt.rto);
    output(this, true);
  }

  private onPersist(): void {
    if (!this.isSynchronized() || this.state === "TIME-WAIT") return;
    if (this.sndWnd > 0 || seqDiff(this.dataEnd, this.sndNxt) <= 0 && !(this.finQueued && !this.finSent)) { this.persistBackoff = 0; return; }
    // A zero-window probe: one byte beyond the window would be RFC 9293's; like Linux we send an
    // old sequence number with no data, which any receiver must answer with an ACK and its window.
    sendControl(this, seqAdd(this.sndUna, -1), this.rcvNxt, Flag.ACK);
    this.host.stats.count("tcp.windowProbe");
    this.persistBackoff++;
    this.armPersist();
  }

  /** Arm the persist timer (the RTO, doubled per unanswered probe, bounded). */
  armPersist(): void {
    const cfg = this.host.config;
    const delay = Math.min(cfg.maxRto, Math.max(cfg.minRto, this.rtt.rto) * 2 ** Math.min(this.persistBackoff, 16));
    this.persistTimer.set(delay);
  }

  private onKeepAlive(): void {
    if (!this.keepAlive || !this.isSynchronized() || this.state === "TIME-WAIT") return;
    const cfg = this.host.config;
    const idle = this.now - this.lastReceived;
    const wait = this.keepAliveProbesSent === 0 ? this.keepAliveIdle : cfg.keepAliveInterval;
    if (idle < wait) { this.keepAliveTimer.set(wait - idle); return; }
    if (this.keepAliveProbesSent >= cfg.keepAliveProbes) {
      this.fail("ETIMEDOUT", `keep-alive: no answer from ${this.remoteAddress}:${this.remotePort} to ${this.keepAliveProbesSent} probes`);
      return;
    }
    // RFC 9293 3.8.4: SEG.SEQ = SND.NXT - 1, no data.
    sendControl(this, seqAdd(this.sndNxt, -1), this.rcvNxt, Flag.ACK);
    this.keepAliveProbesSent++;
    this.host.stats.count("tcp.keepAliveProbe");
    this.keepAliveTimer.set(cfg.keepAliveInterval);
  }

  /** A segment arrived: note it for keep-alive. */
  heard(): void {
    this.lastReceived = this.now;
    if (this.keepAlive) {
      this.keepAliveProbesSent = 0;
      this.keepAliveTimer.set(this.keepAliveIdle);
    }
  }

  private onStateTimeout(): void {
    if (this.state === "TIME-WAIT") { this.host.stats.count("tcp.timeWaitExpired"); this.terminate(); return; }
    if (this.state === "FIN-WAIT-2" && this.orphan) { this.terminate(); return; }
  }

  /** Return `tcpInfo()`. */
  info(): TcpInfo {
    return {
      state: this.state,
      mss: Math.min(this.peerMss, this.ourMss),
      sendWindowScale: this.wscaleOk ? this.sndWscale : undefined,
      receiveWindowScale: this.wscaleOk ? this.rcvWscale : undefined,
      sack: this.sackOk,
      timestamps: this.tsOk,
      srtt: this.rtt.srtt,
      rttvar: this.rtt.rttvar,
      rto: this.rtt.rto,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      retransmits: this.retransmits,
      timeouts: this.timeouts,
      congestion: this.cc.name,
      sendWindow: this.sndWnd,
      receiveWindow: Math.max(0, seqDiff(this.rcvAdv, this.rcvNxt)),
      bytesInFlight: this.flightSize,
      inRecovery: this.inRecovery,
    };
  }

  /** Send an ACK now (also used by input for immediate ACKs). */
  ackNow(): void {
    sendAck(this);
  }

  /** Schedule or send an ACK for in-order data (delayed ACK: every second full segment at once). */
  ackLater(): void {
    this.unackedSegments++;
    if (this.unackedSegments >= 2) { sendAck(this); return; }
    this.delackTimer.ensure(this.host.config.delayedAck);
  }
}
