/**
 * IPv4 reassembly (RFC 791 section 3.2, RFC 815) for the stack, plugged into `Ipv4.onFragment`.
 *
 * Fragments are kept per (source, destination, protocol, identification), sorted by offset,
 * copied out of the frame. A datagram is delivered once the last fragment has fixed its length and
 * the fragments held cover it without a gap; the header is the first fragment's (options kept),
 * with the length, flags and checksum rewritten.
 *
 * Policy:
 * - Out-of-order fragments are fine; an exact duplicate (same offset, length and bytes) is dropped
 *   alone (`ipv4FragmentDuplicate`).
 * - Overlap (RFC 5722 style, as Linux since 2018): any fragment that overlaps one held, or repeats
 *   its range with other bytes, discards the whole datagram; the key stays dead until its
 *   time-out, so fragments still on their way are dropped too (`ipv4ReassemblyOverlap`).
 * - Invalid fragments discard the datagram the same way (`ipv4ReassemblyInvalid`): a non-last
 *   fragment whose length is not a multiple of 8, an empty fragment, a datagram over 65,535 bytes,
 *   a second "last" fragment with another length, data past the end the last fragment fixed.
 * - Time-out: `reassemblyTimeout` ms after its first fragment, an incomplete datagram is dropped
 *   (`ipv4ReassemblyTimeout`, one per fragment held) and, when its first fragment arrived, ICMP
 *   "time exceeded, reassembly" is sent (RFC 1122 3.3.2) through `onTimeout`.
 * - Bounds: `reassemblyMemory` bytes (a fragment costs its data plus `FRAGMENT_OVERHEAD`, the
 *   first also its header) and `reassemblyDatagrams` keys, dead ones included. When full, new
 *   fragments are refused (`ipv4ReassemblyMemory`), as Linux does: what is held completes or
 *   times out; nothing is evicted.
 *
 * Drops count fragments; the counters `ipv4.reassembled`, `ipv4.reassemblyFailed` and
 * `ipv4.reassemblyTimeouts` count datagrams.
 */
import { createDissector, type Packet } from "../packet/packet.js";
import { internetChecksum } from "../packet/checksum.js";
import { IPv4 } from "../protocols/ipv4.js";
import type { Clock, Timer } from "./clock.js";
import type { Ipv4Config } from "./config.js";
import { Ipv4Flags, type Arrival, type Ipv4Layer } from "./ipv4.js";
import type { DropReason, Stats } from "./stats.js";
import { ipv4ToNumber } from "./address.js";

/** Bytes a held fragment costs beyond its data (bookkeeping; stops floods of tiny fragments). */
export const FRAGMENT_OVERHEAD = 64;

/** The largest IPv4 datagram. */
const MAX_DATAGRAM = 65535;

/** A held fragment: its payload range in the datagram and its bytes (IPv4 and IPv6 alike). */
export interface Fragment {
  readonly start: number;
  readonly end: number;
  readonly data: Uint8Array;
}

interface Datagram {
  readonly fragments: Fragment[];
  /** Payload length, once the last fragment is in. */
  total: number | undefined;
  /** The first fragment's header (with options), once it is in. */
  header: Uint8Array | undefined;
  memory: number;
  /** Discarded for overlap or invalid fragments: later fragments are dropped until the time-out. */
  dead: boolean;
  readonly timer: Timer;
  readonly src: number;
  readonly dst: number;
  broadcast: boolean;
}

/** What reassembly hands a complete datagram to (`Ipv4.deliver`). */
export type DeliverHandler = (p: Packet, ip: Ipv4Layer, arrival: Arrival) => void;

/** Called at a time-out with the first fragment's header and first 8 data bytes (for ICMP time exceeded). */
export type TimeoutHandler = (p: Packet, ip: Ipv4Layer, arrival: Arrival) => void;

/** A snapshot of reassembly, for tests and diagnostics. */
export interface ReassemblyState {
  /** Keys held, dead ones included. */
  readonly datagrams: number;
  /** Bytes accounted. */
  readonly memory: number;
}

/** The reassembly buffer of one stack. */
export class Reassembly {
  private readonly table = new Map<string, Datagram>();
  private memory = 0;
  private readonly dissector = createDissector(IPv4);
  /** Called when an incomplete datagram whose first fragment arrived times out. */
  onTimeout: TimeoutHandler | undefined;

  constructor(
    private readonly deliver: DeliverHandler,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv4Config,
  ) {}

  /** Return how much is held. */
  state(): ReassemblyState {
    return { datagrams: this.table.size, memory: this.memory };
  }

