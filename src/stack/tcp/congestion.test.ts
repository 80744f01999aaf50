import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { WirecraftError } from "../../errors.js";
import { congestionControls, initialWindow, INFINITE_SSTHRESH, type CongestionControl, type CongestionControlName } from "./congestion.js";
import { NewReno, Reno } from "./reno.js";

const MSS = 1000;

/**
 * One round trip in which the sender has a full window out and the receiver ACKs it `perAck`
 * bytes at a time (the last ACK takes the remainder).
 */
function roundTrip(cc: CongestionControl, perAck: number, now = 0, rtt = 100): void {
  const window = cc.cwnd;
  for (let acked = 0; acked < window; acked += perAck) cc.onAck(Math.min(perAck, window - acked), now, rtt, window);
}

/** Grow cwnd in slow start to `target` bytes (a sender with that much out). */
function grow<T extends CongestionControl>(cc: T, target: number): T {
  while (cc.cwnd < target) cc.onAck(Math.min(2 * MSS, target - cc.cwnd), 0, 100, cc.cwnd);
  assert.equal(cc.cwnd, target);
  return cc;
}

/** A controller whose ssthresh is `ssthresh` and cwnd = ssthresh, out of recovery. */
function inAvoidance(cc: CongestionControl, ssthresh: number): CongestionControl {
  grow(cc, 2 * ssthresh);
  cc.onEnterRecovery(0, 2 * ssthresh);
  cc.onExitRecovery(0);
  assert.equal(cc.ssthresh, ssthresh);
  assert.equal(cc.cwnd, ssthresh);
  return cc;
}

test("RFC 6928 initial window: min(10*MSS, max(2*MSS, 14600))", () => {
  assert.equal(initialWindow(1460), 14600);
  assert.equal(initialWindow(536), 5360);
  assert.equal(initialWindow(1000), 10000);
  assert.equal(initialWindow(4000), 14600);
  assert.equal(initialWindow(9000), 18000);
  for (const name of ["reno", "newreno", "cubic"] as const) {
    const cc = congestionControls[name](1460);
    assert.equal(cc.name, name);
    assert.equal(cc.cwnd, 14600);
    assert.equal(cc.ssthresh, INFINITE_SSTHRESH);
    assert.equal(cc.inRecovery, false);
  }
  assert.notEqual(congestionControls.reno(1000), congestionControls.reno(1000)); // one state per connection
});

test("slow start doubles cwnd per RTT, with an ACK per segment and with delayed ACKs (ABC)", () => {
  const perSegment = new NewReno(MSS);
  const delayed = new NewReno(MSS);
  const windows: number[] = [];
  for (let round = 0; round < 4; round++) {
    roundTrip(perSegment, MSS);
    roundTrip(delayed, 2 * MSS);
    windows.push(perSegment.cwnd);
    assert.equal(delayed.cwnd, perSegment.cwnd);
  }
  assert.deepEqual(windows, [20000, 40000, 80000, 160000]);
});

test("RFC 3465: a stretch ACK grows cwnd by at most L = 2*SMSS in slow start", () => {
  const cc = new Reno(MSS);
  cc.onAck(10 * MSS, 0, undefined, 10 * MSS);
  assert.equal(cc.cwnd, 12000);
});

test("the window does not grow while the sender uses less than half of it (application-limited)", () => {
  const cc = new Reno(MSS);
  cc.onAck(1000, 0, undefined, 2000); // 2*(2000 + 1000) = 6000 < 10000: not cwnd-limited
  assert.equal(cc.cwnd, 10000);
  cc.onAck(1000, 0, undefined, 4000); // 2*(4000 + 1000) = 10000: grows
  assert.equal(cc.cwnd, 11000);
});

