/**
 * One dissection step, compiled per protocol: take a layer object, lay it out, record it in the
 * packet and choose the next protocol.
 *
 * A shared step sees the layers of some sixty classes, so every property load on a layer in it is
 * megamorphic (a global cache probe each); the generated step of one protocol sees one layer class,
 * calls that protocol's layout and dispatcher as constants (so V8 can inline them), and reads the
 * layer's extent monomorphically. The generated code does what `Packet`'s generic path describes.
 */
import { MalformedError, type WirecraftError } from "../errors.js";
import { compileLayout, lazyLayout } from "../schema/layout.js";
import type { LayerBase, ProtocolDef } from "../schema/layer.js";
import { defOf, protocolCount } from "../schema/protocol.js";
import { compileDispatch } from "./bind.js";

/** The packet state a step reads and writes (implemented by `Packet`). */
export interface StepTarget {
  _src: Uint8Array | null;
  _l: LayerBase[];
  _ld: unknown[];
  _next: ProtocolDef | null;
  _off: number;
  _limit: number;
  _trunc: boolean;
  _pool: (LayerBase[] | undefined)[] | null;
  _used: Int32Array | null;
  _pad(start: number, end: number): void;
  _failed(def: ProtocolDef, err: WirecraftError, off: number, limit: number): boolean;
  _nextFailed(def: ProtocolDef, layer: LayerBase, off: number, e: unknown): boolean;
  _select(def: ProtocolDef): boolean;
}

/** A protocol's step: true while there may be more layers. */
export type StepFn = (p: StepTarget) => boolean;

/** Protocols whose step has been compiled: a bind makes their dispatch stale. */
const compiled = new Set<ProtocolDef>();

/** Forget every compiled step (binds changed; steps embed dispatchers). */
export function resetSteps(): void {
  for (const d of compiled) d.step = lazyStep;
  compiled.clear();
}

/** The first step of a protocol compiles its step and installs it. */
export function lazyStep(this: void, p: StepTarget): boolean {
  // Which protocol: the packet's next one (steps are only ever called as `def.step(p)` with `p._next === def`).
  const def = p._next!;
  def.step = compileStep(def);
  compiled.add(def);
  return def.step(p as never);
}

/** Wrap what a layout throws (a protocol's own function failed) as a malformed error. */
function thrown(def: ProtocolDef, off: number, e: unknown): WirecraftError {
  return new MalformedError(def.name, "", off, e instanceof Error ? e.message : String(e));
}

/** Generate the step of a protocol. */
export function compileStep(def: ProtocolDef): StepFn {
  if (def.options.select !== undefined) return (p) => p._select(def);
  if (def.layout === lazyLayout) def.layout = compileLayout(def);
  const layout = def.layout;
  const dispatch = compileDispatch(def);
  const next = def.options.next;
  const lines: string[] = [];
  const emit = (s: string): void => { lines.push(s); };
  emit("const src = p._src, off = p._off, limit = p._limit;");
  // take() written out with this protocol's id as a constant (calling it measured 4% slower on
  // parse+access).
  emit("let layer;");
  emit("const pool = p._pool;");
  emit(`if (pool === null) { layer = new D.Layer(); layer._owner = p; }`);
  emit(`else { const items = pool[${def.id}], used = p._used; if (items !== undefined && ${def.id} < used.length && used[${def.id}] < items.length) layer = items[used[${def.id}]++]; else layer = H.grow(p, D); }`);
  emit("let err;");
  emit("try { err = LAYOUT(layer, src, off, limit, off); } catch (e) { err = H.thrown(D, off, e); }");
  emit("if (err !== undefined) return p._failed(D, err, off, limit);");
  emit("p._l.push(layer); p._ld.push(P);");
  emit("const h = layer._h, e = layer._e;");
  emit("if (layer._declEnd > limit) p._trunc = true;");
  emit("if (e < limit) p._pad(e, limit);");
  emit("if (h >= e) { p._next = null; return true; }");
  emit("let nx;");
  emit("try {");
  if (next !== undefined) emit("  const chosen = NEXT(layer); if (chosen !== undefined) nx = H.defOf(chosen);");
  emit("  if (nx === undefined) nx = DISPATCH(layer);");
  emit("} catch (x) { return p._nextFailed(D, layer, off, x); }");
  emit("p._next = nx === undefined ? RAW : nx;");
  emit("p._off = h; p._limit = e;");
  emit("return true;");
  const src = `return function step_${def.name}(p) {\n${lines.join("\n")}\n};`;
  return new Function("D", "P", "LAYOUT", "DISPATCH", "NEXT", "RAW", "H", src)(def, def.protocol, layout, dispatch, next, rawDef(), helpers) as StepFn;
}

/** A layer of `def` for packet `p`: from its pool when it has one. */
export function take(p: StepTarget, def: ProtocolDef): LayerBase {
  const pool = p._pool;
  if (pool === null) {
    const l = new def.Layer();
    l._owner = p as never;
    return l;
  }
  const items = pool[def.id];
  const used = p._used!;
  if (items !== undefined && def.id < used.length && used[def.id]! < items.length) return items[used[def.id]!++]!;
  return grow(p, def);
}

/** A reusable dissector's pool ran out of layers of `def`: make one more. */
function grow(p: StepTarget, def: ProtocolDef): LayerBase {
  const pool = p._pool!;
  let used = p._used!;
  if (def.id >= used.length) {
    const bigger = new Int32Array(Math.max(protocolCount(), def.id + 1));
    bigger.set(used);
    used = p._used = bigger;
  }
  let items = pool[def.id];
  if (items === undefined) items = pool[def.id] = [];
  const l = new def.Layer();
  l._owner = p as never;
  items.push(l);
  used[def.id] = items.length;
  return l;
}

let RAW: ProtocolDef | undefined;
/** Set by the packet module (Raw is a protocol, defined after this module loads). */
export function setRaw(def: ProtocolDef): void {
  RAW = def;
}
function rawDef(): ProtocolDef {
  if (RAW === undefined) throw new Error("wirecraft: Raw not registered");
  return RAW;
}

const helpers = { grow, thrown, defOf };