  /** Take one fragment (checked by `Ipv4.receive`: lengths, checksum, addresses). */
  receive(_p: Packet, ip: Ipv4Layer, arrival: Arrival): void {
    this.stats.count("ipv4.fragmentsReceived");
    const s = ip.span()!;
    const bytes = arrival.bytes;
    const headerLength = s.headerEnd - s.start;
    const start = ip.fragmentOffset * 8;
    const data = bytes.subarray(s.headerEnd, s.start + ip.totalLength);
    const end = start + data.length;
    const more = (ip.flags & Ipv4Flags.moreFragments) !== 0;
    const key = `${arrival.src},${arrival.dst},${ip.protocol},${ip.id}`;
    let d = this.table.get(key);
    const invalid = data.length === 0 || (more && data.length % 8 !== 0) || headerLength + end > MAX_DATAGRAM;
    if (invalid) {
      if (d === undefined) { this.stats.drop("ipv4ReassemblyInvalid", `offset ${start}, length ${data.length}`); return; }
      this.kill(key, d, "ipv4ReassemblyInvalid");
      return;
    }
    if (d === undefined) {
      if (this.table.size >= this.config.reassemblyDatagrams) {
        this.stats.drop("ipv4ReassemblyMemory", `${this.table.size} datagrams in reassembly`);
        return;
      }
      const timer = this.clock.schedule(this.config.reassemblyTimeout, () => this.expire(key));
      d = { fragments: [], total: undefined, header: undefined, memory: 0, dead: false, timer, src: arrival.src, dst: arrival.dst, broadcast: arrival.broadcast };
      this.table.set(key, d);
    }
    if (d.dead) { this.stats.drop("ipv4ReassemblyOverlap", "datagram already discarded"); return; }
    const frags = d.fragments;
    const held = frags.length > 0 ? frags[frags.length - 1]!.end : 0;
    if (!more) {
      if ((d.total !== undefined && d.total !== end) || end < held) { this.kill(key, d, "ipv4ReassemblyInvalid"); return; }
    } else if (d.total !== undefined && end > d.total) {
      this.kill(key, d, "ipv4ReassemblyInvalid");
      return;
    }
    // Where it goes: i is the first fragment starting at or after `start` (binary search: ≤ 8192 fragments).
    let lo = 0;
    let hi = frags.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frags[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const next = frags[lo];
    const prev = frags[lo - 1];
    if (next !== undefined && next.start === start && next.end === end && sameBytes(next.data, data)) {
      this.stats.drop("ipv4FragmentDuplicate", `offset ${start}`);
      return;
    }
    if ((prev !== undefined && prev.end > start) || (next !== undefined && next.start < end)) {
      this.kill(key, d, "ipv4ReassemblyOverlap");
      return;
    }
    const cost = data.length + FRAGMENT_OVERHEAD + (start === 0 ? headerLength : 0);
    if (this.memory + cost > this.config.reassemblyMemory) {
      this.stats.drop("ipv4ReassemblyMemory", `${this.memory} + ${cost} bytes`);
      if (frags.length === 0) { d.timer.cancel(); this.table.delete(key); }
      return;
    }
    frags.splice(lo, 0, { start, end, data: data.slice() });
    d.memory += cost;
    this.memory += cost;
    if (!more) d.total = end;
    if (start === 0) d.header = bytes.slice(s.start, s.headerEnd);
    if (arrival.broadcast) d.broadcast = true;
    this.tryComplete(key, d);
  }

  /** Drop everything held and cancel the timers (the stack is closing). */
  clear(): void {
    for (const d of this.table.values()) d.timer.cancel();
    this.table.clear();
    this.memory = 0;
  }

  private tryComplete(key: string, d: Datagram): void {
    if (d.total === undefined || d.header === undefined) return;
    // Fragments never overlap and never pass `total`: they cover it when their lengths add up.
    let covered = 0;
    for (const f of d.fragments) covered += f.end - f.start;
    if (covered !== d.total) return;
    const hl = d.header.length;
    const out = new Uint8Array(hl + d.total);
    out.set(d.header, 0);
    for (const f of d.fragments) out.set(f.data, hl + f.start);
    const length = hl + d.total;
    out[2] = length >> 8;
    out[3] = length & 0xff;
    out[6] = out[6]! & 0xc0; // keep the reserved and DF bits; clear MF and the offset
    out[7] = 0;
    out[10] = 0;
    out[11] = 0;
    const sum = internetChecksum(out, 0, hl);
    out[10] = sum >> 8;
    out[11] = sum & 0xff;
    this.release(key, d);
    this.stats.count("ipv4.reassembled");
    const p = this.dissector.dissect(out);
    const ip = p.layer(IPv4);
    if (ip === undefined) { this.stats.drop("ipv4ReassemblyInvalid", "reassembled datagram does not dissect"); return; }
    this.deliver(p, ip, { bytes: out, src: d.src, dst: d.dst, broadcast: d.broadcast });
  }

  /** Discard a datagram for `reason` (the fragment that caused it and those held); keep its key dead. */
  private kill(_key: string, d: Datagram, reason: DropReason): void {
    this.stats.drop(reason, "fragment that discarded the datagram");
    for (let i = 0; i < d.fragments.length; i++) this.stats.drop(reason, "fragment held");
    this.memory -= d.memory;
    d.memory = 0;
    d.fragments.length = 0;
    d.header = undefined;
    d.dead = true;
    this.stats.count("ipv4.reassemblyFailed");
  }

  private expire(key: string): void {
    const d = this.table.get(key);
    if (d === undefined) return;
    const header = d.header;
    const first = d.fragments[0];
    if (!d.dead) {
      for (let i = 0; i < d.fragments.length; i++) this.stats.drop("ipv4ReassemblyTimeout", key);
      this.stats.count("ipv4.reassemblyTimeouts");
    }
    this.release(key, d);
    if (d.dead || header === undefined || first === undefined || first.start !== 0 || this.onTimeout === undefined) return;
    // The quote: the first fragment's header and its first 8 data bytes (RFC 792).
    const quote = new Uint8Array(header.length + Math.min(8, first.data.length));
    quote.set(header, 0);
    quote.set(first.data.subarray(0, 8), header.length);
    const p = this.dissector.dissect(quote);
    const ip = p.layer(IPv4);
    if (ip === undefined || ipv4ToNumber(ip.src) !== d.src) return;
    this.onTimeout(p, ip, { bytes: quote, src: d.src, dst: d.dst, broadcast: d.broadcast });
  }

  private release(key: string, d: Datagram): void {
    d.timer.cancel();
    this.memory -= d.memory;
    d.memory = 0;
    this.table.delete(key);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
