/**
 * Building: every layer is written into one buffer sized in a first pass. Lengths, counts and
 * next-protocol selectors are resolved before writing; checksums run last, inner to outer, so an
 * outer checksum covers inner bytes that are already final. A field the user set is kept as set.
 */
import { FieldRangeError } from "../errors.js";
import type { FieldValues } from "../schema/expression.js";
import { IntField_, PaddingField, type ChecksumContext, type FieldImpl } from "../schema/field.js";
import type { BuildScratch, LayerBase, ProtocolDef } from "../schema/layer.js";
import { CustomField } from "../schema/custom.js";
import { bindFor } from "./bind.js";
import { buildFunctions, type BuildHelpers, type BuildRoot } from "./build-compile.js";
import { chainBuilder, type ChainHelpers } from "./build-chain.js";

export type { BuildRoot } from "./build-compile.js";

/** Options of `Packet.bytes()`. */
export interface BuildOptions {
  /**
   * Recompute every length, count and checksum field that was not assigned by hand, including
   * values read from the wire of a dissected packet (which are otherwise kept as they were).
   */
  readonly recompute?: boolean;
}

const AUTO = Symbol("auto");
const NO_BYTES = new Uint8Array(0);

/** Resolve the values of a layer and measure its header; stores the result in `layer._bs`. */
export function measure(layer: LayerBase, next: ProtocolDef | undefined, recompute: boolean, root?: BuildRoot): BuildScratch {
  const def = layer._d;
  // A crafted layer is measured by its protocol's generated code; a dissected one here.
  if (layer._b === null) return buildFunctions(def, HELPERS).measure(layer, next, recompute, root);
  const fields = def.fields;
  const n = fields.length;
  const vals = new Array<unknown>(n);
  const present = new Array<boolean>(n);
  const set = layer._v;
  const dissected = layer._b !== null;
  const match = next !== undefined ? bindFor(def, next) : undefined;
  const self = layer as unknown as Record<string, unknown>;
  let pos = 0;
  let bitRun = 0;
  let enc: (Uint8Array | undefined)[] | undefined;
  let scratch = root?.scratch;
  const rootOff = root?.offset ?? 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    let x = set !== null ? set[i] : undefined;
    let here = true;
    if (x === undefined) {
      if (dissected) {
        here = layer._present(i);
        if (here) x = f.auto !== undefined && recompute ? AUTO : self[f.name];
      } else {
        here = f.when === undefined || !!f.when(layer as unknown as FieldValues);
        if (here) {
          if (f.auto !== undefined) x = AUTO;
          else if (match !== undefined && match.has(i)) x = match.get(i);
          else if (f.required) throw new FieldRangeError(def.name, f.name, undefined, "is required");
          else x = f.defaultValue();
        }
      }
    } else if (f.when !== undefined && !dissected) {
      here = !!f.when(layer as unknown as FieldValues);
    }
    present[i] = here;
    vals[i] = here ? x : undefined;
    if (!here) continue;
    if (f.bits) {
      bitRun += f.bits;
      if (bitRun % 8 === 0) { pos += bitRun / 8; bitRun = 0; }
    } else if (f.kind === "list") {
      let s = 0;
      const items = x as LayerBase[];
      if (items.length > 0) {
        scratch ??= new Map();
        for (const item of items) s += measureItem(item, recompute, { offset: rootOff + pos + s, scratch });
      }
      pos += s;
    } else if (f instanceof CustomField) {
      scratch ??= new Map();
      const e = f.encode(x, { position: rootOff + pos, scratch, layer: earlierValues(fields, vals, i) });
      (enc ??= new Array(n))[i] = e;
      pos += e.length;
    } else if (f instanceof PaddingField && (set === null || set[i] === undefined) && !(dissected && x !== undefined)) {
      const padLength = f.padAt(pos);
      const pad = padLength === 0 ? NO_BYTES : new Uint8Array(padLength);
      vals[i] = pad;
      pos += pad.length;
    } else pos += x === AUTO ? f.size : f.sizeOf(x);
  }
  const bs: BuildScratch = { vals, present, size: pos, checksumAt: undefined, enc };
  layer._bs = bs;
  return bs;
}

function earlierValues(fields: readonly FieldImpl[], vals: unknown[], upTo: number): FieldValues {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < upTo; j++) out[fields[j]!.name] = vals[j] === AUTO ? undefined : vals[j];
  return out;
}

function measureItem(item: LayerBase, recompute: boolean, root: BuildRoot): number {
  const bs = measure(item, undefined, recompute, root);
  fillAuto(item, bs, 0, bs.size, bs.size);
  return bs.size;
}

