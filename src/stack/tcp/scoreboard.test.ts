import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { WirecraftError } from "../../errors.js";
import { SackScoreboard } from "./scoreboard.js";

const MSS = 100;

/**
 * The RFC 6675 example-style scenario, at sequence `origin`: SND.UNA = origin, 10 segments of 100
 * bytes sent (SND.NXT = origin + 1000), the receiver holding segments 1, 3, 5 and 6 (counting
 * from 0): SACKed ranges [100,200) [300,400) [500,700) relative to origin, holes [0,100)
 * [200,300) [400,500) and the unSACKed tail [700,1000).
 */
function scenario(origin: number): void {
  const at = (offset: number): number => (origin + offset) >>> 0;
  const board = new SackScoreboard(MSS);
  board.reset(at(0));
  const una = at(0);
  const nxt = at(1000);

  board.update(una, nxt, [[at(100), at(200)]]);
  assert.equal(board.isLost(at(0)), false, "1 range, 100 bytes above: not lost");
  board.update(una, nxt, [[at(300), at(400)], [at(100), at(200)]]);
  assert.equal(board.isLost(at(0)), false, "2 ranges, 200 bytes: not more than (3-1)*SMSS");
  board.update(una, nxt, [[at(500), at(600)], [at(300), at(400)], [at(100), at(200)]]);
  assert.equal(board.isLost(at(0)), true, "3 discontiguous ranges above");
  assert.equal(board.isLost(at(200)), false, "2 ranges, 200 bytes above 200");
  board.update(una, nxt, [[at(600), at(700)], [at(500), at(600)], [at(300), at(400)]]);
  assert.deepEqual(board.ranges(), [[at(100), at(200)], [at(300), at(400)], [at(500), at(700)]]);
  assert.equal(board.rangeCount, 3);
  assert.equal(board.sackedBytes, 400);
  assert.equal(board.highestSacked, at(700));
  assert.equal(board.isLost(at(200)), true, "2 ranges but 300 bytes above 200");
  assert.equal(board.isLost(at(250)), true);
  assert.equal(board.isLost(at(400)), false, "1 range of 200 bytes above 400");
  assert.equal(board.isLost(at(699)), false);

  // SetPipe: holes [0,100) and [200,300) are lost, [400,500) and the tail [700,1000) are not.
  assert.equal(board.pipe(una, nxt, at(0)), 400);
  // [0,100) retransmitted (HighRxt = 100): its bytes count again.
  assert.equal(board.pipe(una, nxt, at(100)), 500);
  // HighRxt = 500 covers both lost holes and the unlost hole [400,500): 400 + 200 + 100.
  assert.equal(board.pipe(una, nxt, at(500)), 700);
  // A rescue retransmission of [900,1000) counts once more.
  assert.equal(board.pipe(una, nxt, at(500), at(900)), 800);

  // NextSeg.
  assert.deepEqual(board.nextSeg(una, nxt, at(0), 0), { seq: at(0), end: at(100), rule: 1 });
  assert.deepEqual(board.nextSeg(una, nxt, at(100), 0), { seq: at(200), end: at(300), rule: 1 });
  assert.deepEqual(board.nextSeg(una, nxt, at(250), 0), { seq: at(250), end: at(300), rule: 1 });
  // No lost hole left above HighRxt = 300: new data first (rule 2), at most SMSS of it.
  assert.deepEqual(board.nextSeg(una, nxt, at(300), 5000), { seq: at(1000), end: at(1100), rule: 2 });
  assert.deepEqual(board.nextSeg(una, nxt, at(300), 40), { seq: at(1000), end: at(1040), rule: 2 });
  // No new data: the unlost hole below the highest SACK (rule 3).
  assert.deepEqual(board.nextSeg(una, nxt, at(300), 0), { seq: at(400), end: at(500), rule: 3 });
  // Nothing below the highest SACK above HighRxt: one rescue of the last SMSS of unSACKed data.
  assert.deepEqual(board.nextSeg(una, nxt, at(500), 0), { seq: at(900), end: at(1000), rule: 4 });
  assert.equal(board.nextSeg(una, nxt, at(500), 0), undefined, "one rescue per recovery");

  // The cumulative ACK moves to 200: [100,200) is acknowledged, the rest stays.
  board.update(at(200), nxt, []);
  assert.deepEqual(board.ranges(), [[at(300), at(400)], [at(500), at(700)]]);
  assert.equal(board.isLost(at(200)), true);
  assert.equal(board.nextSeg(at(200), nxt, at(500), 0), undefined, "SND.UNA has not passed RescueRxt");
  // Everything up to 1000 acknowledged: the scoreboard is empty, the rescue allowed again.
  board.update(at(1001), at(1500), []);
  assert.equal(board.rangeCount, 0);
  assert.equal(board.highestSacked, undefined);
  assert.deepEqual(board.nextSeg(at(1001), at(1500), at(1001), 0), { seq: at(1400), end: at(1500), rule: 4 });
}

