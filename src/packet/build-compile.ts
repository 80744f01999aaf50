/**
 * Building, compiled: each protocol gets generated `measure` (for crafted layers) and `write`
 * functions that do what the generic loops in build.ts do, field by field, with the field's index,
 * size, bit position and condition written in as constants. Each call site in the generated code
 * sees one field object, so V8 keeps it monomorphic where the generic loop sees every field class
 * of every protocol.
 */
import { FieldRangeError } from "../errors.js";
import { expressionSource } from "../schema/expression.js";
import { AddressField, BytesField, IntField_, PaddingField, StringField, type FieldImpl } from "../schema/field.js";
import { CustomField } from "../schema/custom.js";
import { ListField } from "../schema/list.js";
import type { BuildScratch, LayerBase, ProtocolDef } from "../schema/layer.js";
import { bindFor } from "./bind.js";

/** Where a layer sits in its top-level layer while building, and that build's scratch (custom fields). */
export interface BuildRoot {
  /** Offset of the layer from the start of the top-level layer. */
  readonly offset: number;
  readonly scratch: Map<unknown, unknown>;
}

/** Bind values by field index (a sparse array; a bind value is never undefined). */
export type MatchValues = readonly unknown[];

/** `match`: the bind values for `next` when the caller knows them (null: none), else undefined. */
export type MeasureFn = (layer: LayerBase, next: ProtocolDef | undefined, recompute: boolean, root: BuildRoot | undefined, match?: MatchValues | null, reuse?: BuildScratch) => BuildScratch;
export type WriteFn = (layer: LayerBase, b: Uint8Array, off: number) => void;
export type FillFn = (layer: LayerBase, bs: BuildScratch, start: number, headerEnd: number, end: number) => void;

/** A protocol's generated build functions. */
export interface BuildFunctions { measure: MeasureFn; write: WriteFn; fill: FillFn }

/** What the generated code calls back for the unusual kinds (lists, custom encodings). */
export interface BuildHelpers {
  readonly AUTO: symbol;
  readonly NO_BYTES: Uint8Array;
  /** No list items (frozen). */
  readonly NO_ITEMS: readonly LayerBase[];
  measureItems(items: LayerBase[], recompute: boolean, rootOff: number, scratch: Map<unknown, unknown>): number;
  encodeCustom(f: CustomField, x: unknown, position: number, scratch: Map<unknown, unknown>, fields: readonly FieldImpl[], vals: unknown[], i: number): Uint8Array;
  writeHeader(layer: LayerBase, b: Uint8Array, off: number): void;
  /** The size of the value of field `ti` (a length's target that is not the layer, header or payload). */
  targetSize(def: ProtocolDef, bs: BuildScratch, ti: number): number;
}

/** Return the generated build functions of a protocol, made on first use (kept on the protocol). */
export function buildFunctions(def: ProtocolDef, h: BuildHelpers): BuildFunctions {
  let c = def.build as BuildFunctions | undefined;
  if (c === undefined) {
    c = { measure: compileMeasure(def, h), write: compileWrite(def, h), fill: compileFill(def, h) };
    def.build = c;
  }
  return c;
}

/**
 * Inline code writing integer `v` of field `i` at `at`, for the common shapes (big-endian 1, 2 or
 * 4 bytes; bit fields within 3 bytes), as IntField_.write does; undefined for the rest.
 */
export function intWrite(f: IntField_, at: string): string | undefined {
  if (f.constructor !== IntField_) return undefined;
  const byte = (k: number): string => `b[${at}${k === 0 ? "" : ` + ${k}`}]`;
  if (f.bits) {
    const last = f.bitShift + f.bits;
    const n = (last + 7) >> 3;
    if (n > 3) return undefined;
    const shift = n * 8 - last;
    const mask = (((1 << f.bits) - 1) << shift) >>> 0;
    let acc = byte(0);
    for (let k = 1; k < n; k++) acc = `((${acc} << 8) | ${byte(k)})`;
    let out = `{ let acc = (${acc} & ${~mask}) | ((v << ${shift}) & ${mask});`;
    for (let k = n - 1; k >= 0; k--) out += ` ${byte(k)} = acc & 255;${k > 0 ? " acc >>>= 8;" : ""}`;
    return `${out} }`;
  }
  if (f.little) return undefined;
  switch (f.size) {
    case 1: return `${byte(0)} = v;`;
    case 2: return `${byte(0)} = v >>> 8; ${byte(1)} = v & 255;`;
    case 4: return `${byte(0)} = v >>> 24; ${byte(1)} = (v >>> 16) & 255; ${byte(2)} = (v >>> 8) & 255; ${byte(3)} = v & 255;`;
    default: return undefined;
  }
}

