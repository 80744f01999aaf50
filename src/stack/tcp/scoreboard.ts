/**
 * The sender's SACK scoreboard and the loss-recovery routines of RFC 6675: which sequence ranges
 * above SND.UNA the receiver holds (RFC 2018 blocks, merged), IsLost(), SetPipe() (`pipe`) and
 * NextSeg() rules 1-4 with the rescue retransmission.
 *
 * Sequence numbers are uint32 and compared modulo 2^32 relative to SND.UNA, so everything works
 * across the wrap. The scoreboard holds sorted, disjoint, non-adjacent ranges in two typed arrays;
 * every operation is O(ranges), never per byte. Ranges are bounded (`maxRanges`, 64 by default):
 * a receiver that SACKs every other segment (or a hostile one, every other byte) would otherwise
 * make the table and the per-ACK work grow with the window. When full, the highest range is
 * forgotten. That is safe: SACK information is advisory (RFC 2018), forgetting it only makes
 * bytes look unSACKed (retransmitted perhaps needlessly, and loss declared later); never the
 * other way round, which would skip a retransmission. 64 ranges cover 64 holes in one window,
 * far beyond what a real path produces between two ACKs.
 */
import { WirecraftError } from "../../errors.js";

/** A segment NextSeg() chose: `[seq, end)` and the RFC 6675 rule that chose it. */
export interface NextSegment {
  readonly seq: number;
  readonly end: number;
  readonly rule: 1 | 2 | 3 | 4;
}

/** The signed distance a - b of two uint32 sequence numbers (modulo 2^32). */
function delta(a: number, b: number): number {
  return (a - b) | 0;
}

/** RFC 6675's scoreboard of SACKed ranges above SND.UNA, with IsLost, SetPipe and NextSeg. */
export class SackScoreboard {
  private readonly mss: number;
  private readonly dupThresh: number;
  private readonly maxRanges: number;
  /** Offsets from `base` (sorted, disjoint, non-adjacent): [starts[i], ends[i]). One spare slot. */
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private count = 0;
  /** SND.UNA as of the last call (uint32). */
  private base = 0;
  /** RescueRxt: the recovery point recorded by a rule (4) retransmission, or -1. */
  private rescueRxt = -1;

  /**
   * `mss` is SMSS; `dupThresh` is DupThresh (3); `maxRanges` bounds the ranges kept (64).
   */
  constructor(mss: number, dupThresh = 3, maxRanges = 64) {
    if (!Number.isInteger(mss) || mss < 1) throw invalid("mss", mss);
    if (!Number.isInteger(dupThresh) || dupThresh < 1) throw invalid("dupThresh", dupThresh);
    if (!Number.isInteger(maxRanges) || maxRanges < 1) throw invalid("maxRanges", maxRanges);
    this.mss = mss;
    this.dupThresh = dupThresh;
    this.maxRanges = maxRanges;
    this.starts = new Float64Array(maxRanges + 1);
    this.ends = new Float64Array(maxRanges + 1);
  }

  /** The number of SACKed bytes above SND.UNA. */
  get sackedBytes(): number {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.ends[i] - this.starts[i];
    return total;
  }

  /** One past the highest SACKed sequence number (uint32), or undefined when nothing is SACKed. */
  get highestSacked(): number | undefined {
    return this.count === 0 ? undefined : (this.base + this.ends[this.count - 1]) >>> 0;
  }

  /** How many disjoint SACKed ranges the scoreboard holds. */
  get rangeCount(): number {
    return this.count;
  }

