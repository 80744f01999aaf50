/**
 * IP defragmentation of captured traffic, IPv4 (RFC 791) and IPv6 (RFC 8200 fragment header).
 *
 * Policy on overlaps, as the stack will apply it:
 * - IPv4: the first data received for a byte wins; later overlapping bytes are ignored (counted,
 *   and counted as conflicts when they differ).
 * - IPv6: a fragment that overlaps another drops the whole datagram (RFC 5722); later fragments
 *   of it are discarded until its time-out. An exact duplicate (same place, same bytes) is
 *   ignored as a retransmission. Atomic fragments (offset 0, M = 0) stand alone (RFC 6946).
 *
 * Bounds: at most `maxDatagrams` datagrams in progress (the oldest is dropped), a datagram may
 * not exceed 65535 bytes, and an incomplete datagram is dropped after `timeout` ms of capture
 * time (default 30 s for IPv4, 60 s for IPv6).
 */

/** Options of `IpDefragmenter`. */
export interface DefragOptions {
  /** Capture-time limit in milliseconds for an IPv4 datagram to complete (default 30000). */
  readonly timeoutIPv4?: number;
  /** Capture-time limit in milliseconds for an IPv6 datagram to complete (default 60000). */
  readonly timeoutIPv6?: number;
  /** Datagrams in progress at once (default 1024). */
  readonly maxDatagrams?: number;
}

/** Counters of what defragmentation saw. */
export interface DefragStats {
  fragments: number;
  reassembled: number;
  /** Fragments whose bytes overlapped bytes already held. */
  overlaps: number;
  /** Overlapping bytes that differed from those held (IPv4: the first kept). */
  conflicts: number;
  /** Datagrams given up: overlap (IPv6), too large, evicted, timed out. */
  dropped: number;
  timedOut: number;
}

/** What `push` makes of one IP datagram. */
export type DefragResult =
  | { readonly kind: "whole" }
  | { readonly kind: "held" }
  | { readonly kind: "dropped"; readonly reason: string }
  | { readonly kind: "reassembled"; readonly datagram: Uint8Array; readonly version: 4 | 6; readonly frames: readonly number[] };

interface Piece {
  start: number;
  data: Uint8Array;
}

interface Pending {
  readonly version: 4 | 6;
  readonly first: bigint;
  readonly frames: number[];
  pieces: Piece[];
  /** Payload length, once the last fragment is seen. */
  total: number;
  /** The header to rebuild with (IPv4 header or IPv6 unfragmentable part) from the offset-0 fragment. */
  header: Uint8Array | undefined;
  /** IPv6: where the next-header byte before the fragment header sits in `header`; the next header after it. */
  nhAt: number;
  nextHeader: number;
  dead: boolean;
}

const EXT_HEADERS = new Set([0, 43, 60]);

/** Return whether `a` and `b` hold the same bytes. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reassembles fragmented IP datagrams fed one at a time, in capture order. */
export class IpDefragmenter {
  readonly stats: DefragStats = { fragments: 0, reassembled: 0, overlaps: 0, conflicts: 0, dropped: 0, timedOut: 0 };
  private readonly pending = new Map<string, Pending>();
  private readonly timeout4: bigint;
  private readonly timeout6: bigint;
  private readonly max: number;

  /** Create a defragmenter. */
  constructor(options: DefragOptions = {}) {
    this.timeout4 = BigInt(options.timeoutIPv4 ?? 30_000) * 1_000_000n;
    this.timeout6 = BigInt(options.timeoutIPv6 ?? 60_000) * 1_000_000n;
    this.max = options.maxDatagrams ?? 1024;
  }

  /** Return the number of datagrams in progress. */
  get inProgress(): number {
    return this.pending.size;
  }

  /**
   * Feed one IP datagram (bytes from the IP header on) captured at `time` (ns) in frame `frame`.
   * A fragment is copied; the input bytes may be reused after the call.
   */
  push(ip: Uint8Array, time: bigint, frame: number): DefragResult {
    this.expire(time);
    if (ip.length < 1) return { kind: "whole" };
    const version = ip[0]! >> 4;
    if (version === 4) return this.push4(ip, time, frame);
    if (version === 6) return this.push6(ip, time, frame);
    return { kind: "whole" };
  }

