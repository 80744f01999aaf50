/**
 * The congestion controls driven through a synthetic bottleneck on virtual time: senders that
 * use the RTT estimator, the congestion control and the SACK scoreboard the way a TCP sender
 * does (RFC 6675 recovery, RFC 6298 timer), a drop-tail queue served at a fixed rate, a fixed
 * propagation delay, and receivers that ACK every segment with up to three SACK blocks. The
 * assertions are about behaviour: utilisation, the saw-tooth, fairness between flows, and
 * CUBIC's faster return to W_max after a loss at a large bandwidth-delay product.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { congestionControls, type CongestionControl, type CongestionControlName } from "./congestion.js";
import { RttEstimator } from "./rtt.js";
import { SackScoreboard } from "./scoreboard.js";
import { Cubic } from "./cubic.js";
import { ProportionalRateReduction } from "./prr.js";

const MSS = 1000;

interface Packet { flow: number; seq: number; sentAt: number }
interface Ack { flow: number; ack: number; blocks: Array<[number, number]>; echo: number }
type Event =
  | { kind: "depart" }
  | { kind: "arrive"; packet: Packet }
  | { kind: "ack"; ack: Ack }
  | { kind: "rto"; flow: number; token: number }
  | { kind: "start"; flow: number };

/** A binary min-heap of events by time, FIFO among equal times. */
class Agenda {
  private readonly items: Array<{ time: number; order: number; event: Event }> = [];
  private order = 0;
  push(time: number, event: Event): void {
    const items = this.items;
    items.push({ time, order: this.order++, event });
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop(): { time: number; event: Event } | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const x = this.items[a];
    const y = this.items[b];
    return x.time < y.time || (x.time === y.time && x.order < y.order);
  }
}

/** One bulk TCP flow's sender (with SACK, RFC 6675; without, RFC 5681/6582) and receiver. */
class Flow {
  readonly cc: CongestionControl;
  readonly rtt = new RttEstimator({ minRto: 200 });
  readonly board = new SackScoreboard(MSS);
  sndUna = 0;
  sndNxt = 0;
  sndMax = 0;
  highRxt = 0;
  recoveryPoint = 0;
  inRecovery = false;
  rescue: number | undefined = undefined;
  dupAcks = 0;
  rtoToken = 0;
  started = false;
  // Receiver.
  rcvNxt = 0;
  readonly outOfOrder = new Set<number>();
  // Records.
  delivered = 0;
  recoveries = 0;
  timeouts = 0;
  readonly trace: Array<{ t: number; cwnd: number; delivered: number }> = [];
  /** When recovery was entered, the cwnd just before, and W_max after (CUBIC's, or that cwnd). */
  readonly losses: Array<{ t: number; cwnd: number; wMax: number }> = [];
  /** When retransmission timers expired. */
  readonly timeoutTimes: number[] = [];

  /** RFC 6937 PRR in SACK recovery, and the bytes it allows on the current ACK. */
  readonly prr: ProportionalRateReduction | undefined;
  budget = 0;

  constructor(readonly id: number, readonly algorithm: CongestionControlName, readonly startAt: number, readonly sack = true, prr = false) {
    this.cc = congestionControls[algorithm](MSS);
    this.prr = prr && sack ? new ProportionalRateReduction(MSS) : undefined;
  }
}

interface PathOptions {
  /** Bottleneck rate in bytes per millisecond (1250 = 10 Mbit/s). */
  readonly rate: number;
  /** Round-trip propagation delay in ms (split evenly both ways). */
  readonly rtt: number;
  /** Drop-tail queue capacity in packets. */
  readonly queue: number;
  /** Simulated time in ms. */
  readonly duration: number;
  /** Trace cwnd every this many ms. */
  readonly sampleEvery?: number;
}

