/*
 * pcapng files (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html).
 *
 *   block: type (u32), total length (u32), body, total length again (u32); 4-byte aligned
 *   section header block (0x0A0D0D0A): byte-order magic 0x1A2B3C4D, version, section length
 *   options: code (u16), length (u16), value padded to 4 bytes; code 0 ends the list
 *
 * Each section has its own byte order and its own interface list. Records carry a file-wide
 * interface index (an index into `interfaces`), counted across sections.
 */
import { type Decoder, decodeAll, viewOf } from "./decoder.js";
import { formatError } from "./errors.js";
import type { CaptureRecord } from "./record.js";

/** pcapng block type numbers. */
export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 1,
  PACKET: 2,
  SIMPLE_PACKET: 3,
  NAME_RESOLUTION: 4,
  INTERFACE_STATISTICS: 5,
  ENHANCED_PACKET: 6,
  DECRYPTION_SECRETS: 10,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const;

const SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
/** A hard cap on a block's length, so a corrupt header cannot ask for gigabytes. */
const MAX_BLOCK = 128 * 1024 * 1024;
const NS = 1_000_000_000n;
const utf8 = new TextDecoder("utf-8");

/** One section header block. */
export interface PcapngSection {
  /** The byte offset of the block in the file. */
  offset: number;
  /** The section's byte order. */
  byteOrder: "little" | "big";
  /** The format's major version (1). */
  versionMajor: number;
  /** The format's minor version (0). */
  versionMinor: number;
  /** The section's length in bytes, or -1n when not given. */
  sectionLength: bigint;
  /** shb_hardware. */
  hardware?: string;
  /** shb_os. */
  os?: string;
  /** shb_userappl. */
  application?: string;
  /** opt_comment. */
  comment?: string;
}

/** One interface description block. */
export interface PcapngInterface {
  /** The file-wide index that records' `interface` refers to. */
  index: number;
  /** The index of its section in `sections`. */
  section: number;
  /** Its interface ID within its section. */
  id: number;
  /** The link-layer header type. */
  linkType: number;
  /** The snapshot length (0: unlimited). */
  snaplen: number;
  /** if_name. */
  name?: string;
  /** if_description. */
  description?: string;
  /** if_tsresol as stored: 6 for microseconds (default), 9 for nanoseconds, 0x80|n for 2^-n. */
  tsresol: number;
  /** if_tsoffset: seconds added to every timestamp (default 0n). */
  tsoffset: bigint;
  /** opt_comment. */
  comment?: string;
}

/** One address-to-names entry of a name resolution block. */
export interface NameEntry {
  /** 4 for IPv4, 6 for IPv6. */
  family: 4 | 6;
  /** The address in its usual text form. */
  address: string;
  /** The names given for it. */
  names: string[];
}

/** One interface statistics block; counters are present only when the block has them. */
export interface InterfaceStatistics {
  /** The file-wide interface index. */
  interface: number;
  /** When the statistics were taken, in nanoseconds since the epoch. */
  time: bigint;
  /** isb_starttime. */
  startTime?: bigint;
  /** isb_endtime. */
  endTime?: bigint;
  /** isb_ifrecv: packets received by the interface. */
  received?: bigint;
  /** isb_ifdrop: packets dropped by the interface. */
  dropped?: bigint;
  /** isb_filteraccept: packets accepted by the filter. */
  filterAccepted?: bigint;
  /** isb_osdrop: packets dropped by the OS. */
  osDropped?: bigint;
  /** isb_usrdeliv: packets delivered to the user. */
  delivered?: bigint;
  /** opt_comment. */
  comment?: string;
}

/** Return true when `bytes` starts with a pcapng section header block type. */
export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && viewOf(bytes).getUint32(0, true) === SHB;
}

/** Converts an interface's timestamp units to nanoseconds (internal). */
type Clock = (hi: number, lo: number) => bigint;

/** Make the timestamp converter for an if_tsresol byte and an if_tsoffset. */
function makeClock(tsresol: number, tsoffset: bigint, offset: number): Clock {
  const add = tsoffset * NS;
  const exp = tsresol & 0x7f;
  if (tsresol & 0x80) {
    if (exp > 63) throw formatError(offset, `if_tsresol 2^-${exp} is out of range`);
    const shift = BigInt(exp);
    return (hi, lo) => ((((BigInt(hi) << 32n) | BigInt(lo)) * NS) >> shift) + add;
  }
  if (exp > 18) throw formatError(offset, `if_tsresol 10^-${exp} is out of range`);
  if (exp <= 9) {
    const mul = 10n ** BigInt(9 - exp);
    return (hi, lo) => ((BigInt(hi) << 32n) | BigInt(lo)) * mul + add;
  }
  const div = 10n ** BigInt(exp - 9);
  return (hi, lo) => ((BigInt(hi) << 32n) | BigInt(lo)) / div + add;
}

