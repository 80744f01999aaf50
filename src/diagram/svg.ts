/**
 * Header diagrams as SVG: one group per layer with bit numbers, a rect per field and row (full
 * rows of one field merged into one rect), the field edges drawn from the grid so that a field
 * spanning rows has no inner lines, labels (name and width, or name and value), and for a packet
 * its bytes in hex with each byte filled in the colour of the field that covers it.
 *
 * Every rect carries `data-field`, `data-bit` (its first bit on the layer's grid), `data-bits`,
 * `data-row` and `data-rows`, so tools and tests can read the layout back.
 */
import { Grid, labelSegment, ROW_BITS, segmentsOf, type Box, type LayerLayout } from "./layout.js";

/** Pixels per bit, per row, and the margins. */
export const SVG_METRICS = { bit: 20, row: 40, left: 48, top: 8, title: 26, numbers: 30, note: 16, byte: 22, gap: 18 } as const;

const PALETTE = ["#cfe3ff", "#ffe2c2", "#d6f5d6", "#f6d3f0", "#fff3b0", "#d9d3ff", "#c9f1f0", "#ffd6d6"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Return the fill colour of a layer's field. */
export function fieldColor(layerIndex: number, boxIndex: number): string {
  return PALETTE[(boxIndex + layerIndex * 3) % PALETTE.length]!;
}

/** Roughly how wide a monospace text is at a font size, bold a little wider (for fitting labels). */
function textWidth(s: string, size: number): number {
  return s.length * size * (size >= 12 ? 0.64 : 0.6);
}

function fit(options: readonly string[], width: number, size: number): string | undefined {
  return options.find((t) => textWidth(t, size) <= width - 4);
}

interface Rendered {
  readonly svg: string;
  readonly height: number;
}

function widthText(b: Box): string {
  if (b.wireBits === undefined) return "variable";
  return b.wireBits % 8 === 0 && b.wireBits >= 16 ? `${b.wireBits / 8} bytes` : `${b.wireBits} bit${b.wireBits === 1 ? "" : "s"}`;
}

function layerSvg(layout: LayerLayout, layerIndex: number, y0: number): Rendered {
  const M = SVG_METRICS;
  const grid = new Grid(layout);
  const parts: string[] = [];
  const range = layout.byteStart === undefined ? "" : `  bytes ${layout.byteStart}–${(layout.byteEnd ?? layout.byteStart) - 1}`;
  parts.push(`<g class="layer" data-layer="${esc(layout.name)}" transform="translate(0,${y0})">`);
  parts.push(`<text class="title" x="${M.left}" y="${M.title - 8}">${esc(layout.name)}${esc(range)}</text>`);
  const gy = M.title + M.numbers;
  for (let c = 0; c < ROW_BITS; c++) {
    const x = M.left + c * M.bit + M.bit / 2;
    if (c % 10 === 0) parts.push(`<text class="bitno" x="${x}" y="${M.title + 11}">${c / 10}</text>`);
    parts.push(`<text class="bitno" x="${x}" y="${M.title + 24}">${c % 10}</text>`);
  }
  for (let r = 0; r < grid.rows; r++) {
    parts.push(`<text class="offset" x="${M.left - 6}" y="${gy + r * M.row + M.row / 2 + 4}">${(r * ROW_BITS) / 8}</text>`);
  }
  const labels: string[] = [];
  layout.boxes.forEach((b, i) => {
    const segs = segmentsOf(b, i);
    const fill = fieldColor(layerIndex, i);
    const attrs = (bit: number, bits: number, row: number, rows: number): string =>
      `class="field${b.variable ? " variable" : ""}" data-field="${esc(b.name)}" data-bit="${bit}" data-bits="${bits}" data-row="${row}" data-rows="${rows}"` +
      (b.byteStart === undefined ? "" : ` data-bytes="${b.byteStart}-${b.byteEnd}"`);
    // Merge runs of full rows into one rect.
    for (let k = 0; k < segs.length; k++) {
      const s = segs[k]!;
      let rows = 1;
      if (s.from === 0 && s.to === ROW_BITS) {
        while (k + rows < segs.length && segs[k + rows]!.from === 0 && segs[k + rows]!.to === ROW_BITS) rows++;
      }
      const bits = s.to - s.from;
      parts.push(`<rect ${attrs(s.row * ROW_BITS + s.from, bits, s.row, rows)} x="${M.left + s.from * M.bit}" y="${gy + s.row * M.row}" width="${bits * M.bit}" height="${rows * M.row}" fill="${fill}"><title>${esc(b.name)}${b.value === undefined ? "" : " = " + esc(b.value)} (${widthText(b)})</title></rect>`);
      k += rows - 1;
    }
    // The label goes in the widest segment (the middle one of a run of full rows).
    const seg = labelSegment(segs);
    let ly = gy + seg.row * M.row;
    let lh = M.row;
    if (seg.from === 0 && seg.to === ROW_BITS) {
      const full = segs.filter((s) => s.from === 0 && s.to === ROW_BITS);
      ly = gy + full[0]!.row * M.row;
      lh = full.length * M.row;
    }
    const w = (seg.to - seg.from) * M.bit;
    const cx = M.left + seg.from * M.bit + w / 2;
    const name = fit([b.name], w, 12) ?? fit([b.name.slice(0, Math.max(1, Math.floor((w - 4) / 7.7)))], w, 12) ?? "";
    const second = b.value === undefined ? fit([widthText(b)], w, 10) : fit([b.value], w, 10);
    const cy = ly + lh / 2;
    labels.push(`<text class="name" x="${cx}" y="${second === undefined ? cy + 4 : cy - 2}">${esc(name)}</text>`);
    if (second !== undefined) labels.push(`<text class="${b.value === undefined ? "width" : "value"}" x="${cx}" y="${cy + 12}">${esc(second)}</text>`);
  });
  // Edges, from the grid: a horizontal edge where the owner changes between rows, a vertical one
  // where it changes along a row.
  let d = "";
  for (let r = 0; r <= grid.rows; r++) {
    for (let c = 0; c < ROW_BITS; c++) {
      if (grid.edge(r, c)) d += `M${M.left + c * M.bit} ${gy + r * M.row}h${M.bit}`;
    }
  }
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c <= ROW_BITS; c++) {
      if (grid.wall(r, c)) d += `M${M.left + c * M.bit} ${gy + r * M.row}v${M.row}`;
    }
  }
  parts.push(`<path class="edges" d="${d}"/>`);
  parts.push(...labels);
  let y = gy + grid.rows * M.row + 6;
  for (const b of layout.boxes) {
    if (b.note === undefined) continue;
    y += M.note;
    parts.push(`<text class="note" x="${M.left}" y="${y - 4}">${esc(b.name)}: ${esc(b.note)}</text>`);
  }
  parts.push("</g>");
  return { svg: parts.join("\n"), height: y + M.gap };
}

