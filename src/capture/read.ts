/*
 * Streaming capture reading and whole-file writing.
 *
 * `readPcap` decodes records straight from each chunk the source gives. Only a unit (record or
 * block) that straddles a chunk boundary is copied, into a buffer of exactly its size, so memory
 * stays bounded by the chunk size plus the largest record, whatever the file's size.
 */
import { readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { Writable } from "node:stream";
import { type Decoder, truncation, viewOf } from "./decoder.js";
import { formatError, truncatedError } from "./errors.js";
import { PcapDecoder, PcapWriter, type PcapHeader } from "./pcap.js";
import {
  type InterfaceStatistics,
  type NameEntry,
  PcapngDecoder,
  type PcapngInterface,
  type PcapngSection,
} from "./pcapng.js";
import { PcapngWriter } from "./pcapng-writer.js";
import type { CaptureRecord, RecordInit } from "./record.js";

/** A capture source: a file path ("-" for stdin), a Node stream, async chunks or bytes. */
export type CaptureSource = string | NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** Options of `readPcap`. */
export interface ReadOptions {
  /** The read size for file paths (default 256 KiB). */
  chunkSize?: number;
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xa1b23c4d, 0xd4c3b2a1, 0x4d3cb2a1]);

/** Pick the decoder for a file starting with these 4 bytes. */
function detect(buf: Uint8Array, pos: number): PcapDecoder | PcapngDecoder {
  const magic = new DataView(buf.buffer, buf.byteOffset + pos, 4).getUint32(0, true);
  if (PCAP_MAGICS.has(magic)) return new PcapDecoder();
  if (magic === 0x0a0d0d0a) return new PcapngDecoder();
  throw formatError(0, `not a pcap or pcapng file: magic number 0x${magic.toString(16).padStart(8, "0")}`);
}

/** The default read size for file paths. */
const CHUNK_SIZE = 256 * 1024;

/** A chunk's memory, not zeroed (every byte handed out is read into first). */
function chunkBuffer(size: number): Uint8Array {
  // Buffer.allocUnsafe gives a chunk of this size its own ArrayBuffer; hand out a plain Uint8Array.
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** Resolves after the event loop has had a turn (timers, I/O callbacks). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Read a file in fresh chunks (records may keep views into them, so none is reused).
 *
 * A regular file is read with one synchronous read per chunk (as libpcap reads), and the event
 * loop gets a turn between chunks: measured, that costs less CPU than handing each read to
 * libuv's thread pool and waking up for its result. Other files (pipes, devices), which may
 * block indefinitely, are read asynchronously.
 */
export async function* readFileChunks(path: string, chunkSize = CHUNK_SIZE): AsyncGenerator<Uint8Array, void, undefined> {
  const file = await open(path, "r");
  try {
    const regular = (await file.stat()).isFile();
    for (;;) {
      const buf = chunkBuffer(chunkSize);
      let n: number;
      if (regular) {
        n = readSync(file.fd, buf, 0, chunkSize, null);
        await turn();
      } else {
        n = (await file.read(buf, 0, chunkSize, null)).bytesRead;
      }
      if (n === 0) return;
      if (n === chunkSize) {
        yield buf;
        continue;
      }
      // No stale bytes after the data in the chunk's memory.
      buf.fill(0, n);
      yield buf.subarray(0, n);
    }
  } finally {
    await file.close();
  }
}

/** Turn any capture source into async chunks of bytes. */
function chunksOf(source: CaptureSource, chunkSize: number): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof source === "string") {
    if (source === "-") return process.stdin as AsyncIterable<Uint8Array>;
    return readFileChunks(source, chunkSize);
  }
  if (source instanceof Uint8Array) return [source];
  if (Symbol.asyncIterator in source || Symbol.iterator in source) {
    return source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  }
  throw new TypeError("readPcap needs a path, a readable stream or an iterable of Uint8Array chunks");
}

/**
 * An async iterable of the records of a pcap or pcapng source, with the file's metadata.
 * Metadata fills in as iteration reaches it. Records' data may be views into the source's chunks.
 */
