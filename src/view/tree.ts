/**
 * The layer tree of one packet as plain data with byte ranges: what the viewer shows beside the
 * bytes. Pure (no Node, no DOM): the page builds it from the bytes it holds, `--serve` on the server.
 */
import type { Packet } from "../packet/packet.js";
import type { LayerBase } from "../schema/layer.js";
import { fieldSpans } from "../diagram/spans.js";

/** A node of the tree: a layer, a field or a list item, and the bytes it covers. */
export interface TreeNode {
  /** The text shown (`ttl: 64`, or a layer's summary). */
  readonly label: string;
  /** Byte range [start, end) in the frame. */
  readonly start: number;
  readonly end: number;
  /** For fields narrower than their bytes (bit fields): the bits, counted from the frame's first bit. */
  readonly bitStart?: number;
  readonly bits?: number;
  readonly children?: TreeNode[];
}

function formatField(layer: LayerBase, i: number): string {
  const f = layer._d.fields[i]!;
  const v = (layer as unknown as Record<string, unknown>)[f.name];
  try {
    return f.format(v);
  } catch {
    return String(v);
  }
}

function bitText(bitStart: number, bits: number): string {
  const first = bitStart % 8;
  let s = "";
  for (let k = 0; k < ((first + bits + 7) >> 3) * 8; k++) {
    if (k > 0 && k % 4 === 0) s += " ";
    s += k >= first && k < first + bits ? "x" : ".";
  }
  return s;
}

/** Return the tree of one layer (fields, list items as sub-trees). */
export function layerTree(layer: LayerBase): TreeNode {
  const children: TreeNode[] = [];
  for (const s of fieldSpans(layer)) {
    const f = layer._d.fields[s.index]!;
    if (f.kind === "list") {
      const items = ((layer as unknown as Record<string, unknown>)[f.name] ?? []) as LayerBase[];
      children.push({ label: `${f.name}: ${items.length} item(s)`, start: s.byteStart, end: s.byteEnd, children: items.map(layerTree) });
      continue;
    }
    const partial = f.bits !== 0 && (s.bits % 8 !== 0 || s.bitStart % 8 !== 0);
    const label = partial ? `${bitText(s.bitStart, s.bits)} ${f.name}: ${formatField(layer, s.index)}` : `${f.name}: ${formatField(layer, s.index)}`;
    children.push(partial ? { label, start: s.byteStart, end: s.byteEnd, bitStart: s.bitStart, bits: s.bits } : { label, start: s.byteStart, end: s.byteEnd });
  }
  let label: string;
  try {
    label = layer.summary();
  } catch {
    label = layer._d.name;
  }
  const end = Math.max(layer._h, layer._o);
  return { label, start: layer._o, end, children };
}

/** Return the tree of a dissected packet: a frame node, then one node per layer. */
export function packetTree(p: Packet, frame: { number: number; length: number; captured: number; time: string }): TreeNode[] {
  const out: TreeNode[] = [{
    label: `Frame ${frame.number}: ${frame.length} bytes on wire, ${frame.captured} bytes captured`,
    start: 0, end: frame.captured,
    children: [{ label: `Time: ${frame.time}`, start: 0, end: 0 }],
  }];
  for (const l of p.layers() as unknown as LayerBase[]) out.push(layerTree(l));
  const err = p.error;
  if (err !== undefined) out.push({ label: `[${p.truncated ? "truncated" : "malformed"}: ${err.message}]`, start: 0, end: 0 });
  return out;
}
