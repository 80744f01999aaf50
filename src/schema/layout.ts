/**
 * Layout, compiled: one function per protocol that points a layer at its bytes and finds where
 * each non-static field sits, the header's end and the payload's end.
 *
 * A single generic layout loop sees every protocol's fields and layers, so V8's caches in it go
 * megamorphic; a per-protocol function with the offsets, sizes and field names written in as
 * constants sees one layer class and is several times faster (measured: Ethernet/IPv4/TCP laid out
 * in about a third of the time). The generated code does exactly what the generic description says
 * field by field; unusual kinds (strings, custom fields, padding) go through `sizeOf`, which is
 * shared and written out once here.
 */
import { MalformedError, TruncatedError, type WirecraftError } from "../errors.js";
import { expressionSource, type FieldValues } from "./expression.js";
import { BytesField, IntField_, PaddingField, StringField, type FieldImpl } from "./field.js";
import { CustomField } from "./custom.js";
import { ListField, MAX_LIST_ITEMS } from "./list.js";
import { compileSkip, type SkipFn } from "./skip.js";
import type { LayerBase, ProtocolDef } from "./layer.js";

/** Lay out `layer` over `b[off..limit)`; returns the error that stops dissection here, if any. */
export type LayoutFn = (layer: LayerBase, b: Uint8Array, off: number, limit: number, base: number) => WirecraftError | undefined;

/** The first layout call of a protocol compiles its layout and installs it. */
export function lazyLayout(this: void, layer: LayerBase, b: Uint8Array, off: number, limit: number, base: number): WirecraftError | undefined {
  const def = layer._d;
  def.layout = compileLayout(def);
  return def.layout(layer, b, off, limit, base);
}

