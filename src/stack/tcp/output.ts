/**
 * Sending (RFC 9293 3.8.6, 3.10.2; RFC 5681; RFC 6675): what may go out now given the peer's
 * window, the congestion window, Nagle's algorithm (RFC 9293 3.7.4) and sender-side silly
 * window avoidance (3.8.6.2.1); the window we advertise with receiver-side SWS avoidance
 * (3.8.6.2.2). Segments are written by `wire.ts` (checked against the `TCP` definition).
 */
import type { OptionsToSend } from "./options.js";
import { writeSegment } from "./wire.js";
import { seqAdd, seqDiff, seqGt, seqLeq, seqLt, seqMax } from "./seq.js";
import { Flag } from "./types.js";
import type { Connection } from "./tcb.js";

/** Return the window field to send, moving the advertised right edge (never left). */
export function advertiseWindow(c: Connection): number {
  const offered = Math.max(0, seqDiff(c.rcvAdv, c.rcvNxt));
  const free = c.receiveBuffer - (c.user?.unread() ?? 0);
  let w = offered;
  // Receiver SWS avoidance: open the window only by a useful amount.
  if (free - offered >= Math.min(c.receiveBuffer / 2, c.effectiveMss)) w = free;
  const field = Math.min(0xffff, Math.floor(w / 2 ** c.rcvWscale));
  const edge = seqAdd(c.rcvNxt, field * 2 ** c.rcvWscale);
  if (seqGt(edge, c.rcvAdv)) c.rcvAdv = edge;
  return field;
}

/** Build and send one segment. */
export function emit(c: Connection, seq: number, ack: number, flags: number, data?: Uint8Array, synOptions?: OptionsToSend, segmentSize?: number): void {
  const opts: OptionsToSend = synOptions ?? {};
  if (synOptions === undefined && c.tsOk) opts.timestamps = { value: c.tsNow(), echoReply: c.tsRecent };
  if (synOptions === undefined && c.sackOk && (flags & Flag.ACK) !== 0 && c.outOfOrder.count > 0) {
    opts.sack = c.outOfOrder.sackBlocks(c.tsOk ? 3 : 4);
  }
  let window: number;
  if (flags & Flag.SYN) window = Math.min(0xffff, c.receiveBuffer);
  else if (flags & Flag.RST && !(flags & Flag.ACK)) window = 0;
  else window = advertiseWindow(c);
  const bytes = writeSegment({
    srcPort: c.localPort, dstPort: c.remotePort, seq, ack: (flags & Flag.ACK) !== 0 ? ack : 0, flags, window, options: opts, data,
  }, c.pseudoSum);
  const failure = c.net.sendBytes(c.localAddress, c.remoteAddress, bytes, segmentSize);
  const stats = c.host.stats;
  if (failure !== undefined) stats.count(`tcp.sendFailed.${failure}`);
  stats.count("tcp.tx");
  if (flags & Flag.ACK) {
    c.lastAckSent = c.rcvNxt;
    c.unackedSegments = 0;
    c.delackTimer.clear();
  }
}

/** Send a bare ACK for what we have received (with SACK blocks when data is out of order). */
export function sendAck(c: Connection): void {
  emit(c, c.sndNxt, c.rcvNxt, Flag.ACK);
}

/** Send a control segment (RST, a probe, a challenge ACK). */
export function sendControl(c: Connection, seq: number, ack: number, flags: number): void {
  emit(c, seq, ack, flags);
}

/** Send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with the options this connection offers. */
export function sendSyn(c: Connection): void {
  const cfg = c.host.config;
  const passive = c.state === "SYN-RECEIVED";
  const opts: OptionsToSend = { mss: c.ourMss };
  // A passive side offers an option only when the SYN did (window scale: RFC 7323 1.3; SACK: RFC 2018; timestamps: RFC 7323 3.2).
  if (passive ? c.wscaleOk : cfg.windowScale) opts.windowScale = c.offerWscale;
  if (passive ? c.sackOk : cfg.sack) opts.sackPermitted = true;
  if (passive ? c.tsOk : cfg.timestamps) opts.timestamps = { value: c.tsNow(), echoReply: passive ? c.tsRecent : 0 };
  const flags = passive ? Flag.SYN | Flag.ACK : Flag.SYN;
  if (c.backoffCount === 0) { c.rttSeq = c.iss; c.rttTime = c.now; }
  emit(c, c.iss, c.rcvNxt, flags, undefined, opts);
  c.sndNxt = seqAdd(c.iss, 1);
  c.sndMax = seqMax(c.sndMax, c.sndNxt);
  c.rtoTimer.set(c.rtt.rto);
  c.host.stats.count(passive ? "tcp.synAckSent" : "tcp.synSent");
}