test("RFC 6675 IsLost, SetPipe and NextSeg rules 1-4 on a hand-built scoreboard", () => {
  scenario(1000);
});

test("the same scenario straddling the 2^32 wrap gives the same answers, shifted", () => {
  for (const origin of [0xffffffff - 450, 0xffffffff - 150, 0xffffffff, 0x7fffff00]) scenario(origin);
});

test("rule 1 sends at most SMSS, and stops at the next SACKed byte", () => {
  const board = new SackScoreboard(MSS);
  board.reset(0);
  // Hole [0,250) below three ranges: lost; rule 1 returns [0,100), then [100,200), then [200,250).
  board.update(0, 2000, [[250, 300], [400, 500], [600, 700]]);
  assert.deepEqual(board.nextSeg(0, 2000, 0, 0), { seq: 0, end: 100, rule: 1 });
  assert.deepEqual(board.nextSeg(0, 2000, 100, 0), { seq: 100, end: 200, rule: 1 });
  assert.deepEqual(board.nextSeg(0, 2000, 200, 0), { seq: 200, end: 250, rule: 1 });
});

test("SACK blocks are validated: outside (SND.UNA, SND.NXT], empty or wrapped are ignored", () => {
  const board = new SackScoreboard(MSS);
  board.reset(5000);
  board.update(5000, 6000, [
    [6000, 6100], // beyond SND.NXT
    [5900, 6001], // ends one past SND.NXT
    [4000, 5000], // at or below SND.UNA (a D-SACK)
    [5300, 5300], // empty
    [5400, 5200], // wrapped: end before start
    [5600, 5700], // valid
  ]);
  assert.deepEqual(board.ranges(), [[5600, 5700]]);
  // A block starting below SND.UNA is trimmed to it.
  board.update(5000, 6000, [[4900, 5100]]);
  assert.deepEqual(board.ranges(), [[5000, 5100], [5600, 5700]]);
  // Ending exactly at SND.NXT is valid.
  board.update(5000, 6000, [[5900, 6000]]);
  assert.deepEqual(board.ranges(), [[5000, 5100], [5600, 5700], [5900, 6000]]);
});

test("adjacent and overlapping blocks merge; SND.UNA advancing trims and drops ranges", () => {
  const board = new SackScoreboard(MSS);
  board.reset(0);
  board.update(0, 1000, [[100, 200], [300, 400], [500, 600]]);
  board.update(0, 1000, [[200, 300]]); // fills the gap between two ranges: one range [100,400)
  assert.deepEqual(board.ranges(), [[100, 400], [500, 600]]);
  board.update(0, 1000, [[50, 700]]); // swallows everything
  assert.deepEqual(board.ranges(), [[50, 700]]);
  board.update(0, 1000, [[800, 900], [750, 850]]);
  assert.deepEqual(board.ranges(), [[50, 700], [750, 900]]);
  board.update(600, 1000, []); // SND.UNA inside the first range
  assert.deepEqual(board.ranges(), [[600, 700], [750, 900]]);
  assert.equal(board.sackedBytes, 250);
  board.update(760, 1000, []);
  assert.deepEqual(board.ranges(), [[760, 900]]);
});