  private push4(ip: Uint8Array, time: bigint, frame: number): DefragResult {
    if (ip.length < 20) return { kind: "whole" };
    const hl = (ip[0]! & 0x0f) * 4;
    const total = (ip[2]! << 8) | ip[3]!;
    const word = (ip[6]! << 8) | ip[7]!;
    const more = (word & 0x2000) !== 0;
    const offset = (word & 0x1fff) * 8;
    if (!more && offset === 0) return { kind: "whole" };
    if (hl < 20 || total < hl || total > ip.length) return { kind: "dropped", reason: "fragment header lengths do not fit the bytes" };
    this.stats.fragments++;
    const key = `4|${ip.subarray(12, 20).join(".")}|${ip[9]}|${(ip[4]! << 8) | ip[5]!}`;
    const p = this.entry(key, 4, time);
    p.frames.push(frame);
    const data = ip.subarray(hl, total);
    if (offset === 0) p.header = ip.slice(0, hl);
    return this.add(key, p, offset, data, more, hl);
  }

  private push6(ip: Uint8Array, time: bigint, frame: number): DefragResult {
    if (ip.length < 40) return { kind: "whole" };
    const end = Math.min(ip.length, 40 + ((ip[4]! << 8) | ip[5]!));
    let nh = ip[6]!;
    let nhAt = 6;
    let off = 40;
    while (EXT_HEADERS.has(nh)) {
      if (off + 2 > end) return { kind: "whole" };
      nhAt = off;
      nh = ip[off]!;
      off += (ip[off + 1]! + 1) * 8;
    }
    if (nh !== 44) return { kind: "whole" };
    if (off + 8 > end) return { kind: "dropped", reason: "IPv6 fragment header cut short" };
    const next = ip[off]!;
    const word = (ip[off + 2]! << 8) | ip[off + 3]!;
    const offset = word & 0xfff8;
    const more = (word & 1) !== 0;
    const id = ((ip[off + 4]! << 24) | (ip[off + 5]! << 16) | (ip[off + 6]! << 8) | ip[off + 7]!) >>> 0;
    const data = ip.subarray(off + 8, end);
    this.stats.fragments++;
    if (offset === 0 && !more) {
      // An atomic fragment: reassembled on its own.
      this.stats.reassembled++;
      return { kind: "reassembled", datagram: this.build6(ip.slice(0, off), nhAt, next, [{ start: 0, data }], data.length), version: 6, frames: [frame] };
    }
    const key = `6|${ip.subarray(8, 40).join(".")}|${id}`;
    const p = this.entry(key, 6, time);
    p.frames.push(frame);
    if (p.dead) return { kind: "dropped", reason: "an earlier fragment of this datagram overlapped (RFC 5722)" };
    if (offset === 0) {
      p.header = ip.slice(0, off);
      p.nhAt = nhAt;
      p.nextHeader = next;
    }
    if (more && data.length % 8 !== 0) return this.drop(key, p, "a fragment other than the last is not a multiple of 8 bytes");
    return this.add(key, p, offset, data, more, off);
  }

  private entry(key: string, version: 4 | 6, time: bigint): Pending {
    let p = this.pending.get(key);
    if (p === undefined) {
      if (this.pending.size >= this.max) {
        const [oldKey, old] = this.pending.entries().next().value as [string, Pending];
        this.drop(oldKey, old, "too many datagrams in progress");
      }
      p = { version, first: time, frames: [], pieces: [], total: -1, header: undefined, nhAt: 6, nextHeader: 0, dead: false };
      this.pending.set(key, p);
    }
    return p;
  }

  private drop(key: string, p: Pending, reason: string): DefragResult {
    this.stats.dropped++;
    if (p.version === 6 && reason.includes("RFC 5722")) {
      // Keep a tombstone so the rest of the datagram is discarded too, until the time-out.
      p.dead = true;
      p.pieces = [];
    } else {
      this.pending.delete(key);
    }
    return { kind: "dropped", reason };
  }

