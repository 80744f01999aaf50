/**
 * Segment arrival (RFC 9293 3.10.7) for a connection in SYN-SENT or a synchronized state, with
 * RFC 5961 (RST and SYN answered by challenge ACKs unless exact, ACK range checks), RFC 7323
 * (PAWS, RTTM, TS.Recent), RFC 2018/6675 (SACK blocks fed to the scoreboard) and RFC 5681/6582
 * (duplicate ACKs, fast retransmit, NewReno partial ACKs). LISTEN is in `listen.ts`.
 */
import { Flag, segmentLength, type Segment } from "./types.js";
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt, seqMax } from "./seq.js";
import type { Connection } from "./tcb.js";
import { SackScoreboard } from "./scoreboard.js";
import { congestionControls } from "./congestion.js";
import { output, retransmit, sendAck, sendControl, sendSyn } from "./output.js";

/** PAWS: a timestamp this much older than TS.Recent's age may no longer be trusted (24 days, RFC 7323 5.5). */
const PAWS_IDLE = 24 * 24 * 3600 * 1000;

/** Process a segment for `c` (not LISTEN). */
export function segmentArrives(c: Connection, seg: Segment): void {
  c.host.stats.count("tcp.rx");
  if (c.state === "SYN-SENT") { synSent(c, seg); return; }
  if (c.state === "CLOSED") return;
  synchronized(c, seg);
}

/** Adopt the options of the peer's SYN (and SYN-ACK): MSS, window scale, SACK, timestamps. */
export function adoptSynOptions(c: Connection, seg: Segment): void {
  const o = seg.options;
  const cfg = c.host.config;
  if (o.mss !== undefined && o.mss > 0) c.peerMss = o.mss;
  c.wscaleOk = cfg.windowScale && o.windowScale !== undefined;
  c.sndWscale = c.wscaleOk ? o.windowScale! : 0;
  c.rcvWscale = c.wscaleOk ? c.offerWscale : 0;
  c.sackOk = cfg.sack && o.sackPermitted;
  c.tsOk = cfg.timestamps && o.tsValue !== undefined;
  if (c.tsOk) { c.tsRecent = o.tsValue!; c.tsRecentAge = c.now; }
  c.scoreboard = new SackScoreboard(c.effectiveMss);
  c.cc = congestionControls[cfg.congestion](c.effectiveMss);
}

function synSent(c: Connection, seg: Segment): void {
  const f = seg.flags;
  if (f & Flag.ACK) {
    if (seqLeq(seg.ack, c.iss) || seqGt(seg.ack, c.sndMax)) {
      if (!(f & Flag.RST)) sendRstFor(c, seg);
      c.host.stats.drop("tcpUnacceptable", "SYN-SENT: bad ACK");
      return;
    }
  }
  if (f & Flag.RST) {
    if (f & Flag.ACK) {
      c.fail("ECONNREFUSED", `connect ECONNREFUSED ${c.remoteAddress}:${c.remotePort}`);
    } else c.host.stats.drop("tcpUnacceptable", "SYN-SENT: RST without ACK");
    return;
  }
  if (!(f & Flag.SYN)) return;
  c.irs = seg.seq;
  c.rcvNxt = seqAdd(seg.seq, 1);
  adoptSynOptions(c, seg);
  c.rcvAdv = seqAdd(c.rcvNxt, Math.min(0xffff, c.receiveBuffer));
  if (f & Flag.ACK) {
    // Our SYN is acknowledged: ESTABLISHED. The SYN-ACK's window is not scaled (RFC 7323 2.2).
    c.sndUna = seg.ack;
    c.sndWnd = seg.window;
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = seg.seq;
    c.sndWl2 = seg.ack;
    takeHandshakeRtt(c, seg);
    c.backoffCount = 0;
    c.rtoTimer.clear();
    c.setState("ESTABLISHED");
    c.heard();
    if (c.keepAlive) c.keepAliveTimer.set(c.keepAliveIdle);
    sendAck(c);
    c.user?.onConnected();
    if (c.finQueued) { c.setState("FIN-WAIT-1"); }
    output(c);
    if (seg.data.length > 0 || seg.flags & Flag.FIN) receiveText(c, seg);
    return;
  }
  // Simultaneous open (RFC 9293 3.5, figure 8): SYN-RECEIVED, send SYN-ACK with our ISS.
  c.setState("SYN-RECEIVED");
  c.backoffCount = 0;
  sendSyn(c);
}