test("congestion avoidance adds one SMSS per RTT (RFC 5681 3.1 with RFC 3465 byte counting)", () => {
  const cc = inAvoidance(new NewReno(MSS), 20000);
  const windows: number[] = [];
  for (let round = 0; round < 3; round++) {
    roundTrip(cc, MSS);
    windows.push(cc.cwnd);
  }
  assert.deepEqual(windows, [21000, 22000, 23000]);
  // Delayed ACKs: the same per RTT.
  roundTrip(cc, 2 * MSS); // 23000 bytes in 11 ACKs of 2000 and one of 1000: one SMSS
  assert.equal(cc.cwnd, 24000);
  // Less than a window of ACKs: no growth.
  const slow = inAvoidance(new NewReno(MSS), 20000);
  for (let i = 0; i < 19; i++) slow.onAck(MSS, 0, 100, 20000);
  assert.equal(slow.cwnd, 20000);
  slow.onAck(MSS, 0, 100, 20000);
  assert.equal(slow.cwnd, 21000);
});

test("slow start stops at ssthresh; the rest of that ACK counts toward congestion avoidance", () => {
  const cc = grow(new NewReno(MSS), 38000);
  cc.onRetransmitTimeout(0, 38000); // ssthresh 19000, cwnd 1000
  cc.onAck(MSS, 0, 100, cc.cwnd);
  for (let i = 0; i < 8; i++) cc.onAck(2 * MSS, 0, 100, cc.cwnd);
  assert.equal(cc.cwnd, 18000);
  cc.onAck(2 * MSS, 0, 100, cc.cwnd); // 1000 to reach ssthresh, 1000 toward the next SMSS
  assert.equal(cc.cwnd, 19000);
  for (let i = 0; i < 17; i++) cc.onAck(MSS, 0, 100, cc.cwnd); // 1000 + 17000 < 19000
  assert.equal(cc.cwnd, 19000);
  cc.onAck(MSS, 0, 100, cc.cwnd); // 19000 acknowledged in avoidance: + SMSS
  assert.equal(cc.cwnd, 20000);
});

test("fast recovery without SACK: NewReno inflates, deflates on partial ACKs and exits per RFC 6582", () => {
  const cc = grow(new NewReno(MSS), 20000);
  // Three duplicate ACKs with 20 segments outstanding: ssthresh = 20000/2, cwnd = ssthresh + 3*SMSS.
  cc.onEnterRecovery(0, 20000);
  assert.equal(cc.ssthresh, 10000);
  assert.equal(cc.cwnd, 13000);
  assert.equal(cc.inRecovery, true);
  // RFC 5681 3.2 step 4: five more duplicates, +SMSS each.
  for (let i = 0; i < 5; i++) cc.onDupAck();
  assert.equal(cc.cwnd, 18000);
  // A partial ACK of 3 segments: deflate by 3000, add back SMSS: 18000 - 3000 + 1000 = 16000.
  cc.onRecoveryAck(3000, true, 17000);
  assert.equal(cc.cwnd, 16000);
  assert.equal(cc.inRecovery, true);
  // A partial ACK of less than SMSS: deflate only: 16000 - 500.
  cc.onRecoveryAck(500, true, 16500);
  assert.equal(cc.cwnd, 15500);
  // A non-partial recovery ACK does not change cwnd; onExitRecovery does.
  cc.onRecoveryAck(2000, false, 4000);
  assert.equal(cc.cwnd, 15500);
  // Full ACK with 4000 still out: min(ssthresh, max(4000, SMSS) + SMSS) = min(10000, 5000).
  cc.onExitRecovery(0, 4000);
  assert.equal(cc.cwnd, 5000);
  assert.equal(cc.inRecovery, false);
  // Or, without the flight size, cwnd = ssthresh (RFC 6582 3.2 step 3 (2)).
  const other = grow(new NewReno(MSS), 20000);
  other.onEnterRecovery(0, 20000);
  other.onExitRecovery(0);
  assert.equal(other.cwnd, 10000);
  // With a large flight still out, the ssthresh bound applies: min(10000, 30000 + 1000).
  const third = grow(new NewReno(MSS), 20000);
  third.onEnterRecovery(0, 20000);
  third.onExitRecovery(0, 30000);
  assert.equal(third.cwnd, 10000);
});

test("plain Reno ends recovery at the first ACK of new data (RFC 5681 3.2 step 6)", () => {
  const cc = grow(new Reno(MSS), 20000);
  cc.onEnterRecovery(0, 20000);
  cc.onDupAck();
  assert.equal(cc.cwnd, 14000);
  cc.onRecoveryAck(3000, true, 17000);
  assert.equal(cc.inRecovery, false);
  assert.equal(cc.cwnd, 10000);
  // The next loss in the same window halves again: that is Reno's weakness NewReno removes.
  // (17000 bytes are outstanding, but the reduction starts from at most cwnd, 10000.)
  cc.onEnterRecovery(0, 17000);
  assert.equal(cc.ssthresh, 5000);
});

