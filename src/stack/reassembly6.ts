/**
 * IPv6 reassembly (RFC 8200 4.5) behind `Ipv6.onFragment`, with the policy of reassembly.ts:
 *
 * - Fragments are kept per (source, destination, identification), copied out of the frame, in
 *   any order. The unfragmentable part (the header and the headers before the Fragment header) is
 *   the first fragment's; the reassembled datagram has its next-header field set to the first
 *   fragment's Fragment header's, its payload length rewritten, and is received again.
 * - An atomic fragment (offset 0, no more fragments, RFC 6946) is processed at once, alone.
 * - RFC 5722: a fragment overlapping one held discards the whole datagram; its key stays dead
 *   until the time-out, so fragments still on their way go too (`ipv6ReassemblyOverlap`). An
 *   exact duplicate (same offset, length and bytes) is dropped alone (`ipv6FragmentDuplicate`),
 *   as RFC 8200 allows.
 * - RFC 8200's parameter problems: a fragment that is not last and whose length is not a multiple
 *   of 8 (code 0, pointer to the payload length); a fragment ending past 65,535 bytes (code 0,
 *   pointer to the fragment offset). RFC 7112: a first fragment without the whole header chain is
 *   dropped with code 3. A second "last" with another length, or data past the end a last
 *   fragment fixed, discard the datagram (`ipv6ReassemblyInvalid`).
 * - Time-out: `reassemblyTimeout` (60 s) after the first fragment to arrive; when the fragment
 *   with offset 0 was in, ICMPv6 time exceeded code 1 quotes it (through `onTimeout`).
 * - Bounds: `reassemblyMemory` bytes (data + 64 per fragment, plus the first's headers) and
 *   `reassemblyDatagrams` keys, dead ones included; when full, new fragments are refused.
 */
import { IpProtocol } from "../protocols/ipv4.js";
import type { Clock, Timer } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import { IPV6_HEADER, type Arrival6 } from "./ipv6.js";
import type { DropReason, Stats } from "./stats.js";
import { FRAGMENT_OVERHEAD, type Fragment } from "./reassembly.js";

const MAX_PAYLOAD = 65535;

interface Datagram {
  readonly fragments: Fragment[];
  total: number | undefined;
  /** The first fragment's bytes up to its Fragment header, and where its next-header field naming the Fragment header is. */
  head: Uint8Array | undefined;
  headField: number;
  /** The upper protocol, from the first fragment's Fragment header. */
  nextHeader: number;
  memory: number;
  dead: boolean;
  readonly timer: Timer;
  readonly id: number;
}

/** Where reassembled datagrams and time-outs go. */
export interface Reassembly6Sink {
  /** A whole datagram to receive again. */
  deliver(datagram: Uint8Array): void;
  /** Send a parameter problem about a fragment. */
  parameterProblem(code: number, pointer: number, arrival: Arrival6): void;
  /** A datagram timed out; `first` is the first fragment's datagram (header chain and data) when it arrived. */
  timeout(first: Uint8Array): void;
}

/** IPv6 reassembly for one stack. */
export class Reassembly6 {
  private readonly datagrams = new Map<string, Datagram>();
  private memory = 0;

  constructor(private readonly sink: Reassembly6Sink, private readonly clock: Clock, private readonly stats: Stats, private readonly config: Ipv6Config) {}

  /** Bytes held now (a test hook). */
  get held(): number {
    return this.memory;
  }

  /** Datagrams (keys) held now, dead ones included. */
  get size(): number {
    return this.datagrams.size;
  }