/** Compute unset lengths and counts now that sizes are known. */
export function fillAuto(layer: LayerBase, bs: BuildScratch, start: number, headerEnd: number, end: number): void {
  buildFunctions(layer._d, HELPERS).fill(layer, bs, start, headerEnd, end);
}

/** The size of the resolved value of field `ti`, the target of a length field. */
function targetSize(def: ProtocolDef, bs: BuildScratch, ti: number): number {
  const tf = def.fields[ti]!;
  const tv = bs.vals[ti];
  return tv === undefined ? 0 : tf.kind === "list" ? sumItems(tv as LayerBase[]) : bs.enc?.[ti] !== undefined ? bs.enc[ti]!.length : tf.sizeOf(tv);
}

function sumItems(items: LayerBase[]): number {
  let s = 0;
  for (const it of items) s += it._bs!.size;
  return s;
}

/** Write a measured layer's fields at `off`; returns the offsets of its fields. */
export function writeHeader(layer: LayerBase, b: Uint8Array, off: number): void {
  buildFunctions(layer._d, HELPERS).write(layer, b, off);
}

/** Serialise a chain of layers into one buffer; layers of protocol `padding` are trailing padding. */
export function buildLayers(layers: readonly LayerBase[], padding: ProtocolDef, opts?: BuildOptions): Uint8Array {
  const recompute = opts?.recompute ?? false;
  // Crafted packets: the chain's generated builder.
  const chain = chainBuilder(layers, padding, HELPERS, CHAIN);
  if (chain !== undefined) {
    const built = chain(layers, recompute);
    if (built !== undefined) return built;
  }
  const n = layers.length;
  // Each layer's protocol and scratch are read once into arrays: loads from layers of many classes
  // are megamorphic.
  const defs = new Array<ProtocolDef>(n);
  for (let i = 0; i < n; i++) defs[i] = layers[i]!._d;
  const starts = new Array<number>(n);
  const scratch = new Array<BuildScratch>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let next: ProtocolDef | undefined;
    for (let j = i + 1; j < n; j++) {
      if (defs[j] !== padding) { next = defs[j]; break; }
    }
    starts[i] = total;
    const l = layers[i]!;
    const bs = measure(l, next, recompute);
    scratch[i] = bs;
    total += bs.size;
  }
  // Each layer's payload ends where the trailing padding layers begin.
  let payloadEnd = total;
  for (let i = n - 1; i >= 0 && defs[i] === padding; i--) payloadEnd = starts[i]!;
  for (let i = 0; i < n; i++) {
    const def = defs[i]!;
    if (def === padding) continue;
    const bs = scratch[i]!;
    const start = starts[i]!;
    buildFunctions(def, HELPERS).fill(layers[i]!, bs, start, start + bs.size, Math.max(payloadEnd, start + bs.size));
  }
  const b = allocate(total);
  for (let i = 0; i < n; i++) buildFunctions(defs[i]!, HELPERS).write(layers[i]!, b, starts[i]!);
  for (let i = n - 1; i >= 0; i--) {
    const def = defs[i]!;
    const sums = def.checksums;
    if (sums.length === 0) continue;
    const l = layers[i]!;
    const bs = scratch[i]!;
    const set = l._v;
    for (let k = 0; k < sums.length; k++) {
      const ci = sums[k]!;
      if (bs.vals[ci] !== 0 || (set !== null && set[ci] !== undefined)) continue;
      if (l._b !== null && !recompute) continue;
      if (!bs.present[ci]) continue;
      const start = starts[i]!;
      const at = ci < def.firstDynamic ? start + def.staticOff[ci]! : bs.checksumAt![ci]!;
      runChecksum(b, layers, i, starts, bs, def.fields[ci] as IntField_, ci, at, start, Math.max(payloadEnd, start + bs.size));
    }
  }
  return b;
}

/** Compute checksum field `ci` of layer `i` over the written bytes and write it. */
function runChecksum(b: Uint8Array, layers: readonly LayerBase[], i: number, starts: readonly number[], bs: BuildScratch, f: IntField_, ci: number, at: number, start: number, end: number): void {
  const ctx = checksumContext(b, layers, i, starts, start, start + bs.size, end, -2);
  let v: number;
  try {
    v = f.checksum!(ctx);
  } finally {
    releaseContext(ctx);
  }
  bs.vals[ci] = v;
  f.write(b, at, v);
}

/** One context reused across builds; a checksum function that builds (re-entry) gets a fresh one. */
function checksumContext(b: Uint8Array, layers: readonly LayerBase[], i: number, starts: readonly number[], start: number, headerEnd: number, end: number, ph: number): BuildChecksumContext {
  const ctx = spareContext ?? new BuildChecksumContext();
  spareContext = null;
  ctx.reset(b, layers, i, starts, start, headerEnd, end, ph);
  return ctx;
}

