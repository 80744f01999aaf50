/**
 * Skipping, compiled: for a list item protocol whose extent depends only on its own fixed integer
 * fields (a TLV option: kind, length), a generated function that returns the size of the item at
 * `off` from the bytes alone, without laying out a layer.
 *
 * A list is walked when its layer is laid out, to find its end and to reject items that do not
 * parse; most lists are never read after that. The skip function answers "how long is this
 * item" with a few byte reads. It gives up (-1) on anything unusual (truncation, a bad length,
 * nested lists that do not tile their space), and the caller then walks the slow way, which finds
 * the same answer or names the error. Protocols whose layout needs more than their fixed integer
 * fields (custom fields, strings, validation or payload hooks) get no skip function (undefined).
 */
import { expressionSource } from "./expression.js";
import { IntField_, PaddingField, type FieldImpl } from "./field.js";
import { ListField } from "./list.js";
import type { ProtocolDef } from "./layer.js";
import { BytesField } from "./byte-fields.js";

/** The size of the item at `off` (its header: what a list advances by), or -1 to go the slow way. */
export type SkipFn = (b: Uint8Array, off: number, limit: number) => number;

/** Generate the skip function of an item protocol, or undefined when its layout needs a layer. */
export function compileSkip(def: ProtocolDef): SkipFn | undefined {
  const o = def.options;
  if (o.validate !== undefined || o.payloadLength !== undefined || o.select !== undefined) return undefined;
  const fields = def.fields;
  const fd = def.firstDynamic;
  if (def.staticSize >= 0) return new Function(`return function skip_${def.name}(b, off, limit) { return off + ${def.staticSize} > limit ? -1 : ${def.staticSize}; };`)() as SkipFn;
  // Values the conditions and lengths may use: the fixed integer fields, read from the bytes.
  const value = (name: string): string | undefined => {
    const i = def.index.get(name);
    if (i === undefined || i >= fd) return undefined;
    const f = fields[i]!;
    if (!(f instanceof IntField_) || f.constructor !== IntField_) return undefined;
    return f.readExpr("b", `off + ${def.staticOff[i]}`);
  };
  const L: string[] = [];
  const last = fields[fd - 1];
  if (last === undefined) return undefined;
  const p0 = last.bits ? def.staticOff[fd - 1]! + def.advance[fd - 1]! - def.bitByte[fd - 1]! : def.staticOff[fd - 1]! + last.size;
  L.push(`let pos = off + ${p0};`);
  L.push("if (pos > limit) return -1;");
  L.push("let hdrLimit = limit;");
  const hl = def.headerLen;
  const headerLength = (f: IntField_): string | undefined => {
    const v = value(f.name);
    return v === undefined ? undefined : `(${v}) * ${f.scale} - ${f.adjust}`;
  };
  // A header length among the dynamic fields, read where it was just skipped over.
  const hlAt = (f: IntField_): string => {
    const e = f.constructor === IntField_ && !f.bits ? f.readExpr("b", "(pos - size)") : undefined;
    return e === undefined ? "NaN" : `(${e}) * ${f.scale} - ${f.adjust}`;
  };
  if (hl !== undefined && hl.index < fd) {
    const e = headerLength(hl);
    if (e === undefined) return undefined;
    L.push(`{ const L = ${e}; if (L < pos - off || off + L > limit) return -1; hdrLimit = off + L; }`);
  }
  for (let i = fd; i < fields.length; i++) {
    const f: FieldImpl = fields[i]!;
    let cond = "";
    if (f.when !== undefined) {
      const js = expressionSource.get(f.when);
      if (js === undefined) return undefined;
      let ok = true;
      cond = js.replace(/Number\(l\.([A-Za-z_$][\w$]*)\)/g, (_, name: string) => {
        const v = value(name);
        if (v === undefined) ok = false;
        return `(${v})`;
      });
      if (!ok || /\bl\s*[.[]/.test(cond)) return undefined;
    }
    let size: string;
    if (f.bits) return undefined;
    if (f instanceof ListField) {
      // Only a list of fixed-size items filling the rest of the header.
      if (f.count !== undefined || f.length !== undefined || def.lengthFor.has(i) || def.countFor.has(i) || f.item.staticSize <= 0) return undefined;
      L.push(`${cond ? `if (${cond}) ` : ""}{ const size = hdrLimit - pos; if (size % ${f.item.staticSize} !== 0) return -1; pos += size; }`);
      continue;
    } else if (f instanceof IntField_ && f.size > 0) size = String(f.size);
    else if (f instanceof BytesField && f.length === undefined && !def.lengthFor.has(i)) size = "hdrLimit - pos";
    else if (f instanceof PaddingField) return undefined;
    else return undefined;
    L.push(`${cond ? `if (${cond}) ` : ""}{ const size = ${size}; if (size < 0 || pos + size > hdrLimit) return -1; pos += size;${f === hl ? ` const L = ${hlAt(hl)}; if (!(L >= pos - off) || off + L > limit) return -1; hdrLimit = off + L;` : ""} }`);
  }
  L.push("return pos - off;");
  const src = `return function skip_${def.name}(b, off, limit) {\n${L.join("\n")}\n};`;
  return new Function(src)() as SkipFn;
}
