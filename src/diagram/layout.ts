/**
 * The layout of a header diagram, shared by the text and SVG renderers: every field as a box on a
 * grid of 32-bit rows, at its bit offset and with its bit width.
 *
 * A protocol's fields are placed from bit 0 in declaration order. A field whose size varies is
 * drawn as a box from where it starts to the end of its row (a full row when it starts one), with
 * a note; the fields after it start on the next row. A dissected layer's fields are placed where
 * the bytes have them; a variable field longer than four rows is drawn shortened by whole rows
 * (so the fields after it keep their bit alignment) and says how long it really is.
 */
import type { LayerBase, ProtocolDef } from "../schema/layer.js";
import type { FieldImpl } from "../schema/field.js";
import { fieldSpans } from "./spans.js";

/** Bits in one diagram row. */
export const ROW_BITS = 32;

/** One field drawn as a box. */
export interface Box {
  /** The field's name. */
  readonly name: string;
  /** The value shown, for a dissected layer. */
  readonly value: string | undefined;
  /** First bit of the box on the layer's grid (row = floor(bitStart / 32)). */
  readonly bitStart: number;
  /** Width of the box on the grid, in bits. */
  readonly bits: number;
  /** Width of the field on the wire in bits, or undefined when it varies (protocol diagrams). */
  readonly wireBits: number | undefined;
  /** The field's size varies: drawn as a spanning box with a note. */
  readonly variable: boolean;
  /** What the box cannot show: a variable length, a condition, a shortened drawing. */
  readonly note: string | undefined;
  /** Bytes of the packet the field covers (dissected layers): [byteStart, byteEnd). */
  readonly byteStart: number | undefined;
  readonly byteEnd: number | undefined;
}

/** One layer's diagram. */
export interface LayerLayout {
  /** The protocol's name. */
  readonly name: string;
  readonly boxes: readonly Box[];
  /** Bits the grid spans (the end of the last box). */
  readonly bits: number;
  /** Bytes of the packet the layer covers (dissected layers). */
  readonly byteStart: number | undefined;
  readonly byteEnd: number | undefined;
}

/** Longest variable field drawn at its real size in a packet diagram, in bits. */
const MAX_DRAWN_BITS = 4 * ROW_BITS;
/** Longest value text kept in a box label. */
const MAX_VALUE = 40;

function whenNote(f: FieldImpl): string | undefined {
  if (f.when === undefined) return undefined;
  return `present when ${typeof f.whenSource === "string" ? f.whenSource : "a condition holds"}`;
}

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const n = notes.filter((x): x is string => x !== undefined && x !== "");
  return n.length ? n.join("; ") : undefined;
}

const isVariable = (f: FieldImpl): boolean => !f.bits && f.size < 0;

/** Lay out a protocol's declared fields. */
export function protocolLayout(def: ProtocolDef): LayerLayout {
  const boxes: Box[] = [];
  let pos = 0;
  for (const f of def.fields) {
    if (isVariable(f)) {
      const rest = ROW_BITS - (pos % ROW_BITS);
      const note = joinNotes(`variable length, ${f.describeKind()}`, whenNote(f));
      boxes.push({ name: f.name, value: undefined, bitStart: pos, bits: rest, wireBits: undefined, variable: true, note, byteStart: undefined, byteEnd: undefined });
      pos += rest;
      continue;
    }
    const bits = f.bits || f.size * 8;
    if (bits === 0) continue;
    boxes.push({ name: f.name, value: undefined, bitStart: pos, bits, wireBits: bits, variable: false, note: whenNote(f), byteStart: undefined, byteEnd: undefined });
    pos += bits;
  }
  return { name: def.name, boxes, bits: pos, byteStart: undefined, byteEnd: undefined };
}