/** Run flows through one bottleneck; returns them with their records. */
function simulate(path: PathOptions, flows: Flow[]): { flows: Flow[]; drops: number } {
  const agenda = new Agenda();
  const oneWay = path.rtt / 2;
  const serviceTime = MSS / path.rate;
  const queue: Packet[] = [];
  let head = 0;
  let busy = false;
  let drops = 0;
  let now = 0;

  const enqueue = (packet: Packet): void => {
    if (queue.length - head >= path.queue) {
      drops++;
      return;
    }
    queue.push(packet);
    if (!busy) {
      busy = true;
      agenda.push(now + serviceTime, { kind: "depart" });
    }
  };

  const transmit = (f: Flow, seq: number): void => enqueue({ flow: f.id, seq, sentAt: now });

  const armRto = (f: Flow): void => {
    f.rtoToken++;
    if (f.sndMax !== f.sndUna) agenda.push(now + f.rtt.rto, { kind: "rto", flow: f.id, token: f.rtoToken });
  };

  /** Send what the window allows: RFC 6675 NextSeg in recovery, else new data up to cwnd. */
  const output = (f: Flow): void => {
    const wasIdle = f.sndMax === f.sndUna;
    if (f.inRecovery && f.sack) {
      for (let guard = 0; guard < 10_000; guard++) {
        if (f.prr !== undefined) {
          if (f.budget < MSS) break; // RFC 6937: sndcnt for this ACK
        } else if (f.cc.cwnd - f.board.pipe(f.sndUna, f.sndMax, f.highRxt, f.rescue) < MSS) {
          break; // RFC 6675: cwnd - pipe
        }
        const next = f.board.nextSeg(f.sndUna, f.sndMax, f.highRxt, MSS);
        if (next === undefined) break;
        transmit(f, next.seq);
        f.budget -= next.end - next.seq;
        f.prr?.onSend(next.end - next.seq);
        if (next.rule === 2) f.sndMax = f.sndNxt = next.end;
        else if (next.rule === 4) f.rescue = next.seq;
        else f.highRxt = next.end;
      }
    } else {
      while (f.sndNxt - f.sndUna + MSS <= f.cc.cwnd) {
        transmit(f, f.sndNxt);
        f.sndNxt += MSS;
        if (f.sndNxt > f.sndMax) f.sndMax = f.sndNxt;
      }
    }
    if (wasIdle && f.sndMax !== f.sndUna) armRto(f);
  };

  const receive = (packet: Packet): void => {
    const f = flows[packet.flow];
    if (packet.seq === f.rcvNxt) {
      f.rcvNxt += MSS;
      f.delivered += MSS;
      while (f.outOfOrder.delete(f.rcvNxt)) {
        f.rcvNxt += MSS;
        f.delivered += MSS;
      }
    } else if (packet.seq > f.rcvNxt) {
      f.outOfOrder.add(packet.seq);
    }
    // SACK blocks (RFC 2018): the block holding this segment first, then the highest others.
    const blocks: Array<[number, number]> = [];
    if (f.sack && f.outOfOrder.size > 0) {
      const sorted = [...f.outOfOrder].sort((a, b) => a - b);
      const ranges: Array<[number, number]> = [];
      for (const s of sorted) {
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last[1] === s) last[1] = s + MSS;
        else ranges.push([s, s + MSS]);
      }
      const mine = ranges.findIndex(([a, b]) => packet.seq >= a && packet.seq < b);
      if (mine >= 0) blocks.push(ranges[mine]);
      for (let i = ranges.length - 1; i >= 0 && blocks.length < 3; i--) if (i !== mine) blocks.push(ranges[i]);
    }
    agenda.push(now + oneWay, { kind: "ack", ack: { flow: f.id, ack: f.rcvNxt, blocks, echo: packet.sentAt } });
  };

  const enterRecovery = (f: Flow): void => {
    const cwnd = f.cc.cwnd;
    f.recoveries++;
    f.inRecovery = true;
    f.recoveryPoint = f.sndMax;
    f.highRxt = f.sndUna + MSS;
    f.rescue = undefined;
    f.cc.onEnterRecovery(now, f.sndMax - f.sndUna, f.sack);
    f.losses.push({ t: now, cwnd, wMax: f.cc instanceof Cubic ? f.cc.wMax ?? cwnd : cwnd });
    if (f.prr === undefined) {
      transmit(f, f.sndUna); // fast retransmit (RFC 5681 3.2, RFC 6675 5 (4.3))
      return;
    }
    // With PRR the fast retransmit is the first segment its first sndcnt allows (NextSeg rule 1).
    f.highRxt = f.sndUna;
    f.prr.start(f.cc.ssthresh, f.sndMax - f.sndUna);
  };

  const onAck = (f: Flow, a: Ack): void => {
    const una = f.sndUna;
    const sacked = f.board.sackedBytes;
    if (a.ack > f.sndUna) {
      const acked = a.ack - f.sndUna;
      const flight = f.sndMax - f.sndUna;
      f.rtt.sample(now - a.echo); // timestamps (RFC 7323 RTTM): every ACK is a sample
      f.sndUna = a.ack;
      if (f.sndNxt < f.sndUna) f.sndNxt = f.sndUna;
      f.dupAcks = 0;
      if (f.sack) f.board.update(f.sndUna, f.sndMax, a.blocks);
      if (f.inRecovery) {
        if (f.sndUna >= f.recoveryPoint) {
          f.inRecovery = false;
          f.cc.onExitRecovery(now, f.sndMax - f.sndUna);
        } else {
          f.cc.onRecoveryAck(acked, true, f.sndMax - f.sndUna);
          if (!f.cc.inRecovery) {
            f.inRecovery = false; // plain Reno: recovery ends at the first new ACK
            f.recoveryPoint = f.sndUna;
          } else if (!f.sack) {
            transmit(f, f.sndUna); // RFC 6582 3.2 (3): retransmit the next hole at once
          }
        }
      } else {
        f.cc.onAck(acked, now, f.rtt.srtt, flight);
      }
      armRto(f);
    } else if (f.sndMax > f.sndUna) {
      if (f.sack) f.board.update(f.sndUna, f.sndMax, a.blocks);
      f.dupAcks++;
      if (f.inRecovery && !f.sack) f.cc.onDupAck?.(); // RFC 5681 3.2 (4): inflate
    }
    if (!f.inRecovery && f.sndUna >= f.recoveryPoint) {
      if (f.sack ? f.dupAcks >= 3 || f.board.isLost(f.sndUna) : f.dupAcks === 3) enterRecovery(f);
    }
    if (f.inRecovery && f.prr !== undefined) {
      // RFC 6937 DeliveredData: the advance of SND.UNA plus the change of the SACKed bytes.
      const delivered = f.sndUna - una + f.board.sackedBytes - sacked;
      f.budget = f.prr.onAck(delivered, f.board.pipe(f.sndUna, f.sndMax, f.highRxt, f.rescue));
    }
    output(f);
  };

  const onTimeout = (f: Flow): void => {
    f.timeouts++;
    f.timeoutTimes.push(now);
    f.cc.onRetransmitTimeout(now, f.sndMax - f.sndUna);
    f.rtt.backoff();
    f.inRecovery = false;
    f.recoveryPoint = f.sndMax;
    if (f.sack) f.board.reset(f.sndUna);
    f.sndNxt = f.sndUna; // go back N
    armRto(f);
    output(f);
  };

  for (const f of flows) agenda.push(f.startAt, { kind: "start", flow: f.id });
  const every = path.sampleEvery ?? 100;
  for (let t = 0; t <= path.duration; t += every) agenda.push(t, { kind: "start", flow: -1 });
  for (let steps = 0; steps < 50_000_000; steps++) {
    const next = agenda.pop();
    if (next === undefined || next.time > path.duration) break;
    now = next.time;
    const e = next.event;
    switch (e.kind) {
      case "depart": {
        const packet = queue[head++];
        if (head > 4096) { queue.splice(0, head); head = 0; }
        agenda.push(now + oneWay, { kind: "arrive", packet });
        if (queue.length - head > 0) agenda.push(now + serviceTime, { kind: "depart" });
        else busy = false;
        break;
      }
      case "arrive": receive(e.packet); break;
      case "ack": onAck(flows[e.ack.flow], e.ack); break;
      case "rto": {
        const f = flows[e.flow];
        if (e.token === f.rtoToken && f.sndMax !== f.sndUna) onTimeout(f);
        break;
      }
      case "start":
        if (e.flow < 0) {
          for (const f of flows) if (f.started) f.trace.push({ t: now, cwnd: f.cc.cwnd, delivered: f.delivered });
        } else {
          flows[e.flow].started = true;
          output(flows[e.flow]);
        }
        break;
    }
  }
  return { flows, drops };
}

