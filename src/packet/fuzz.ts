/**
 * `fuzz()`: fill the fields a user left unset with random values of the right kind, as Scapy's
 * `fuzz()` does, for robustness tests of other people's stacks. Computed fields (lengths, counts,
 * checksums) stay computed, so the packet is still well formed where it has to be; set fields
 * are kept. Random values lean towards the edges (0, the maximum, the enum's names) where bugs
 * live. Deterministic with a seed.
 */
import { AddressField, BigIntField, BytesField, IntField_, PaddingField, StringField, type FieldImpl } from "../schema/field.js";
import type { LayerBase } from "../schema/layer.js";
import type { ListField } from "../schema/list.js";
import type { AnyLayer } from "../schema/protocol.js";
import { Packet, packet } from "./packet.js";

/** Options of `fuzz()`. */
export interface FuzzOptions {
  /** Seed of the built-in generator (a fresh random seed when omitted). */
  readonly seed?: number;
  /** A generator of floats in [0, 1) to use instead of the built-in one. */
  readonly random?: () => number;
  /** Longest variable-length bytes or string to make (default 64). */
  readonly maxLength?: number;
  /** Most items to put in a list (default 4). */
  readonly maxItems?: number;
  /**
   * Fill unset lists with random items too (off by default: random options can overflow a header
   * length field, as 40 bytes of IPv4 options do, and then the packet cannot be built).
   */
  readonly lists?: boolean;
}

/** A small, fast, seedable generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ctx {
  readonly rnd: () => number;
  readonly maxLength: number;
  readonly maxItems: number;
  readonly lists: boolean;
}

function int(ctx: Ctx, below: number): number {
  return Math.floor(ctx.rnd() * below);
}

function randomBytes(ctx: Ctx, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(ctx, 256);
  return out;
}

function randomValue(f: FieldImpl, ctx: Ctx): unknown {
  if (f instanceof IntField_) {
    const pick = ctx.rnd();
    if (f.enumNames && pick < 0.3) {
      const keys = [...f.enumNames.keys()];
      return keys[int(ctx, keys.length)];
    }
    if (pick < 0.4) return f.min;
    if (pick < 0.5) return f.max;
    return f.min + int(ctx, f.max - f.min + 1);
  }
  if (f instanceof BigIntField) {
    const pick = ctx.rnd();
    if (pick < 0.1) return f.signed ? -(1n << 63n) : 0n;
    if (pick < 0.2) return f.signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
    const v = (BigInt(int(ctx, 2 ** 32)) << 32n) | BigInt(int(ctx, 2 ** 32));
    return f.signed ? BigInt.asIntN(64, v) : v;
  }
  if (f instanceof AddressField) {
    const b = randomBytes(ctx, f.size);
    return f.read(b, 0);
  }
  if (f instanceof BytesField) {
    return randomBytes(ctx, f.size >= 0 ? f.size : int(ctx, ctx.maxLength + 1));
  }
  if (f instanceof StringField) {
    const n = f.size >= 0 ? int(ctx, f.size + 1) : int(ctx, ctx.maxLength + 1);
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(f.terminated ? 1 + int(ctx, 126) : 32 + int(ctx, 95));
    return s;
  }
  if (f.kind === "list") {
    if (!ctx.lists) return undefined;
    const item = (f as ListField).item;
    const make = item.protocol as () => LayerBase;
    const n = int(ctx, ctx.maxItems + 1);
    const items: LayerBase[] = [];
    for (let i = 0; i < n; i++) items.push(fuzzLayer(make(), ctx));
    return items;
  }
  return undefined; // padding and custom kinds keep their defaults
}

function fuzzLayer(layer: LayerBase, ctx: Ctx): LayerBase {
  const def = layer._d;
  const copy = new def.Layer();
  if (layer._b !== null) {
    // A dissected layer: every field came from the wire, so every field counts as set.
    for (const f of def.fields) if (layer._present(f.index)) copy._setField(f.index, (layer as unknown as Record<string, unknown>)[f.name]);
    return copy;
  }
  for (const f of def.fields) {
    const set = layer._v?.[f.index];
    if (set !== undefined) {
      copy._setField(f.index, set);
      continue;
    }
    if (f.auto !== undefined || f instanceof PaddingField) continue;
    const v = randomValue(f, ctx);
    if (v !== undefined) copy._setField(f.index, v);
  }
  return copy;
}

/** Return a copy of a layer (or of every layer of a packet) with its unset fields random. */
export function fuzz<T extends AnyLayer | Packet>(target: T, options: FuzzOptions = {}): T {
  const ctx: Ctx = {
    rnd: options.random ?? seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32)),
    maxLength: options.maxLength ?? 64,
    maxItems: options.maxItems ?? 4,
    lists: options.lists ?? false,
  };
  if (target instanceof Packet) {
    return packet(...target.layers().map((l) => fuzzLayer(l as unknown as LayerBase, ctx) as unknown as AnyLayer)) as T;
  }
  return fuzzLayer(target as unknown as LayerBase, ctx) as unknown as T;
}
