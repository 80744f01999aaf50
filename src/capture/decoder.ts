/*
 * The incremental decoding contract shared by the in-memory readers and the streaming reader.
 *
 * A decoder reads one unit (file header, record or block) at a time straight from the caller's
 * buffer. When the buffer holds too little, it returns 0 and says how many bytes the unit needs,
 * so the streaming reader can carry just that unit over a chunk boundary.
 */
import { truncatedError } from "./errors.js";
import type { CaptureRecord } from "./record.js";

/** An incremental capture-file decoder (internal). */
export interface Decoder {
  /**
   * Decode one unit starting at `buf[pos]`, of which `avail` bytes are present; `offset` is the
   * unit's byte offset in the file. Return the unit's length, or 0 after setting `need` when more
   * bytes are needed. Set `record` when the unit is a packet.
   */
  step(buf: Uint8Array, dv: DataView, pos: number, avail: number, offset: number): number;
  /**
   * Decode every whole unit in `buf[pos..end)` (`offset` is `buf[pos]`'s byte offset in the file),
   * pushing records to `out`; return the position of the first unit not wholly present (`need`
   * says its size) or `end`. The same as calling `step` in a loop, without a call per unit.
   */
  decode(buf: Uint8Array, dv: DataView, pos: number, end: number, offset: number, out: CaptureRecord[]): number;
  /** The bytes the pending unit needs, valid after `step` returned 0. */
  need: number;
  /** What the pending unit is ("file header", "record", "block"), for messages. */
  unit: string;
  /** The record decoded by the last `step`, if any; the caller clears it. */
  record: CaptureRecord | undefined;
}

/** Return a DataView over exactly the bytes of `u8`. */
export function viewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** How many bytes the in-memory readers decode at a time (a batch of records, then the next). */
const SPAN = 256 * 1024;

/**
 * Decode a whole in-memory file, a span of records at a time; iterating yields each record and
 * throws after the last good one.
 */
export class DecodeAll implements IterableIterator<CaptureRecord> {
  private readonly dec: Decoder;
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private pos = 0;
  private batch: CaptureRecord[] = [];
  private i = 0;
  private error: unknown = undefined;
  private done = false;

  constructor(dec: Decoder, bytes: Uint8Array) {
    this.dec = dec;
    this.bytes = bytes;
    this.dv = viewOf(bytes);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<CaptureRecord> {
    if (this.i < this.batch.length) return { done: false, value: this.batch[this.i++]! };
    return this.refill();
  }

  return(): IteratorResult<CaptureRecord> {
    this.done = true;
    this.batch = [];
    return { done: true, value: undefined };
  }

  private refill(): IteratorResult<CaptureRecord> {
    const out: CaptureRecord[] = [];
    while (out.length === 0) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        this.done = true;
        throw e;
      }
      const end = this.bytes.length;
      if (this.done || (this.pos >= end && this.pos > 0)) {
        this.done = true;
        return { done: true, value: undefined };
      }
      const dec = this.dec;
      const start = this.pos;
      // Decode up to a span's end; a unit crossing it starts the next span.
      const stop = Math.min(end, start + SPAN);
      try {
        let p = dec.decode(this.bytes, this.dv, start, stop, start, out);
        // A unit longer than a span: give it its whole size.
        if (p === start && stop < end) p = dec.decode(this.bytes, this.dv, start, Math.min(end, start + dec.need), start, out);
        if (p === start) throw truncation(dec, start, end - start);
        this.pos = p;
      } catch (e) {
        // Hand out the good records first.
        if (out.length === 0) {
          this.done = true;
          throw e;
        }
        this.error = e;
      }
    }
    this.batch = out;
    this.i = 1;
    return { done: false, value: out[0]! };
  }
}

/** Decode a whole in-memory file, yielding each record; throw after the last good one. */
export function decodeAll(dec: Decoder, bytes: Uint8Array): IterableIterator<CaptureRecord> {
  return new DecodeAll(dec, bytes);
}

/** Build the error for a unit cut short by the end of the file. */
export function truncation(dec: Decoder, offset: number, have: number): Error {
  if (offset === 0 && have === 0) return truncatedError(0, "capture file is empty");
  return truncatedError(offset, `${dec.unit} is truncated: it needs ${dec.need} bytes, the file has ${have} left`);
}
