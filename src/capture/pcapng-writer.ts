/*
 * pcapng writing: one section, interfaces declared up front or one per link type on demand,
 * enhanced packet blocks with nanosecond timestamps (if_tsresol = 9) and optional comments.
 */
import type { Writable } from "node:stream";
import { PcapngBlockType } from "./pcapng.js";
import { type RecordInit, LinkType } from "./record.js";
import { ByteSink, MemorySink } from "./sink.js";

const SHB = PcapngBlockType.SECTION_HEADER;
const BOM = 0x1a2b3c4d;
const utf8Encoder = new TextEncoder();

/** An interface to declare in a pcapng writer. */
export interface PcapngInterfaceInit {
  /** The link-layer header type. */
  linkType: number;
  /** The snapshot length (default: the writer's). */
  snaplen?: number;
  /** if_name. */
  name?: string;
  /** if_description. */
  description?: string;
}

/** Options of pcapng writers. */
export interface PcapngWriterOptions {
  /** The link type of records that give none (default ETHERNET). */
  linkType?: number;
  /** The snapshot length of interfaces; longer frames are cut to it (default 262144). */
  snaplen?: number;
  /**
   * Interfaces to declare up front; records then pick one by `interface`. Without them, the
   * writer declares one interface per link type as records need them.
   */
  interfaces?: PcapngInterfaceInit[];
  /** shb_userappl (default "wirecraft"). */
  application?: string;
  /** The section's comment. */
  comment?: string;
  /** The byte order; default little-endian. */
  byteOrder?: "little" | "big";
  /** End a caller's stream on close (default true; a stream the writer opened is always ended). */
  end?: boolean;
}

interface Out {
  buf: Uint8Array;
  dv: DataView;
  len: number;
  reserve(n: number): void;
}

/** Serialises pcapng blocks (internal). */
class PcapngEncoder {
  private readonly le: boolean;
  private readonly options: PcapngWriterOptions;
  private readonly snaplen: number;
  private readonly declared: boolean;
  private readonly snaplens: number[] = [];
  private readonly byLinkType = new Map<number, number>();
  private started = false;

