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

/** Decode a whole in-memory file, yielding each record; throw after the last good one. */
export function* decodeAll(dec: Decoder, bytes: Uint8Array): Generator<CaptureRecord, void, undefined> {
  const dv = viewOf(bytes);
  const end = bytes.length;
  let pos = 0;
  do {
    const n = dec.step(bytes, dv, pos, end - pos, pos);
    if (n === 0) throw truncation(dec, pos, end - pos);
    pos += n;
    const r = dec.record;
    if (r !== undefined) {
      dec.record = undefined;
      yield r;
    }
  } while (pos < end);
}

/** Build the error for a unit cut short by the end of the file. */
export function truncation(dec: Decoder, offset: number, have: number): Error {
  if (offset === 0 && have === 0) return truncatedError(0, "capture file is empty");
  return truncatedError(offset, `${dec.unit} is truncated: it needs ${dec.need} bytes, the file has ${have} left`);
}