export class CaptureReader implements AsyncIterable<CaptureRecord> {
  /** The detected format, once the first bytes have been read. */
  format: "pcap" | "pcapng" | undefined = undefined;
  private readonly source: CaptureSource;
  private readonly chunkSize: number;
  private decoder: PcapDecoder | PcapngDecoder | undefined;
  private used = false;

  /** Wrap a source; nothing is read until iteration starts. */
  constructor(source: CaptureSource, options: ReadOptions = {}) {
    this.source = source;
    this.chunkSize = options.chunkSize ?? CHUNK_SIZE;
  }

  /** The pcap file header (pcap only). */
  get header(): PcapHeader | undefined {
    return this.decoder instanceof PcapDecoder ? this.decoder.header : undefined;
  }
  /** The pcapng section headers read so far. */
  get sections(): readonly PcapngSection[] {
    return this.decoder instanceof PcapngDecoder ? this.decoder.sections : [];
  }
  /** The pcapng interfaces read so far; records' `interface` indexes this list. */
  get interfaces(): readonly PcapngInterface[] {
    return this.decoder instanceof PcapngDecoder ? this.decoder.interfaces : [];
  }
  /** The pcapng name resolution entries read so far. */
  get names(): readonly NameEntry[] {
    return this.decoder instanceof PcapngDecoder ? this.decoder.names : [];
  }
  /** The pcapng interface statistics read so far. */
  get statistics(): readonly InterfaceStatistics[] {
    return this.decoder instanceof PcapngDecoder ? this.decoder.statistics : [];
  }

