/**
 * TCP stream reassembly of captured traffic: each connection's two byte streams, in order.
 *
 * - Sequence numbers are taken relative to the SYN (or to the first segment seen when the capture
 *   starts mid-connection) and unwrapped past 2^32.
 * - Retransmitted bytes (already delivered) are counted and compared: bytes that differ are
 *   counted as conflicts; the first delivered bytes are kept.
 * - Out-of-order segments wait until the hole before them fills. Overlaps among waiting segments
 *   keep the bytes received first.
 * - A hole that never fills is a gap: when the connection ends, or when more than
 *   `maxPending` bytes wait behind it, the stream skips it and records where and how long it was.
 * - Connections are numbered in order of their first segment, as Wireshark's `tcp.stream`. A SYN
 *   on the ports of a closed connection starts a new one.
 */
import type { Packet } from "../packet/packet.js";
import type { AnyLayer } from "../schema/protocol.js";

/** An address and port. */
export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Bytes delivered in order on one direction (0: client to server, 1: server to client). */
export interface TcpChunk {
  readonly direction: 0 | 1;
  /** Offset in the direction's byte stream. */
  readonly offset: number;
  readonly data: Uint8Array;
  /** The frame whose arrival made these bytes deliverable. */
  readonly frame: number;
  readonly time: bigint;
}

/** A hole in one direction that no segment filled. */
export interface TcpGap {
  readonly direction: 0 | 1;
  readonly offset: number;
  readonly length: number;
}

/** One connection: endpoints, the delivered chunks of both directions, and what went wrong. */
export interface TcpStream {
  /** 0-based, in order of first segment (Wireshark's tcp.stream). */
  readonly index: number;
  /** The endpoint that sent the SYN, else the sender of the first segment seen. */
  readonly client: TcpEndpoint;
  readonly server: TcpEndpoint;
  readonly firstFrame: number;
  lastFrame: number;
  readonly start: bigint;
  end: bigint;
  /** Chunks in delivery order, both directions interleaved. */
  readonly chunks: TcpChunk[];
  synSeen: boolean;
  /** FIN delivered on each direction. */
  readonly fin: [boolean, boolean];
  reset: boolean;
  /** Segments carrying only bytes already delivered. */
  retransmissions: number;
  /** Segments that arrived ahead of a hole. */
  outOfOrder: number;
  /** Segments overlapping delivered or waiting bytes in part. */
  overlaps: number;
  /** Overlapping bytes that differed from the bytes kept. */
  conflicts: number;
  readonly gaps: TcpGap[];
}

/** Options of the reassembler. */
export interface TcpReassemblyOptions {
  /** Bytes that may wait behind a hole on one direction before the hole is skipped (default 4 MiB). */
  readonly maxPending?: number;
  /** Closed connections remembered so late segments are not taken for new ones (default 65536). */
  readonly maxClosed?: number;
}

interface Waiting {
  offset: number;
  data: Uint8Array;
}

class Direction {
  /** Sequence number of stream offset 0, once known. */
  base: number | undefined = undefined;
  next = 0;
  waiting: Waiting[] = [];
  waitingBytes = 0;
  /** Stream offset of the FIN, once seen. */
  finAt: number | undefined = undefined;
  /** Delivered bytes, for comparing retransmissions. */
  delivered: Uint8Array[] = [];
  deliveredBytes = 0;
}

/** The live state of a connection. */
export class TcpConnection {
  readonly stream: TcpStream;
  readonly dirs: [Direction, Direction] = [new Direction(), new Direction()];
  emitted = false;
  constructor(stream: TcpStream) {
    this.stream = stream;
  }
  get closed(): boolean {
    return this.stream.reset || (this.stream.fin[0] && this.stream.fin[1]);
  }
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** Return the TCP layer and its enclosing IP layer (the nearest layer with src and dst). */
export function tcpLayers(p: Packet): { ip: AnyLayer; tcp: AnyLayer } | undefined {
  const layers = p.layers();
  for (let i = 0; i < layers.length; i++) {
    if (layers[i]!.proto.name !== "TCP") continue;
    for (let j = i - 1; j >= 0; j--) {
      const l = layers[j]!;
      if (l.proto.name === "IPv4" || l.proto.name === "IPv6") return { ip: l, tcp: layers[i]! };
    }
    return undefined;
  }
  return undefined;
}

/** Reassembles TCP connections from packets fed in capture order. */
export class TcpReassembler {
  private readonly live = new Map<string, TcpConnection>();
  private readonly closed = new Map<string, TcpConnection>();
  private count = 0;
  private readonly maxPending: number;
  private readonly maxClosed: number;

  /** Create a reassembler. */
  constructor(options: TcpReassemblyOptions = {}) {
    this.maxPending = options.maxPending ?? 4 * 1024 * 1024;
    this.maxClosed = options.maxClosed ?? 65536;
  }

