/**
 * The byte queues of a connection: the send buffer (bytes from SND.UNA on: sent and not yet
 * acknowledged, then not yet sent) and the out-of-order queue of the receiver (RFC 9293 3.10.7.4,
 * bounded: only data within the advertised window, and at most a given number of segments).
 */
import { seqAdd, seqDiff, seqGt, seqLeq, seqLt } from "./seq.js";

/** A FIFO of bytes held as chunks, read at any offset, consumed from the front. */
export class SendBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private size = 0;

  /** Return the bytes held. */
  get length(): number {
    return this.size;
  }

  /** Append bytes (kept by reference: the caller must not change them). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** Return `length` bytes from `start` (a view when they lie in one chunk, else a copy). */
  read(start: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size - start));
    let pos = start + this.offset;
    let i = this.head;
    while (i < this.chunks.length && pos >= this.chunks[i]!.length) { pos -= this.chunks[i]!.length; i++; }
    const first = this.chunks[i];
    if (first === undefined || n === 0) return new Uint8Array(0);
    if (pos + n <= first.length) return first.subarray(pos, pos + n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[i++]!;
      const take = Math.min(c.length - pos, n - filled);
      out.set(c.subarray(pos, pos + take), filled);
      filled += take;
      pos = 0;
    }
    return out;
  }

  /** Drop `n` bytes from the front. */
  consume(n: number): void {
    let left = Math.min(n, this.size);
    this.size -= left;
    while (left > 0) {
      const c = this.chunks[this.head]!;
      const room = c.length - this.offset;
      if (left < room) { this.offset += left; break; }
      left -= room;
      this.chunks[this.head] = undefined as unknown as Uint8Array;
      this.head++;
      this.offset = 0;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** Drop everything. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.size = 0;
  }
}

interface Piece {
  seq: number;
  data: Uint8Array;
}

/** Out-of-order data waiting for the gap before it to fill; also makes SACK blocks (RFC 2018). */
export class OutOfOrderQueue {
  /** Sorted by seq, not overlapping. */
  private pieces: Piece[] = [];
  private held = 0;
  /** Sequence numbers of recent arrivals, most recent first (the SACK block order of RFC 2018 4). */
  private recent: number[] = [];
  /** Sequence number of a FIN seen out of order (its place: the end of the data before it). */
  finSeq: number | undefined;

  constructor(private readonly maxPieces: number) {}

  /** Return the bytes held. */
  get bytes(): number {
    return this.held;
  }

  /** Return the pieces held. */
  get count(): number {
    return this.pieces.length;
  }

  /** Hold `data` at `seq` (the part not already held); return false when the piece bound refused it. */
  insert(seq: number, data: Uint8Array): boolean {
    let start = seq;
    let bytes = data;
    const out: Piece[] = [];
    let i = 0;
    const ps = this.pieces;
    while (i < ps.length && seqLeq(seqAdd(ps[i]!.seq, ps[i]!.data.length), start)) out.push(ps[i++]!);
    // Trim against pieces overlapping the new one; split around them.
    const added: Piece[] = [];
    while (bytes.length > 0) {
      const next = ps[i];
      const end = seqAdd(start, bytes.length);
      if (next === undefined || seqLeq(end, next.seq)) { added.push({ seq: start, data: bytes }); break; }
      if (seqLt(start, next.seq)) {
        const before = seqDiff(next.seq, start);
        added.push({ seq: start, data: bytes.subarray(0, before) });
      }
      const nextEnd = seqAdd(next.seq, next.data.length);
      const skip = seqDiff(nextEnd, start);
      if (skip >= bytes.length) break;
      bytes = bytes.subarray(skip);
      start = nextEnd;
      out.push(next);
      i++;
    }
    if (added.length === 0) { this.touch(seq); return true; }
    if (ps.length + added.length > this.maxPieces) return false;
    const merged = [...out, ...added].sort((a, b) => seqDiff(a.seq, b.seq));
    for (; i < ps.length; i++) merged.push(ps[i]!);
    this.pieces = merged;
    for (const a of added) { a.data = a.data.slice(); this.held += a.data.length; }
    this.touch(seq);
    return true;
  }

  private touch(seq: number): void {
    this.recent = [seq, ...this.recent.filter((s) => s !== seq)].slice(0, 4);
  }

  /** Remove and return the data that now continues at `rcvNxt` (in order), if any. */
  take(rcvNxt: number): Uint8Array[] {
    const got: Uint8Array[] = [];
    let next = rcvNxt;
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      const end = seqAdd(p.seq, p.data.length);
      if (seqGt(p.seq, next)) break;
      this.pieces.shift();
      this.held -= p.data.length;
      if (seqGt(end, next)) {
        got.push(p.data.subarray(seqDiff(next, p.seq)));
        next = end;
      }
    }
    return got;
  }

  /** Drop data before `rcvNxt` that is already delivered. */
  dropBefore(rcvNxt: number): void {
    while (this.pieces.length > 0 && seqLeq(seqAdd(this.pieces[0]!.seq, this.pieces[0]!.data.length), rcvNxt)) {
      this.held -= this.pieces.shift()!.data.length;
    }
  }

  /** Return the SACK blocks: the one holding the latest arrival first, then other recent ones, then the rest from the highest. */
  sackBlocks(limit: number): [number, number][] {
    const blocks: [number, number][] = [];
    for (const p of this.pieces) {
      const end = seqAdd(p.seq, p.data.length);
      const last = blocks[blocks.length - 1];
      if (last !== undefined && last[1] === p.seq) last[1] = end;
      else blocks.push([p.seq, end]);
    }
    const out: [number, number][] = [];
    for (const s of this.recent) {
      const b = blocks.find((x) => seqLeq(x[0], s) && seqLt(s, x[1]));
      if (b !== undefined && !out.includes(b)) out.push(b);
    }
    for (let i = blocks.length - 1; i >= 0 && out.length < limit; i--) if (!out.includes(blocks[i]!)) out.push(blocks[i]!);
    return out.slice(0, limit);
  }

  /** Drop everything. */
  clear(): void {
    this.pieces = [];
    this.held = 0;
    this.recent = [];
    this.finSeq = undefined;
  }
}