test("the scoreboard keeps at most maxRanges ranges, forgetting the highest", () => {
  const board = new SackScoreboard(MSS);
  board.reset(0);
  const blocks: Array<[number, number]> = [];
  for (let i = 0; i < 100; i++) blocks.push([2 * i + 1, 2 * i + 2]); // every other byte
  for (let i = 0; i < blocks.length; i += 4) board.update(0, 1000, blocks.slice(i, i + 4));
  assert.equal(board.rangeCount, 64);
  assert.equal(board.sackedBytes, 64);
  assert.equal(board.highestSacked, 128);
  // A lower block still gets in, pushing the highest out.
  board.update(0, 1000, [[0, 1]]); // merges with [1,2): still 64
  assert.equal(board.rangeCount, 64);
  const small = new SackScoreboard(MSS, 3, 2);
  small.reset(0);
  small.update(0, 1000, [[500, 600], [100, 200], [300, 400]]);
  assert.deepEqual(small.ranges(), [[100, 200], [300, 400]]);
});

test("DupThresh is configurable, and bad arguments are typed errors", () => {
  const board = new SackScoreboard(MSS, 2);
  board.reset(0);
  board.update(0, 1000, [[100, 150], [300, 350]]);
  assert.equal(board.isLost(0), true); // 2 discontiguous ranges >= DupThresh 2
  board.reset(0);
  board.update(0, 1000, [[100, 201]]);
  assert.equal(board.isLost(0), true); // 101 bytes > (2-1)*SMSS
  const bad: Array<[number, number?, number?]> = [[0], [1.5], [100, 0], [100, 3, 0]];
  for (const args of bad) {
    assert.throws(() => new SackScoreboard(...args), (e: unknown) => e instanceof WirecraftError && e.code === "ERR_INVALID_ARG_VALUE");
  }
});

/** The naive model: one boolean per byte, the RFC 6675 definitions octet by octet, plain integers. */
class ByteModel {
  una = 0;
  nxt = 0;
  rescue: number | undefined = undefined;
  readonly sacked = new Set<number>();
  constructor(readonly mss: number, readonly dupThresh: number) {}

  update(una: number, nxt: number, blocks: ReadonlyArray<readonly [number, number]>): void {
    this.una = una;
    this.nxt = nxt;
    for (const x of [...this.sacked]) if (x < una) this.sacked.delete(x);
    for (const [start, end] of blocks) {
      if (end <= start || end <= una || end > nxt) continue;
      for (let x = Math.max(start, una); x < end; x++) this.sacked.add(x);
    }
  }

  isLost(seq: number): boolean {
    let runs = 0;
    let bytes = 0;
    let previous = false;
    for (let x = seq + 1; x < this.nxt; x++) {
      const s = this.sacked.has(x);
      if (s) {
        bytes++;
        if (!previous) runs++;
      }
      previous = s;
    }
    return runs >= this.dupThresh || bytes > (this.dupThresh - 1) * this.mss;
  }

  pipe(highRxt: number, rescue?: number): number {
    let pipe = 0;
    for (let x = this.una; x < this.nxt; x++) {
      if (this.sacked.has(x)) continue;
      if (!this.isLost(x)) pipe++;
      if (x < highRxt) pipe++;
      else if (rescue !== undefined && x >= rescue && x < rescue + this.mss) pipe++;
    }
    return pipe;
  }

  highest(): number | undefined {
    let best: number | undefined;
    for (const x of this.sacked) if (best === undefined || x > best) best = x;
    return best;
  }

  /** A segment from `start`: up to SMSS, stopping at a SACKed byte or SND.NXT. */
  private from(start: number): number {
    let end = start;
    while (end < start + this.mss && end < this.nxt && !this.sacked.has(end)) end++;
    return end;
  }

