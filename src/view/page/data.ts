/**
 * Where the page gets frames from: chunks embedded in the file (each a JSON script element,
 * parsed only when a row or a frame of it is needed) or, when served, fetched from the server by
 * range. Filters run in the page over the embedded frames, or on the server when served.
 */
import type { Chunk, Row, StreamData, ViewMeta } from "../model.js";
import type { TreeNode } from "../tree.js";
import { compile, dissectFrame, frameDiagram, frameTree } from "./engine.js";

/** A chunk with its bytes decoded. */
export interface Frames {
  readonly first: number;
  readonly rows: Row[];
  readonly links: number[];
  readonly bytes: Uint8Array;
  readonly offsets: number[];
}

/** The result of a filter: the matching frame indices, or the problem with the filter. */
export type FilterResult = { ok: true; indices: Int32Array } | { ok: false; message: string; column: number };

function decode(c: Chunk): Frames {
  const bin = atob(c.bytes);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return { first: c.first, rows: c.rows, links: c.links, bytes, offsets: c.offsets };
}

/** Format microseconds as `wirecraft read` prints times (`0.618789`). */
export function formatTime(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, "0")}`;
}

/** Frames, trees, filters and streams for the page. */
export class Source {
  private readonly cache = new Map<number, Frames>();
  private readonly pending = new Map<number, Promise<Frames>>();
  private streamCache: StreamData[] | undefined;
  /** Most decoded chunks kept (least recently used dropped first). */
  private readonly keep = 64;

  constructor(readonly meta: ViewMeta, private readonly doc: Document) {}

  /** Return chunk `k` if it is decoded already. */
  loaded(k: number): Frames | undefined {
    const c = this.cache.get(k);
    if (c !== undefined) {
      this.cache.delete(k);
      this.cache.set(k, c);
    }
    return c;
  }

  /** Decode (or fetch) chunk `k`. */
  load(k: number): Promise<Frames> {
    const have = this.loaded(k);
    if (have !== undefined) return Promise.resolve(have);
    let p = this.pending.get(k);
    if (p === undefined) {
      p = this.read(k).then((f) => {
        this.pending.delete(k);
        this.cache.set(k, f);
        while (this.cache.size > this.keep) this.cache.delete(this.cache.keys().next().value as number);
        return f;
      });
      this.pending.set(k, p);
    }
    return p;
  }

  private async read(k: number): Promise<Frames> {
    const size = this.meta.chunkSize;
    if (this.meta.served) {
      const r = await fetch(`api/chunk?start=${k * size}&end=${(k + 1) * size}`);
      return decode((await r.json()) as Chunk);
    }
    const el = this.doc.getElementById(`wc-chunk-${k}`);
    if (el === null) throw new Error(`no chunk ${k}`);
    return decode(JSON.parse(el.textContent ?? "") as Chunk);
  }

  /** Return the bytes and link type of frame `i`. */
  async frame(i: number): Promise<{ bytes: Uint8Array; link: number; row: Row }> {
    const f = await this.load(Math.floor(i / this.meta.chunkSize));
    const j = i - f.first;
    return { bytes: f.bytes.subarray(f.offsets[j], f.offsets[j + 1]), link: f.links[j]!, row: f.rows[j]! };
  }

  /** Return the layer tree of frame `i`. */
  async tree(i: number): Promise<{ tree: TreeNode[]; bytes: Uint8Array }> {
    const { bytes, link, row } = await this.frame(i);
    if (this.meta.served) {
      const r = await fetch(`api/tree?frame=${i}`);
      return { tree: (await r.json()) as TreeNode[], bytes };
    }
    return { tree: frameTree(bytes, link, { number: i + 1, length: row[1], time: formatTime(row[0]) }), bytes };
  }

  /** Return the SVG diagram of frame `i`. */
  async diagram(i: number): Promise<string> {
    if (this.meta.served) return (await fetch(`api/diagram?frame=${i}`)).text();
    const { bytes, link } = await this.frame(i);
    return frameDiagram(bytes, link);
  }

  /** Run a filter over every frame; `progress` hears how far it got. */
  async filter(expr: string, progress?: (done: number) => void): Promise<FilterResult> {
    if (this.meta.served) {
      const r = await fetch(`api/filter?expr=${encodeURIComponent(expr)}`);
      const j = (await r.json()) as { indices?: number[]; message?: string; column?: number };
      if (j.indices === undefined) return { ok: false, message: j.message ?? "filter failed", column: j.column ?? 0 };
      return { ok: true, indices: Int32Array.from(j.indices) };
    }
    const c = compile(expr);
    if (!c.ok) return c;
    const out: number[] = [];
    const chunks = Math.ceil(this.meta.count / this.meta.chunkSize);
    for (let k = 0; k < chunks; k++) {
      const f = this.loaded(k) ?? (await this.read(k));
      for (let j = 0; j < f.rows.length; j++) {
        const bytes = f.bytes.subarray(f.offsets[j], f.offsets[j + 1]);
        const p = dissectFrame(bytes, f.links[j]!);
        if (c.test(p, { number: f.first + j + 1, length: f.rows[j]![1], capturedLength: bytes.length })) out.push(f.first + j);
      }
      progress?.(f.first + f.rows.length);
      await new Promise((r) => setTimeout(r, 0)); // let the page breathe between chunks
    }
    return { ok: true, indices: Int32Array.from(out) };
  }

  /** Return TCP stream `n`'s segments. */
  async stream(n: number): Promise<StreamData> {
    if (this.meta.served) {
      const r = await fetch(`api/stream?index=${n}`);
      return (await r.json()) as StreamData;
    }
    this.streamCache ??= JSON.parse(this.doc.getElementById("wc-streams")?.textContent ?? "[]") as StreamData[];
    const s = this.streamCache[n];
    if (s === undefined) throw new Error(`no TCP stream ${n}`);
    return s;
  }
}
