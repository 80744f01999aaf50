import { test } from "node:test";
import assert from "node:assert/strict";
import { Cubic, CUBIC_ALPHA } from "./cubic.js";

const MSS = 1000;

/** A CUBIC sender grown in slow start to `segments` * MSS (delayed ACKs, window-limited). */
function grown(segments: number, options?: { fastConvergence?: boolean }): Cubic {
  const cc = new Cubic(MSS, options);
  while (cc.cwnd < segments * MSS) cc.onAck(Math.min(2 * MSS, segments * MSS - cc.cwnd), 0, 100, cc.cwnd);
  assert.equal(cc.cwnd, segments * MSS);
  return cc;
}

/**
 * Congestion avoidance for `seconds` from `start` (ms): every RTT the whole window is ACKed one
 * segment at a time, the ACKs spread evenly over the RTT. Returns cwnd (in segments) at the end
 * of each RTT with the time since `start`.
 */
function avoid(cc: Cubic, start: number, seconds: number, rtt: number): Array<{ t: number; w: number }> {
  const trace: Array<{ t: number; w: number }> = [];
  let now = start;
  while (now - start < seconds * 1000) {
    const segments = Math.floor(cc.cwnd / MSS);
    for (let i = 0; i < segments; i++) cc.onAck(MSS, now + (i * rtt) / segments, rtt, cc.cwnd);
    now += rtt;
    trace.push({ t: (now - start) / 1000, w: cc.cwnd / MSS });
  }
  return trace;
}

test("RFC 9438 4.6: a loss multiplies by beta = 0.7 and sets W_max; K = cbrt((W_max - cwnd) / C)", () => {
  const cc = grown(100);
  cc.onEnterRecovery(0, 100 * MSS, true);
  assert.equal(cc.ssthresh, 70000);
  assert.equal(cc.cwnd, 70000);
  assert.equal(cc.wMax, 100000);
  cc.onExitRecovery(50);
  // The first ACK of congestion avoidance starts the epoch: K = cbrt((100 - 70) / 0.4) = cbrt(75).
  cc.onAck(MSS, 100, 100, 70000);
  assert.ok(Math.abs(cc.k - 4.217163326508746) < 1e-12, `K = ${cc.k}`);
  // W_cubic(t) = C (t - K)^3 + W_max: 70 segments at t = 0, W_max at t = K.
  assert.ok(Math.abs(cc.cubicWindow(0) - 70000) < 1e-6);
  assert.ok(Math.abs(cc.cubicWindow(cc.k) - 100000) < 1e-9);
  assert.ok(Math.abs(cc.cubicWindow(6) - (0.4 * (6 - Math.cbrt(75)) ** 3 + 100) * MSS) < 1e-6);
  // Without SACK, recovery starts inflated by 3 segments (RFC 5681 3.2).
  const plain = grown(100);
  plain.onEnterRecovery(0, 100 * MSS);
  assert.equal(plain.cwnd, 73000);
});

test("RFC 9438 4.2-4.5: after a loss cwnd follows C (t - K)^3 + W_max, plateau at W_max near t = K", () => {
  const cc = grown(100);
  cc.onEnterRecovery(0, 100 * MSS, true);
  cc.onExitRecovery(0);
  const rtt = 100;
  const trace = avoid(cc, 0, 7, rtt);
  const K = Math.cbrt((100 - 70) / 0.4);
  // By hand, per RTT: W_est (4.3) grows by alpha = 3 (1 - 0.7) / (1 + 0.7) segments until it
  // reaches cwnd_prior = 100, then by 1; cwnd is the larger of W_cubic and W_est.
  let estimate = 70;
  let cubicRegion = 0;
  for (const { t, w } of trace) {
    estimate += estimate >= 100 ? 1 : 0.9 / 1.7;
    const cubic = 0.4 * (t - K) ** 3 + 100;
    const rfc = Math.max(cubic, estimate);
    assert.ok(Math.abs(w - rfc) / rfc < 0.02, `t=${t.toFixed(1)} s: cwnd ${w.toFixed(2)} vs ${rfc.toFixed(2)} (W_cubic ${cubic.toFixed(2)}, W_est ${estimate.toFixed(2)})`);
    if (cubic > estimate) cubicRegion++;
  }
  assert.equal(trace.length, 70);
  assert.ok(cubicRegion >= 55, `${cubicRegion} RTTs in the cubic region`); // W_est overtakes only past ~6 s
  // Concave below W_max, flat around K: growth per second shrinks.
  const at = (s: number): number => trace[Math.round(s * 10) - 1].w;
  assert.ok(at(1) - at(0.1) > at(2) - at(1) && at(2) - at(1) > at(3) - at(2) && at(3) - at(2) > at(4) - at(3));
  assert.ok(Math.abs(at(4.2) - 100) < 0.5);
});

test("RFC 9438 4.5: in the convex region cwnd grows faster and faster (large RTT: W_est stays behind)", () => {
  const cc = grown(100);
  cc.onEnterRecovery(0, 100 * MSS, true);
  cc.onExitRecovery(0);
  const trace = avoid(cc, 0, 9, 300);
  const K = Math.cbrt(75);
  for (const { t, w } of trace) {
    const cubic = 0.4 * (t - K) ** 3 + 100;
    assert.ok(Math.abs(w - cubic) / cubic < 0.03, `t=${t.toFixed(1)} s: cwnd ${w.toFixed(2)} vs W_cubic ${cubic.toFixed(2)}`);
  }
  const at = (s: number): number => trace[Math.round(s / 0.3) - 1].w;
  assert.ok(at(9) - at(7.5) > at(7.5) - at(6) && at(7.5) - at(6) > at(6) - at(4.5));
});