  private add(key: string, p: Pending, start: number, data: Uint8Array, more: boolean, headerLength: number): DefragResult {
    const end = start + data.length;
    if (end + headerLength > 65535) return this.drop(key, p, "the datagram would exceed 65535 bytes");
    if (!more) {
      if (p.total >= 0 && p.total !== end) return this.drop(key, p, "two last fragments disagree on the length");
      p.total = end;
    }
    if (p.total >= 0 && end > p.total) return this.drop(key, p, "a fragment reaches past the last fragment's end");
    // Insert keeping pieces sorted and disjoint; the bytes held first win.
    let pieces: Piece[] = [{ start, data }];
    for (const q of p.pieces) {
      const qEnd = q.start + q.data.length;
      const next: Piece[] = [];
      for (const n of pieces) {
        const nEnd = n.start + n.data.length;
        if (nEnd <= q.start || n.start >= qEnd) { next.push(n); continue; }
        // Overlap with a held piece.
        const lo = Math.max(n.start, q.start);
        const hi = Math.min(nEnd, qEnd);
        if (p.version === 6) {
          if (n.start === q.start && nEnd === qEnd && same(n.data, q.data)) return { kind: "held" };
          this.stats.overlaps++;
          return this.drop(key, p, "fragments overlap (RFC 5722)");
        }
        this.stats.overlaps++;
        if (!same(n.data.subarray(lo - n.start, hi - n.start), q.data.subarray(lo - q.start, hi - q.start))) this.stats.conflicts++;
        if (n.start < lo) next.push({ start: n.start, data: n.data.subarray(0, lo - n.start) });
        if (nEnd > hi) next.push({ start: hi, data: n.data.subarray(hi - n.start) });
      }
      pieces = next;
    }
    for (const n of pieces) p.pieces.push({ start: n.start, data: n.data.slice() });
    p.pieces.sort((a, b) => a.start - b.start);
    if (p.total < 0 || p.header === undefined) return { kind: "held" };
    let at = 0;
    for (const q of p.pieces) {
      if (q.start > at) return { kind: "held" };
      at = Math.max(at, q.start + q.data.length);
    }
    if (at < p.total) return { kind: "held" };
    this.pending.delete(key);
    this.stats.reassembled++;
    const datagram = p.version === 4 ? build4(p.header, p.pieces, p.total) : this.build6(p.header, p.nhAt, p.nextHeader, p.pieces, p.total);
    return { kind: "reassembled", datagram, version: p.version, frames: p.frames };
  }

  private build6(unfragmentable: Uint8Array, nhAt: number, next: number, pieces: readonly Piece[], total: number): Uint8Array {
    const out = new Uint8Array(unfragmentable.length + total);
    out.set(unfragmentable);
    for (const q of pieces) out.set(q.data, unfragmentable.length + q.start);
    out[nhAt] = next;
    const payload = out.length - 40;
    out[4] = payload >> 8;
    out[5] = payload & 0xff;
    return out;
  }

  private expire(now: bigint): void {
    for (const [key, p] of this.pending) {
      const limit = p.version === 4 ? this.timeout4 : this.timeout6;
      if (now - p.first <= limit) break;
      this.pending.delete(key);
      if (!p.dead) {
        this.stats.timedOut++;
        this.stats.dropped++;
      }
    }
  }
}

function build4(header: Uint8Array, pieces: readonly Piece[], total: number): Uint8Array {
  const hl = header.length;
  const out = new Uint8Array(hl + total);
  out.set(header);
  for (const q of pieces) out.set(q.data, hl + q.start);
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  out[6] &= 0x40; // keep DF, clear MF and the offset
  out[7] = 0;
  out[10] = 0;
  out[11] = 0;
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (out[i]! << 8) | out[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  out[10] = c >> 8;
  out[11] = c & 0xff;
  return out;
}