const matchArrays = new WeakMap<Map<number, unknown>, MatchValues>();

/** The bind values `lower` gets when `upper` follows it, by field index; undefined when there are none. */
export function matchValues(lower: ProtocolDef, upper: ProtocolDef): MatchValues | undefined {
  const m = bindFor(lower, upper);
  if (m === undefined) return undefined;
  let a = matchArrays.get(m);
  if (a === undefined) {
    const out = new Array<unknown>(lower.fields.length);
    for (const [i, v] of m) out[i] = v;
    matchArrays.set(m, (a = out));
  }
  return a;
}

/**
 * A field's default as a literal to write into generated code, when it is a number or text its
 * kind returns unchanged on every call; else undefined (the generated code calls defaultValue()).
 */
function defaultLiteral(f: FieldImpl): string | undefined {
  const own = f instanceof IntField_ ? IntField_.prototype : f instanceof AddressField ? AddressField.prototype : f instanceof StringField ? StringField.prototype : undefined;
  if (own === undefined || f.defaultValue !== own.defaultValue) return undefined;
  const d = f.defaultValue();
  if (typeof d === "number" && Number.isFinite(d) && !Object.is(d, -0)) return String(d);
  if (typeof d === "string") return JSON.stringify(d);
  return undefined;
}

/** A condition as inline code over `layer`, or a call of the field's function. */
function whenCode(f: FieldImpl, i: number): string {
  const js = expressionSource.get(f.when!);
  return js === undefined ? `!!F[${i}].when(layer)` : `!!(${js.replace(/Number\(l\./g, "Number(layer.")})`;
}

/** A protocol's `present` array before measuring: true for the fields without a condition. */
export function presentTemplate(def: ProtocolDef): boolean[] {
  return def.fields.map((f) => f.when === undefined);
}

