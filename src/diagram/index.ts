/**
 * `diagram()`: the RFC-style header diagram of a protocol, or of a packet layer by layer with
 * its values and the bytes each field covers, as text or SVG.
 */
import type { LayerBase } from "../schema/layer.js";
import { defOf, type AnyProtocol } from "../schema/protocol.js";
import { dissect, Packet } from "../packet/packet.js";
import { layerLayout, protocolLayout, type LayerLayout } from "./layout.js";
import { textDiagram } from "./text.js";
import { renderSvg } from "./svg.js";

/** Options of `diagram()`. */
export interface DiagramOptions {
  /** `"text"` (RFC 791 style ASCII art, the default) or `"svg"` (a standalone SVG document). */
  readonly format?: "text" | "svg";
}

function packetLayouts(p: Packet): { layouts: LayerLayout[]; bytes: Uint8Array } {
  const first = p.layers()[0];
  if (first === undefined) return { layouts: [], bytes: new Uint8Array(0) };
  const bytes = p.bytes();
  // A crafted packet is built and dissected again, so every field has its place in the bytes.
  const q = dissect(bytes, first.proto);
  return { layouts: (q.layers() as unknown as LayerBase[]).map((l) => layerLayout(l)), bytes };
}

function fieldTable(l: LayerLayout): string[] {
  const where = (b: LayerLayout["boxes"][number]): string => {
    if (b.byteStart === undefined || b.byteEnd === undefined) return "";
    const bytes = b.byteEnd - b.byteStart === 1 ? `byte ${b.byteStart}` : `bytes ${b.byteStart}–${b.byteEnd - 1}`;
    const first = b.bitStart % 8;
    const bits = b.wireBits ?? b.bits;
    // Bits counted from the most significant bit of the field's first byte, as RFC diagrams number them.
    return first === 0 && bits % 8 === 0 ? bytes : `${bytes}, bit${bits === 1 ? ` ${first}` : `s ${first}–${first + bits - 1}`}`;
  };
  const rows = l.boxes.map((b) => [b.name, b.value ?? "", where(b)]);
  const w0 = Math.max(...rows.map((r) => r[0]!.length));
  const w1 = Math.max(...rows.map((r) => r[1]!.length));
  return rows.map((r) => `  ${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`.trimEnd());
}

/**
 * Return the header diagram of a protocol (its declared fields on 32-bit rows), or of a packet
 * (each layer with its values, and which bytes each field covers), as text or SVG.
 */
export function diagram(target: AnyProtocol | Packet, options: DiagramOptions = {}): string {
  const format = options.format ?? "text";
  if (format !== "text" && format !== "svg") throw new TypeError(`diagram: format is "text" or "svg", not ${JSON.stringify(format)}`);
  if (target instanceof Packet) {
    const { layouts, bytes } = packetLayouts(target);
    if (format === "svg") return renderSvg(layouts, bytes);
    const out: string[] = [];
    for (const l of layouts) {
      const end = (l.byteEnd ?? 0) - 1;
      const t = textDiagram(l);
      out.push(`${l.name} (bytes ${l.byteStart}–${end})`, ...t.lines, ...t.key, ...t.notes, ...fieldTable(l), "");
    }
    return out.join("\n").trimEnd() + "\n";
  }
  const layout = protocolLayout(defOf(target));
  if (format === "svg") return renderSvg([layout]);
  const t = textDiagram(layout);
  return [layout.name, ...t.lines, ...t.key, ...t.notes].join("\n") + "\n";
}