/** The share of the bottleneck's capacity over the whole run that `delivered` bytes used. */
function utilisation(path: PathOptions, delivered: number): number {
  return delivered / (path.rate * path.duration);
}

/** Jain's fairness index of some throughputs: 1 when equal, 1/n when one takes everything. */
function jain(xs: number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return (sum * sum) / (xs.length * squares);
}

const NAMES: CongestionControlName[] = ["reno", "newreno", "cubic"];

test("one flow fills a 10 Mbit/s, 40 ms bottleneck with a one-BDP queue, in a saw-tooth", () => {
  // BDP = 1250 B/ms * 40 ms = 50 segments; queue 50 packets.
  const path: PathOptions = { rate: 1250, rtt: 40, queue: 50, duration: 30_000 };
  for (const name of NAMES) {
    const { flows: [f], drops } = simulate(path, [new Flow(0, name, 0)]);
    const u = utilisation(path, f.delivered);
    assert.ok(u > 0.9, `${name}: utilisation ${u.toFixed(3)}`);
    assert.ok(drops > 0 && f.recoveries >= 3, `${name}: ${f.recoveries} recoveries, ${drops} drops`);
    // Slow start's overshoot (twice the capacity) may cost a retransmission time-out: lost
    // retransmissions have no other repair here. Later losses are repaired by SACK recovery.
    assert.ok(f.timeoutTimes.every((t) => t < 2000), `${name}: time-outs at ${f.timeoutTimes.join(", ")} ms`);
    // The saw-tooth: each loss happens near the path's capacity (BDP + queue = 100 segments)
    // and the window falls by beta (0.5 Reno, 0.7 CUBIC), then climbs back.
    const beta = name === "cubic" ? 0.7 : 0.5;
    const steady = f.losses.filter((l) => l.t > 2000); // after slow start's overshoot is repaired
    assert.ok(steady.length >= 3);
    for (const loss of steady) {
      assert.ok(loss.cwnd >= 85 * MSS && loss.cwnd <= 140 * MSS, `${name}: loss at cwnd ${loss.cwnd}`);
    }
    const after = f.trace.filter((p) => p.t > 5000).map((p) => p.cwnd);
    const low = Math.min(...after);
    const high = Math.max(...after);
    assert.ok(low < high * (beta + 0.15), `${name}: cwnd between ${low} and ${high}`);
    assert.ok(low > high * (beta - 0.25), `${name}: cwnd between ${low} and ${high}`);
  }
});

