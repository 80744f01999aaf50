/**
 * Display: `show()` (an indented field tree), `summary()` (one line), `hexdump()`, and
 * `describe()` (a protocol's fields, like Scapy's `ls()`).
 */
import type { FieldValues } from "../schema/expression.js";
import type { LayerBase } from "../schema/layer.js";
import { defOf, type AnyProtocol } from "../schema/protocol.js";
import { valuesOf } from "./build.js";

/** Return a field's value for display: the built value of a crafted layer, else the layer's own. */
export function displayValue(layer: LayerBase, i: number, built: boolean): unknown {
  if (built && layer._bs !== null) return layer._bs.vals[i];
  return (layer as unknown as Record<string, unknown>)[layer._d.fields[i]!.name];
}

/** Return the field tree of one layer, Scapy style. */
export function showLayer(layer: LayerBase, built: boolean, indent = ""): string {
  const def = layer._d;
  const fields = def.fields;
  const width = Math.max(0, ...fields.map((f) => f.name.length));
  let out = `${indent}###[ ${def.name} ]###\n`;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = displayValue(layer, i, built);
    if (v === undefined && f.when !== undefined) continue;
    const label = `${indent}  ${f.name.padEnd(width)} = `;
    if (f.kind === "list") {
      const items = (v ?? []) as LayerBase[];
      out += `${label}${items.length ? "" : "[]"}\n`;
      for (const it of items) out += showLayer(it, built, indent + "   | ");
      continue;
    }
    const computed = !built && layer._b === null && f.auto !== undefined && (layer._v === null || layer._v[i] === undefined);
    out += label + (computed ? `(computed ${f.auto})` : f.format(v)) + "\n";
  }
  return out;
}

/** Return a layer's one-line summary: its name and what its protocol's summary says. */
export function summarizeLayer(layer: LayerBase, built: boolean): string {
  const text = summaryText(layer, built);
  return text ? `${layer._d.name} ${text}` : layer._d.name;
}

/** Return what a layer's protocol's summary says (without the protocol's name); "" when it says nothing or fails. */
export function summaryText(layer: LayerBase, built: boolean): string {
  const s = layer._d.options.summary;
  if (s === undefined) return "";
  let text: string;
  try {
    text = s(valuesForDisplay(layer, built) as never);
  } catch {
    return "";
  }
  return text ? `${text}` : "";
}

/** Return field values by name, as display sees them. */
export function valuesForDisplay(layer: LayerBase, built: boolean): FieldValues {
  return built ? valuesOf(layer) : (layer as unknown as FieldValues);
}

/** Return JSON-safe field values of a layer. */
export function layerJSON(layer: LayerBase, built: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = layer._d.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = displayValue(layer, i, built);
    if (v === undefined) continue;
    out[f.name] = f.kind === "list" ? (v as LayerBase[]).map((x) => layerJSON(x, built)) : f.json(v);
  }
  return out;
}

/** Return a hex dump of bytes: offset, 16 bytes in hex, and their printable characters. */
export function hexdump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    let hex = "";
    let text = "";
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += " ";
      const c = bytes[off + i];
      if (c === undefined) { hex += "   "; continue; }
      hex += c.toString(16).padStart(2, "0") + " ";
      text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
    }
    lines.push(`${off.toString(16).padStart(4, "0")}  ${hex} ${text}`);
  }
  return lines.join("\n");
}

/** Return a protocol's fields with their kinds, widths and defaults, like Scapy's `ls()`. */
export function describe(protocol: AnyProtocol): string {
  const def = defOf(protocol);
  const rows = def.fields.map((f) => {
    const bits = f.bits ? `${f.bits} bits` : f.size >= 0 ? `${f.size * 8} bits` : "variable";
    let dflt: string;
    if (f.auto !== undefined) dflt = `(computed ${f.auto})`;
    else if (f.required) dflt = "(required)";
    else dflt = f.format(f.defaultValue());
    const notes: string[] = [];
    if (f.when !== undefined) notes.push(`when ${typeof f.whenSource === "string" ? f.whenSource : "(function)"}`);
    if (f.doc) notes.push(f.doc);
    return [f.name, f.describeKind(), bits, dflt, notes.join("; ")];
  });
  const w = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length), ["field", "kind", "width", "default"][c]!.length));
  const line = (r: string[]) => r.slice(0, 4).map((x, c) => x.padEnd(w[c]!)).join("  ") + (r[4] ? `  ${r[4]}` : "");
  return [`${def.name}`, line(["field", "kind", "width", "default", ""]), ...rows.map(line)].join("\n").replace(/ +$/gm, "");
}
