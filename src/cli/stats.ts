/**
 * `wirecraft stats FILE`: the protocol hierarchy (frames and bytes per layer path, like
 * `tshark -z io,phs`) and conversations (like `-z conv,ip`, `-z conv,tcp`, `-z conv,udp`) for
 * every protocol with address fields (`src`/`dst`) or ports (`srcPort`/`dstPort`).
 */
import { compileFilter, FilterError, type FilterPredicate } from "../filter/index.js";
import { Padding } from "../protocols/raw.js";
import type { AnyLayer } from "../schema/protocol.js";
import { parseCommand, usage } from "./args.js";
import { FrameDissector, openCapture, shownLayers } from "./frames.js";
import { loadProtocols } from "./registry.js";

export const STATS_HELP = `Usage: wirecraft stats FILE|- [options]

Print the protocol hierarchy (frames and bytes per layer path, like tshark -z io,phs) and the
conversations of every protocol with addresses or ports (like tshark -z conv,ip / conv,tcp / conv,udp).

Options:
  -Y, --filter EXPR      count only frames matching EXPR (see docs/filters.md)
      --hierarchy        print only the protocol hierarchy
      --conversations    print only the conversations
      --json             print the numbers as one JSON object
  -l, --load MODULE      import a compiled ES module defining protocols (repeatable)
      --no-progress      never draw the progress bar
  -h, --help             this help

Examples:
  wirecraft stats capture.pcap
  wirecraft stats capture.pcap --conversations -Y 'tcp'
  wirecraft stats capture.pcapng --json | jq '.conversations.UDP'
`;

const OPTIONS = {
  filter: { type: "string", short: "Y" },
  hierarchy: { type: "boolean" },
  conversations: { type: "boolean" },
  json: { type: "boolean" },
  load: { type: "string", short: "l", multiple: true },
  "no-progress": { type: "boolean" },
} as const;

/** A node of the protocol hierarchy. */
export interface HierarchyNode {
  name: string;
  frames: number;
  bytes: number;
  children: HierarchyNode[];
}

/** One conversation: A is the endpoint that sent first. */
export interface Conversation {
  a: string;
  b: string;
  framesAtoB: number;
  bytesAtoB: number;
  framesBtoA: number;
  bytesBtoA: number;
  /** Nanoseconds since the first frame of the capture. */
  start: bigint;
  end: bigint;
}

/** Accumulates hierarchy and conversations frame by frame. */
export class Statistics {
  readonly root: HierarchyNode = { name: "", frames: 0, bytes: 0, children: [] };
  /** Protocol name -> "A|B" key -> conversation. */
  readonly conversations = new Map<string, Map<string, Conversation>>();
  private t0: bigint | undefined;

  /** Count one frame of `length` bytes on the wire with these layers. */
  add(layers: readonly AnyLayer[], length: number, time: bigint): void {
    this.t0 ??= time;
    const rel = time - this.t0;
    let node = this.root;
    node.frames++;
    node.bytes += length;
    for (const l of layers) {
      if (l.proto === Padding) continue;
      const name = l.proto.name;
      let child = node.children.find((c) => c.name === name);
      if (child === undefined) {
        child = { name, frames: 0, bytes: 0, children: [] };
        node.children.push(child);
      }
      child.frames++;
      child.bytes += length;
      node = child;
    }
    let addressed: AnyLayer | undefined;
    const seen = new Set<string>();
    for (const l of shownLayers(layers)) {
      const f = l as unknown as Record<string, unknown>;
      const name = l.proto.name;
      const fields = l.proto.fields;
      const first = !seen.has(name); // the outermost layer of a protocol names its conversation
      if (fields.some((x) => x.name === "srcPort") && fields.some((x) => x.name === "dstPort") && addressed !== undefined) {
        const a = addressed as unknown as Record<string, unknown>;
        if (first) this.count(name, endpoint(a.src, f.srcPort), endpoint(a.dst, f.dstPort), length, rel);
        seen.add(name);
      } else if (fields.some((x) => x.name === "src") && fields.some((x) => x.name === "dst")) {
        addressed = l;
        if (first) this.count(name, String(f.src), String(f.dst), length, rel);
        seen.add(name);
      }
    }
  }

  private count(proto: string, src: string, dst: string, length: number, rel: bigint): void {
    let table = this.conversations.get(proto);
    if (table === undefined) {
      table = new Map();
      this.conversations.set(proto, table);
    }
    let c = table.get(`${src}|${dst}`);
    let forward = true;
    if (c === undefined) {
      c = table.get(`${dst}|${src}`);
      forward = false;
    }
    if (c === undefined) {
      c = { a: src, b: dst, framesAtoB: 0, bytesAtoB: 0, framesBtoA: 0, bytesBtoA: 0, start: rel, end: rel };
      table.set(`${src}|${dst}`, c);
      forward = true;
    }
    if (forward && !(src === c.a && dst === c.b)) forward = false;
    if (forward) { c.framesAtoB++; c.bytesAtoB += length; } else { c.framesBtoA++; c.bytesBtoA += length; }
    c.end = rel;
  }