test("without SACK: NewReno repairs slow start's many losses in one recovery, plain Reno times out", () => {
  // Slow start overshoots to ~200 segments on a path holding 100: about 100 losses in one window.
  const path: PathOptions = { rate: 1250, rtt: 40, queue: 50, duration: 30_000 };
  const runs = Object.fromEntries(NAMES.map((name) => [name, simulate(path, [new Flow(0, name, 0, false)]).flows[0]]));
  // RFC 6582: one hole per round trip on partial ACKs, the window inflated by each duplicate ACK
  // (the inflation dwarfs the real window during that long recovery) and deflated at its end.
  assert.equal(runs.newreno.timeouts, 0);
  assert.equal(runs.cubic.timeouts, 0);
  assert.ok(runs.newreno.trace.some((p) => p.t < 6000 && p.cwnd > 1000 * MSS));
  // RFC 5681 alone: the first partial ACK ends recovery; the next losses lack three duplicates.
  assert.ok(runs.reno.timeouts >= 1 && runs.reno.timeoutTimes[0] < 2000, `reno: ${runs.reno.timeouts} time-outs`);
  for (const name of NAMES) {
    const f = runs[name];
    const u = utilisation(path, f.delivered);
    assert.ok(u > 0.9, `${name}: utilisation ${u.toFixed(3)}`);
    // After the start, each loss is a single one, repaired in one recovery without a time-out.
    assert.ok(f.timeoutTimes.every((t) => t < 2000), `${name}: time-outs at ${f.timeoutTimes.join(", ")}`);
    const steady = f.losses.filter((l) => l.t > 10_000);
    assert.ok(steady.length >= 3 && steady.every((l) => l.cwnd >= 85 * MSS && l.cwnd <= 140 * MSS), `${name}: ${steady.map((l) => l.cwnd).join(", ")}`);
  }
});