  /** Iterate once over the records; throw CaptureError after the last good record. */
  [Symbol.asyncIterator](): AsyncIterator<CaptureRecord> {
    if (this.used) throw new Error("a CaptureReader can be iterated only once");
    this.used = true;
    // Records are decoded a chunk at a time and handed out from that batch, which costs one
    // resolved promise per record instead of an async generator's round trips.
    const batches = this.run();
    let batch: CaptureRecord[] = [];
    let i = 0;
    const refill = async (): Promise<IteratorResult<CaptureRecord>> => {
      for (;;) {
        const next = await batches.next();
        if (next.done === true) return { done: true, value: undefined };
        if (next.value.length > 0) {
          batch = next.value;
          i = 1;
          return { done: false, value: batch[0]! };
        }
      }
    };
    return {
      next: (): Promise<IteratorResult<CaptureRecord>> => {
        if (i < batch.length) return Promise.resolve({ done: false, value: batch[i++]! });
        return refill();
      },
      return: async (): Promise<IteratorResult<CaptureRecord>> => {
        batch = [];
        await batches.return(undefined);
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Iterate once over the records a chunk at a time: each step gives the records decoded from one
   * chunk of the source (possibly none). One await per chunk instead of one per record, for loops
   * where a resolved promise per record is the main cost: `for await (const batch of r.batches())`.
   */
  batches(): AsyncIterable<CaptureRecord[]> {
    if (this.used) throw new Error("a CaptureReader can be iterated only once");
    this.used = true;
    return { [Symbol.asyncIterator]: () => this.run() };
  }

  private async *run(): AsyncGenerator<CaptureRecord[], void, undefined> {
    let dec: Decoder | undefined;
    // A unit straddling chunks is gathered here, in a buffer of its exact size.
    let carry: Uint8Array | undefined;
    let carryDv: DataView | undefined;
    let carryLen = 0;
    // The file offset of the unit being decoded.
    let base = 0;
    for await (const raw of chunksOf(this.source, this.chunkSize)) {
      if (!(raw instanceof Uint8Array)) throw new TypeError("capture source gave a chunk that is not a Uint8Array (was an encoding set?)");
      const chunk = raw;
      const end = chunk.length;
      const batch: CaptureRecord[] = [];
      let pos = 0;
      try {
        if (carry !== undefined) {
          for (;;) {
            const need = dec === undefined ? 4 : dec.need;
            if (carryLen < need) {
              if (need > carry.length) {
                const grown = new Uint8Array(need);
                grown.set(carry.subarray(0, carryLen));
                carry = grown;
                carryDv = undefined;
              }
              const take = Math.min(need - carryLen, end - pos);
              carry.set(chunk.subarray(pos, pos + take), carryLen);
              carryLen += take;
              pos += take;
              if (carryLen < need) break;
            }
            if (dec === undefined) {
              dec = this.start(carry, 0);
              continue;
            }
            carryDv ??= viewOf(carry);
            const n = dec.step(carry, carryDv, 0, carryLen, base);
            if (n === 0) continue;
            base += n;
            const r = dec.record;
            if (r !== undefined) {
              dec.record = undefined;
              batch.push(r);
            }
            if (n < carryLen) {
              // Not expected (a unit's need is exact), but keep any excess bytes.
              carry = carry.slice(n, carryLen);
              carryLen -= n;
              carryDv = undefined;
            } else {
              carry = undefined;
              carryDv = undefined;
              carryLen = 0;
              break;
            }
          }
        }
        if (carry === undefined) {
          if (dec === undefined && end - pos >= 4) dec = this.start(chunk, pos);
          if (dec !== undefined && pos < end) {
            const from = pos;
            try {
              pos = dec.decode(chunk, viewOf(chunk), pos, end, base, batch);
            } finally {
              base += pos - from;
            }
          }
          if (pos < end) {
            carryLen = end - pos;
            carry = new Uint8Array(Math.max(carryLen, dec === undefined ? 4 : dec.need));
            carry.set(chunk.subarray(pos));
            carryDv = undefined;
          }
        }
      } catch (err) {
        // Hand out the good records before the error.
        if (batch.length > 0) yield batch;
        throw err;
      }
      yield batch;
    }
    if (dec === undefined) {
      throw carryLen === 0
        ? truncatedError(0, "capture file is empty")
        : truncatedError(0, `capture file is truncated: ${carryLen} bytes cannot hold a file header`);
    }
    if (carry !== undefined) throw truncation(dec, base, carryLen);
  }

  private start(buf: Uint8Array, pos: number): Decoder {
    const dec = detect(buf, pos);
    this.decoder = dec;
    this.format = dec instanceof PcapDecoder ? "pcap" : "pcapng";
    return dec;
  }
}

/**
 * Read the records of a pcap or pcapng file, stream or chunk source ("-" reads stdin), detecting
 * the format from its magic number, in constant memory. Yields every good record, then throws
 * CaptureError (with the byte offset) if the file is corrupt or truncated.
 */
export function readPcap(source: CaptureSource, options: ReadOptions = {}): CaptureReader {
  return new CaptureReader(source, options);
}

/** Options of `writePcap`. */
export interface WriteOptions {
  /** The file format; by default pcapng for a ".pcapng" path, else pcap. */
  format?: "pcap" | "pcapng";
  /** The link type of records that give none (pcap: of the whole file). */
  linkType?: number;
  /** The snapshot length. */
  snaplen?: number;
  /** pcap only: write nanosecond timestamps (default true). */
  nanosecond?: boolean;
}

/** Write records to a capture file ("-" for stdout); resolve to the number written. */
export async function writePcap(
  target: string | Writable,
  records: Iterable<RecordInit> | AsyncIterable<RecordInit>,
  options: WriteOptions = {},
): Promise<number> {
  const format = options.format ?? (typeof target === "string" && /\.pcapng$/i.test(target) ? "pcapng" : "pcap");
  const out = target === "-" ? process.stdout : target;
  const end = out !== process.stdout;
  const writer =
    format === "pcapng"
      ? new PcapngWriter(out, { linkType: options.linkType, snaplen: options.snaplen, end })
      : new PcapWriter(out, { linkType: options.linkType, snaplen: options.snaplen, nanosecond: options.nanosecond ?? true, end });
  let count = 0;
  try {
    for await (const r of records) {
      await writer.write(r);
      count++;
    }
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
  await writer.close();
  return count;
}