/** Format 16 bytes as an IPv6 address (RFC 5952). */
function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/** Decode an option's UTF-8 string, dropping trailing NULs some writers add. */
function text(buf: Uint8Array, start: number, len: number): string {
  let end = start + len;
  while (end > start && buf[end - 1] === 0) end--;
  return utf8.decode(buf.subarray(start, end));
}

/** Call `fn` for each option in `[start, end)`; stop at opt_endofopt. */
function eachOption(
  dv: DataView,
  start: number,
  end: number,
  le: boolean,
  offset: number,
  fn: (code: number, at: number, len: number) => void,
): void {
  let p = start;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === 0) return;
    if (p + 4 + len > end) throw formatError(offset, `pcapng option ${code} of length ${len} runs past the end of its block`);
    fn(code, p + 4, len);
    p += 4 + ((len + 3) & ~3);
  }
}

/** An interface of the current section, as its blocks need it. */
class LocalInterface {
  private lastHi = -1;
  private base = 0n;
  /** 1 for nanoseconds, 1000 for microseconds (without if_tsoffset); 0: `clock` converts. */
  private readonly scale: number;
  private readonly clock: Clock;
  constructor(readonly index: number, readonly linkType: number, readonly snaplen: number, tsresol: number, tsoffset: bigint, offset: number) {
    this.clock = makeClock(tsresol, tsoffset, offset);
    this.scale = tsoffset !== 0n ? 0 : tsresol === 9 ? 1 : tsresol === 6 ? 1000 : 0;
  }

  /**
   * A timestamp in nanoseconds. In nanoseconds and microseconds (the usual resolutions) the upper
   * 32 bits of the ticks are turned into nanoseconds once per value (every 4.3 s in nanoseconds,
   * 72 min in microseconds) and the lower 32 bits added: two BigInt steps per block instead of
   * four (a shift, an or and a multiply of BigInts cost a third of reading a block). lo * 1000
   * is below 2^42, exact.
   */
  time(hi: number, lo: number): bigint {
    const scale = this.scale;
    if (scale === 0) return this.clock(hi, lo);
    if (hi !== this.lastHi) {
      this.lastHi = hi;
      this.base = (BigInt(hi) << 32n) * BigInt(scale);
    }
    return this.base + BigInt(lo * scale);
  }
}

/** The incremental pcapng decoder (internal; see `Decoder`). */
export class PcapngDecoder implements Decoder {
  need = 12;
  unit = "pcapng block header";
  record: CaptureRecord | undefined = undefined;
  readonly sections: PcapngSection[] = [];
  readonly interfaces: PcapngInterface[] = [];
  readonly names: NameEntry[] = [];
  readonly statistics: InterfaceStatistics[] = [];
  private le = true;
  private local: LocalInterface[] = [];
  // The memory of the bytes being decoded, read once per call of step() or decode(): records'
  // views are made from it (loading `buf.buffer` and `buf.constructor` for each block cost a
  // third of reading one).
  private ab: ArrayBufferLike = new ArrayBuffer(0);
  private at = 0;
  private plain = true;

  private viewing(buf: Uint8Array): void {
    this.ab = buf.buffer;
    this.at = buf.byteOffset;
    this.plain = buf.constructor === Uint8Array;
  }

  step(buf: Uint8Array, dv: DataView, pos: number, avail: number, offset: number): number {
    this.viewing(buf);
    if (avail < 12) {
      this.need = 12;
      this.unit = "pcapng block header";
      return 0;
    }
    let le = this.le;
    const type = dv.getUint32(pos, le);
    if (type === SHB) {
      const bom = dv.getUint32(pos + 8, true);
      if (bom === BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw formatError(offset, `pcapng section header has a bad byte-order magic 0x${bom.toString(16)}`);
    } else if (this.sections.length === 0) {
      throw formatError(offset, `not a pcapng file: first block type is 0x${type.toString(16)}, not a section header`);
    }
    const len = dv.getUint32(pos + 4, le);
    if (len < (type === SHB ? 28 : 12) || (len & 3) !== 0 || len > MAX_BLOCK) {
      throw formatError(offset, `pcapng block of type 0x${type.toString(16)} has a bad total length ${len}`);
    }
    if (avail < len) {
      this.need = len;
      this.unit = `pcapng block of type 0x${type.toString(16)}`;
      return 0;
    }
    const trailer = dv.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      throw formatError(offset, `pcapng block of type 0x${type.toString(16)} has total length ${len} but its trailing copy says ${trailer}`);
    }
    if (type === 6) this.record = this.packet(buf, dv, pos, len, offset, le, true);
    else if (type === 3) this.simplePacket(buf, dv, pos, len, offset, le);
    else if (type === 1) this.interfaceDescription(buf, dv, pos, len, offset, le);
    else if (type === SHB) this.sectionHeader(buf, dv, pos, len, offset, le);
    else if (type === 4) this.nameResolution(buf, dv, pos, len, offset, le);
    else if (type === 5) this.interfaceStatistics(buf, dv, pos, len, offset, le);
    else if (type === 2) this.record = this.packet(buf, dv, pos, len, offset, le, false);
    // Other blocks (decryption secrets, custom, journal, unknown) are skipped whole.
    return len;
  }