function takeHandshakeRtt(c: Connection, seg: Segment): void {
  const ecr = seg.options.tsEchoReply;
  if (c.tsOk && ecr !== undefined && ecr !== 0) {
    const rtt = seqDiff(c.tsNow(), ecr);
    if (rtt >= 0) c.rtt.sample(rtt);
  } else if (c.rttSeq !== undefined && c.backoffCount === 0) {
    c.rtt.sample(c.now - c.rttTime);
  }
  c.rttSeq = undefined;
}

/** RST for a segment that does not belong (RFC 9293 3.10.7.1 rules). */
export function sendRstFor(c: Connection, seg: Segment): void {
  if (seg.flags & Flag.ACK) sendControl(c, seg.ack, 0, Flag.RST);
  else sendControl(c, 0, seqAdd(seg.seq, segmentLength(seg)), Flag.RST | Flag.ACK);
  c.host.stats.count("tcp.rstSent");
}

/** RFC 5961: a rate-limited ACK that makes a blind attacker's guess fail harmlessly. */
function challengeAck(c: Connection): void {
  if (!c.host.challengeAllowed()) { c.host.stats.count("tcp.challengeAckLimited"); return; }
  c.host.stats.count("tcp.challengeAck");
  sendAck(c);
}

function synchronized(c: Connection, seg: Segment): void {
  const f = seg.flags;
  const len = segmentLength(seg);
  const o = seg.options;
  const rcvWnd = Math.max(0, seqDiff(c.rcvAdv, c.rcvNxt));
  // RFC 7323 5.3: PAWS before anything else (not for RST).
  if (c.tsOk && o.tsValue !== undefined && !(f & Flag.RST) && seqLt(o.tsValue, c.tsRecent)) {
    if (c.now - c.tsRecentAge > PAWS_IDLE) c.tsRecent = o.tsValue;
    else {
      c.host.stats.drop("tcpPaws", `${o.tsValue} < ${c.tsRecent}`);
      if (c.state !== "SYN-RECEIVED") sendAck(c);
      return;
    }
  }
  // First: the sequence number (RFC 9293 3.10.7.4, the four cases).
  let acceptable: boolean;
  if (len === 0) acceptable = rcvWnd === 0 ? seg.seq === c.rcvNxt : inWindow(seg.seq, c.rcvNxt, rcvWnd);
  else acceptable = rcvWnd > 0 && (inWindow(seg.seq, c.rcvNxt, rcvWnd) || inWindow(seqAdd(seg.seq, len - 1), c.rcvNxt, rcvWnd));
  if (f & Flag.RST) { rst(c, seg, rcvWnd); return; }
  if (c.state === "SYN-RECEIVED" && f & Flag.SYN && seg.seq === c.irs) {
    // Simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK acknowledges our SYN.
    if (f & Flag.ACK && seqLt(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndMax)) {
      c.sndWnd = seg.window; // a SYN's window is not scaled
      c.maxSndWnd = c.sndWnd;
      c.sndWl1 = seg.seq;
      c.sndWl2 = seg.ack;
      c.sndUna = seg.ack;
      c.backoffCount = 0;
      c.rtoTimer.clear();
      c.setState("ESTABLISHED");
      if (c.finQueued) c.setState("FIN-WAIT-1");
      sendAck(c);
      if (c.active) c.user?.onConnected();
      else c.host.established(c);
      if (!isClosed(c)) output(c);
      return;
    }
    // A retransmitted SYN: answer with our SYN-ACK again.
    if (!(f & Flag.ACK)) { sendSyn(c); return; }
  }
  // Fourth: SYN in a synchronized state, whatever its sequence number (RFC 5961 4.2): challenge ACK.
  if (f & Flag.SYN) {
    if (c.state === "SYN-RECEIVED" && !c.active) {
      // RFC 9293 3.10.7.4: a passive open goes back to LISTEN (here: the half-open TCB goes).
      c.terminate();
      return;
    }
    if (c.state === "TIME-WAIT") { sendAck(c); return; }
    challengeAck(c);
    return;
  }
  if (!acceptable) {
    c.host.stats.drop("tcpOutOfWindow", `${c.state} seq ${seg.seq} rcv.nxt ${c.rcvNxt} wnd ${rcvWnd}`);
    if (c.state === "TIME-WAIT" && f & Flag.FIN) c.stateTimer.set(c.host.config.timeWait);
    // Our ACK tells the sender what we expect (and answers keep-alive and window probes).
    sendAck(c);
    return;
  }
  c.heard();
  if (!(f & Flag.ACK)) { c.host.stats.drop("tcpNoAck"); return; }
  // Timestamps: TS.Recent (RFC 7323 4.3).
  if (c.tsOk && o.tsValue !== undefined && seqLeq(seg.seq, c.lastAckSent) && seqGeq(seqAdd(seg.seq, len), c.lastAckSent)) {
    c.tsRecent = o.tsValue;
    c.tsRecentAge = c.now;
  }
  // Fifth: the ACK.
  if (c.state === "SYN-RECEIVED") {
    if (seqLt(c.sndUna, seg.ack) && seqLeq(seg.ack, c.sndMax)) {
      c.sndWnd = seg.window * 2 ** c.sndWscale;
      c.maxSndWnd = c.sndWnd;
      c.sndWl1 = seg.seq;
      c.sndWl2 = seg.ack;
      takeHandshakeRtt(c, seg);
      c.sndUna = seg.ack;
      c.backoffCount = 0;
      c.rtoTimer.clear();
      c.setState("ESTABLISHED");
      if (c.finQueued) c.setState("FIN-WAIT-1");
      if (c.active) c.user?.onConnected();
      else c.host.established(c);
      if (isClosed(c)) return;
    } else {
      sendRstFor(c, seg);
      return;
    }
  } else if (!ack(c, seg)) return;
  if (isClosed(c)) return;
  // Orphans reset on new data (the user will never read it), as Linux.
  if (c.orphan && seg.data.length > 0 && seqGt(seqAdd(seg.seq, seg.data.length), c.rcvNxt) && (c.state === "FIN-WAIT-1" || c.state === "FIN-WAIT-2")) {
    c.host.stats.count("tcp.dataAfterClose");
    sendControl(c, c.sndNxt, 0, Flag.RST);
    c.terminate();
    return;
  }
  // Seventh and eighth: the text and FIN.
  if (seg.data.length > 0 || f & Flag.FIN) receiveText(c, seg);
  if (c.state !== "CLOSED" && c.state !== "TIME-WAIT") output(c);
}

