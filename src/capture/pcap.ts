/*
 * Classic libpcap files (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html).
 *
 *   file header (24 bytes): magic, version major/minor (u16), thiszone, sigfigs, snaplen, linktype
 *   record header (16 bytes): seconds, micro- or nanoseconds, captured length, original length
 *
 * Magic a1b2c3d4 means microsecond stamps, a1b23c4d nanosecond stamps; the byte order of the magic
 * as read gives the byte order of the whole file.
 */
import type { Writable } from "node:stream";
import { type Decoder, decodeAll, viewOf } from "./decoder.js";
import { formatError } from "./errors.js";
import { type CaptureRecord, type RecordInit, LinkType } from "./record.js";
import { ByteSink, MemorySink } from "./sink.js";

/** The magic number of microsecond pcap files. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** The magic number of nanosecond pcap files. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** The largest captured length readers accept whatever the snaplen says (Wireshark's limit). */
const STANDARD_MAX = 262144;
/** A hard cap on a record's captured length, so a corrupt header cannot ask for gigabytes. */
const HARD_MAX = 256 * 1024 * 1024;
const NS = 1_000_000_000n;

/** The fields of a pcap file header. */
export interface PcapHeader {
  /** The file's byte order. */
  byteOrder: "little" | "big";
  /** True when timestamps carry nanoseconds (magic a1b23c4d). */
  nanosecond: boolean;
  /** The format's major version (2). */
  versionMajor: number;
  /** The format's minor version (4). */
  versionMinor: number;
  /** The snapshot length: the most bytes captured per frame. */
  snaplen: number;
  /** The link-layer header type of every record. */
  linkType: number;
}

/** Return true when `bytes` starts with a pcap magic number in either byte order. */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const m = viewOf(bytes).getUint32(0, true);
  return m === PCAP_MAGIC || m === PCAP_MAGIC_NS || m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
}

/** The incremental pcap decoder (internal; see `Decoder`). */
export class PcapDecoder implements Decoder {
  need = 24;
  unit = "pcap file header";
  record: CaptureRecord | undefined = undefined;
  header: PcapHeader | undefined = undefined;
  private le = true;
  private ns = false;
  private linkType = 0;
  private snaplen = 0;
  private max = 0;
  private sec = -1;
  private base = 0n;
  private readonly one: CaptureRecord[] = [];

  step(buf: Uint8Array, dv: DataView, pos: number, avail: number, offset: number): number {
    if (this.header === undefined) return this.readHeader(dv, pos, avail, offset);
    if (avail < 16) {
      this.need = 16;
      this.unit = "pcap record header";
      return 0;
    }
    // One record: `decode` over exactly its bytes (it checks the snaplen and says what a short
    // record needs), so that one place makes records.
    const one = this.one;
    const size = 16 + dv.getUint32(pos + 8, this.le);
    const next = this.decode(buf, dv, pos, pos + Math.min(avail, size), offset, one);
    if (next === pos) return 0;
    this.record = one.pop();
    return next - pos;
  }

  decode(buf: Uint8Array, dv: DataView, pos: number, end: number, offset: number, out: CaptureRecord[]): number {
    const first = pos;
    if (this.header === undefined) {
      const n = this.readHeader(dv, pos, end - pos, offset);
      if (n === 0) return pos;
      pos += n;
    }
    const le = this.le;
    const max = this.max;
    const linkType = this.linkType;
    // Records of one second share its nanoseconds (a bigint made once per second, not per record).
    const scale = this.ns ? 1 : 1000;
    let sec = this.sec;
    let base = this.base;
    // A record's bytes as a view made by the constructor, which costs less than `subarray`'s
    // species look-up (measured: that line was the loop's costliest); a Buffer given to
    // readPcapSync still gets Buffer views, as subarray made them.
    const ab = buf.buffer;
    const at = buf.byteOffset;
    const plain = buf.constructor === Uint8Array;
    while (end - pos >= 16) {
      const incl = dv.getUint32(pos + 8, le);
      if (incl > max) {
        throw formatError(offset + pos - first, `pcap record has captured length ${incl}, more than the snaplen ${this.snaplen} allows`);
      }
      const size = 16 + incl;
      if (end - pos < size) {
        this.need = size;
        this.unit = "pcap record";
        this.sec = sec;
        this.base = base;
        return pos;
      }
      const s = dv.getUint32(pos, le);
      if (s !== sec) {
        sec = s;
        base = BigInt(s) * NS;
      }
      out.push({
        time: base + BigInt(dv.getUint32(pos + 4, le) * scale),
        data: plain ? new Uint8Array(ab, at + pos + 16, incl) : buf.subarray(pos + 16, pos + size),
        originalLength: dv.getUint32(pos + 12, le),
        linkType,
        interface: 0,
      });
      pos += size;
    }
    this.sec = sec;
    this.base = base;
    if (pos < end) {
      this.need = 16;
      this.unit = "pcap record header";
    }
    return pos;
  }