  decode(buf: Uint8Array, dv: DataView, pos: number, end: number, offset: number, out: CaptureRecord[]): number {
    const first = pos;
    this.viewing(buf);
    while (pos < end) {
      // An enhanced packet block of the current section, whole here and sound (nearly every
      // block of a capture), goes straight to packet(); anything else, or anything wrong, goes
      // through step(), which names the problem. (Through step() every block cost twice the
      // CPU of a pcap record.)
      if (end - pos >= 32 && this.sections.length !== 0) {
        const le = this.le;
        const len = dv.getUint32(pos + 4, le);
        if (dv.getUint32(pos, le) === 6 && len >= 32 && len <= end - pos && len <= MAX_BLOCK && (len & 3) === 0 && dv.getUint32(pos + len - 4, le) === len) {
          out.push(this.packet(buf, dv, pos, len, offset + pos - first, le, true));
          pos += len;
          continue;
        }
      }
      const n = this.step(buf, dv, pos, end - pos, offset + pos - first);
      if (n === 0) return pos;
      pos += n;
      const r = this.record;
      if (r !== undefined) {
        this.record = undefined;
        out.push(r);
      }
    }
    return pos;
  }

  private iface(id: number, offset: number, what: string): LocalInterface {
    const i = this.local[id];
    if (i === undefined) {
      throw formatError(offset, `pcapng ${what} refers to interface ${id}, but its section has ${this.local.length}`);
    }
    return i;
  }