function inWindow(seq: number, rcvNxt: number, wnd: number): boolean {
  return seqLeq(rcvNxt, seq) && seqLt(seq, seqAdd(rcvNxt, wnd));
}

/** RFC 5961 3.2: an RST counts only at exactly RCV.NXT; elsewhere in the window it draws a challenge ACK. */
function rst(c: Connection, seg: Segment, rcvWnd: number): void {
  const stats = c.host.stats;
  if (seg.seq !== c.rcvNxt) {
    if (inWindow(seg.seq, c.rcvNxt, Math.max(rcvWnd, 1))) challengeAck(c);
    else stats.drop("tcpOutOfWindow", "RST");
    return;
  }
  stats.count("tcp.rstReceived");
  switch (c.state) {
    case "SYN-RECEIVED":
      if (!c.active) { c.terminate(); return; }
      c.fail("ECONNREFUSED", `connect ECONNREFUSED ${c.remoteAddress}:${c.remotePort}`);
      return;
    case "ESTABLISHED": case "FIN-WAIT-1": case "FIN-WAIT-2": case "CLOSE-WAIT":
      c.fail("ECONNRESET", `read ECONNRESET ${c.remoteAddress}:${c.remotePort}`);
      return;
    default: // CLOSING, LAST-ACK, TIME-WAIT
      c.terminate();
  }
}

/** Process the ACK field in a synchronized state; return false when the segment is to be dropped. */
function ack(c: Connection, seg: Segment): boolean {
  const a = seg.ack;
  const now = c.now;
  // RFC 5961 5.2: an ACK too old or for data not yet sent is dropped with an ACK.
  if (seqGt(a, c.sndMax) || seqLt(a, seqAdd(c.sndUna, -Math.max(c.maxSndWnd, 1)))) {
    c.host.stats.drop("tcpAckUnacceptable", `ack ${a} una ${c.sndUna} max ${c.sndMax}`);
    challengeAck(c);
    return false;
  }
  if (c.state === "TIME-WAIT") {
    if (seg.flags & Flag.FIN) { sendAck(c); c.stateTimer.set(c.host.config.timeWait); }
    return false;
  }
  const o = seg.options;
  if (c.sackOk && o.sack !== undefined) c.scoreboard.update(c.sndUna, c.sndMax, o.sack);
  const oldWnd = c.sndWnd;
  // Window update (RFC 9293 3.10.7.4, SND.WL1/WL2).
  if (seqLt(c.sndWl1, seg.seq) || (c.sndWl1 === seg.seq && seqLeq(c.sndWl2, a))) {
    c.sndWnd = seg.window * 2 ** c.sndWscale;
    c.sndWl1 = seg.seq;
    c.sndWl2 = a;
    if (c.sndWnd > c.maxSndWnd) c.maxSndWnd = c.sndWnd;
    if (c.sndWnd > 0) { c.persistTimer.clear(); c.persistBackoff = 0; }
  }
  if (seqGt(a, c.sndUna)) newAck(c, seg, now);
  else if (c.inRecovery && c.sackOk) lostRetransmission(c);
  else if (a === c.sndUna) {
    // RFC 5681 2: a duplicate ACK carries no data, no SYN/FIN, the same window, with data outstanding.
    const dup = c.flightSize > 0 && seg.data.length === 0 && !(seg.flags & (Flag.SYN | Flag.FIN)) && c.sndWnd === oldWnd;
    if (dup) duplicateAck(c, now);
  }
  // FIN acknowledged: state changes (RFC 9293 3.10.7.4 fifth).
  if (c.finAckSeen) {
    switch (c.state) {
      case "FIN-WAIT-1": c.setState("FIN-WAIT-2"); break;
      case "CLOSING": c.setState("TIME-WAIT"); return false;
      case "LAST-ACK": c.terminate(); return false;
      default: break;
    }
  }
  return true;
}