function compileMeasure(def: ProtocolDef, h: BuildHelpers): MeasureFn {
  const fields = def.fields;
  const n = fields.length;
  const L: string[] = [];
  L.push("const set = layer._v;");
  L.push("const match = known !== undefined ? (known === null ? undefined : known) : next !== undefined ? MATCH(D, next) : undefined;");
  // A scratch to reuse (a compiled chain's, see build-chain.ts) or fresh arrays.
  L.push(`const vals = reuse !== undefined ? reuse.vals : new Array(${n});`);
  // Fields without a condition are always present: a fresh array starts from the template (true
  // for them), and only conditional fields store their presence (a reused one keeps the rest).
  L.push("const present = reuse !== undefined ? reuse.present : PT.slice();");
  L.push("let pos = 0, bitRun = 0, x, here, enc;");
  L.push("let scratch = root === undefined ? undefined : root.scratch;");
  L.push("const rootOff = root === undefined ? 0 : root.offset;");
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    L.push(`x = set !== null ? set[${i}] : undefined;`);
    L.push("here = true;");
    const cond = f.when !== undefined ? whenCode(f, i) : undefined;
    L.push("if (x === undefined) {");
    if (cond !== undefined) L.push(`  here = ${cond};`);
    L.push("  if (here) {");
    if (f.auto !== undefined) L.push("    x = H.AUTO;");
    else {
      // A list is never bound (bind() refuses it).
      if (f.kind !== "list") L.push(`    if (match !== undefined) x = match[${i}];`);
      L.push("    if (x === undefined) {");
      if (f.required) L.push(`      throw new RANGE(D.name, ${JSON.stringify(f.name)}, undefined, "is required");`);
      // Unset padding is computed below; its default would only be replaced.
      else if (f instanceof PaddingField) L.push("      x = H.NO_BYTES;");
      // An unset list builds as no items: one shared empty array (its kind's default is a fresh one).
      else if (f instanceof ListField && f.defaultValue === ListField.prototype.defaultValue) L.push("      x = H.NO_ITEMS;");
      else L.push(`      x = ${defaultLiteral(f) ?? `F[${i}].defaultValue()`};`);
      L.push("    }");
    }
    L.push("  }");
    L.push("}");
    if (cond !== undefined) {
      L.push(`else here = ${cond};`);
      L.push(`present[${i}] = here;`);
      L.push(`vals[${i}] = here ? x : undefined;`);
    } else L.push(`vals[${i}] = x;`);
    L.push("if (here) {");
    if (f.bits) {
      L.push(`  bitRun += ${f.bits};`);
      L.push("  if (bitRun % 8 === 0) { pos += bitRun / 8; bitRun = 0; }");
    } else if (f.kind === "list") {
      L.push(`  if (x.length > 0) { if (scratch === undefined) scratch = new Map(); pos += H.measureItems(x, recompute, rootOff + pos, scratch); }`);
    } else if (f instanceof CustomField) {
      L.push("  if (scratch === undefined) scratch = new Map();");
      L.push(`  const e = H.encodeCustom(F[${i}], x, rootOff + pos, scratch, F, vals, ${i});`);
      L.push(`  if (enc === undefined) enc = new Array(${n});`);
      L.push(`  enc[${i}] = e;`);
      L.push("  pos += e.length;");
    } else if (f instanceof PaddingField) {
      L.push(`  if (set === null || set[${i}] === undefined) {`);
      const align = f.align;
      L.push(`    const padLength = ${f.padAt === PaddingField.prototype.padAt ? `(${align} - (pos % ${align})) % ${align}` : `F[${i}].padAt(pos)`};`);
      L.push(`    const pad = padLength === 0 ? H.NO_BYTES : new Uint8Array(padLength);`);
      L.push(`    vals[${i}] = pad;`);
      L.push("    pos += pad.length;");
      L.push(`  } else pos += F[${i}].sizeOf(x);`);
    } else if (f instanceof IntField_ || f instanceof AddressField) {
      L.push(`  pos += ${f.size};`);
    } else {
      L.push(`  pos += x === H.AUTO ? ${f.size} : F[${i}].sizeOf(x);`);
    }
    L.push("}");
  }
  L.push("let bs;");
  L.push("if (reuse !== undefined) { bs = reuse; bs.size = pos; bs.enc = enc; }");
  L.push("else bs = { vals, present, size: pos, checksumAt: undefined, enc };");
  L.push("layer._bs = bs;");
  L.push("return bs;");
  const src = `return function measure_${def.name}(layer, next, recompute, root, known, reuse) {\n${L.join("\n")}\n};`;
  return new Function("D", "F", "H", "MATCH", "RANGE", "PT", src)(def, fields, h, matchValues, FieldRangeError, presentTemplate(def)) as MeasureFn;
}