test("RFC 9438 4.7 fast convergence: a loss below W_max sets W_max = cwnd (1 + beta) / 2", () => {
  for (const fastConvergence of [true, false]) {
    const cc = grown(100, { fastConvergence });
    cc.onEnterRecovery(0, 100 * MSS, true);
    cc.onExitRecovery(0);
    // Grow back to 90 segments (below W_max = 100), then lose again.
    const trace = avoid(cc, 0, 10, 100);
    const index = trace.findIndex((p) => p.w >= 90);
    assert.ok(index > 0);
    const fresh = grown(100, { fastConvergence });
    fresh.onEnterRecovery(0, 100 * MSS, true);
    fresh.onExitRecovery(0);
    avoid(fresh, 0, (index + 1) / 10, 100);
    const w = fresh.cwnd;
    assert.ok(w >= 90000 && w < 100000, `cwnd ${w}`);
    fresh.onEnterRecovery(0, w, true);
    assert.equal(fresh.ssthresh, Math.floor(w * 0.7));
    // (cwnd is reported in whole bytes; W_max uses the exact window: within one byte)
    if (fastConvergence) assert.ok(Math.abs(fresh.wMax! - (w * 1.7) / 2) < 1, `W_max ${fresh.wMax}`);
    else assert.ok(Math.abs(fresh.wMax! - w) < 1, `W_max ${fresh.wMax}`);
    // A loss above the previous W_max sets W_max = cwnd either way.
    const above = grown(100, { fastConvergence });
    above.onEnterRecovery(0, 100 * MSS, true);
    above.onExitRecovery(0);
    avoid(above, 0, 6, 100);
    const w2 = above.cwnd;
    assert.ok(w2 > 100000);
    above.onEnterRecovery(0, w2, true);
    assert.ok(Math.abs(above.wMax! - w2) < 1);
  }
});

test("RFC 9438 4.3: with a short RTT and a small window, cwnd follows the Reno-friendly W_est", () => {
  const cc = grown(20);
  cc.onEnterRecovery(0, 20 * MSS, true); // W_max = 20, cwnd = ssthresh = 14 segments
  cc.onExitRecovery(0);
  const rtt = 10;
  const trace = avoid(cc, 0, 0.5, rtt);
  // W_est by hand: +CUBIC_ALPHA (0.529...) segments per RTT of ACKs until it reaches
  // cwnd_prior = 20, then +1 per RTT. The per-ACK increments (alpha * MSS / cwnd per segment)
  // over a window of cwnd/MSS segments add alpha per RTT, up to rounding of whole segments.
  let estimate = 14;
  for (let i = 0; i < trace.length; i++) {
    estimate += estimate >= 20 ? 1 : CUBIC_ALPHA;
    const { t, w } = trace[i];
    const cubic = 0.4 * (t - Math.cbrt(15)) ** 3 + 20;
    if (i >= 5) assert.ok(cubic < w, `t=${t}: W_cubic ${cubic.toFixed(2)} should be below cwnd ${w.toFixed(2)}`);
    assert.ok(Math.abs(w - estimate) / estimate < 0.03, `t=${t}: cwnd ${w.toFixed(2)} vs W_est ${estimate.toFixed(2)}`);
  }
  assert.equal(trace.length, 50);
  assert.ok(cc.cwnd > 50 * MSS); // Reno-like growth, far above the cubic curve (17 segments at 0.5 s)
});

test("RFC 9438 4.8: after a time-out, slow start to ssthresh, then the curve restarts with K = 0", () => {
  const cc = grown(100);
  cc.onRetransmitTimeout(0, 100 * MSS);
  assert.equal(cc.ssthresh, 70000);
  assert.equal(cc.cwnd, 1000);
  assert.equal(cc.wMax, undefined);
  while (cc.cwnd < cc.ssthresh) cc.onAck(MSS, 10, 100, cc.cwnd);
  assert.equal(cc.cwnd, 70000);
  cc.onAck(MSS, 20, 100, cc.cwnd);
  assert.equal(cc.k, 0);
  assert.equal(cc.wMax, 70000);
  // Convex from the start: W_cubic(t) = 0.4 t^3 + 70 segments.
  assert.ok(Math.abs(cc.cubicWindow(2) - (0.4 * 8 + 70) * MSS) < 1e-6);
});

test("CUBIC keeps RFC 6582 recovery without SACK and restarts at the initial window after idle", () => {
  const cc = grown(40);
  cc.onEnterRecovery(0, 40 * MSS);
  assert.equal(cc.cwnd, 31000); // 28000 + 3 * MSS
  cc.onDupAck();
  cc.onRecoveryAck(5000, true, 30000);
  assert.equal(cc.cwnd, 28000); // 32000 - 5000 + 1000
  cc.onExitRecovery(0);
  assert.equal(cc.cwnd, 28000);
  cc.onIdleRestart(60_000);
  assert.equal(cc.cwnd, 10000);
});

test("CUBIC does not count idle time as growth time", () => {
  const run = (idle: number): number => {
    const cc = grown(100);
    cc.onEnterRecovery(0, 100 * MSS, true);
    cc.onExitRecovery(0);
    avoid(cc, 0, 1, 100);
    // The application pauses for `idle` ms; the window restarts at IW, slow start climbs back to
    // ssthresh and the same congestion avoidance epoch goes on, its clock shifted by the pause.
    const resume = 1000 + idle;
    cc.onIdleRestart(resume);
    assert.equal(cc.cwnd, 10000);
    return avoid(cc, resume, 3, 100).at(-1)!.w;
  };
  const short = run(5_000);
  assert.equal(run(50_000), short);
  // Counted as growth time, 50 s would put t far beyond K and the window far above W_max.
  assert.ok(short < 102, `cwnd ${short} segments`);
});