function newAck(c: Connection, seg: Segment, now: number): void {
  const a = seg.ack;
  let acked = seqDiff(a, c.sndUna);
  // RTT (RFC 7323 4.1 with timestamps, else the timed segment; Karn's rule applies to the latter).
  const ecr = seg.options.tsEchoReply;
  let rttSample: number | undefined;
  if (c.tsOk && ecr !== undefined && ecr !== 0) {
    const r = seqDiff(c.tsNow(), ecr);
    if (r >= 0 && r < 10 * 60_000) rttSample = r;
  } else if (c.rttSeq !== undefined && seqGt(a, c.rttSeq)) {
    rttSample = now - c.rttTime;
    c.rttSeq = undefined;
  }
  if (rttSample !== undefined) c.rtt.sample(rttSample);
  if (c.finSeq !== undefined && seqGt(a, c.finSeq)) { c.finAckSeen = true; acked -= 1; }
  c.sendBuffer.consume(acked);
  const flight = c.flightSize;
  c.sndUna = a;
  // The new first hole may have been retransmitted already in this recovery: watch it from now on.
  c.unaRetransmitMark = c.inRecovery && seqLt(a, c.highRxt) ? c.sndMax : undefined;
  if (seqLt(c.sndNxt, a)) c.sndNxt = a;
  c.backoffCount = 0;
  if (c.inRecovery) {
    if (seqGeq(a, c.recoveryPoint)) {
      c.inRecovery = false;
      c.dupAcks = 0;
      c.cc.onExitRecovery(now);
      c.host.stats.count("tcp.recoveryExit");
    } else {
      c.cc.onRecoveryAck(acked, true, flight);
      if (!c.sackOk) {
        // RFC 6582 3.2 (5): a partial ACK retransmits the first unacknowledged segment.
        retransmit(c, c.sndUna, c.effectiveMss);
        c.dupAcks = 0;
      }
    }
  } else {
    c.dupAcks = 0;
    c.cc.onAck(acked, now, rttSample, flight);
  }
  // RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else restart it.
  if (c.flightSize === 0) c.rtoTimer.clear();
  else c.rtoTimer.set(c.rtt.rto);
  if (c.sackOk && !c.inRecovery) c.scoreboard.update(c.sndUna, c.sndMax, seg.options.sack ?? []);
  c.user?.onSendSpace();
}

/**
 * A retransmission of the first hole that was lost too (as Linux's RACK would see it): SACKs
 * cover more than three segments of data sent after it, yet SND.UNA has not moved. Resend it
 * rather than wait for the retransmission timer.
 */
function lostRetransmission(c: Connection): void {
  const mark = c.unaRetransmitMark;
  const top = c.scoreboard.highestSacked;
  if (mark === undefined || top === undefined) return;
  if (seqGt(top, seqAdd(mark, 3 * c.effectiveMss))) {
    c.host.stats.count("tcp.lostRetransmit");
    retransmit(c, c.sndUna, c.effectiveMss);
    c.unaRetransmitMark = c.sndMax;
  }
}

