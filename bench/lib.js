// Shared by the measurement scripts: the corpus location, a small independent pcap splitter (so that
// no library's reader is timed when a measurement only wants frames in memory), timing, statistics
// and formatting.
import { readFileSync } from "node:fs";

export const DIR = process.env.BENCH_DIR ?? "/tmp/wirecraft-bench";
export const CORPUS = `${DIR}/corpus.pcap`;
export const CORPUS_NG = `${DIR}/corpus.pcapng`;

/** The frames of a little-endian microsecond pcap, as Buffers (views into one file buffer). */
export function loadFrames(path = CORPUS) {
  const buf = readFileSync(path);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: expected a little-endian microsecond pcap`);
  const frames = [];
  const limit = Number(process.env.BENCH_LIMIT ?? Infinity);
  for (let pos = 24; pos + 16 <= buf.length && frames.length < limit;) {
    const len = buf.readUInt32LE(pos + 8);
    frames.push(buf.subarray(pos + 16, pos + 16 + len));
    pos += 16 + len;
  }
  return frames;
}

/** As plain Uint8Arrays (wirecraft's input type), each over the same memory. */
export const asUint8 = (frames) => frames.map((f) => new Uint8Array(f.buffer, f.byteOffset, f.length));

/**
 * `warmups` untimed passes (the JIT settles: generated code tiers up over the first passes), then
 * `reps` timed passes; returns the fastest pass's seconds (and the median's, for the record) and
 * the last result. The fastest, because on a machine whose host takes cycles at times noise only
 * ever adds time: one process here ran the same pass in 75 to 156 ms, CPU time equal to wall time.
 * Every library's figure is taken the same way (peers.py too).
 */
export function timed(fn, reps = 7, warmups = 2) {
  let result;
  for (let w = 0; w < warmups; w++) result = fn();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    result = fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: Math.min(...times), medianSeconds: median(times), result };
}

/** Async variant of `timed`. */
export async function timedAsync(fn, reps = 5, warmups = 1) {
  let result;
  for (let w = 0; w < warmups; w++) result = await fn();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    result = await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: Math.min(...times), medianSeconds: median(times), result };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Print one measurement as a JSON line for run.js. */
export const report = (o) => console.log(JSON.stringify(o));

/** The length of the RFC 5952 text of a 16-byte IPv6 address (longest run of >= 2 zero groups as "::"). */
export function ipv6TextLength(b, o = 0) {
  const g = [];
  for (let i = 0; i < 16; i += 2) g.push((b[o + i] << 8) | b[o + i + 1]);
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x) => x.toString(16).length;
  if (bestAt < 0) return g.reduce((s, x) => s + hex(x), 0) + 7;
  const left = g.slice(0, bestAt), right = g.slice(bestAt + bestLen);
  const sum = (xs) => xs.reduce((s, x) => s + hex(x), 0) + Math.max(0, xs.length - 1);
  return sum(left) + 2 + sum(right);
}
