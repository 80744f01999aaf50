/**
 * `bind(Lower, Upper, match)`: one declaration used both ways. Dissecting, a Lower layer whose
 * fields equal `match` is followed by Upper. Building, a Lower layer followed by Upper gets the
 * `match` values in the fields the user left unset.
 */
import { DefinitionError, FieldRangeError, UnknownFieldError } from "../errors.js";
import { RangeProblem } from "../schema/field.js";
import type { LayerBase, ProtocolDef } from "../schema/layer.js";
import { defOf, type AnyProtocol, type InferInit } from "../schema/protocol.js";
import { resetSteps } from "./step.js";
import { resetChains } from "./build-chain.js";

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
  bindCache.delete(ld);
  resetSteps();
  resetChains();
}

function groupsOf(def: ProtocolDef): DispatchGroups {
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
  return { list, rest };
}

/**
 * Generate the dispatcher of a protocol: one map look-up per bound field, with the field read by
 * name in the generated code (a read by a computed name from many layer classes is megamorphic),
 * then the binds that match several fields; then the same for the protocol it inherits binds from.
 */
export function compileDispatch(def: ProtocolDef): (layer: LayerBase) => ProtocolDef | undefined {
  const maps: Map<unknown, ProtocolDef>[] = [];
  const values: unknown[] = [];
  const uppers: ProtocolDef[] = [];
  const tables: Uint16Array[] = [];
  const lines: string[] = ["let h;"];
  // Each bound field is read once, into a local named after it.
  const read = new Set<string>();
  const local = (name: string): string => {
    if (!read.has(name)) { read.add(name); lines.push(`const f_${name} = layer.${name};`); }
    return `f_${name}`;
  };
  const base = def.options.inheritBinds;
  for (const d of base === undefined ? [def] : [def, defOf(base)]) {
    if (d.binds.length === 0) continue;
    const g = groupsOf(d);
    for (const grp of g.list) {
      const f = local(grp.name);
      const table = smallTable(grp.map, uppers);
      if (table !== undefined) {
        // Small integer keys (EtherTypes, IP protocols, ports): an index into a typed array.
        lines.push(`if (${f} >= 0 && ${f} < ${table.length}) { const k = T[${tables.length}][${f}]; if (k !== 0) return U[k - 1]; }`);
        tables.push(table);
      } else {
        lines.push(`h = M[${maps.length}].get(${f}); if (h !== undefined) return h;`);
        maps.push(grp.map);
      }
    }
    // Binds on several fields, in precedence order, each a chain of comparisons.
    for (const b of g.rest) {
      const tests = b.match.map(([fi, v]) => { values.push(v); return `${local(d.fields[fi]!.name)} === V[${values.length - 1}]`; });
      uppers.push(b.upper);
      lines.push(`if (${tests.join(" && ")}) return U[${uppers.length - 1}];`);
    }
  }
  lines.push("return undefined;");
  const src = `return function dispatch_${def.name}(layer) {\n${lines.join("\n")}\n};`;
  return new Function("M", "V", "U", "T", src)(maps, values, uppers, tables) as (layer: LayerBase) => ProtocolDef | undefined;
}

/**
 * A map whose keys are all integers in 0..65535 as a table indexed by the key, holding 1 + the
 * index of the protocol in `uppers` (0: none); undefined for any other map.
 */
function smallTable(map: Map<unknown, ProtocolDef>, uppers: ProtocolDef[]): Uint16Array | undefined {
  let max = -1;
  for (const k of map.keys()) {
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k > 0xffff) return undefined;
    if (k > max) max = k;
  }
  if (max < 0 || uppers.length + map.size >= 0xffff) return undefined;
  const table = new Uint16Array(max + 1);
  for (const [k, upper] of map) {
    uppers.push(upper);
    table[k as number] = uppers.length;
  }
  return table;
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
