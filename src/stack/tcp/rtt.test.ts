import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { WirecraftError } from "../../errors.js";
import { RttEstimator } from "./rtt.js";

test("RFC 6298: a sequence of samples gives SRTT, RTTVAR and RTO computed by hand", () => {
  const rtt = new RttEstimator({ minRto: 200, granularity: 10 });
  // 2.1: before any sample, RTO = 1 s.
  assert.equal(rtt.rto, 1000);
  assert.equal(rtt.srtt, undefined);
  assert.equal(rtt.rttvar, undefined);

  // 2.2, R = 100: SRTT = 100, RTTVAR = 100/2 = 50, RTO = 100 + max(10, 4*50) = 300.
  rtt.sample(100);
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [100, 50, 300]);

  // 2.3, R' = 200: RTTVAR = 3/4*50 + 1/4*|100 - 200| = 37.5 + 25 = 62.5 (with the old SRTT),
  // SRTT = 7/8*100 + 1/8*200 = 87.5 + 25 = 112.5, RTO = 112.5 + 4*62.5 = 362.5.
  rtt.sample(200);
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [112.5, 62.5, 362.5]);

  // R' = 100: RTTVAR = 3/4*62.5 + 1/4*|112.5 - 100| = 46.875 + 3.125 = 50,
  // SRTT = 7/8*112.5 + 1/8*100 = 98.4375 + 12.5 = 110.9375, RTO = 110.9375 + 200 = 310.9375.
  rtt.sample(100);
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [110.9375, 50, 310.9375]);

  // 5.5: each expiry doubles the RTO: 621.875, 1243.75.
  rtt.backoff();
  rtt.backoff();
  assert.equal(rtt.rto, 1243.75);
  assert.equal(rtt.backoffs, 2);

  // The next sample (R' = SRTT) recomputes it: RTTVAR = 3/4*50 + 0 = 37.5, SRTT unchanged,
  // RTO = 110.9375 + 150 = 260.9375; the back-off is over.
  rtt.sample(110.9375);
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [110.9375, 37.5, 260.9375]);
  assert.equal(rtt.backoffs, 0);
});

test("RFC 6298: the clock granularity G bounds the variance term", () => {
  const rtt = new RttEstimator({ minRto: 1, granularity: 50 });
  // R = 40: RTTVAR = 20, 4*RTTVAR = 80 > G: RTO = 120.
  rtt.sample(40);
  assert.equal(rtt.rto, 120);
  // Constant samples shrink RTTVAR by 3/4 each: 15, 11.25, 8.4375; 4*8.4375 = 33.75 < G = 50,
  // so RTO = 40 + 50 = 90.
  rtt.sample(40);
  rtt.sample(40);
  rtt.sample(40);
  assert.equal(rtt.rttvar, 8.4375);
  assert.equal(rtt.rto, 90);
});

test("RFC 6298 2.4: the RTO is rounded up to minRto (1 s by default, configurable)", () => {
  const rfc = new RttEstimator();
  rfc.sample(10); // 10 + 4*5 = 30 ms, rounded up to 1 s
  assert.equal(rfc.rto, 1000);
  const linux = new RttEstimator({ minRto: 200 });
  linux.sample(10);
  assert.equal(linux.rto, 200);
  linux.sample(0); // a zero sample is a sample (virtual links without delay)
  assert.equal(linux.srtt, 8.75);
});

test("RFC 6298 2.5/5.5: back-off doubles up to maxRto and stays there", () => {
  const rtt = new RttEstimator({ maxRto: 60_000 });
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) {
    rtt.backoff();
    seen.push(rtt.rto);
  }
  assert.deepEqual(seen, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  // A sample above maxRto's reach is capped too.
  rtt.sample(50_000);
  assert.equal(rtt.rto, 60_000);
});

test("reset() forgets the estimates (5.7) and returns to the initial RTO", () => {
  const rtt = new RttEstimator({ initialRto: 3000, minRto: 200 });
  assert.equal(rtt.rto, 3000);
  rtt.sample(100);
  rtt.backoff();
  rtt.reset();
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto, rtt.backoffs], [undefined, undefined, 3000, 0]);
  rtt.sample(80); // a first sample again (2.2)
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [80, 40, 240]);
});

test("bad samples are ignored; bad options are typed errors", () => {
  const rtt = new RttEstimator({ minRto: 200 });
  rtt.sample(100);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) rtt.sample(bad);
  assert.deepEqual([rtt.srtt, rtt.rttvar, rtt.rto], [100, 50, 300]);
  for (const options of [{ minRto: 0 }, { maxRto: -5 }, { initialRto: Number.NaN }, { minRto: 5000, maxRto: 1000 }, { granularity: -1 }]) {
    assert.throws(() => new RttEstimator(options), (e: unknown) => e instanceof WirecraftError && e.code === "ERR_INVALID_ARG_VALUE");
  }
});

test("property: the RTO stays within [minRto, maxRto] and SRTT within the samples' range", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2000 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(-1, Number.NaN, Number.POSITIVE_INFINITY), fc.constant("backoff" as const), fc.constant("reset" as const)), { maxLength: 60 }),
      (minRto, extra, events) => {
        const maxRto = minRto + extra;
        const rtt = new RttEstimator({ minRto, maxRto });
        let low = Number.POSITIVE_INFINITY;
        let high = 0;
        for (const e of events) {
          if (e === "backoff") rtt.backoff();
          else if (e === "reset") { rtt.reset(); low = Number.POSITIVE_INFINITY; high = 0; }
          else {
            rtt.sample(e);
            if (Number.isFinite(e) && e >= 0) { low = Math.min(low, e); high = Math.max(high, e); }
          }
          assert.ok(rtt.rto >= minRto && rtt.rto <= maxRto, `rto ${rtt.rto}`);
          if (rtt.srtt !== undefined) assert.ok(rtt.srtt >= low - 1e-9 && rtt.srtt <= high + 1e-9, `srtt ${rtt.srtt} outside [${low}, ${high}]`);
        }
      },
    ),
    { numRuns: 1000, seed: 6298 },
  );
});