/** Generate the layout function of a protocol. */
export function compileLayout(def: ProtocolDef): LayoutFn {
  const fields = def.fields;
  const n = fields.length;
  const fd = def.firstDynamic;
  const lines: string[] = [];
  const emit = (s: string): void => { lines.push(s); };
  const name = (f: FieldImpl): string => JSON.stringify(f.name);
  const skips: (SkipFn | undefined)[] = [];
  emit("layer._b = b; layer._o = off; layer._base = base; layer._v = null; layer._c = null;");
  if (def.staticSize >= 0) {
    emit(`if (off + ${def.staticSize} > limit) return H.truncatedAt(D, off, limit, ${n});`);
    emit("layer._offs = null;");
    emit(`layer._h = off + ${def.staticSize};`);
  } else {
    const k = 2 * (n - fd);
    emit("let hdrLimit = limit;");
    emit("let offs = layer._offs;");
    // A plain array: a small Int32Array costs several times more to make.
    // A fresh layer gets a literal (cheap to make); a reused one has its slots reset.
    if (k <= 32) {
      emit(`if (offs === null || offs.length !== ${k}) offs = layer._offs = [${Array.from({ length: k }, (_, j) => (j % 2 === 0 ? -1 : 0)).join(", ")}];`);
      emit(`else { ${Array.from({ length: k / 2 }, (_, j) => `offs[${2 * j}] = -1;`).join(" ")} }`);
    } else {
      emit(`if (offs === null || offs.length !== ${k}) offs = layer._offs = new Array(${k}).fill(0);`);
      emit(`for (let j = 0; j < ${k}; j += 2) offs[j] = -1;`);
    }
    emit("let declHdrEnd = -1;");
    if (fd > 0) {
      const last = fields[fd - 1]!;
      const p0 = last.bits ? def.staticOff[fd - 1]! + def.advance[fd - 1]! - def.bitByte[fd - 1]! : def.staticOff[fd - 1]! + last.size;
      emit(`let pos = off + ${p0};`);
      emit(`if (pos > limit) return H.truncatedAt(D, off, limit, ${fd});`);
      const hl = def.headerLen;
      if (hl !== undefined && hl.index < fd) {
        emit("{");
        emit(`  const L = ${valueOf(def, hl)} * ${hl.scale} - ${hl.adjust};`);
        emit(`  if (L < pos - off) return new H.MalformedError(D.name, ${name(hl)}, off + ${def.staticOff[hl.index]}, "header length " + L + " is less than the " + (pos - off) + " bytes of fixed header");`);
        emit("  hdrLimit = Math.min(limit, off + L);");
        emit("  declHdrEnd = off + L;");
        emit("}");
      }
    } else emit("let pos = off;");
    for (let i = fd; i < n; i++) {
      const f = fields[i]!;
      const slot = 2 * (i - fd);
      if (f.when !== undefined) {
        const js = expressionSource.get(f.when);
        const direct = js === undefined ? undefined : inlineCondition(def, js);
        if (direct !== undefined) emit(`if (${direct}) {`);
        else {
          const call = js === undefined ? `F[${i}].when(layer)` : `+(${js.replace(/Number\(l\./g, "Number(layer.")})`;
          emit(`let w${i};`);
          emit(`try { w${i} = ${call}; } catch (e) { return new H.MalformedError(D.name, ${name(f)}, pos, "condition failed: " + e.message); }`);
          emit(`if (w${i}) {`);
        }
      } else emit("{");
      if (f.bits) {
        const size = ((f as IntField_).bitShift + f.bits + 7) >> 3;
        emit(`  const start = pos + ${def.bitByte[i]};`);
        emit(`  if (start + ${size} > hdrLimit) return H.truncatedField(D, F[${i}], start, ${size}, hdrLimit);`);
        emit(`  offs[${slot}] = start; offs[${slot + 1}] = start + ${size};`);
        emit(`  pos += ${def.advance[i]};`);
        emit("}");
        continue;
      }
      if (f.size >= 0) emit(`  const size = ${f.size};`);
      else if (f instanceof ListField) {
        const lf = def.lengthFor.has(i) ? `LF[${i}]` : "undefined";
        const cf = def.countFor.has(i) ? `CF[${i}]` : "undefined";
        // A list that runs to the end of the header is empty when nothing is left (IPv4 and TCP
        // options, usually): no call then.
        const toEnd = f.countSource === undefined && f.lengthSource === undefined && !def.lengthFor.has(i) && !def.countFor.has(i);
        const skip = toEnd ? compileSkip(f.item) : undefined;
        if (skip !== undefined) {
          // Items whose sizes their fixed fields tell are skipped here (skip.ts); a list they do
          // not tile exactly is walked by the list itself, which finds the error.
          skips[i] = skip;
          emit("  let size = 0;");
          emit("  if (pos < hdrLimit) {");
          emit(`    let at = pos, n = 0; const skip = SK[${i}];`);
          emit(`    while (at < hdrLimit && n < ${MAX_LIST_ITEMS}) { const s = skip(b, at, hdrLimit); if (s <= 0) break; at += s; n++; }`);
          emit(`    size = at === hdrLimit ? at - pos : F[${i}].spanAt(b, pos, hdrLimit, layer, ${lf}, ${cf});`);
          emit("    if (typeof size !== \"number\") return size;");
          emit("  }");
        } else {
          emit(`  const size = ${toEnd ? "pos >= hdrLimit ? 0 : " : ""}F[${i}].spanAt(b, pos, hdrLimit, layer, ${lf}, ${cf});`);
          emit("  if (typeof size !== \"number\") return size;");
        }
      } else if (f instanceof PaddingField) emit(`  const size = F[${i}].padAt(pos - off);`);
      else if (f instanceof CustomField && (f as CustomField).spec.measure !== undefined && !hasLengthSource(f, def, i)) {
        // Measured without allocating; anything wrong goes the long way for its error.
        emit(`  let size = F[${i}].measureAt(b, pos, hdrLimit, base, layer);`);
        emit(`  if (size < 0) { size = H.sizeOf(layer, D, ${i}, b, pos, hdrLimit, base); if (typeof size !== "number") return size; }`);
      } else if (f instanceof CustomField && (f as CustomField).spec.measure !== undefined && def.lengthFor.has(i)) {
        // Its length from an earlier field (a DNS record's data), the bytes checked by measuring.
        const lf = def.lengthFor.get(i)!;
        emit(`  let size = ${valueOf(def, lf)} * ${lf.scale} - ${lf.adjust};`);
        emit(`  if (!(size >= 0 && pos + size <= hdrLimit && F[${i}].measureAt(b, pos, pos + size, base, layer) >= 0)) { size = H.sizeOf(layer, D, ${i}, b, pos, hdrLimit, base); if (typeof size !== "number") return size; }`);
      }
      else if (isPlainBytes(f) && def.lengthFor.has(i)) {
        // Length from an earlier field; anything odd goes the long way for its error.
        const lf = def.lengthFor.get(i)!;
        emit(`  let size = ${valueOf(def, lf)} * ${lf.scale} - ${lf.adjust};`);
        emit(`  if (!(size >= 0 && Number.isInteger(size))) { size = H.sizeOf(layer, D, ${i}, b, pos, hdrLimit, base); if (typeof size !== "number") return size; }`);
      } else if (isPlainBytes(f)) {
        // To the end of the header.
        emit("  let size = hdrLimit - pos;");
        emit(`  if (size < 0) { size = H.sizeOf(layer, D, ${i}, b, pos, hdrLimit, base); if (typeof size !== "number") return size; }`);
      } else {
        emit(`  const size = H.sizeOf(layer, D, ${i}, b, pos, hdrLimit, base);`);
        emit("  if (typeof size !== \"number\") return size;");
      }
      emit(`  if (pos + size > hdrLimit) return H.truncatedField(D, F[${i}], pos, size, hdrLimit);`);
      emit(`  offs[${slot}] = pos; offs[${slot + 1}] = pos + size;`);
      emit("  pos += size;");
      if (f === def.headerLen) {
        const hl = def.headerLen;
        emit(`  const L = layer[${name(f)}] * ${hl.scale} - ${hl.adjust};`);
        emit(`  if (L < pos - off) return new H.MalformedError(D.name, ${name(f)}, pos - size, "header length " + L + " is less than the " + (pos - off) + " bytes before it");`);
        emit("  hdrLimit = Math.min(limit, off + L);");
        emit("  declHdrEnd = off + L;");
      }
      emit("}");
    }
    // A header length that runs past the bytes: the header is truncated.
    emit("if (declHdrEnd > limit) return H.truncatedHeader(layer, pos, declHdrEnd, limit);");
    emit("layer._h = pos;");
  }
  // Where the payload ends: a length field may say so; trailing bytes become padding.
  emit("let end = limit;");
  emit("layer._declEnd = -1;");
  const ll = def.layerLen ?? def.payloadLen;
  if (ll !== undefined) {
    const present = ll.index < fd || def.staticSize >= 0 ? "true" : `layer._offs[${2 * (ll.index - fd)}] >= 0`;
    emit(`if (${present}) {`);
    emit(`  const L = ${valueOf(def, ll)} * ${ll.scale} - ${ll.adjust};`);
    emit(`  const at = ${ll === def.layerLen ? "off" : "layer._h"};`);
    emit(`  if (at + L < layer._h) return new H.MalformedError(D.name, ${name(ll)}, H.fieldOffset(layer, ${ll.index}), "length " + L + " is less than the " + (layer._h - off) + "-byte header");`);
    emit("  layer._declEnd = at + L;");
    emit("  if (at + L < end) end = at + L;");
    emit("}");
  }
  if (def.options.payloadLength !== undefined) {
    emit("{");
    emit("  let L;");
    emit("  try { L = D.options.payloadLength(layer); } catch { L = undefined; }");
    emit("  if (L !== undefined && Number.isInteger(L) && L >= 0) {");
    emit("    layer._declEnd = layer._h + L;");
    emit("    if (layer._h + L < end) end = layer._h + L;");
    emit("  }");
    emit("}");
  }
  emit("layer._e = end;");
  if (def.options.validate !== undefined) {
    emit("let reason;");
    emit("try { reason = D.options.validate(layer); } catch (e) { reason = e.message; }");
    emit("if (reason !== undefined) return new H.MalformedError(D.name, \"\", off, reason);");
  }
  emit("return undefined;");
  const lf: (IntField_ | undefined)[] = fields.map((_, i) => def.lengthFor.get(i));
  const cf: (IntField_ | undefined)[] = fields.map((_, i) => def.countFor.get(i));
  const src = `return function layout_${def.name}(layer, b, off, limit, base) {\n${lines.join("\n")}\n};`;
  return new Function("D", "F", "LF", "CF", "H", "SK", src)(def, fields, lf, cf, helpers, skips) as LayoutFn;
}