/** Return the most data bytes one segment may carry (several MSS when the link segments for us). */
function maxSegmentData(c: Connection): number {
  const mss = c.effectiveMss;
  const gso = c.net.gsoMax();
  if (gso === undefined) return mss;
  const room = gso - c.net.ipHeaderLength - 20 - (c.tsOk ? 12 : 0);
  return Math.max(mss, Math.floor(room / mss) * mss);
}

/**
 * Send `len` bytes from `seq` (with FIN when it reaches our FIN's place); return the sequence
 * space used. Used for new data and retransmissions alike.
 */
function sendData(c: Connection, seq: number, len: number, withFin: boolean): number {
  const off = seqDiff(seq, c.sndUna);
  const data = len > 0 ? c.sendBuffer.read(off, len) : undefined;
  const end = off + len === c.sendBuffer.length;
  let flags = Flag.ACK;
  if (len > 0 && end) flags |= Flag.PSH;
  if (withFin) flags |= Flag.FIN;
  const mss = c.effectiveMss;
  emit(c, seq, c.rcvNxt, flags, data, undefined, len > mss ? mss : undefined);
  if (seqLt(seq, c.sndMax)) {
    c.retransmits++;
    c.host.stats.count("tcp.retransmit");
    // Karn's rule: no RTT sample from a range that was sent twice.
    if (c.rttSeq !== undefined && seqLeq(seq, c.rttSeq)) c.rttSeq = undefined;
  } else if (c.rttSeq === undefined && !c.tsOk) {
    c.rttSeq = seq;
    c.rttTime = c.now;
  }
  if (withFin) c.finSeq = seqAdd(seq, len);
  if (!c.rtoTimer.armed) c.rtoTimer.set(c.rtt.rto);
  return len + (withFin ? 1 : 0);
}

/** Retransmit up to `len` bytes from `seq` (the FIN too when the range reaches it); `rescue`: RFC 6675 rule 4 (HighRxt unchanged). */
export function retransmit(c: Connection, seq: number, len: number, rescue = false): void {
  const off = seqDiff(seq, c.sndUna);
  const dataLen = Math.max(0, Math.min(len, c.sendBuffer.length - off));
  const fin = c.finSeq !== undefined && seqAdd(seq, dataLen) === c.finSeq && !c.finAckSeen;
  if (dataLen === 0 && !fin) return;
  sendData(c, seq, dataLen, fin);
  if (seq === c.sndUna) c.unaRetransmitMark = c.sndMax;
  if (!rescue) c.highRxt = seqMax(c.highRxt, seqAdd(seq, dataLen + (fin ? 1 : 0)));
}

/** Whether our FIN is still to be sent at `seq` (all data before it sent). */
function finDue(c: Connection): boolean {
  return c.finQueued && !c.finAckSeen && (c.finSeq === undefined || seqLeq(c.sndNxt, c.finSeq));
}

/**
 * Send what may go now. `afterTimeout`: the retransmission timer fired (go back N: SWS and Nagle
 * do not hold back the segment at SND.UNA).
 */
