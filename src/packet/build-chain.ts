/**
 * Building a crafted packet, compiled per chain of protocols (Ethernet/IPv4/TCP/Raw, ...): one
 * generated function measures, fills, writes and checksums every layer, calling each protocol's
 * generated build functions as constants, with the protocol that follows each layer and the place
 * of trailing padding known in advance.
 *
 * The generic loop in build.ts sees layers of every class, so each of its loads from a layer and
 * each of its calls is megamorphic; a chain's function sees one class per position. It does what
 * `buildLayers` does, step for step, for packets whose layers are all crafted (a dissected layer
 * keeps its bytes' values and goes the generic way).
 */
import type { BuildScratch, LayerBase, ProtocolDef } from "../schema/layer.js";
import type { ChecksumContext, ChecksumFn, IntField_ } from "../schema/field.js";
import { buildFunctions, intWrite, matchValues, presentTemplate, type BuildHelpers } from "./build-compile.js";

/** A chain's builder: the bytes, or undefined when a layer is not crafted (the generic path builds it). */
export type ChainFn = (layers: readonly LayerBase[], recompute: boolean) => Uint8Array | undefined;

/** What a chain's code calls back. */
export interface ChainHelpers {
  allocate(size: number): Uint8Array;
  /** A checksum context, pointed at its layer with `reset` before each call. */
  context(): ChainChecksumContext;
}

/** A checksum context as a chain uses it. */
export interface ChainChecksumContext extends ChecksumContext {
  /** Point the context at checksum of layer `i` over `b[start..end)`; `ph` is the layer giving the pseudo-header (-1: none). */
  reset(b: Uint8Array, layers: readonly LayerBase[], i: number, starts: readonly number[], start: number, headerEnd: number, end: number, ph: number): void;
}

interface Node { fn: ChainFn | undefined; next: (Node | undefined)[] }

/** Chains seen so far, as a trie over protocol ids. */
let root: (Node | undefined)[] = [];

/** How many chains have been compiled; past MAX_CHAINS new ones go the generic way (a fuzzer's random stacks must not grow code without bound). */
let chains = 0;
const MAX_CHAINS = 256;

/** Forget every compiled chain (binds changed: chains have the bind values written in). */
export function resetChains(): void {
  root = [];
  chains = 0;
}

/** Most layers a compiled chain has; longer packets go the generic way. */
const MAX_CHAIN = 8;

/** Return the builder of the chain of protocols of `layers`, compiling it on first use; undefined for long chains. */
export function chainBuilder(layers: readonly LayerBase[], padding: ProtocolDef, build: BuildHelpers, h: ChainHelpers): ChainFn | undefined {
  const n = layers.length;
  if (n === 0 || n > MAX_CHAIN) return undefined;
  let level = root;
  let node: Node | undefined;
  for (let i = 0; i < n; i++) {
    node = level[layers[i]!._d.id];
    if (node === undefined) break;
    level = node.next;
  }
  if (node !== undefined && node.fn !== undefined) return node.fn;
  // A chain not seen before: compiled while there is room (nodes are made only then).
  if (chains >= MAX_CHAINS) return undefined;
  const defs = layers.map((l) => l._d);
  level = root;
  for (let i = 0; i < n; i++) {
    const id = defs[i]!.id;
    node = level[id] ??= { fn: undefined, next: [] };
    level = node.next;
  }
  chains++;
  return (node!.fn = compileChain(defs, padding, build, h));
}