  nextSeg(highRxt: number, sendable: number): [number, number, number] | undefined {
    const highest = this.highest();
    const first = Math.max(this.una, highRxt);
    for (let x = first; x < this.nxt; x++) {
      if (!this.sacked.has(x) && highest !== undefined && x < highest && this.isLost(x)) return [x, this.from(x), 1];
    }
    if (sendable > 0) return [this.nxt, this.nxt + Math.min(this.mss, sendable), 2];
    for (let x = first; x < this.nxt; x++) {
      if (!this.sacked.has(x) && highest !== undefined && x < highest) return [x, this.from(x), 3];
    }
    if (this.rescue !== undefined && this.una <= this.rescue) return undefined;
    for (let u = this.nxt - 1; u >= this.una; u--) {
      if (this.sacked.has(u)) continue;
      let start = u;
      while (start > this.una && start > u + 1 - this.mss && !this.sacked.has(start - 1)) start--;
      this.rescue = this.nxt;
      return [start, u + 1, 4];
    }
    return undefined;
  }

  runs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let x = this.una; x < this.nxt; x++) {
      if (!this.sacked.has(x)) continue;
      if (out.length > 0 && out[out.length - 1][1] === x) out[out.length - 1][1] = x + 1;
      else out.push([x, x + 1]);
    }
    return out;
  }
}

const step = fc.record({
  ack: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  send: fc.integer({ min: 0, max: 40 }),
  blocks: fc.array(fc.tuple(fc.integer({ min: -15, max: 140 }), fc.integer({ min: -8, max: 50 })), { maxLength: 4 }),
  queries: fc.array(fc.tuple(fc.integer({ min: -5, max: 130 }), fc.integer({ min: 0, max: 3 }), fc.option(fc.integer({ min: -5, max: 130 }))), { minLength: 1, maxLength: 4 }),
});

test("property: the scoreboard agrees with a byte-per-byte RFC 6675 model, across the 2^32 wrap", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 5, max: 40 }),
      fc.array(step, { minLength: 1, maxLength: 12 }),
      (origin, dupThresh, mss, steps) => {
        const wrap = (x: number): number => (origin + x) >>> 0;
        const board = new SackScoreboard(mss, dupThresh);
        const model = new ByteModel(mss, dupThresh);
        board.reset(wrap(0));
        let una = 0;
        let nxt = 0;
        for (const s of steps) {
          // At most 120 bytes outstanding: never more than 60 ranges, under the bound of 64.
          nxt = Math.min(nxt + s.send, una + 120);
          una = Math.min(una + s.ack, nxt);
          const blocks = s.blocks.map(([offset, length]) => [una + offset, una + offset + length] as const);
          model.update(una, nxt, blocks);
          board.update(wrap(una), wrap(nxt), blocks.map(([a, b]) => [wrap(a), wrap(b)] as const));

          assert.deepEqual(board.ranges(), model.runs().map(([a, b]) => [wrap(a), wrap(b)]));
          assert.equal(board.sackedBytes, model.sacked.size);
          const highest = model.highest();
          assert.equal(board.highestSacked, highest === undefined ? undefined : wrap(highest + 1));
          for (let x = una - 2; x < nxt + 2; x++) assert.equal(board.isLost(wrap(x)), model.isLost(x), `isLost(${x})`);
          for (const [rxt, sendable, rescue] of s.queries) {
            const highRxt = una + rxt;
            const rescueAt = rescue === null ? undefined : una + rescue;
            assert.equal(
              board.pipe(wrap(una), wrap(nxt), wrap(highRxt), rescueAt === undefined ? undefined : wrap(rescueAt)),
              model.pipe(highRxt, rescueAt),
              `pipe(${highRxt}, ${rescueAt})`,
            );
            const got = board.nextSeg(wrap(una), wrap(nxt), wrap(highRxt), sendable * 17);
            const want = model.nextSeg(highRxt, sendable * 17);
            assert.deepEqual(got, want === undefined ? undefined : { seq: wrap(want[0]), end: wrap(want[1]), rule: want[2] }, `nextSeg(${highRxt})`);
          }
        }
      },
    ),
    { numRuns: 400, seed: 6675 },
  );
});
