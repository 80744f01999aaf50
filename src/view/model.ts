/**
 * What the viewer shows, computed once in Node from a capture: each frame's summary columns (the
 * same as `wirecraft read` prints) and bytes, the protocol hierarchy and conversations (as
 * `wirecraft stats` counts them), and every TCP stream's segments for the graphs. The page gets it
 * in chunks of frames (`chunk()`), embedded in the file or served by range.
 */
import type { CaptureRecord } from "../capture/record.js";
import type { Packet } from "../packet/packet.js";
import { tcpLayers } from "../streams/tcp.js";
import { columnsOf, FrameDissector, openCapture } from "../cli/frames.js";
import { Statistics, type HierarchyNode } from "../cli/stats.js";

/** Frames per chunk of page data. */
export const CHUNK_SIZE = 1000;

/**
 * One frame's list columns: time (µs since the first frame), length, protocol, source,
 * destination, info; and the TCP stream the frame belongs to (-1 for none).
 */
export type Row = [time: number, length: number, protocol: string, source: string, destination: string, info: string, stream: number];

/** A chunk of frames as the page receives it. */
export interface Chunk {
  /** Index (0-based) of the first frame. */
  readonly first: number;
  readonly rows: Row[];
  /** Link type of each frame. */
  readonly links: number[];
  /** Captured bytes of the frames, concatenated, in base64; `offsets` has count + 1 entries. */
  readonly bytes: string;
  readonly offsets: number[];
}

/** A conversation row, as `wirecraft stats --json` gives it. */
export interface ConversationRow {
  a: string;
  b: string;
  framesAtoB: number;
  bytesAtoB: number;
  framesBtoA: number;
  bytesBtoA: number;
  start: number;
  duration: number;
}

/** One TCP stream's segments, column by column (for the graphs). */
export interface StreamData {
  readonly index: number;
  /** The endpoint that sent first (`address:port`) and the other. */
  readonly a: string;
  readonly b: string;
  /** 0-based frame index of each segment. */
  readonly frame: number[];
  /** Seconds since the first frame of the capture. */
  readonly time: number[];
  /** 0: sent by A, 1: sent by B. */
  readonly dir: number[];
  /** Sequence number relative to the first one seen in its direction (SYN = 0). */
  readonly seq: number[];
  /** TCP payload bytes. */
  readonly len: number[];
  /** Acknowledgment number relative to the other direction's first sequence number (-1 without ACK). */
  readonly ack: number[];
}

/** What the page's header needs to start. */
export interface ViewMeta {
  readonly file: string;
  readonly count: number;
  readonly chunkSize: number;
  readonly hierarchy: HierarchyNode[];
  readonly conversations: Record<string, ConversationRow[]>;
  /** Streams without their segments: index, endpoints and how many segments. */
  readonly streams: { index: number; a: string; b: string; segments: number; bytes: number }[];
  /** Served (`--serve`): filter, trees and chunks come from the server. */
  readonly served: boolean;
}

function endpoint(address: unknown, port: unknown): string {
  const a = String(address);
  return a.includes(":") ? `[${a}]:${String(port)}` : `${a}:${String(port)}`;
}

const ACK = 0x10;

/** Collects TCP segments per stream (numbered by first segment, as tcp.stream). */
class StreamCollector {
  readonly streams: StreamData[] = [];
  private readonly byKey = new Map<string, { s: StreamData; isn: [number | undefined, number | undefined] }>();

  /** Add a frame; return its stream's index, or -1 when it is not TCP. */
  add(p: Packet, frame: number, time: number): number {
    const t = tcpLayers(p);
    if (t === undefined) return -1;
    const ip = t.ip as unknown as Record<string, unknown>;
    const tcp = t.tcp as unknown as Record<string, number>;
    const src = endpoint(ip.src, tcp.srcPort);
    const dst = endpoint(ip.dst, tcp.dstPort);
    let e = this.byKey.get(`${src}|${dst}`) ?? this.byKey.get(`${dst}|${src}`);
    if (e === undefined) {
      const s: StreamData = { index: this.streams.length, a: src, b: dst, frame: [], time: [], dir: [], seq: [], len: [], ack: [] };
      e = { s, isn: [undefined, undefined] };
      this.streams.push(s);
      this.byKey.set(`${src}|${dst}`, e);
    }
    const dir = src === e.s.a ? 0 : 1;
    const seq = tcp.seq! >>> 0;
    const isn = (e.isn[dir] ??= seq);
    const span = t.tcp.span();
    const len = span === undefined ? 0 : Math.max(0, span.end - span.headerEnd);
    const other = e.isn[1 - dir];
    e.s.frame.push(frame);
    e.s.time.push(time);
    e.s.dir.push(dir);
    e.s.seq.push((seq - isn) >>> 0);
    e.s.len.push(len);
    e.s.ack.push((tcp.flags! & ACK) !== 0 && other !== undefined ? ((tcp.ack! >>> 0) - other) >>> 0 : -1);
    return e.s.index;
  }
}

/** Everything the viewer shows about one capture. */
export class ViewData {
  readonly rows: Row[] = [];
  readonly links: number[] = [];
  readonly frames: Uint8Array[] = [];
  /** Hierarchy and conversations, as `wirecraft stats` counts them. */
  readonly stats = new Statistics();
  private readonly collector = new StreamCollector();
  private t0: bigint | undefined;

  constructor(readonly file: string) {}

  /** Add one record, dissected as `p` (valid only during the call). */
  add(r: CaptureRecord, p: Packet): void {
    this.t0 ??= r.time;
    const index = this.rows.length;
    const us = Number((r.time - this.t0) / 1000n);
    const c = columnsOf(p);
    const stream = this.collector.add(p, index, us / 1e6);
    this.rows.push([us, r.originalLength, c.protocol, c.source, c.destination, c.info, stream]);
    this.links.push(r.linkType);
    this.frames.push(r.data.slice());
    this.stats.add(p.layers(), r.originalLength, r.time);
  }

  /** Return the number of frames. */
  get count(): number {
    return this.rows.length;
  }

  /** Return the TCP streams. */
  get streams(): readonly StreamData[] {
    return this.collector.streams;
  }

  /** Return the page's starting data. */
  meta(served: boolean): ViewMeta {
    const j = this.stats.toJSON();
    return {
      file: this.file, count: this.count, chunkSize: CHUNK_SIZE, hierarchy: j.hierarchy, conversations: j.conversations,
      streams: this.streams.map((s) => ({ index: s.index, a: s.a, b: s.b, segments: s.frame.length, bytes: s.len.reduce((x, y) => x + y, 0) })),
      served,
    };
  }

  /** Return frames [start, end) as a chunk. */
  chunk(start: number, end: number): Chunk {
    const s = Math.max(0, Math.min(start, this.count));
    const e = Math.max(s, Math.min(end, this.count));
    const offsets = [0];
    let total = 0;
    for (let i = s; i < e; i++) offsets.push((total += this.frames[i]!.length));
    const all = new Uint8Array(total);
    for (let i = s; i < e; i++) all.set(this.frames[i]!, offsets[i - s]!);
    return { first: s, rows: this.rows.slice(s, e), links: this.links.slice(s, e), bytes: Buffer.from(all.buffer, all.byteOffset, all.length).toString("base64"), offsets };
  }
}

/** Read a capture file into view data. */
export async function loadView(path: string, label = path): Promise<ViewData> {
  const data = new ViewData(label);
  const { records } = await openCapture(path);
  const frames = new FrameDissector();
  for await (const r of records) data.add(r, frames.dissect(r));
  return data;
}