  private readHeader(dv: DataView, pos: number, avail: number, offset: number): number {
    if (avail < 24) {
      this.need = 24;
      return 0;
    }
    const magic = dv.getUint32(pos, true);
    let le: boolean;
    if (magic === PCAP_MAGIC || magic === PCAP_MAGIC_NS) le = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
    else throw formatError(offset, `not a pcap file: magic number 0x${magic.toString(16).padStart(8, "0")}`);
    const ns = magic === PCAP_MAGIC_NS || magic === 0x4d3cb2a1;
    const versionMajor = dv.getUint16(pos + 4, le);
    const versionMinor = dv.getUint16(pos + 6, le);
    if (versionMajor !== 2) {
      throw formatError(offset, `unsupported pcap version ${versionMajor}.${versionMinor} (expected 2.x)`);
    }
    const snaplen = dv.getUint32(pos + 16, le);
    // Bits 26..31 of the link type field carry FCS information (LT_LINKTYPE in libpcap).
    const linkType = dv.getUint32(pos + 20, le) & 0x03ffffff;
    this.header = { byteOrder: le ? "little" : "big", nanosecond: ns, versionMajor, versionMinor, snaplen, linkType };
    this.le = le;
    this.ns = ns;
    this.linkType = linkType;
    this.snaplen = snaplen;
    // Like libpcap and Wireshark, accept records up to the standard maximum even when the
    // snaplen is smaller; reject larger ones as corrupt.
    this.max = Math.min(Math.max(snaplen, STANDARD_MAX), HARD_MAX);
    this.unit = "pcap record";
    return 24;
  }
}

/** An in-memory pcap file: its header and an iterable of its records. */
export class PcapReader implements Iterable<CaptureRecord> {
  /** The file header. */
  readonly header: PcapHeader;
  private readonly bytes: Uint8Array;

  /** Read the file header of `bytes`; throw CaptureError if it is not a pcap file. */
  constructor(bytes: Uint8Array) {
    const dec = new PcapDecoder();
    const first = decodeAll(dec, bytes.subarray(0, 24));
    first.next();
    this.header = dec.header!;
    this.bytes = bytes;
  }

  /** Iterate over the records; records' data are views into the file's bytes. */
  [Symbol.iterator](): Iterator<CaptureRecord> {
    return decodeAll(new PcapDecoder(), this.bytes);
  }
}

/** Read a pcap file held in memory; iteration throws CaptureError after the last good record. */
export function readPcapSync(bytes: Uint8Array): PcapReader {
  return new PcapReader(bytes);
}

/** Options of pcap writers. */
export interface PcapWriterOptions {
  /** The file's link type; defaults to the first record's, else ETHERNET. */
  linkType?: number;
  /** The snapshot length; longer frames are cut to it (default 262144). */
  snaplen?: number;
  /** Write nanosecond timestamps (magic a1b23c4d); default false, microseconds. */
  nanosecond?: boolean;
  /** The byte order; default little-endian. */
  byteOrder?: "little" | "big";
  /** End a caller's stream on close (default true; a stream the writer opened is always ended). */
  end?: boolean;
}

/** Serialises pcap headers and records (internal). */
class PcapEncoder {
  readonly le: boolean;
  readonly ns: boolean;
  readonly snaplen: number;
  linkType: number | undefined;

