/** The conversations and protocol hierarchy tabs: plain tables from the numbers `wirecraft stats` counts. */
import type { ViewMeta } from "../model.js";
import type { HierarchyNode } from "../../cli/stats.js";

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  return e;
}

function table(doc: Document, head: string[], rows: (string | number)[][], numeric: boolean[]): HTMLTableElement {
  const t = el(doc, "table");
  const tr = el(doc, "tr");
  head.forEach((h, i) => tr.appendChild(el(doc, "th", h, numeric[i] ? "num" : undefined)));
  t.appendChild(el(doc, "thead")).appendChild(tr);
  const body = t.appendChild(el(doc, "tbody"));
  for (const r of rows) {
    const row = el(doc, "tr");
    r.forEach((v, i) => row.appendChild(el(doc, "td", String(v), numeric[i] ? "num" : undefined)));
    body.appendChild(row);
  }
  return t;
}

/** Fill the conversations tab: one table per protocol, biggest conversations first. */
export function renderConversations(host: HTMLElement, meta: ViewMeta): void {
  const doc = host.ownerDocument;
  host.replaceChildren();
  const protos = Object.keys(meta.conversations);
  if (protos.length === 0) host.appendChild(el(doc, "p", "No conversations."));
  for (const proto of protos) {
    const rows = [...meta.conversations[proto]!].sort((x, y) => y.bytesAtoB + y.bytesBtoA - (x.bytesAtoB + x.bytesBtoA));
    const section = el(doc, "section", undefined, "conv");
    section.dataset.protocol = proto;
    section.appendChild(el(doc, "h3", `${proto} · ${rows.length}`));
    section.appendChild(table(doc,
      ["Address A", "Address B", "Packets", "Bytes", "Packets A→B", "Bytes A→B", "Packets B→A", "Bytes B→A", "Rel start", "Duration"],
      rows.map((r) => [r.a, r.b, r.framesAtoB + r.framesBtoA, r.bytesAtoB + r.bytesBtoA, r.framesAtoB, r.bytesAtoB, r.framesBtoA, r.bytesBtoA, r.start.toFixed(6), r.duration.toFixed(6)]),
      [false, false, true, true, true, true, true, true, true, true]));
    host.appendChild(section);
  }
}

/** Fill the protocol hierarchy tab: one row per layer path, indented, with shares of frames and bytes. */
export function renderHierarchy(host: HTMLElement, meta: ViewMeta): void {
  const doc = host.ownerDocument;
  const total = meta.count || 1;
  const totalBytes = meta.hierarchy.reduce((s, n) => s + n.bytes, 0) || 1;
  const rows: (string | number)[][] = [];
  const walk = (n: HierarchyNode, depth: number): void => {
    rows.push(["\u2003".repeat(depth) + n.name, `${((100 * n.frames) / total).toFixed(1)}%`, n.frames, `${((100 * n.bytes) / totalBytes).toFixed(1)}%`, n.bytes]);
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const n of meta.hierarchy) walk(n, 0);
  host.replaceChildren(table(doc, ["Protocol", "Frames %", "Frames", "Bytes %", "Bytes"], rows, [false, true, true, true, true]));
}