/** Return a field's value as display text, shortened for a box. */
function valueText(layer: LayerBase, f: FieldImpl): string {
  const v = (layer as unknown as Record<string, unknown>)[f.name];
  let s: string;
  if (f.kind === "list") s = `${Array.isArray(v) ? v.length : 0} item(s)`;
  else {
    try {
      s = f.format(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > MAX_VALUE ? s.slice(0, MAX_VALUE - 1) + "…" : s;
}

/** Lay out the fields of a dissected layer where its bytes have them. */
export function layerLayout(layer: LayerBase): LayerLayout {
  const def = layer._d;
  const origin = layer._o * 8;
  const boxes: Box[] = [];
  let shift = 0;
  let end = 0;
  for (const s of fieldSpans(layer)) {
    const f = def.fields[s.index]!;
    if (s.bits === 0) continue;
    const start = s.bitStart - origin - shift;
    let bits = s.bits;
    // A present field needs no note about its condition; its value says its length.
    let note: string | undefined;
    if (isVariable(f) && bits > MAX_DRAWN_BITS) {
      // Shorten by whole rows: at least one row drawn, the end keeps its place within the row.
      const drawn = ROW_BITS + ((bits - ROW_BITS) % ROW_BITS);
      shift += bits - drawn;
      bits = drawn;
      note = `${s.bits / 8} bytes, drawn shortened`;
    }
    boxes.push({
      name: f.name, value: valueText(layer, f), bitStart: start, bits, wireBits: s.bits, variable: isVariable(f), note,
      byteStart: s.byteStart, byteEnd: s.byteEnd,
    });
    end = Math.max(end, start + bits);
  }
  return { name: def.name, boxes, bits: end, byteStart: layer._o, byteEnd: Math.max(layer._h, layer._o) };
}

/** The part of a box on one row: bits [from, to) of that row. */
export interface Segment {
  readonly box: number;
  readonly row: number;
  readonly from: number;
  readonly to: number;
}

/** Return a box's segments, one per row it touches. */
export function segmentsOf(box: Box, index: number): Segment[] {
  const out: Segment[] = [];
  let b = box.bitStart;
  const end = box.bitStart + box.bits;
  while (b < end) {
    const row = Math.floor(b / ROW_BITS);
    const rowEnd = (row + 1) * ROW_BITS;
    const to = Math.min(end, rowEnd);
    out.push({ box: index, row, from: b - row * ROW_BITS, to: to - row * ROW_BITS });
    b = to;
  }
  return out;
}

/** Return the segment a box's label goes in: the widest, the middle one of equals. */
export function labelSegment(segments: readonly Segment[]): Segment {
  const widest = Math.max(...segments.map((s) => s.to - s.from));
  const wide = segments.filter((s) => s.to - s.from === widest);
  return wide[Math.floor((wide.length - 1) / 2)]!;
}

/** The owner of every bit of the grid: box index, or -1 outside every box. */
export class Grid {
  readonly rows: number;
  private readonly cells: Int32Array;
  constructor(readonly layout: LayerLayout) {
    this.rows = Math.ceil(layout.bits / ROW_BITS);
    this.cells = new Int32Array(this.rows * ROW_BITS).fill(-1);
    layout.boxes.forEach((b, i) => {
      for (let k = b.bitStart; k < b.bitStart + b.bits; k++) this.cells[k] = i;
    });
  }
  /** Return the box owning bit `bit` of row `row` (-1 outside the grid or every box). */
  at(row: number, bit: number): number {
    if (row < 0 || row >= this.rows || bit < 0 || bit >= ROW_BITS) return -1;
    return this.cells[row * ROW_BITS + bit]!;
  }
  /** Whether a vertical edge stands before bit `bit` (0..32) of row `row`. */
  wall(row: number, bit: number): boolean {
    const l = this.at(row, bit - 1);
    const r = this.at(row, bit);
    return l !== r;
  }
  /** Whether a horizontal edge runs above bit `bit` of row `row` (row may be `rows`, the bottom). */
  edge(row: number, bit: number): boolean {
    return this.at(row - 1, bit) !== this.at(row, bit);
  }
}