function releaseContext(ctx: ChecksumContext): void {
  const c = ctx as BuildChecksumContext;
  c.reset(NO_BYTES, NO_LAYERS, 0, NO_STARTS, 0, 0, 0, -2);
  spareContext = c;
}

const CHAIN: ChainHelpers = { allocate, context: () => new BuildChecksumContext() };

const HELPERS: BuildHelpers = {
  AUTO,
  NO_BYTES,
  NO_ITEMS: Object.freeze([]),
  measureItems(items, recompute, rootOff, scratch) {
    let s = 0;
    for (let k = 0; k < items.length; k++) s += measureItem(items[k]!, recompute, { offset: rootOff + s, scratch });
    return s;
  },
  encodeCustom(f, x, position, scratch, fields, vals, i) {
    return f.encode(x, { position, scratch, layer: earlierValues(fields, vals, i) });
  },
  writeHeader,
  targetSize,
};

const NONE: readonly FieldValues[] = [];
const NO_LAYERS: readonly LayerBase[] = [];
const NO_STARTS: readonly number[] = [];
let spareContext: BuildChecksumContext | null = null;

// Small packets are views into a shared, zeroed slab: a fresh Uint8Array costs ~400 ns here, a
// view ~50 ns. A slab is never reused, so views never alias; the cost is that a kept packet keeps
// its slab (16 KiB) alive, as Node's Buffer pool does. Larger packets get their own buffer.
const SLAB = 16384;
const SMALL = 1024;
let slab = new ArrayBuffer(SLAB);
let slabUsed = 0;

/** Return `size` zeroed bytes. */
function allocate(size: number): Uint8Array {
  if (size > SMALL) return new Uint8Array(size);
  if (slabUsed + size > SLAB) {
    slab = new ArrayBuffer(SLAB);
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, size);
  slabUsed += (size + 7) & ~7;
  return view;
}

/** The context a checksum function gets while building; values are made only when asked for. */
class BuildChecksumContext implements ChecksumContext {
  bytes: Uint8Array = NO_BYTES;
  private layers: readonly LayerBase[] = NO_LAYERS;
  private i = 0;
  private starts: readonly number[] = NO_STARTS;
  start = 0;
  headerEnd = 0;
  end = 0;
  /** The layer giving the pseudo-header: -1 none, -2 not known yet. */
  private ph = -2;
  private readonly at: { bytes: Uint8Array; start: number } = { bytes: NO_BYTES, start: 0 };
  reset(bytes: Uint8Array, layers: readonly LayerBase[], i: number, starts: readonly number[], start: number, headerEnd: number, end: number, ph: number): void {
    this.bytes = bytes;
    this.layers = layers;
    this.i = i;
    this.starts = starts;
    this.start = start;
    this.headerEnd = headerEnd;
    this.end = end;
    this.ph = ph;
  }
  get layer(): FieldValues {
    return valuesOf(this.layers[this.i]!);
  }
  get lower(): FieldValues | undefined {
    return this.i > 0 ? valuesOf(this.layers[this.i - 1]!) : undefined;
  }
  pseudoHeaderSum(protocol: number): number {
    const j = this.ph !== -2 ? this.ph : pseudoHeaderLayer(this.layers, this.i);
    if (j < 0) return 0;
    const lj = this.layers[j]!;
    const between = j + 1 < this.i ? this.layers.slice(j + 1, this.i).map(valuesOf) : NONE;
    // One object for the lower layer's place, valid during the call.
    const at = this.at;
    at.bytes = this.bytes;
    at.start = this.starts[j]!;
    return lj._d.options.pseudoHeaderSum!(lj as never, protocol, this.end - this.start, between, at);
  }
}

/** Return the index of the nearest layer below `i` with a pseudo-header (IPv6 below its extension headers), or -1. */
export function pseudoHeaderLayer(layers: readonly LayerBase[], i: number): number {
  for (let j = i - 1; j >= 0; j--) if (layers[j]!._d.options.pseudoHeaderSum !== undefined) return j;
  return -1;
}

/** A read-only view of a measured layer's resolved values, by field name. */
export function valuesOf(layer: LayerBase): FieldValues {
  const bs = layer._bs;
  if (bs === null) return layer as unknown as FieldValues;
  const out: Record<string, unknown> = {};
  const fields: readonly FieldImpl[] = layer._d.fields;
  for (let i = 0; i < fields.length; i++) out[fields[i]!.name] = bs.vals[i];
  return out;
}