  /** The SACKed ranges `[start, end)` as uint32 sequence numbers, lowest first (a copy). */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.count; i++) out.push([(this.base + this.starts[i]) >>> 0, (this.base + this.ends[i]) >>> 0]);
    return out;
  }

  /** Forget every range (on a retransmission time-out, or a new connection) and the rescue. */
  reset(sndUna: number): void {
    this.count = 0;
    this.base = sndUna >>> 0;
    this.rescueRxt = -1;
  }

  /**
   * Move SND.UNA to `sndUna` (dropping what it covers) and merge the SACK blocks `[start, end)` of
   * an ACK. `sndNxt` is the highest sequence number sent (SND.MAX: after a time-out rewinds
   * SND.NXT, still pass the highest). A block is ignored when empty, wrapped (end before start),
   * ending at or below `sndUna` (a D-SACK, RFC 2883) or beyond `sndNxt`; a block starting below
   * `sndUna` is trimmed to it.
   */
  update(sndUna: number, sndNxt: number, blocks: ReadonlyArray<readonly [number, number]>): void {
    this.rebase(sndUna);
    const window = delta(sndNxt, this.base);
    if (window <= 0) return;
    for (const [start, end] of blocks) {
      const length = delta(end, start);
      const endOffset = delta(end, this.base);
      if (length <= 0 || endOffset <= 0 || endOffset > window) continue;
      this.insert(Math.max(endOffset - length, 0), endOffset);
    }
  }

  /**
   * RFC 6675 IsLost(seq): whether DupThresh discontiguous SACKed ranges, or more than
   * (DupThresh - 1) * SMSS SACKed bytes, lie above `seq`.
   */
  isLost(seq: number): boolean {
    const after = delta(seq, this.base) + 1; // the first offset "above seq"
    const bytesLimit = (this.dupThresh - 1) * this.mss;
    let ranges = 0;
    let bytes = 0;
    for (let i = this.count - 1; i >= 0; i--) {
      const end = this.ends[i];
      if (end <= after) break;
      ranges++;
      bytes += end - Math.max(this.starts[i], after);
      if (ranges >= this.dupThresh || bytes > bytesLimit) return true;
    }
    return false;
  }

  /**
   * RFC 6675 SetPipe(): the bytes in flight between `sndUna` and `sndNxt`. An unSACKed byte counts
   * once unless IsLost, and once more when retransmitted: below `highRxt` (HighRxt as one past the
   * last byte retransmitted, `sndUna` when none was), or within `[rescue, rescue + SMSS)` when a
   * rescue retransmission starting at `rescue` was sent.
   */
  pipe(sndUna: number, sndNxt: number, highRxt: number, rescue?: number): number {
    this.rebase(sndUna);
    const limit = delta(sndNxt, this.base);
    if (limit <= 0) return 0;
    const retransmitted = clamp(delta(highRxt, this.base), 0, limit);
    const lostBelow = this.lostHoles();
    let pipe = 0;
    let holeStart = 0;
    for (let j = 0; j <= this.count && holeStart < limit; j++) {
      const holeEnd = j < this.count ? Math.min(this.starts[j], limit) : limit;
      if (holeEnd > holeStart && j >= lostBelow) pipe += holeEnd - holeStart;
      if (j < this.count) holeStart = this.ends[j];
    }
    pipe += this.unsackedIn(0, retransmitted);
    if (rescue !== undefined) {
      const from = Math.max(delta(rescue, this.base), retransmitted);
      pipe += this.unsackedIn(from, Math.min(delta(rescue, this.base) + this.mss, limit));
    }
    return pipe;
  }

  /**
   * RFC 6675 NextSeg(): the next segment to send during loss recovery, or undefined. Rule 1: the
   * first lost unSACKed hole at or above `highRxt` and below the highest SACK; rule 2: new data
   * when `sendable` (bytes of new data the send buffer and the peer's window allow) is positive;
   * rule 3: that first hole even if not lost; rule 4: once per recovery (until SND.UNA passes the
   * SND.MAX recorded here, RescueRxt), the last SMSS of the highest unSACKed data. A segment never
   * exceeds SMSS nor covers SACKed bytes.
   */
  nextSeg(sndUna: number, sndNxt: number, highRxt: number, sendable: number): NextSegment | undefined {
    this.rebase(sndUna);
    const limit = delta(sndNxt, this.base);
    const from = clamp(delta(highRxt, this.base), 0, Math.max(limit, 0));
    // Rules (1) and (3): the smallest unSACKed offset >= HighRxt below the highest SACKed byte.
    let candidate = -1;
    let candidateEnd = 0;
    let hole = 0;
    let holeStart = 0;
    for (let j = 0; j < this.count; j++) {
      const at = Math.max(holeStart, from);
      if (at < this.starts[j]) {
        candidate = at;
        candidateEnd = Math.min(at + this.mss, this.starts[j]);
        hole = j;
        break;
      }
      holeStart = this.ends[j];
    }
    if (candidate >= 0 && hole < this.lostHoles()) return this.segment(candidate, candidateEnd, 1);
    if (sendable > 0 && limit >= 0) return { seq: sndNxt >>> 0, end: (sndNxt + Math.min(this.mss, sendable)) >>> 0, rule: 2 };
    if (candidate >= 0) return this.segment(candidate, candidateEnd, 3);
    // Rule (4): one rescue retransmission per recovery, ending at the highest unSACKed byte.
    if (limit <= 0 || (this.rescueRxt >= 0 && delta(this.base, this.rescueRxt) <= 0)) return undefined;
    let top = limit;
    for (let j = this.count - 1; j >= -1; j--) {
      const below = j >= 0 ? Math.min(this.ends[j], limit) : 0;
      if (top > below) {
        this.rescueRxt = sndNxt >>> 0;
        return this.segment(Math.max(below, top - this.mss), top, 4);
      }
      if (j >= 0) top = Math.min(this.starts[j], limit);
    }
    return undefined;
  }

  /** The number of lowest holes that are lost: hole j (below range j) is lost iff j < this. */
  private lostHoles(): number {
    const bytesLimit = (this.dupThresh - 1) * this.mss;
    let bytes = 0;
    for (let j = this.count - 1; j >= 0; j--) {
      bytes += this.ends[j] - this.starts[j];
      if (this.count - j >= this.dupThresh || bytes > bytesLimit) return j + 1;
    }
    return 0;
  }

  /** The unSACKed bytes in the offsets [from, to). */
  private unsackedIn(from: number, to: number): number {
    if (to <= from) return 0;
    let total = to - from;
    for (let i = 0; i < this.count; i++) {
      const start = this.starts[i];
      if (start >= to) break;
      const overlap = Math.min(this.ends[i], to) - Math.max(start, from);
      if (overlap > 0) total -= overlap;
    }
    return total;
  }

  private segment(start: number, end: number, rule: 1 | 3 | 4): NextSegment {
    return { seq: (this.base + start) >>> 0, end: (this.base + end) >>> 0, rule };
  }

  /** Move the base to `sndUna` when it advanced, dropping and trimming what it covers. */
  private rebase(sndUna: number): void {
    const shift = delta(sndUna, this.base);
    if (shift === 0) return;
    this.base = sndUna >>> 0;
    if (shift < 0) {
      // SND.UNA never goes back; a caller that does gets a clean scoreboard, not a corrupt one.
      this.count = 0;
      return;
    }
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const end = this.ends[i] - shift;
      if (end <= 0) continue;
      this.starts[kept] = Math.max(this.starts[i] - shift, 0);
      this.ends[kept] = end;
      kept++;
    }
    this.count = kept;
  }

  /** Merge the offsets [start, end) into the ranges, then forget the highest beyond `maxRanges`. */
  private insert(start: number, end: number): void {
    const { starts, ends } = this;
    let first = 0;
    while (first < this.count && ends[first] < start) first++;
    let last = first;
    while (last < this.count && starts[last] <= end) last++;
    // Ranges first..last-1 touch or overlap [start, end): they become one.
    if (last > first) {
      start = Math.min(start, starts[first]);
      end = Math.max(end, ends[last - 1]);
    }
    const removed = last - first;
    if (removed === 0) {
      for (let i = this.count; i > first; i--) {
        starts[i] = starts[i - 1];
        ends[i] = ends[i - 1];
      }
      this.count++;
    } else if (removed > 1) {
      for (let i = last; i < this.count; i++) {
        starts[i - removed + 1] = starts[i];
        ends[i - removed + 1] = ends[i];
      }
      this.count -= removed - 1;
    }
    starts[first] = start;
    ends[first] = end;
    if (this.count > this.maxRanges) this.count = this.maxRanges;
  }
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

function invalid(name: string, value: number): WirecraftError {
  return new WirecraftError("ERR_INVALID_ARG_VALUE", `SackScoreboard: ${name} must be a positive integer (got ${value})`);
}