function compileChain(defs: readonly ProtocolDef[], padding: ProtocolDef, build: BuildHelpers, h: ChainHelpers): ChainFn {
  const n = defs.length;
  const L: string[] = [];
  const fns = defs.map((d) => buildFunctions(d, build));
  // The protocol after each layer (trailing padding skipped) and the bind values it asks for
  // (null: none; the measure functions take undefined as "look them up").
  const next = defs.map((_, i) => defs.slice(i + 1).find((d) => d !== padding));
  const matches = next.map((d, i) => (d === undefined ? null : matchValues(defs[i]!, d) ?? null));
  for (let i = 0; i < n; i++) L.push(`const l${i} = layers[${i}]; if (l${i}._b !== null) return undefined;`);
  // The chain's scratch objects are reused from build to build (a layer's scratch is read only
  // during its build, and by show() right after one); a build inside a checksum function (re-entry)
  // gets fresh ones.
  L.push("const reuse = !busy;");
  L.push("busy = true;");
  L.push("try {");
  L.push("let total = 0;");
  for (let i = 0; i < n; i++) {
    L.push(`const start${i} = total; const s${i} = FN[${i}].measure(l${i}, NEXT[${i}], recompute, undefined, MATCH[${i}], reuse ? S[${i}] : undefined); total += s${i}.size;`);
  }
  // Each layer's payload ends where the trailing padding layers begin.
  let firstPad = n;
  while (firstPad > 0 && defs[firstPad - 1] === padding) firstPad--;
  L.push(`const payloadEnd = ${firstPad === n ? "total" : `start${firstPad}`};`);
  for (let i = 0; i < n; i++) {
    // Protocols without computed fields (Ethernet, Raw) have nothing to fill.
    if (defs[i] === padding || !defs[i]!.fields.some((f) => f.auto !== undefined)) continue;
    L.push(`FN[${i}].fill(l${i}, s${i}, start${i}, start${i} + s${i}.size, Math.max(payloadEnd, start${i} + s${i}.size));`);
  }
  L.push("const b = H.allocate(total);");
  for (let i = 0; i < n; i++) L.push(`FN[${i}].write(l${i}, b, start${i});`);
  // Checksums, inner to outer, each checksum function called from its own site (one function
  // per site, so V8 can inline it), with the layer giving the pseudo-header known in advance.
  const sums: ChecksumFn[] = [];
  if (defs.some((d) => d.checksums.length > 0)) {
    const starts = defs.map((_, i) => `start${i}`).join(", ");
    L.push(`let starts; if (reuse) { starts = ST; ${defs.map((_, i) => `ST[${i}] = start${i};`).join(" ")} } else starts = [${starts}];`);
    for (let i = n - 1; i >= 0; i--) {
      const d = defs[i]!;
      let ph = -1;
      for (let j = i - 1; j >= 0; j--) if (defs[j]!.options.pseudoHeaderSum !== undefined) { ph = j; break; }
      for (const ci of d.checksums) {
        const f = d.fields[ci] as IntField_;
        const at = ci < d.firstDynamic ? `start${i} + ${d.staticOff[ci]}` : `s${i}.checksumAt[${ci}]`;
        L.push(`if (s${i}.vals[${ci}] === 0 && (l${i}._v === null || l${i}._v[${ci}] === undefined) && s${i}.present[${ci}]) {`);
        // Each checksum has its own context, kept by the chain (a build inside a checksum function
        // makes fresh ones): set before the call, left as it is after (the scratch keeps the last
        // build's values anyway).
        L.push(`  const ctx = reuse ? CX[${sums.length}] : H.context();`);
        L.push(`  ctx.reset(b, layers, ${i}, starts, start${i}, start${i} + s${i}.size, Math.max(payloadEnd, start${i} + s${i}.size), ${ph});`);
        L.push(`  const v = CK[${sums.length}](ctx);`);
        L.push(`  s${i}.vals[${ci}] = v;`);
        L.push(`  const at = ${at}; ${intWrite(f, "at") ?? `D[${i}].fields[${ci}].write(b, at, v);`}`);
        L.push("}");
        sums.push(f.checksum!);
      }
    }
  }
  L.push("return b;");
  L.push("} finally { if (reuse) busy = false; }");
  const name = defs.map((d) => d.name.replace(/\W/g, "_")).join("_");
  const src = `let busy = false;\nreturn function chain_${name}(layers, recompute) {\n${L.join("\n")}\n};`;
  const scratch: BuildScratch[] = defs.map((d) => ({ vals: new Array<unknown>(d.fields.length), present: presentTemplate(d), size: 0, checksumAt: undefined, enc: undefined }));
  const contexts = sums.map(() => h.context());
  return new Function("D", "FN", "NEXT", "MATCH", "S", "H", "CK", "ST", "CX", src)(defs, fns, next, matches, scratch, h, sums, new Array<number>(n).fill(0), contexts) as ChainFn;
}