test("two flows of the same algorithm share the bottleneck (Jain's index), the late one catching up", () => {
  const path: PathOptions = { rate: 1250, rtt: 40, queue: 50, duration: 60_000 };
  for (const name of NAMES) {
    const { flows } = simulate(path, [new Flow(0, name, 0), new Flow(1, name, 5000)]);
    // Throughput over the last 30 s.
    const late = flows.map((f) => f.delivered - f.trace.find((p) => p.t >= 30_000)!.delivered);
    const index = jain(late);
    const u = (late[0] + late[1]) / (path.rate * 30_000);
    assert.ok(index > 0.9, `${name}: Jain's index ${index.toFixed(3)} (${late.map((x) => (x / 1e6).toFixed(1)).join(" / ")} MB)`);
    assert.ok(u > 0.9, `${name}: utilisation ${u.toFixed(3)}`);
  }
});

test("at a large BDP CUBIC returns to W_max after a loss far sooner than Reno", () => {
  // 20 Mbit/s, 100 ms: BDP = 250 segments, queue 25: losses near 275 segments.
  const path: PathOptions = { rate: 2500, rtt: 100, queue: 25, duration: 60_000 };
  const regain: Record<string, number[]> = {};
  const used: Record<string, number> = {};
  for (const name of ["newreno", "cubic"] as const) {
    const { flows: [f] } = simulate(path, [new Flow(0, name, 0)]);
    // Losses from congestion avoidance (the first ends slow start), with a next one to bound them:
    // how long cwnd takes to regain 95% of W_max (Reno: the window at the loss).
    regain[name] = [];
    for (let i = 1; i < f.losses.length - 1; i++) {
      const loss = f.losses[i];
      const back = f.trace.find((p) => p.t > loss.t + 200 && p.cwnd >= 0.95 * loss.wMax);
      if (back !== undefined && back.t < f.losses[i + 1].t) regain[name].push(back.t - loss.t);
    }
    used[name] = utilisation(path, f.delivered);
    assert.ok(regain[name].length >= 2, `${name}: ${f.losses.length} losses: ${f.losses.map((l) => l.t).join(", ")}`);
    assert.equal(f.timeouts, 0);
  }
  // Reno climbs back from half of ~275 segments at one segment per 100 ms: ~13.7 s.
  for (const t of regain.newreno) assert.ok(t > 11_000 && t < 16_000, `newreno regains in ${t} ms`);
  // CUBIC: K = cbrt(W_max (1 - 0.7) / 0.4) = cbrt(0.75 * 275) = 5.9 s, less with fast convergence
  // (W_max lowered to 0.85 of the window); cwnd is within 5% of the plateau before K.
  for (const t of regain.cubic) assert.ok(t < 6_000, `cubic regains in ${t} ms`);
  assert.ok(Math.max(...regain.cubic) < Math.min(...regain.newreno) / 2);
  assert.ok(used.cubic > used.newreno, `utilisation: cubic ${used.cubic.toFixed(3)}, newreno ${used.newreno.toFixed(3)}`);
});

test("RFC 6937 PRR: after slow start overshoots a large BDP, recovery keeps the pipe near ssthresh", () => {
  // 50 Mbit/s, 100 ms (625 segments), a 300-packet queue: slow start reaches ~1240 segments and
  // loses ~300 in one window. RFC 6675 with cwnd = ssthresh sends nothing while the pipe is above
  // ssthresh, then all at once; here it ends in a retransmission time-out. PRR spreads the sending
  // over the recovery and, with the slow start reduction bound, rebuilds the pipe to ssthresh.
  const path: PathOptions = { rate: 6250, rtt: 100, queue: 300, duration: 30_000 };
  const plain = simulate(path, [new Flow(0, "newreno", 0, true, false)]).flows[0];
  const prr = simulate(path, [new Flow(0, "newreno", 0, true, true)]).flows[0];
  assert.ok(prr.timeouts === 0, `PRR: ${prr.timeouts} time-outs`);
  assert.ok(plain.timeouts >= 1, `RFC 6675 alone: ${plain.timeouts} time-outs`);
  const withPrr = utilisation(path, prr.delivered);
  const without = utilisation(path, plain.delivered);
  assert.ok(withPrr > 0.9 && withPrr > 2 * without, `utilisation with PRR ${withPrr.toFixed(3)}, without ${without.toFixed(3)}`);
});