  /** Return the numbers as JSON-safe data. */
  toJSON(): { hierarchy: HierarchyNode[]; conversations: Record<string, (Omit<Conversation, "start" | "end"> & { start: number; duration: number })[]> } {
    const conversations: Record<string, (Omit<Conversation, "start" | "end"> & { start: number; duration: number })[]> = {};
    for (const [proto, table] of this.conversations) {
      conversations[proto] = [...table.values()].map((c) => ({
        a: c.a, b: c.b, framesAtoB: c.framesAtoB, bytesAtoB: c.bytesAtoB, framesBtoA: c.framesBtoA, bytesBtoA: c.bytesBtoA,
        start: Number(c.start) / 1e9, duration: Number(c.end - c.start) / 1e9,
      }));
    }
    return { hierarchy: this.root.children, conversations };
  }

  /** Return the protocol hierarchy as text. */
  hierarchyText(): string {
    const lines = ["Protocol hierarchy", ""];
    const walk = (n: HierarchyNode, depth: number): void => {
      lines.push(`${("  ".repeat(depth) + n.name).padEnd(40)} frames:${n.frames} bytes:${n.bytes}`);
      for (const c of n.children) walk(c, depth + 1);
    };
    for (const c of this.root.children) walk(c, 0);
    return lines.join("\n") + "\n";
  }

  /** Return the conversation tables as text. */
  conversationsText(): string {
    let out = "";
    for (const [proto, table] of this.conversations) {
      const rows = [...table.values()].sort((x, y) => y.bytesAtoB + y.bytesBtoA - (x.bytesAtoB + x.bytesBtoA));
      const w = Math.max(15, ...rows.map((r) => Math.max(r.a.length, r.b.length)));
      out += `${proto} conversations\n`;
      out += `${"A".padEnd(w)}     ${"B".padEnd(w)}  ${"A→B frames".padStart(10)} ${"bytes".padStart(10)}  ${"B→A frames".padStart(10)} ${"bytes".padStart(10)}  ${"frames".padStart(7)} ${"bytes".padStart(10)}  ${"start".padStart(12)} ${"duration".padStart(10)}\n`;
      for (const r of rows) {
        out += `${r.a.padEnd(w)} <-> ${r.b.padEnd(w)}  ${String(r.framesAtoB).padStart(10)} ${String(r.bytesAtoB).padStart(10)}  ${String(r.framesBtoA).padStart(10)} ${String(r.bytesBtoA).padStart(10)}  ${String(r.framesAtoB + r.framesBtoA).padStart(7)} ${String(r.bytesAtoB + r.bytesBtoA).padStart(10)}  ${seconds(r.start).padStart(12)} ${seconds(r.end - r.start).padStart(10)}\n`;
      }
      out += "\n";
    }
    return out;
  }
}

function endpoint(addr: unknown, port: unknown): string {
  const a = String(addr);
  return a.includes(":") ? `[${a}]:${String(port)}` : `${a}:${String(port)}`;
}

function seconds(ns: bigint): string {
  return (Number(ns) / 1e9).toFixed(6);
}

/** Run the stats command. */
export async function runStats(args: string[]): Promise<number> {
  const parsed = parseCommand("stats", args, OPTIONS, STATS_HELP);
  if (typeof parsed === "number") return parsed;
  const { values: o, positionals } = parsed;
  if (positionals.length !== 1) return usage("stats", "name one capture file (or - for stdin)", STATS_HELP);
  const path = positionals[0]!;
  const protocols = await loadProtocols(o.load ?? []);
  let filter: FilterPredicate | undefined;
  if (o.filter !== undefined) {
    try {
      filter = compileFilter(o.filter, protocols);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      process.stderr.write(`wirecraft stats: ${e.message}\n${e.pointer()}\n`);
      return 2;
    }
  }
  const stats = new Statistics();
  const frames = new FrameDissector();
  const { records, bar } = await openCapture(path, o["no-progress"] ? undefined : process.stderr);
  let number = 0;
  let code = 0;
  try {
    for await (const r of records) {
      number++;
      if (bar !== undefined) { bar.frames = number; bar.tick(); }
      const p = frames.dissect(r);
      if (filter !== undefined && !filter(p, { number, length: r.originalLength, capturedLength: r.data.length })) continue;
      stats.add(p.layers(), r.originalLength, r.time);
    }
  } catch (e) {
    if (!(e instanceof Error) || !("code" in e)) throw e;
    process.stderr.write(`wirecraft stats: ${path}: ${e.message} (counting the frames before it)\n`);
    code = 1;
  } finally {
    bar?.finish();
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(stats.toJSON()) + "\n");
    return code;
  }
  const both = !o.hierarchy && !o.conversations;
  let text = "";
  if (both || o.hierarchy) text += stats.hierarchyText();
  if (both) text += "\n";
  if (both || o.conversations) text += stats.conversationsText();
  process.stdout.write(text);
  return code;
}