  constructor(options: PcapngWriterOptions) {
    this.options = options;
    this.le = (options.byteOrder ?? "little") === "little";
    this.snaplen = options.snaplen ?? 262144;
    this.declared = options.interfaces !== undefined;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 0 || this.snaplen > 0xffffffff) {
      throw new RangeError(`snaplen must be a 32-bit integer, got ${this.snaplen}`);
    }
  }

  /** Write the section header and declared interfaces, once. */
  start(out: Out): void {
    if (this.started) return;
    this.started = true;
    const opts: [number, Uint8Array][] = [];
    if (this.options.comment !== undefined) opts.push([1, utf8Encoder.encode(this.options.comment)]);
    opts.push([4, utf8Encoder.encode(this.options.application ?? "wirecraft")]);
    const p = this.block(out, SHB, 16, opts);
    const dv = out.dv;
    dv.setUint32(p, BOM, this.le);
    dv.setUint16(p + 4, 1, this.le);
    dv.setUint16(p + 6, 0, this.le);
    dv.setBigInt64(p + 8, -1n, this.le);
    for (const i of this.options.interfaces ?? []) this.interface(out, i);
  }

  /** Write an interface description block; return its ID. */
  private interface(out: Out, i: PcapngInterfaceInit): number {
    const opts: [number, Uint8Array][] = [];
    if (i.name !== undefined) opts.push([2, utf8Encoder.encode(i.name)]);
    if (i.description !== undefined) opts.push([3, utf8Encoder.encode(i.description)]);
    opts.push([9, Uint8Array.of(9)]);
    const snaplen = i.snaplen ?? this.snaplen;
    const p = this.block(out, 1, 8, opts);
    out.dv.setUint16(p, i.linkType, this.le);
    out.dv.setUint16(p + 2, 0, this.le);
    out.dv.setUint32(p + 4, snaplen, this.le);
    this.snaplens.push(snaplen);
    return this.snaplens.length - 1;
  }

  /** Write a block of `fixed` body bytes plus options; return where the fixed part starts. */
  private block(out: Out, type: number, fixed: number, opts: [number, Uint8Array][], tail = 0): number {
    let size = 12 + fixed;
    for (const [, v] of opts) size += 4 + ((v.length + 3) & ~3);
    if (opts.length > 0) size += 4;
    out.reserve(size + tail);
    const { buf, dv } = out;
    const start = out.len;
    const le = this.le;
    dv.setUint32(start, type, le);
    dv.setUint32(start + 4, size + tail, le);
    let p = start + 8 + fixed + tail;
    for (const [code, v] of opts) {
      if (v.length > 0xffff) throw new RangeError(`pcapng option ${code} is longer than 65535 bytes`);
      dv.setUint16(p, code, le);
      dv.setUint16(p + 2, v.length, le);
      buf.set(v, p + 4);
      const padded = (v.length + 3) & ~3;
      buf.fill(0, p + 4 + v.length, p + 4 + padded);
      p += 4 + padded;
    }
    if (opts.length > 0) {
      dv.setUint32(p, 0, le);
      p += 4;
    }
    dv.setUint32(p, size + tail, le);
    out.len = p + 4;
    return start + 8;
  }

  /** Return the interface ID for a record, declaring one if needed. */
  private interfaceFor(out: Out, r: RecordInit): number {
    if (this.declared) {
      const id = r.interface ?? 0;
      if (!(id >= 0 && id < this.snaplens.length)) {
        throw new RangeError(`record names interface ${String(r.interface)}, but the writer declares ${this.snaplens.length}`);
      }
      return id;
    }
    const lt = r.linkType ?? this.options.linkType ?? LinkType.ETHERNET;
    let id = this.byLinkType.get(lt);
    if (id === undefined) {
      id = this.interface(out, { linkType: lt });
      this.byLinkType.set(lt, id);
    }
    return id;
  }

  /** Write an enhanced packet block with nanosecond time. */
  packet(out: Out, r: RecordInit): void {
    this.start(out);
    const id = this.interfaceFor(out, r);
    const t = r.time;
    if (typeof t !== "bigint" || t < 0n || t > 0xffffffffffffffffn) {
      throw new RangeError(`record time must be a non-negative bigint of nanoseconds, got ${String(t)}`);
    }
    const snaplen = this.snaplens[id]!;
    const data = snaplen !== 0 && r.data.length > snaplen ? r.data.subarray(0, snaplen) : r.data;
    const padded = (data.length + 3) & ~3;
    const opts: [number, Uint8Array][] = r.comment === undefined ? NO_OPTIONS : [[1, utf8Encoder.encode(r.comment)]];
    const p = this.block(out, 6, 20, opts, padded);
    const { buf, dv } = out;
    const le = this.le;
    dv.setUint32(p, id, le);
    dv.setUint32(p + 4, Number(t >> 32n), le);
    dv.setUint32(p + 8, Number(t & 0xffffffffn), le);
    dv.setUint32(p + 12, data.length, le);
    dv.setUint32(p + 16, r.originalLength ?? r.data.length, le);
    buf.set(data, p + 20);
    buf.fill(0, p + 20 + data.length, p + 20 + padded);
  }
}

const NO_OPTIONS: [number, Uint8Array][] = [];

/** Write a pcapng file (one section, nanosecond timestamps) to a Writable or a file path. */
export class PcapngWriter {
  private readonly sink: ByteSink;
  private readonly enc: PcapngEncoder;

  /** Open a writer; the section header is written with the first record (or on close). */
  constructor(target: Writable | string, options: PcapngWriterOptions = {}) {
    this.enc = new PcapngEncoder(options);
    this.sink = new ByteSink(target, options.end ?? true);
  }

  /** Append one record; the promise resolves when the stream can take more. */
  write(record: RecordInit): Promise<void> {
    this.enc.packet(this.sink, record);
    return this.sink.settle() ?? RESOLVED;
  }

  /** Hand buffered bytes to the stream. */
  flush(): Promise<void> {
    return this.sink.flush();
  }

  /** Write the section header if nothing was written, flush, end the stream and wait. */
  async close(): Promise<void> {
    this.enc.start(this.sink);
    await this.sink.close();
  }
}

const RESOLVED = Promise.resolve();

/** Encode records as a whole pcapng file in memory. */
export function encodePcapng(records: Iterable<RecordInit>, options: PcapngWriterOptions = {}): Uint8Array {
  const enc = new PcapngEncoder(options);
  const out = new MemorySink();
  enc.start(out);
  for (const r of records) enc.packet(out, r);
  return out.bytes();
}