function duplicateAck(c: Connection, now: number): void {
  c.dupAcks++;
  c.host.stats.count("tcp.dupAck");
  if (c.inRecovery) return; // the output that follows sends what the pipe allows
  // RFC 5827 early retransmit: with fewer than four segments outstanding and nothing new to
  // send, fewer duplicate ACKs are enough (one less than the segments outstanding).
  const mss = c.effectiveMss;
  const outstanding = Math.ceil(c.flightSize / mss);
  const nothingNew = c.sendBuffer.length <= seqDiff(c.sndMax, c.sndUna) || c.sndWnd <= c.flightSize;
  const threshold = outstanding < 4 && nothingNew ? Math.max(1, outstanding - 1) : 3;
  const lost = c.sackOk ? c.dupAcks >= threshold || c.scoreboard.isLost(c.sndUna) : c.dupAcks === threshold;
  // RFC 6582 3.2 (2): not again for losses of data sent before the last recovery ended.
  // RFC 6582 3.2 (2) and RFC 6675 5: not again for data sent before the last recovery point.
  if (!lost || seqLt(c.sndUna, c.recoveryPoint)) return;
  c.inRecovery = true;
  c.recoveryPoint = c.sndMax;
  c.highRxt = c.sndUna;
  c.rescueRxt = undefined;
  c.host.stats.count("tcp.fastRetransmit");
  c.cc.onEnterRecovery(now, c.flightSize);
  // Fast retransmit of the first unacknowledged segment (RFC 5681 3.2; RFC 6675 5 (4.3)).
  retransmit(c, c.sndUna, c.effectiveMss);
  c.rtoTimer.set(c.rtt.rto);
}

/** Seventh and eighth steps: in-order data to the user, out-of-order data queued, FIN. */
export function receiveText(c: Connection, seg: Segment): void {
  const s = c.state;
  if (s !== "ESTABLISHED" && s !== "FIN-WAIT-1" && s !== "FIN-WAIT-2") {
    // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: a FIN was already received; ignore the text.
    if (seg.flags & Flag.FIN) sendAck(c);
    return;
  }
  let seq = seg.seq;
  let data = seg.data;
  // Trim what is before RCV.NXT and beyond the window.
  const before = seqDiff(c.rcvNxt, seq);
  if (before > 0) {
    if (before >= data.length) { data = data.subarray(data.length); seq = c.rcvNxt; }
    else { data = data.subarray(before); seq = c.rcvNxt; }
  }
  const wnd = Math.max(0, seqDiff(c.rcvAdv, c.rcvNxt));
  const room = seqDiff(seqAdd(c.rcvNxt, wnd), seq);
  let fin = (seg.flags & Flag.FIN) !== 0;
  if (data.length > room) { data = data.subarray(0, Math.max(0, room)); fin = false; }
  if (seq !== c.rcvNxt) {
    // Out of order: queue it (bounded) and ACK at once with SACK blocks (RFC 5681 4.2).
    if (data.length > 0 && !c.outOfOrder.insert(seq, data)) c.host.stats.drop("tcpOutOfOrderFull");
    if (fin) c.outOfOrder.finSeq = seqAdd(seq, data.length);
    c.host.stats.count("tcp.outOfOrder");
    sendAck(c);
    return;
  }
  const filledGap = c.outOfOrder.count > 0;
  if (data.length > 0) deliver(c, data);
  // Data that now continues in order.
  if (filledGap) {
    for (const piece of c.outOfOrder.take(c.rcvNxt)) deliver(c, piece);
    if (c.outOfOrder.finSeq !== undefined && c.outOfOrder.finSeq === c.rcvNxt) fin = true;
  }
  if (fin) { receiveFin(c); return; }
  if (filledGap) sendAck(c);
  else if (data.length > 0) c.ackLater();
}

function deliver(c: Connection, data: Uint8Array): void {
  c.rcvNxt = seqAdd(c.rcvNxt, data.length);
  if (seqLt(c.rcvAdv, c.rcvNxt)) c.rcvAdv = c.rcvNxt;
  c.host.stats.count("tcp.bytesIn", data.length);
  c.user?.onData(Buffer.from(data));
}

function receiveFin(c: Connection): void {
  c.rcvNxt = seqAdd(c.rcvNxt, 1);
  c.rcvAdv = seqMax(c.rcvAdv, c.rcvNxt);
  c.finReceived = true;
  c.outOfOrder.clear();
  sendAck(c);
  c.user?.onEnd();
  switch (c.state) {
    case "ESTABLISHED": c.setState("CLOSE-WAIT"); break;
    case "FIN-WAIT-1":
      if (c.finAckSeen) c.setState("TIME-WAIT");
      else c.setState("CLOSING");
      break;
    case "FIN-WAIT-2": c.setState("TIME-WAIT"); break;
    default: break;
  }
}

/** Whether the connection is CLOSED (a function: the state changes under calls TypeScript cannot see). */
function isClosed(c: Connection): boolean {
  return c.state === "CLOSED";
}