/** Absolute offset of field `i` in a dissected layer. */
export function fieldOffset(layer: LayerBase, i: number): number {
  const fd = layer._d.firstDynamic;
  return i >= fd && layer._offs !== null ? layer._offs[2 * (i - fd)]! : layer._o + layer._d.staticOff[i]!;
}

export function truncatedAt(def: ProtocolDef, off: number, limit: number, upTo: number): TruncatedError {
  for (let i = 0; i < upTo; i++) {
    const f = def.fields[i]!;
    const s = off + def.staticOff[i]!;
    const size = f.bits ? ((f as IntField_).bitShift + f.bits + 7) >> 3 : f.size;
    if (s + size > limit) return truncatedField(def, f, s, size, limit);
  }
  return new TruncatedError(def.name, def.fields[0]?.name ?? "", off, def.staticSize, limit - off);
}

function truncatedField(def: ProtocolDef, f: FieldImpl, at: number, size: number, limit: number): TruncatedError {
  return new TruncatedError(def.name, f.name, at, size, Math.max(0, limit - at));
}

/** The error of a header whose length field runs past the bytes: names the last field read. */
function truncatedHeader(layer: LayerBase, pos: number, declHdrEnd: number, limit: number): TruncatedError {
  const def = layer._d;
  const fd = def.firstDynamic;
  const offs = layer._offs!;
  let last = def.fields.length - 1;
  while (last > fd && (offs[2 * (last - fd)]! < 0 || def.fields[last] instanceof PaddingField)) last--;
  return new TruncatedError(def.name, def.fields[last]!.name, pos, declHdrEnd - pos, limit - pos);
}