  /** The record of an enhanced packet block (6) or an obsolete packet block (2). */
  private packet(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean, enhanced: boolean): CaptureRecord {
    if (len < 32) throw formatError(offset, `pcapng packet block is too short (${len} bytes)`);
    const i = this.iface(enhanced ? dv.getUint32(pos + 8, le) : dv.getUint16(pos + 8, le), offset, "packet block");
    const cap = dv.getUint32(pos + 20, le);
    const optStart = pos + 28 + ((cap + 3) & ~3);
    const end = pos + len - 4;
    if (cap > len || optStart > end) {
      throw formatError(offset, `pcapng packet block has captured length ${cap}, more than its block length ${len} holds`);
    }
    const record: CaptureRecord = {
      time: i.time(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le)),
      // A view made by the constructor costs less than subarray's (see pcap.ts); Buffers keep Buffer views.
      data: this.plain ? new Uint8Array(this.ab, this.at + pos + 28, cap) : buf.subarray(pos + 28, pos + 28 + cap),
      originalLength: dv.getUint32(pos + 24, le),
      linkType: i.linkType,
      interface: i.index,
    };
    if (optStart < end) {
      eachOption(dv, optStart, end, le, offset, (code, at, n) => {
        if (code === 1 && record.comment === undefined) record.comment = text(buf, at, n);
      });
    }
    return record;
  }

  private simplePacket(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean): void {
    if (len < 16) throw formatError(offset, `pcapng simple packet block is too short (${len} bytes)`);
    const i = this.iface(0, offset, "simple packet block");
    const orig = dv.getUint32(pos + 8, le);
    let cap = Math.min(orig, len - 16);
    if (i.snaplen !== 0 && cap > i.snaplen) cap = i.snaplen;
    // A simple packet block has no timestamp.
    this.record = { time: 0n, data: buf.subarray(pos + 12, pos + 12 + cap), originalLength: orig, linkType: i.linkType, interface: i.index };
  }

  private sectionHeader(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean): void {
    const versionMajor = dv.getUint16(pos + 12, le);
    const versionMinor = dv.getUint16(pos + 14, le);
    if (versionMajor !== 1) {
      throw formatError(offset, `unsupported pcapng version ${versionMajor}.${versionMinor} (expected 1.x)`);
    }
    const section: PcapngSection = {
      offset,
      byteOrder: le ? "little" : "big",
      versionMajor,
      versionMinor,
      sectionLength: dv.getBigInt64(pos + 16, le),
    };
    eachOption(dv, pos + 24, pos + len - 4, le, offset, (code, at, n) => {
      if (code === 1) section.comment ??= text(buf, at, n);
      else if (code === 2) section.hardware = text(buf, at, n);
      else if (code === 3) section.os = text(buf, at, n);
      else if (code === 4) section.application = text(buf, at, n);
    });
    this.le = le;
    this.local = [];
    this.sections.push(section);
  }

  private interfaceDescription(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean): void {
    if (len < 20) throw formatError(offset, `pcapng interface description block is too short (${len} bytes)`);
    const info: PcapngInterface = {
      index: this.interfaces.length,
      section: this.sections.length - 1,
      id: this.local.length,
      linkType: dv.getUint16(pos + 8, le),
      snaplen: dv.getUint32(pos + 12, le),
      tsresol: 6,
      tsoffset: 0n,
    };
    eachOption(dv, pos + 16, pos + len - 4, le, offset, (code, at, n) => {
      if (code === 1) info.comment ??= text(buf, at, n);
      else if (code === 2) info.name = text(buf, at, n);
      else if (code === 3) info.description = text(buf, at, n);
      else if (code === 9 && n >= 1) info.tsresol = buf[at]!;
      else if (code === 14 && n >= 8) info.tsoffset = dv.getBigInt64(at, le);
    });
    const local = new LocalInterface(info.index, info.linkType, info.snaplen, info.tsresol, info.tsoffset, offset);
    this.interfaces.push(info);
    this.local.push(local);
  }

  private nameResolution(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean): void {
    const end = pos + len - 4;
    let p = pos + 8;
    while (p + 4 <= end) {
      const type = dv.getUint16(p, le);
      const n = dv.getUint16(p + 2, le);
      if (type === 0) return;
      const at = p + 4;
      if (at + n > end) throw formatError(offset, `pcapng name resolution record of length ${n} runs past the end of its block`);
      const alen = type === 1 ? 4 : type === 2 ? 16 : -1;
      if (alen > 0 && n >= alen) {
        const addr = buf.subarray(at, at + alen);
        const names = utf8
          .decode(buf.subarray(at + alen, at + n))
          .split("\0")
          .filter((s) => s.length > 0);
        this.names.push({ family: alen === 4 ? 4 : 6, address: alen === 4 ? addr.join(".") : formatIPv6(addr), names });
      }
      p = at + ((n + 3) & ~3);
    }
  }

  private interfaceStatistics(buf: Uint8Array, dv: DataView, pos: number, len: number, offset: number, le: boolean): void {
    if (len < 24) throw formatError(offset, `pcapng interface statistics block is too short (${len} bytes)`);
    const i = this.iface(dv.getUint32(pos + 8, le), offset, "interface statistics block");
    const stats: InterfaceStatistics = { interface: i.index, time: i.time(dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le)) };
    const keys = [undefined, undefined, undefined, undefined, "received", "dropped", "filterAccepted", "osDropped", "delivered"] as const;
    eachOption(dv, pos + 20, pos + len - 4, le, offset, (code, at, n) => {
      if (code === 1) stats.comment ??= text(buf, at, n);
      else if ((code === 2 || code === 3) && n >= 8) {
        const t = i.time(dv.getUint32(at, le), dv.getUint32(at + 4, le));
        if (code === 2) stats.startTime = t;
        else stats.endTime = t;
      } else if (code >= 4 && code <= 8 && n >= 8) stats[keys[code]!] = dv.getBigUint64(at, le);
    });
    this.statistics.push(stats);
  }
}

/** An in-memory pcapng file; its metadata lists fill in as iteration reaches them. */
export class PcapngReader implements Iterable<CaptureRecord> {
  private readonly bytes: Uint8Array;
  private dec: PcapngDecoder;

  /** Check that `bytes` starts with a section header; throw CaptureError if not. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dec = new PcapngDecoder();
    if (bytes.length >= 4 && !isPcapng(bytes)) {
      throw formatError(0, `not a pcapng file: first block type is 0x${viewOf(bytes).getUint32(0, true).toString(16)}, not a section header`);
    }
  }

  /** The section headers read so far. */
  get sections(): readonly PcapngSection[] {
    return this.dec.sections;
  }
  /** The interfaces read so far; records' `interface` indexes this list. */
  get interfaces(): readonly PcapngInterface[] {
    return this.dec.interfaces;
  }
  /** The name resolution entries read so far. */
  get names(): readonly NameEntry[] {
    return this.dec.names;
  }
  /** The interface statistics blocks read so far. */
  get statistics(): readonly InterfaceStatistics[] {
    return this.dec.statistics;
  }

  /** Iterate over the packets; records' data are views into the file's bytes. */
  [Symbol.iterator](): Iterator<CaptureRecord> {
    this.dec = new PcapngDecoder();
    return decodeAll(this.dec, this.bytes);
  }
}

/** Read a pcapng file held in memory; iteration throws CaptureError after the last good record. */
export function readPcapngSync(bytes: Uint8Array): PcapngReader {
  return new PcapngReader(bytes);
}