function bytesSvg(bytes: Uint8Array, layouts: readonly LayerLayout[], y0: number): Rendered {
  const M = SVG_METRICS;
  const owner: { fill: string; label: string }[] = new Array(bytes.length);
  layouts.forEach((l, li) => {
    l.boxes.forEach((b, bi) => {
      if (b.byteStart === undefined || b.byteEnd === undefined) return;
      for (let k = b.byteStart; k < b.byteEnd && k < bytes.length; k++) owner[k] ??= { fill: fieldColor(li, bi), label: `${l.name}.${b.name}` };
    });
  });
  const parts = [`<g class="bytes" transform="translate(0,${y0})">`, `<text class="title" x="${M.left}" y="${M.title - 8}">bytes</text>`];
  const cols = 16;
  const cw = (ROW_BITS * M.bit) / cols;
  for (let k = 0; k < bytes.length; k++) {
    const row = Math.floor(k / cols);
    const x = M.left + (k % cols) * cw;
    const y = M.title + row * M.byte;
    if (k % cols === 0) parts.push(`<text class="offset" x="${M.left - 6}" y="${y + 15}">${k.toString(16).padStart(4, "0")}</text>`);
    const o = owner[k];
    parts.push(`<rect class="byte" data-offset="${k}"${o ? ` data-field="${esc(o.label)}"` : ""} x="${x}" y="${y}" width="${cw}" height="${M.byte}" fill="${o?.fill ?? "#ffffff"}"><title>${k}${o ? " " + esc(o.label) : ""}</title></rect>`);
    parts.push(`<text class="hex" x="${x + cw / 2}" y="${y + 15}">${bytes[k]!.toString(16).padStart(2, "0")}</text>`);
  }
  parts.push("</g>");
  return { svg: parts.join("\n"), height: M.title + Math.ceil(bytes.length / cols) * M.byte + M.gap };
}

const STYLE = `<style>
text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#1d2330}
.title{font-size:14px;font-weight:bold}
.bitno,.offset{font-size:10px;fill:#6b7280}
.bitno,.name,.width,.value,.hex{text-anchor:middle}
.offset{text-anchor:end}
.name{font-size:12px;font-weight:600}
.width,.value{font-size:10px;fill:#374151}
.note{font-size:11px;fill:#4b5563}
.hex{font-size:11px}
.edges{stroke:#1d2330;stroke-width:1.2;fill:none}
rect.byte{stroke:#ffffff;stroke-width:1}
</style>`;

/** Render layer layouts (and a packet's bytes, if given) as one SVG document. */
export function renderSvg(layouts: readonly LayerLayout[], bytes?: Uint8Array): string {
  const M = SVG_METRICS;
  const width = M.left + ROW_BITS * M.bit + 16;
  const body: string[] = [];
  let y = M.top;
  layouts.forEach((l, i) => {
    const r = layerSvg(l, i, y);
    body.push(r.svg);
    y += r.height;
  });
  if (bytes !== undefined) {
    const r = bytesSvg(bytes, layouts, y);
    body.push(r.svg);
    y += r.height;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">\n${STYLE}\n<rect width="100%" height="100%" fill="#ffffff"/>\n${body.join("\n")}\n</svg>\n`;
}