test("fast recovery with SACK (RFC 6675): cwnd = ssthresh throughout, no inflation or deflation", () => {
  for (const name of ["reno", "newreno"] as const) {
    const cc = grow(congestionControls[name](MSS), 20000);
    cc.onEnterRecovery(0, 20000, true);
    assert.equal(cc.cwnd, 10000);
    cc.onDupAck?.();
    cc.onRecoveryAck(3000, true, 17000);
    assert.equal(cc.cwnd, 10000);
    assert.equal(cc.inRecovery, true);
    cc.onExitRecovery(0);
    assert.equal(cc.cwnd, 10000);
  }
});

test("ssthresh is at least 2*SMSS", () => {
  const cc = new NewReno(MSS);
  cc.onEnterRecovery(0, 3000);
  assert.equal(cc.ssthresh, 2000);
  assert.equal(cc.cwnd, 5000);
  cc.onExitRecovery(0);
  cc.onEnterRecovery(0, Number.NaN); // a nonsense flight size counts as 0
  assert.equal(cc.ssthresh, 2000);
});

test("RFC 5681 7 time-out: cwnd = 1 SMSS, ssthresh halved once and held on repeated time-outs", () => {
  const cc = grow(new NewReno(MSS), 40000);
  cc.onEnterRecovery(0, 40000);
  cc.onRetransmitTimeout(0, 40000); // a time-out in recovery ends it; ssthresh already reduced
  assert.equal(cc.inRecovery, false);
  assert.deepEqual([cc.cwnd, cc.ssthresh], [1000, 20000]);
  cc.onRetransmitTimeout(0, 1000); // the retransmission timed out again: ssthresh held
  assert.deepEqual([cc.cwnd, cc.ssthresh], [1000, 20000]);
  cc.onAck(1000, 0, 100, 1000); // slow start again
  assert.equal(cc.cwnd, 2000);
  grow(cc, 6000);
  cc.onRetransmitTimeout(0, 6000); // a new episode
  assert.deepEqual([cc.cwnd, cc.ssthresh], [1000, 3000]);
});

test("the reduction starts from FlightSize capped at cwnd; a time-out outside recovery halves", () => {
  const cc = grow(new NewReno(MSS), 30000);
  cc.onEnterRecovery(0, 500_000); // data held beyond a hole counts as outstanding, not as sending rate
  assert.equal(cc.ssthresh, 15000);
  const app = grow(new NewReno(MSS), 30000);
  app.onEnterRecovery(0, 8000); // an application-limited sender: FlightSize rules
  assert.equal(app.ssthresh, 4000);
  const rto = grow(new NewReno(MSS), 30000);
  rto.onRetransmitTimeout(0, 24000);
  assert.deepEqual([rto.cwnd, rto.ssthresh], [1000, 12000]);
});

test("a nonsense flight size at recovery exit means cwnd = ssthresh; a later time-out reduces afresh", () => {
  const cc = grow(new NewReno(MSS), 40000);
  cc.onRetransmitTimeout(0, 40000); // ssthresh 20000
  grow(cc, 16000);
  cc.onEnterRecovery(0, 16000, true); // ssthresh 8000
  cc.onExitRecovery(0, Number.NaN);
  assert.deepEqual([cc.cwnd, cc.ssthresh], [8000, 8000]);
  cc.onRetransmitTimeout(0, 8000); // a new congestion event: reduced again
  assert.deepEqual([cc.cwnd, cc.ssthresh], [1000, 4000]);
});

test("RFC 5681 4.1 idle restart: cwnd = min(cwnd, IW)", () => {
  const big = new Reno(MSS);
  roundTrip(big, MSS);
  roundTrip(big, MSS);
  assert.equal(big.cwnd, 40000);
  big.onIdleRestart(5000);
  assert.equal(big.cwnd, 10000);
  const small = new Reno(MSS);
  small.onRetransmitTimeout(0, 10000);
  small.onIdleRestart(5000);
  assert.equal(small.cwnd, 1000);
});