function evalLength(f: FieldImpl, layer: LayerBase, def: ProtocolDef, i: number): number {
  const lf = def.lengthFor.get(i);
  if (f instanceof BytesField || f instanceof StringField) {
    if (f.length !== undefined) return f.length(layer as unknown as FieldValues);
  }
  if (lf !== undefined) {
    const v = (layer as unknown as Record<string, number>)[lf.name]!;
    return v * lf.scale - lf.adjust;
  }
  return -1;
}

function hasLengthSource(f: FieldImpl, def: ProtocolDef, i: number): boolean {
  return ((f instanceof BytesField || f instanceof StringField) && f.length !== undefined) || def.lengthFor.has(i);
}

/** The size of a bytes, string or custom field at `pos`, or the error that stops the layout. */
function sizeOf(layer: LayerBase, def: ProtocolDef, i: number, b: Uint8Array, pos: number, hdrLimit: number, base: number): number | WirecraftError {
  const f = def.fields[i]!;
  let L: number;
  try {
    L = evalLength(f, layer, def, i);
  } catch (e) {
    return new MalformedError(def.name, f.name, pos, `length failed: ${(e as Error).message}`);
  }
  if (f instanceof CustomField) {
    if (L !== -1 && (!Number.isInteger(L) || L < 0)) return new MalformedError(def.name, f.name, pos, `length ${L} is not a valid byte count`);
    if (L !== -1 && pos + L > hdrLimit) return truncatedField(def, f, pos, L, hdrLimit);
    const r = f.spanAt(b, pos, L === -1 ? hdrLimit : pos + L, base, layer as unknown as FieldValues);
    if (typeof r !== "number") return new MalformedError(def.name, f.name, pos, r.message);
    return L === -1 ? r : L;
  }
  if (L === -1 && f instanceof StringField && (f.prefix || f.terminated)) {
    L = f.spanAt(b, pos, hdrLimit);
    if (L < 0) return f.terminated
      ? new MalformedError(def.name, f.name, pos, "no NUL terminator before the end of the layer")
      : truncatedField(def, f, pos, f.prefix, hdrLimit);
  } else if (L === -1 && !hasLengthSource(f, def, i)) L = hdrLimit - pos;
  if (!Number.isInteger(L) || L < 0) return new MalformedError(def.name, f.name, pos, `length ${L} is not a valid byte count`);
  return L;
}

const helpers = { MalformedError, truncatedAt, truncatedField, truncatedHeader, fieldOffset, sizeOf };

/**
 * The read of field `f` straight from the bytes being laid out, when it is an integer at a fixed
 * place: the layout has just pointed the layer at those bytes (and dropped any values set), so
 * its getter would read the same. Undefined for any other field.
 */
function directRead(def: ProtocolDef, f: FieldImpl | undefined): string | undefined {
  if (f === undefined || f.index >= def.firstDynamic || !(f instanceof IntField_) || f.constructor !== IntField_) return undefined;
  const e = f.readExpr("b", `off + ${def.staticOff[f.index]}`);
  return e === undefined ? undefined : `(${e})`;
}

/** The value of integer field `f` in the layout: from the bytes (`directRead`), else by its getter. */
function valueOf(def: ProtocolDef, f: IntField_): string {
  return directRead(def, f) ?? `layer[${JSON.stringify(f.name)}]`;
}

/**
 * A condition whose every field is a fixed-place integer (`kind == 2` of a TCP option), with the
 * fields read from the bytes (`directRead`); arithmetic on numbers cannot throw, so no guard.
 * Undefined when some field is elsewhere (its getter is called, under a guard).
 */
function inlineCondition(def: ProtocolDef, js: string): string | undefined {
  let ok = true;
  const out = js.replace(/Number\(l\.([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, fname: string) => {
    const i = def.index.get(fname);
    const e = directRead(def, i === undefined ? undefined : def.fields[i]);
    if (e === undefined) ok = false;
    return e ?? "";
  });
  return ok ? `(${out})` : undefined;
}

/** A bytes or string field whose extent is not its own business (no length expression, prefix or terminator). */
function isPlainBytes(f: FieldImpl): boolean {
  if (f instanceof BytesField) return f.length === undefined;
  if (f instanceof StringField) return f.length === undefined && !f.prefix && !f.terminated;
  return false;
}