  /**
   * Feed one packet. Return its connection and the chunks it made deliverable, or undefined when
   * it carries no TCP. Connections that closed with it are in `ended`.
   */
  push(p: Packet, frame: number, time: bigint): { connection: TcpConnection; delivered: TcpChunk[]; ended: TcpStream[] } | undefined {
    const found = tcpLayers(p);
    if (found === undefined) return undefined;
    const ip = found.ip as unknown as { src: string; dst: string };
    const tcp = found.tcp as unknown as { srcPort: number; dstPort: number; seq: number; flags: number };
    const span = found.tcp.span();
    if (span === undefined) return undefined;
    const payload = p.bytes().subarray(span.headerEnd, span.end);
    const src = { address: ip.src, port: tcp.srcPort };
    const dst = { address: ip.dst, port: tcp.dstPort };
    const fwd = `${src.address}|${src.port}|${dst.address}|${dst.port}`;
    const rev = `${dst.address}|${dst.port}|${src.address}|${src.port}`;
    const key = fwd < rev ? fwd : rev;
    const flags = tcp.flags;
    const ended: TcpStream[] = [];
    let c = this.live.get(key);
    const isSyn = (flags & SYN) !== 0 && (flags & ACK) === 0;
    if (c !== undefined && isSyn && c.dirs[0].base !== undefined && (c.closed || ((tcp.seq + 1) >>> 0) !== c.dirs[0].base)) {
      // A new connection on the same ports.
      this.live.delete(key);
      ended.push(this.finish(c));
      this.remember(key, c);
      c = undefined;
    }
    if (c === undefined) {
      const old = this.closed.get(key);
      if (old !== undefined && !isSyn) {
        old.stream.lastFrame = frame;
        old.stream.end = time;
        return { connection: old, delivered: [], ended };
      }
      this.closed.delete(key);
      const synAck = (flags & SYN) !== 0 && (flags & ACK) !== 0;
      const [client, server] = synAck ? [dst, src] : [src, dst];
      c = new TcpConnection({
        index: this.count++, client, server, firstFrame: frame, lastFrame: frame, start: time, end: time,
        chunks: [], synSeen: false, fin: [false, false], reset: false,
        retransmissions: 0, outOfOrder: 0, overlaps: 0, conflicts: 0, gaps: [],
      });
      this.live.set(key, c);
    }
    const s = c.stream;
    s.lastFrame = frame;
    s.end = time;
    const dirIndex: 0 | 1 = src.address === s.client.address && src.port === s.client.port ? 0 : 1;
    const d = c.dirs[dirIndex];
    const delivered: TcpChunk[] = [];
    if ((flags & SYN) !== 0) {
      s.synSeen = true;
      if (d.base === undefined) d.base = (tcp.seq + 1) >>> 0;
    }
    if (flags & RST) s.reset = true;
    d.base ??= tcp.seq;
    const seq = (flags & SYN) !== 0 ? (tcp.seq + 1) >>> 0 : tcp.seq;
    const expected = (d.base + d.next) >>> 0;
    const start = d.next + ((seq - expected) | 0);
    if (payload.length > 0) this.segment(c, dirIndex, start, payload, frame, time, delivered);
    if (flags & FIN) d.finAt ??= start + payload.length;
    if (d.finAt !== undefined && d.next >= d.finAt) s.fin[dirIndex] = true;
    if (c.closed) {
      this.live.delete(key);
      ended.push(this.finish(c, delivered));
      this.remember(key, c);
    }
    return { connection: c, delivered, ended };
  }

  /** End every open connection (at the end of the input); return their streams. */
  flush(): TcpStream[] {
    const out: TcpStream[] = [];
    for (const c of this.live.values()) out.push(this.finish(c));
    for (const [k, c] of this.live) this.remember(k, c);
    this.live.clear();
    return out;
  }

  private remember(key: string, c: TcpConnection): void {
    this.closed.delete(key);
    this.closed.set(key, c);
    if (this.closed.size > this.maxClosed) this.closed.delete(this.closed.keys().next().value as string);
  }

  /** Skip the holes left and deliver what waits behind them; mark the stream emitted. */
  private finish(c: TcpConnection, delivered: TcpChunk[] = []): TcpStream {
    for (const dir of [0, 1] as const) {
      const d = c.dirs[dir];
      while (d.waiting.length > 0) this.skipGap(c, dir, c.stream.lastFrame, c.stream.end, delivered);
      d.delivered = [];
    }
    c.emitted = true;
    return c.stream;
  }

