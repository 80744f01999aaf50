/**
 * Sequence number arithmetic modulo 2^32 (RFC 9293 3.4): every comparison is on the signed
 * 32-bit difference, so numbers that wrap past 2^32 still compare by distance, not by value.
 */

/** Return `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Return the distance `a - b` as a signed 32-bit number. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** Return whether `a < b`. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** Return whether `a <= b`. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** Return whether `a > b`. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** Return whether `a >= b`. */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** Return the later of `a` and `b`. */
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** Return the earlier of `a` and `b`. */
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}

/** Return whether `low <= x < high` (an empty range when `low == high`). */
export function seqInRange(x: number, low: number, high: number): boolean {
  return seqLeq(low, x) && seqLt(x, high);
}