export function output(c: Connection, afterTimeout = false): void {
  const s = c.state;
  if (s !== "ESTABLISHED" && s !== "CLOSE-WAIT" && s !== "FIN-WAIT-1" && s !== "CLOSING" && s !== "LAST-ACK") return;
  if (c.inRecovery && c.sackOk) { sackRecoveryOutput(c); return; }
  const mss = c.effectiveMss;
  const maxData = maxSegmentData(c);
  for (let guard = 0; guard < 100_000; guard++) {
    const off = seqDiff(c.sndNxt, c.sndUna);
    const dataLen = c.sendBuffer.length;
    const avail = dataLen - off;
    // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment out.
    const extra = c.inRecovery ? 0 : Math.min(c.dupAcks, 2) * mss;
    let limit = Math.min(c.sndWnd, c.cc.cwnd + extra) - off;
    if (c.inRecovery) {
      // NewReno without SACK: each duplicate ACK is a segment that left the network.
      const pipe = Math.max(0, c.flightSize - c.dupAcks * mss);
      limit = Math.min(c.sndWnd - off, c.cc.cwnd - pipe);
    }
    const len = Math.max(0, Math.min(avail, limit, maxData));
    const fin = finDue(c) && off + len === dataLen && limit >= len;
    if (len <= 0 && !fin) {
      if (avail > 0 && c.sndWnd - off <= 0 && c.flightSize === 0) c.persistTimer.ensure(Math.max(c.host.config.minRto, c.rtt.rto));
      return;
    }
    const isNew = !seqLt(c.sndNxt, c.sndMax);
    if (!isNew && c.sackOk && len > 0) {
      // Going back after a time-out: skip what the peer SACKed (kept, as Linux does).
      const skip = sackedSkip(c, c.sndNxt, len);
      if (skip.jump > 0) { c.sndNxt = seqAdd(c.sndNxt, skip.jump); continue; }
      if (skip.len < len) {
        const used = sendData(c, c.sndNxt, skip.len, false);
        c.sndNxt = seqAdd(c.sndNxt, used);
        if (afterTimeout) return;
        continue;
      }
    }
    if (len > 0 && !afterTimeout && isNew) {
      // Sender SWS avoidance: a segment shorter than the MSS that the window cut short waits,
      // unless it is at least half the largest window the peer offered.
      if (len < mss && len < avail && len < c.maxSndWnd / 2) {
        if (c.flightSize === 0) c.persistTimer.ensure(Math.max(c.host.config.minRto, c.rtt.rto));
        return;
      }
      // Nagle: a short last segment waits while data is unacknowledged.
      if (len < mss && len === avail && !fin && !c.noDelay && c.flightSize > 0) return;
    }
    c.persistTimer.clear();
    c.persistBackoff = 0;
    const used = sendData(c, c.sndNxt, len, fin);
    c.sndNxt = seqAdd(c.sndNxt, used);
    if (seqGt(c.sndNxt, c.sndMax)) c.sndMax = c.sndNxt;
    if (fin || afterTimeout) return;
  }
}

/** How far `seq` is inside a SACKed range (`jump`), or how many bytes from it are not SACKed (`len`, at most `len`). */
function sackedSkip(c: Connection, seq: number, len: number): { jump: number; len: number } {
  let n = len;
  for (const [left, right] of c.scoreboard.ranges()) {
    if (seqLeq(left, seq) && seqLt(seq, right)) return { jump: seqDiff(right, seq), len: 0 };
    if (seqGt(left, seq)) n = Math.min(n, seqDiff(left, seq));
  }
  return { jump: 0, len: n };
}

/** RFC 6675 5 (C): while the pipe leaves room for a segment, send what NextSeg() says. */
function sackRecoveryOutput(c: Connection): void {
  const mss = c.effectiveMss;
  for (let guard = 0; guard < 10_000; guard++) {
    const pipe = c.scoreboard.pipe(c.sndUna, c.sndMax, c.highRxt, c.rescueRxt);
    if (c.cc.cwnd - pipe < mss) return;
    const sent = seqDiff(c.sndMax, c.sndUna);
    const newData = Math.max(0, Math.min(c.sendBuffer.length - sent, c.sndWnd - sent));
    const next = c.scoreboard.nextSeg(c.sndUna, c.sndMax, c.highRxt, newData);
    if (next === undefined) {
      // The FIN is new "data" the scoreboard cannot see.
      if (newData === 0 && finDue(c) && sent === c.sendBuffer.length) {
        const used = sendData(c, c.sndMax, 0, true);
        c.sndMax = seqAdd(c.sndMax, used);
        c.sndNxt = c.sndMax;
      }
      return;
    }
    const span = Math.max(1, seqDiff(next.end, next.seq));
    if (next.rule === 2) {
      const len = Math.min(mss, span, newData);
      if (len <= 0) return;
      const off = seqDiff(c.sndMax, c.sndUna);
      const fin = finDue(c) && off + len === c.sendBuffer.length;
      const used = sendData(c, c.sndMax, len, fin);
      c.sndMax = seqAdd(c.sndMax, used);
      c.sndNxt = c.sndMax;
    } else {
      const before = c.highRxt;
      if (next.rule === 4) { c.rescueRxt = next.seq; retransmit(c, next.seq, Math.min(mss, span), true); return; }
      retransmit(c, next.seq, Math.min(mss, span));
      if (c.highRxt === before) return; // nothing sent: avoid spinning
    }
  }
}