  constructor(options: PcapWriterOptions) {
    this.le = (options.byteOrder ?? "little") === "little";
    this.ns = options.nanosecond ?? false;
    this.snaplen = options.snaplen ?? STANDARD_MAX;
    this.linkType = options.linkType;
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0 || this.snaplen > 0xffffffff) {
      throw new RangeError(`snaplen must be a positive 32-bit integer, got ${this.snaplen}`);
    }
  }

  /** Fix the link type from the first record; return the header's 24 bytes. */
  header(first: RecordInit | undefined, dv: DataView, pos: number): void {
    this.linkType ??= first?.linkType ?? LinkType.ETHERNET;
    const le = this.le;
    dv.setUint32(pos, this.ns ? PCAP_MAGIC_NS : PCAP_MAGIC, le);
    dv.setUint16(pos + 4, 2, le);
    dv.setUint16(pos + 6, 4, le);
    dv.setInt32(pos + 8, 0, le);
    dv.setUint32(pos + 12, 0, le);
    dv.setUint32(pos + 16, this.snaplen, le);
    dv.setUint32(pos + 20, this.linkType, le);
  }

  size(r: RecordInit): number {
    return 16 + Math.min(r.data.length, this.snaplen);
  }

  put(r: RecordInit, u8: Uint8Array, dv: DataView, pos: number): number {
    if (r.linkType !== undefined && r.linkType !== this.linkType) {
      throw new RangeError(`record has link type ${r.linkType} but this pcap file holds link type ${this.linkType}; use pcapng for mixed link types`);
    }
    const t = r.time;
    if (typeof t !== "bigint" || t < 0n || t >= 0x100000000n * NS) {
      throw new RangeError(`record time must be a bigint of nanoseconds between 1970 and 2106, got ${String(t)}`);
    }
    const incl = Math.min(r.data.length, this.snaplen);
    const le = this.le;
    dv.setUint32(pos, Number(t / NS), le);
    const frac = Number(t % NS);
    dv.setUint32(pos + 4, this.ns ? frac : Math.floor(frac / 1000), le);
    dv.setUint32(pos + 8, incl, le);
    dv.setUint32(pos + 12, r.originalLength ?? r.data.length, le);
    u8.set(incl === r.data.length ? r.data : r.data.subarray(0, incl), pos + 16);
    return 16 + incl;
  }
}

/** Write a pcap file to a Node Writable or a file path, respecting backpressure. */
export class PcapWriter {
  private readonly sink: ByteSink;
  private readonly enc: PcapEncoder;
  private started = false;

  /** Open a writer; the file header is written with the first record (or on close). */
  constructor(target: Writable | string, options: PcapWriterOptions = {}) {
    this.enc = new PcapEncoder(options);
    this.sink = new ByteSink(target, options.end ?? true);
  }

  /** Append one record; the promise resolves when the stream can take more. */
  write(record: RecordInit): Promise<void> {
    const sink = this.sink;
    if (!this.started) this.start(record);
    const n = this.enc.size(record);
    sink.reserve(n);
    sink.len += this.enc.put(record, sink.buf, sink.dv, sink.len);
    return sink.settle() ?? RESOLVED;
  }

  /** Hand buffered bytes to the stream. */
  flush(): Promise<void> {
    return this.sink.flush();
  }

  /** Write the header if nothing was written, flush, end the stream and wait for it to finish. */
  async close(): Promise<void> {
    if (!this.started) this.start(undefined);
    await this.sink.close();
  }

  private start(first: RecordInit | undefined): void {
    this.started = true;
    this.sink.reserve(24);
    this.enc.header(first, this.sink.dv, this.sink.len);
    this.sink.len += 24;
  }
}

const RESOLVED = Promise.resolve();

/** Encode records as a whole pcap file in memory. */
export function encodePcap(records: Iterable<RecordInit>, options: PcapWriterOptions = {}): Uint8Array {
  const enc = new PcapEncoder(options);
  const out = new MemorySink();
  let started = false;
  for (const r of records) {
    if (!started) {
      started = true;
      out.reserve(24);
      enc.header(r, out.dv, 0);
      out.len = 24;
    }
    out.reserve(enc.size(r));
    out.len += enc.put(r, out.buf, out.dv, out.len);
  }
  if (!started) {
    out.reserve(24);
    enc.header(undefined, out.dv, 0);
    out.len = 24;
  }
  return out.bytes();
}
