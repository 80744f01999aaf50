/**
 * Where each field of a dissected layer sits in the packet's bytes, to the bit: what diagrams
 * highlight and what the viewer's byte pane selects. Reads the layout that dissection already
 * found (static offsets, the dynamic offsets table, bit shifts); never changes the layer.
 */
import { fieldOffset, type LayerBase } from "../schema/layer.js";
import type { IntField_ } from "../schema/field.js";

/** One present field of a dissected layer. */
export interface FieldSpan {
  /** Index of the field in its protocol's declaration. */
  readonly index: number;
  readonly name: string;
  /** First bit of the field, counted from the first bit of the packet's bytes. */
  readonly bitStart: number;
  /** Width in bits. */
  readonly bits: number;
  /** First byte the field touches, and the byte just past the last one. */
  readonly byteStart: number;
  readonly byteEnd: number;
}

/** Return the fields present in a dissected layer with their bit and byte extents, in wire order. */
export function fieldSpans(layer: LayerBase): FieldSpan[] {
  const def = layer._d;
  if (layer._b === null) return [];
  const out: FieldSpan[] = [];
  const fd = def.firstDynamic;
  for (let i = 0; i < def.fields.length; i++) {
    const f = def.fields[i]!;
    if (!layer._present(i)) continue;
    const start = fieldOffset(layer, i);
    if (start < 0) continue;
    if (f.bits) {
      const shift = (f as IntField_).bitShift;
      out.push({ index: i, name: f.name, bitStart: start * 8 + shift, bits: f.bits, byteStart: start, byteEnd: start + ((shift + f.bits + 7) >> 3) });
      continue;
    }
    const end = i >= fd && layer._offs !== null ? layer._offs[2 * (i - fd) + 1]! : start + f.size;
    out.push({ index: i, name: f.name, bitStart: start * 8, bits: (end - start) * 8, byteStart: start, byteEnd: end });
  }
  return out;
}