  /** Take a datagram whose Fragment header starts at `fragment` in `arrival.bytes`. */
  receive(arrival: Arrival6, fragment: number): void {
    const b = arrival.bytes;
    const nextHeader = b[fragment]!;
    const offsetField = (b[fragment + 2]! << 8) | b[fragment + 3]!;
    const start = offsetField & 0xfff8;
    const more = (offsetField & 1) === 1;
    const id = new DataView(b.buffer, b.byteOffset).getUint32(fragment + 4);
    const data = b.subarray(fragment + 8, arrival.upperEnd);
    const end = start + data.length;
    this.stats.count("ipv6.fragmentReceived");
    if (start === 0 && !more) {
      this.stats.count("ipv6.atomicFragment");
      this.sink.deliver(this.assemble(b.subarray(arrival.start, fragment), arrival.nextHeaderField, nextHeader, data));
      return;
    }
    if (more && data.length % 8 !== 0) {
      this.stats.drop("ipv6ReassemblyInvalid", `length ${data.length} not a multiple of 8`);
      this.sink.parameterProblem(0, 4, arrival);
      return;
    }
    if (fragment - arrival.start - IPV6_HEADER + end > MAX_PAYLOAD || data.length === 0) {
      this.stats.drop("ipv6ReassemblyInvalid", `fragment ends at ${end}`);
      if (data.length !== 0) this.sink.parameterProblem(0, fragment - arrival.start + 2, arrival);
      return;
    }
    if (start === 0 && !this.headerChainComplete(nextHeader, data)) {
      this.stats.drop("ipv6ReassemblyInvalid", "first fragment without the whole header chain (RFC 7112)");
      this.sink.parameterProblem(3, 0, arrival);
      return;
    }
    const key = `${arrival.src} ${arrival.dst} ${id}`;
    let d = this.datagrams.get(key);
    const cost = data.length + FRAGMENT_OVERHEAD + (start === 0 ? fragment - arrival.start : 0);
    if (d === undefined) {
      if (this.datagrams.size >= this.config.reassemblyDatagrams || this.memory + cost > this.config.reassemblyMemory) {
        this.stats.drop("ipv6ReassemblyMemory", key);
        return;
      }
      const timer = this.clock.schedule(this.config.reassemblyTimeout, () => this.expire(key));
      d = { fragments: [], total: undefined, head: undefined, headField: 0, nextHeader, memory: 0, dead: false, timer, id };
      this.datagrams.set(key, d);
    }
    if (d.dead) { this.stats.drop("ipv6ReassemblyOverlap", `${key} (already discarded)`); return; }
    for (const f of d.fragments) {
      if (f.start === start && f.end === end && equal(f.data, data)) { this.stats.drop("ipv6FragmentDuplicate", key); return; }
      if (start < f.end && f.start < end) { this.kill(d, "ipv6ReassemblyOverlap", `${key} [${start},${end}) overlaps [${f.start},${f.end})`); return; }
    }
    if (!more) {
      if (d.total !== undefined && d.total !== end) { this.kill(d, "ipv6ReassemblyInvalid", `${key}: second last fragment`); return; }
      d.total = end;
    }
    if (d.total !== undefined && d.fragments.some((f) => f.end > d!.total!) || (d.total !== undefined && end > d.total)) {
      this.kill(d, "ipv6ReassemblyInvalid", `${key}: data past the end`);
      return;
    }
    if (this.memory + cost > this.config.reassemblyMemory) { this.stats.drop("ipv6ReassemblyMemory", key); return; }
    this.memory += cost;
    d.memory += cost;
    if (start === 0) {
      d.head = b.slice(arrival.start, fragment);
      d.headField = arrival.nextHeaderField;
      d.nextHeader = nextHeader;
    }
    const at = d.fragments.findIndex((f) => f.start > start);
    d.fragments.splice(at < 0 ? d.fragments.length : at, 0, { start, end, data: data.slice() });
    this.complete(key, d);
  }

  private complete(key: string, d: Datagram): void {
    if (d.total === undefined || d.head === undefined) return;
    let covered = 0;
    for (const f of d.fragments) {
      if (f.start !== covered) return;
      covered = f.end;
    }
    if (covered !== d.total) return;
    const data = new Uint8Array(d.total);
    for (const f of d.fragments) data.set(f.data, f.start);
    this.release(key, d);
    this.stats.count("ipv6.reassembled");
    this.sink.deliver(this.assemble(d.head, d.headField, d.nextHeader, data));
  }

  /** The unfragmentable part with its next-header field pointing past the Fragment header, then the data. */
  private assemble(head: Uint8Array, field: number, nextHeader: number, data: Uint8Array): Uint8Array {
    const out = new Uint8Array(head.length + data.length);
    out.set(head, 0);
    out[field] = nextHeader;
    out.set(data, head.length);
    const payload = out.length - IPV6_HEADER;
    out[4] = payload >> 8;
    out[5] = payload & 0xff;
    return out;
  }

  /** RFC 7112: the first fragment must hold every extension header and the upper-layer header's start. */
  private headerChainComplete(next: number, data: Uint8Array): boolean {
    let at = 0;
    for (let i = 0; i < 16; i++) {
      if (next === IpProtocol.HOPOPT || next === IpProtocol.IPv6Opts || next === IpProtocol.IPv6Route) {
        if (at + 8 > data.length) return false;
        const len = 8 + data[at + 1]! * 8;
        next = data[at]!;
        at += len;
        if (at > data.length) return false;
        continue;
      }
      return at < data.length || next === IpProtocol.IPv6NoNxt;
    }
    return false;
  }

  private kill(d: Datagram, reason: DropReason, detail: string): void {
    this.stats.drop(reason, detail);
    this.stats.count("ipv6.reassemblyFailed");
    this.memory -= d.memory;
    d.memory = 0;
    d.fragments.length = 0;
    d.head = undefined;
    d.dead = true;
  }

  private release(key: string, d: Datagram): void {
    d.timer.cancel();
    this.memory -= d.memory;
    this.datagrams.delete(key);
  }

  private expire(key: string): void {
    const d = this.datagrams.get(key);
    if (d === undefined) return;
    this.datagrams.delete(key);
    this.memory -= d.memory;
    if (d.dead) return;
    for (let i = 0; i < d.fragments.length; i++) this.stats.drop("ipv6ReassemblyTimeout", key);
    this.stats.count("ipv6.reassemblyTimeouts");
    const first = d.fragments[0];
    if (d.head !== undefined && first !== undefined && first.start === 0) {
      // The quoted packet: the first fragment as it came, Fragment header included.
      const q = new Uint8Array(d.head.length + 8 + first.data.length);
      q.set(d.head, 0);
      q[d.headField] = IpProtocol.IPv6Frag;
      q[d.head.length] = d.nextHeader;
      q[d.head.length + 3] = 1;
      new DataView(q.buffer).setUint32(d.head.length + 4, d.id);
      q.set(first.data, d.head.length + 8);
      const payload = q.length - IPV6_HEADER;
      q[4] = payload >> 8;
      q[5] = payload & 0xff;
      this.sink.timeout(q);
    }
  }

  /** Drop everything and cancel timers. */
  clear(): void {
    for (const d of this.datagrams.values()) d.timer.cancel();
    this.datagrams.clear();
    this.memory = 0;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
