/**
 * `bind(Lower, Upper, match)`: one declaration used both ways. Dissecting, a Lower layer whose
 * fields equal `match` is followed by Upper. Building, a Lower layer followed by Upper gets the
 * `match` values in the fields the user left unset.
 */
import { DefinitionError, FieldRangeError, UnknownFieldError } from "../errors.js";
import { RangeProblem } from "../schema/field.js";
import type { LayerBase, ProtocolDef } from "../schema/layer.js";
import { defOf, type AnyProtocol, type InferInit } from "../schema/protocol.js";

interface DispatchGroup {
  readonly field: number;
  readonly name: string;
  readonly map: Map<unknown, ProtocolDef>;
}

interface DispatchGroups {
  readonly list: DispatchGroup[];
  readonly rest: ProtocolDef["binds"];
}

/** Bind `upper` on top of `lower` where `lower`'s fields equal `match`. Later binds take precedence. */
export function bind<L extends AnyProtocol, U extends AnyProtocol>(lower: L, upper: U, match: Partial<InferInit<L>>): void {
  const ld = defOf(lower);
  const ud = defOf(upper);
  const entries: [number, unknown][] = [];
  for (const [k, v] of Object.entries(match as object)) {
    const i = ld.index.get(k);
    if (i === undefined) throw new UnknownFieldError(ld.name, k);
    const f = ld.fields[i]!;
    if (f.kind === "list") throw new DefinitionError(ld.name, `cannot bind on list field "${k}"`);
    try {
      entries.push([i, f.normalize(v)]);
    } catch (e) {
      if (e instanceof RangeProblem) throw new FieldRangeError(ld.name, k, v, e.message);
      throw e;
    }
  }
  ld.binds.unshift({ upper: ud, match: entries });
  ld.dispatchGroups = undefined;
  bindCache.delete(ld);
}

function groupsOf(def: ProtocolDef): DispatchGroups {
  let g = def.dispatchGroups as DispatchGroups | undefined;
  if (g !== undefined) return g;
  const list: DispatchGroup[] = [];
  const rest: ProtocolDef["binds"] = [];
  for (const b of def.binds) {
    if (b.match.length !== 1) { rest.push(b); continue; }
    const [fi, v] = b.match[0]!;
    let grp = list.find((x) => x.field === fi);
    if (grp === undefined) {
      grp = { field: fi, name: def.fields[fi]!.name, map: new Map() };
      list.push(grp);
    }
    if (!grp.map.has(v)) grp.map.set(v, b.upper);
  }
  g = { list, rest };
  def.dispatchGroups = g;
  return g;
}

/** Return the protocol bound on top of a dissected layer, if any. */
export function dispatch(layer: LayerBase): ProtocolDef | undefined {
  const own = dispatchBy(layer._d, layer);
  if (own !== undefined) return own;
  const base = layer._d.options.inheritBinds;
  return base === undefined ? undefined : dispatchBy(defOf(base), layer);
}

/** Match a layer against the binds of `def` (its own protocol or one it inherits binds from), by field name. */
function dispatchBy(def: ProtocolDef, layer: LayerBase): ProtocolDef | undefined {
  if (def.binds.length === 0) return undefined;
  const g = groupsOf(def);
  const self = layer as unknown as Record<string, unknown>;
  for (let i = 0; i < g.list.length; i++) {
    const grp = g.list[i]!;
    const hit = grp.map.get(self[grp.name]);
    if (hit !== undefined) return hit;
  }
  for (const b of g.rest) {
    let ok = true;
    for (const [fi, v] of b.match) {
      if (self[def.fields[fi]!.name] !== v) { ok = false; break; }
    }
    if (ok) return b.upper;
  }
  return undefined;
}

const bindCache = new WeakMap<ProtocolDef, Map<ProtocolDef, Map<number, unknown> | null>>();

/** Return the field values a `lower` layer gets when `upper` follows it (most recent bind). */
export function bindFor(lower: ProtocolDef, upper: ProtocolDef): Map<number, unknown> | undefined {
  let m = bindCache.get(lower);
  if (m === undefined) { m = new Map(); bindCache.set(lower, m); }
  let r = m.get(upper);
  if (r === undefined) {
    const b = lower.binds.find((x) => x.upper === upper);
    r = b === undefined ? null : new Map(b.match);
    m.set(upper, r);
  }
  const base = lower.options.inheritBinds;
  if (r === null && base !== undefined) {
    // Translate the inherited bind's field indices into this protocol's, by field name (not cached:
    // the base may gain binds later).
    const bd = defOf(base);
    const ib = bd.binds.find((x) => x.upper === upper);
    if (ib !== undefined) {
      r = new Map();
      for (const [fi, v] of ib.match) {
        const mine = lower.index.get(bd.fields[fi]!.name);
        if (mine !== undefined) r.set(mine, v);
      }
    }
  }
  return r ?? undefined;
}

/** Forget cached bind lookups (after a bind). */
export function resetBindCache(lower: ProtocolDef): void {
  bindCache.delete(lower);
}