  private segment(c: TcpConnection, dir: 0 | 1, start: number, data: Uint8Array, frame: number, time: bigint, out: TcpChunk[]): void {
    const d = c.dirs[dir];
    const s = c.stream;
    let end = start + data.length;
    if (end <= d.next) {
      s.retransmissions++;
      if (!this.matchesDelivered(d, start, data)) s.conflicts++;
      return;
    }
    if (start < d.next) {
      s.overlaps++;
      if (!this.matchesDelivered(d, start, data.subarray(0, d.next - start))) s.conflicts++;
      data = data.subarray(d.next - start);
      start = d.next;
    }
    if (start > d.next) {
      s.outOfOrder++;
      this.wait(c, d, start, data);
      while (d.waitingBytes > this.maxPending && d.waiting.length > 0) this.skipGap(c, dir, frame, time, out);
      return;
    }
    end = start + data.length;
    this.deliver(c, dir, data, frame, time, out);
    this.drain(c, dir, frame, time, out);
  }

  private wait(c: TcpConnection, d: Direction, start: number, data: Uint8Array): void {
    let parts: Waiting[] = [{ offset: start, data }];
    for (const w of d.waiting) {
      const wEnd = w.offset + w.data.length;
      const next: Waiting[] = [];
      for (const n of parts) {
        const nEnd = n.offset + n.data.length;
        if (nEnd <= w.offset || n.offset >= wEnd) { next.push(n); continue; }
        const lo = Math.max(n.offset, w.offset);
        const hi = Math.min(nEnd, wEnd);
        c.stream.overlaps++;
        const a = n.data.subarray(lo - n.offset, hi - n.offset);
        const b = w.data.subarray(lo - w.offset, hi - w.offset);
        if (!a.every((x, i) => x === b[i])) c.stream.conflicts++;
        if (n.offset < lo) next.push({ offset: n.offset, data: n.data.subarray(0, lo - n.offset) });
        if (nEnd > hi) next.push({ offset: hi, data: n.data.subarray(hi - n.offset) });
      }
      parts = next;
    }
    for (const n of parts) {
      d.waiting.push({ offset: n.offset, data: n.data.slice() });
      d.waitingBytes += n.data.length;
    }
    d.waiting.sort((a, b) => a.offset - b.offset);
  }

  private deliver(c: TcpConnection, dir: 0 | 1, data: Uint8Array, frame: number, time: bigint, out: TcpChunk[]): void {
    const d = c.dirs[dir];
    const copy = data.slice();
    const chunk: TcpChunk = { direction: dir, offset: d.next, data: copy, frame, time };
    d.next += copy.length;
    d.delivered.push(copy);
    d.deliveredBytes += copy.length;
    // Keep only recent bytes for comparing retransmissions (bounded).
    while (d.deliveredBytes - d.delivered[0]!.length > 1024 * 1024) d.deliveredBytes -= d.delivered.shift()!.length;
    c.stream.chunks.push(chunk);
    out.push(chunk);
  }

  private drain(c: TcpConnection, dir: 0 | 1, frame: number, time: bigint, out: TcpChunk[]): void {
    const d = c.dirs[dir];
    while (d.waiting.length > 0 && d.waiting[0]!.offset <= d.next) {
      const w = d.waiting.shift()!;
      d.waitingBytes -= w.data.length;
      const wEnd = w.offset + w.data.length;
      if (wEnd <= d.next) continue;
      this.deliver(c, dir, w.data.subarray(d.next - w.offset), frame, time, out);
    }
    if (d.finAt !== undefined && d.next >= d.finAt) c.stream.fin[dir] = true;
  }

  private skipGap(c: TcpConnection, dir: 0 | 1, frame: number, time: bigint, out: TcpChunk[]): void {
    const d = c.dirs[dir];
    const first = d.waiting[0]!;
    c.stream.gaps.push({ direction: dir, offset: d.next, length: first.offset - d.next });
    d.next = first.offset;
    this.drain(c, dir, frame, time, out);
  }

  private matchesDelivered(d: Direction, start: number, data: Uint8Array): boolean {
    // Walk the kept delivered bytes backwards from the end of the stream.
    let at = d.next;
    for (let i = d.delivered.length - 1; i >= 0 && at > start; i--) {
      const part = d.delivered[i]!;
      const partStart = at - part.length;
      const lo = Math.max(start, partStart);
      const hi = Math.min(start + data.length, at);
      for (let k = lo; k < hi; k++) if (part[k - partStart] !== data[k - start]) return false;
      at = partStart;
    }
    return true;
  }
}

/** Return the bytes of one direction of a stream, in order (gaps left out). */
export function streamBytes(s: TcpStream, direction: 0 | 1): Uint8Array {
  const parts = s.chunks.filter((c) => c.direction === direction);
  const out = new Uint8Array(parts.reduce((n, c) => n + c.data.length, 0));
  let at = 0;
  for (const c of parts) { out.set(c.data, at); at += c.data.length; }
  return out;
}