function compileWrite(def: ProtocolDef, h: BuildHelpers): WriteFn {
  const fields = def.fields;
  const L: string[] = [];
  L.push("const bs = layer._bs;");
  L.push("const present = bs.present, vals = bs.vals;");
  L.push("let pos = off, v;");
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    L.push(f.when === undefined ? "{" : `if (present[${i}]) {`);
    L.push(`  v = vals[${i}];`);
    if (f.bits) {
      L.push(`  const at = pos + ${def.bitByte[i]};`);
      if (f.auto === "checksum" && i >= def.firstDynamic) L.push(`  (bs.checksumAt ??= [])[${i}] = at;`);
      L.push(`  ${intWrite(f as IntField_, "at") ?? `F[${i}].write(b, at, v);`}`);
      L.push(`  pos += ${def.advance[i]};`);
    } else {
      // Where a checksum was written, for the checksum pass (a fixed one's place is known).
      if (f.auto === "checksum" && i >= def.firstDynamic) L.push(`  (bs.checksumAt ??= [])[${i}] = pos;`);
      if (f.kind === "list") {
        L.push("  for (let k = 0; k < v.length; k++) { const item = v[k]; H.writeHeader(item, b, pos); pos += item._bs.size; }");
      } else if (f instanceof CustomField) {
        L.push(`  const e = bs.enc !== undefined ? bs.enc[${i}] : undefined;`);
        L.push(`  if (e !== undefined) { b.set(e, pos); pos += e.length; } else { F[${i}].write(b, pos, v); pos += F[${i}].sizeOf(v); }`);
      } else if (f instanceof AddressField && f.write === AddressField.prototype.write) {
        // The address's bytes copied here, unrolled.
        L.push(`  { const s = F[${i}].bytesOf(v); ${Array.from({ length: f.size }, (_, k) => `b[pos + ${k}] = s[${k}];`).join(" ")} }`);
        L.push(`  pos += ${f.size};`);
      } else if (f instanceof IntField_ || f instanceof AddressField) {
        L.push(`  ${(f instanceof IntField_ ? intWrite(f, "pos") : undefined) ?? `F[${i}].write(b, pos, v);`}`);
        L.push(`  pos += ${f.size};`);
      } else if (plainBytes(f)) {
        // A few bytes are copied here (padding is mostly none): TypedArray#set is a call.
        L.push("  { const n = v.length; if (n > 16) b.set(v, pos); else for (let k = 0; k < n; k++) b[pos + k] = v[k]; pos += n; }");
      } else {
        L.push(`  F[${i}].write(b, pos, v);`);
        L.push(`  pos += F[${i}].sizeOf(v);`);
      }
    }
    L.push("}");
  }
  const src = `return function write_${def.name}(layer, b, off) {\n${L.join("\n")}\n};`;
  return new Function("D", "F", "H", src)(def, fields, h) as WriteFn;
}

/** A bytes or padding field whose value is written as it is (its kind's own write and size). */
function plainBytes(f: FieldImpl): boolean {
  const own = f instanceof BytesField ? BytesField.prototype : f instanceof PaddingField ? PaddingField.prototype : undefined;
  return own !== undefined && f.write === own.write && f.sizeOf === own.sizeOf;
}

/** Generate what `fillAuto` does for a protocol: only its computed fields, each with its rule written in. */
function compileFill(def: ProtocolDef, h: BuildHelpers): FillFn {
  const L: string[] = ["const vals = bs.vals;", "let v, size;"];
  def.fields.forEach((f, i) => {
    if (!(f instanceof IntField_) || f.auto === undefined) return;
    L.push(`if (vals[${i}] === H.AUTO) {`);
    if (f.auto === "checksum") {
      L.push(`  vals[${i}] = 0;`);
      L.push("}");
      return;
    }
    if (f.auto === "count") {
      L.push(`  const items = vals[${def.index.get(f.countOf!)!}];`);
      L.push("  v = items === undefined ? 0 : items.length;");
    } else {
      const t = f.lengthOf!;
      if (t === "layer") L.push("  size = end - start;");
      else if (t === "header") L.push("  size = headerEnd - start;");
      else if (t === "payload") L.push("  size = end - headerEnd;");
      else L.push(`  size = H.targetSize(D, bs, ${def.index.get(t)!});`);
      L.push(`  v = (size + ${f.adjust}) / ${f.scale};`);
      if (f.scale !== 1) L.push(`  if (!Number.isInteger(v)) throw new RANGE(D.name, ${JSON.stringify(f.name)}, size, "a length of " + size + " byte(s) is not a whole number of ${f.scale}-byte units");`);
    }
    L.push(`  if (v > ${f.max} || v < ${f.min}) throw new RANGE(D.name, ${JSON.stringify(f.name)}, v, "computed value does not fit (${f.min}..${f.max})");`);
    L.push(`  vals[${i}] = v;`);
    L.push("}");
  });
  const src = `return function fill_${def.name}(layer, bs, start, headerEnd, end) {\n${L.join("\n")}\n};`;
  return new Function("D", "H", "RANGE", src)(def, h, FieldRangeError) as FillFn;
}
