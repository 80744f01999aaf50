import { test } from "node:test";
import assert from "node:assert/strict";
import { WirecraftError } from "../../errors.js";
import { ProportionalRateReduction } from "./prr.js";

const MSS = 1000;

/**
 * A sender in recovery that sends whole segments only: each ACK delivers `delivered` bytes, the
 * pipe drops by it and grows by what is sent. Returns the segments sent per ACK and the pipe after.
 */
function drive(prr: ProportionalRateReduction, pipe: number, acks: number, delivered = MSS): Array<{ sent: number; pipe: number }> {
  const out: Array<{ sent: number; pipe: number }> = [];
  for (let i = 0; i < acks; i++) {
    pipe -= delivered;
    const sndcnt = prr.onAck(delivered, pipe);
    const segments = Math.floor(sndcnt / MSS);
    prr.onSend(segments * MSS);
    pipe += segments * MSS;
    out.push({ sent: segments, pipe });
  }
  return out;
}

test("RFC 6937 proportional part: one segment per two ACKs when ssthresh = RecoverFS / 2, ssthresh in all", () => {
  // 20 segments outstanding, ssthresh = 10 segments, each ACK delivering one segment while the
  // pipe stays above ssthresh. By hand: sndcnt = ceil(prr_delivered * 10000 / 20000) - prr_out:
  // 500 (forced up to a segment: the fast retransmit), 0, 500, 1000, 500, 1000, ... and the
  // sender sends whole segments only.
  const prr = new ProportionalRateReduction(MSS);
  prr.start(10_000, 20_000);
  const sent: number[] = [];
  for (let i = 0; i < 20; i++) {
    const segments = Math.floor(prr.onAck(MSS, 15_000) / MSS);
    prr.onSend(segments * MSS);
    sent.push(segments);
  }
  assert.deepEqual(sent, [1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  // RecoverFS delivered, ssthresh sent: the window came down to ssthresh evenly, not in a burst.
  assert.deepEqual([prr.delivered, prr.sent], [20_000, 10_000]);
});

test("PRR through a whole recovery: the pipe goes from RecoverFS - 1 down to ssthresh smoothly", () => {
  const prr = new ProportionalRateReduction(MSS);
  prr.start(10_000, 20_000);
  const trace = drive(prr, 19_000, 19); // one of 20 segments lost
  assert.ok(trace.every((t) => t.sent <= 1), "never a burst");
  assert.ok(trace.every((t, i) => i === 0 || t.pipe <= trace[i - 1].pipe), "the pipe only shrinks");
  assert.equal(trace.at(-1)!.pipe, 10_000);
  assert.equal(prr.sent, 10_000);
});

test("RFC 6937 slow start reduction bound: after heavy losses the pipe grows back to ssthresh", () => {
  const prr = new ProportionalRateReduction(MSS);
  prr.start(10_000, 20_000);
  // Twelve of twenty segments lost: the pipe is 8 before the first ACK, 7 after it.
  // SSRB: limit = max(prr_delivered - prr_out, DeliveredData) + MSS = 2000: two segments per
  // segment delivered (slow start) until the pipe reaches ssthresh, then ssthresh - pipe.
  const trace = drive(prr, 8000, 6);
  assert.deepEqual(trace.map((t) => t.sent), [2, 2, 1, 1, 1, 1]);
  assert.deepEqual(trace.map((t) => t.pipe / MSS), [9, 10, 10, 10, 10, 10]);
});

test("RFC 6937 conservative reduction bound: no more sent than delivered", () => {
  const prr = new ProportionalRateReduction(MSS, { conservative: true });
  prr.start(10_000, 20_000);
  const trace = drive(prr, 8000, 6);
  assert.deepEqual(trace.map((t) => t.sent), [1, 1, 1, 1, 1, 1]);
  assert.ok(trace.every((t) => t.pipe === 8000)); // packet conservation: the pipe holds
});

test("PRR: start() begins a new episode; bad input is ignored or a typed error", () => {
  const prr = new ProportionalRateReduction(MSS);
  prr.start(10_000, 20_000);
  drive(prr, 20_000, 5);
  prr.start(4000, 8000);
  assert.deepEqual([prr.delivered, prr.sent], [0, 0]);
  assert.equal(prr.onAck(Number.NaN, 7000), 1000); // nothing delivered, but the first segment may go
  prr.onSend(1000);
  assert.equal(prr.onAck(-5, Number.NaN), 0); // delivered nothing: nothing released
  assert.equal(prr.onAck(1000, Number.NaN), 2000); // pipe 0: SSRB, max(1000 - 1000, 1000) + 1000
  assert.throws(() => new ProportionalRateReduction(0), WirecraftError);
});