test("ACKs reported through onAck during recovery do not grow the window", () => {
  const cc = grow(new NewReno(MSS), 20000);
  cc.onEnterRecovery(0, 20000);
  cc.onAck(5000, 0, 100, 20000);
  assert.equal(cc.cwnd, 13000);
  cc.onAck(0, 0, 100, 20000); // nothing acknowledged: nothing happens
  assert.equal(cc.cwnd, 13000);
});

test("a bad MSS is a typed error", () => {
  for (const mss of [0, -1, 1.5, 70000, Number.NaN]) {
    assert.throws(() => congestionControls.newreno(mss), (e: unknown) => e instanceof WirecraftError && e.code === "ERR_INVALID_ARG_VALUE");
    assert.throws(() => congestionControls.cubic(mss), WirecraftError);
  }
});

/** One event a sender may report, with arbitrary (also hostile) numbers. */
const anyNumber = fc.oneof(
  fc.integer({ min: 0, max: 200_000 }),
  fc.integer({ min: -5000, max: 5000 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 40),
);
const event = fc.oneof(
  fc.record({ kind: fc.constant("ack" as const), acked: anyNumber, rtt: fc.option(anyNumber), flight: anyNumber, dt: anyNumber }),
  fc.record({ kind: fc.constant("enter" as const), flight: anyNumber, sack: fc.boolean(), dt: anyNumber }),
  fc.record({ kind: fc.constant("dup" as const) }),
  fc.record({ kind: fc.constant("recoveryAck" as const), acked: anyNumber, partial: fc.boolean(), flight: anyNumber }),
  fc.record({ kind: fc.constant("exit" as const), flight: fc.option(anyNumber), dt: anyNumber }),
  fc.record({ kind: fc.constant("timeout" as const), flight: anyNumber, dt: anyNumber }),
  fc.record({ kind: fc.constant("idle" as const), dt: anyNumber }),
);

test("property: whatever the sender reports, cwnd stays a whole number of bytes >= 1 SMSS and ssthresh >= 2 SMSS", () => {
  fc.assert(
    fc.property(fc.constantFrom("reno", "newreno", "cubic"), fc.integer({ min: 1, max: 9000 }), fc.array(event, { maxLength: 80 }), (name, mss, events) => {
      const cc = congestionControls[name as CongestionControlName](mss);
      let now = 0;
      for (const e of events) {
        if ("dt" in e) now += e.dt;
        const before = cc.cwnd;
        switch (e.kind) {
          case "ack": cc.onAck(e.acked, now, e.rtt ?? undefined, e.flight); break;
          case "enter": cc.onEnterRecovery(now, e.flight, e.sack); break;
          case "dup": cc.onDupAck?.(); break;
          case "recoveryAck": cc.onRecoveryAck(e.acked, e.partial, e.flight); break;
          case "exit": cc.onExitRecovery(now, e.flight ?? undefined); break;
          case "timeout": cc.onRetransmitTimeout(now, e.flight); break;
          case "idle": cc.onIdleRestart?.(now); break;
        }
        assert.ok(Number.isInteger(cc.cwnd) && cc.cwnd >= mss, `${e.kind}: cwnd ${cc.cwnd}`);
        assert.ok(cc.ssthresh === INFINITE_SSTHRESH || (Number.isInteger(cc.ssthresh) && cc.ssthresh >= 2 * mss), `${e.kind}: ssthresh ${cc.ssthresh}`);
        // One ACK grows the window by at most 2 SMSS in slow start (ABC), plus one SMSS when it
        // crosses into avoidance, or in avoidance by one SMSS (Reno) or half of what it
        // acknowledged (CUBIC's at most 1.5x per RTT).
        if (e.kind === "ack") {
          const acked = Number.isFinite(e.acked) && e.acked > 0 ? e.acked : 0;
          assert.ok(cc.cwnd - before <= Math.max(3 * mss, acked / 2 + 1), `ack: ${before} -> ${cc.cwnd}`);
        }
      }
    }),
    { numRuns: 1500, seed: 5681 },
  );
});
