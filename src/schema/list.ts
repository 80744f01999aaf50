/**
 * Lists: repeated sub-structures (TLV options, records), each item a layer of an item protocol.
 * A list ends after a count, after a byte length, or at the end of its layer.
 */
import { MalformedError, type WirecraftError } from "../errors.js";
import type { FieldValues } from "./expression.js";
import { FieldImpl, RangeProblem, type IntField_, type LengthSpec } from "./field.js";
import type { LayerBase, ProtocolDef } from "./layer.js";

/** Most items a list may hold when dissecting; a bound against hostile input. */
export const MAX_LIST_ITEMS = 65536;

/** A list of items of one protocol. */
export class ListField extends FieldImpl {
  readonly kind = "list";
  readonly item: ProtocolDef;
  readonly countSource: LengthSpec | undefined;
  readonly lengthSource: LengthSpec | undefined;
  count: ((l: FieldValues) => number) | undefined = undefined;
  length: ((l: FieldValues) => number) | undefined = undefined;
  private probe: LayerBase | undefined = undefined;
  private makeItems: MakeItems | undefined = undefined;
  private makeObjects: MakeObjects | undefined = undefined;
  private walkItems: WalkItems | undefined = undefined;
  // Readers of the count and length fields, made per list: the list belongs to one protocol, so
  // the load in each sees one layer class (a load by computed name sees every list's).
  private countRead: ((l: LayerBase) => number) | undefined = undefined;
  private lengthRead: ((l: LayerBase) => number) | undefined = undefined;
  constructor(item: ProtocolDef, options: { count?: LengthSpec; length?: LengthSpec; when?: string | ((l: FieldValues) => unknown); hex?: boolean; required?: boolean; doc?: string }) {
    super(options);
    this.item = item;
    this.countSource = options.count;
    this.lengthSource = options.length;
  }

  /** Walk the items at `off`; return the bytes they take, or the error that stops them. */
  spanAt(b: Uint8Array, off: number, limit: number, layer: LayerBase, lengthField: IntField_ | undefined, countField: IntField_ | undefined): number | WirecraftError {
    const owner = layer._d.name;
    let count = -1;
    let end = limit;
    try {
      if (this.count !== undefined) count = this.count(layer as unknown as FieldValues);
      else if (countField !== undefined) count = (this.countRead ??= fieldReader(countField.name))(layer);
      if (this.length !== undefined) end = off + this.length(layer as unknown as FieldValues);
      else if (lengthField !== undefined) end = off + (this.lengthRead ??= fieldReader(lengthField.name))(layer) * lengthField.scale - lengthField.adjust;
    } catch (e) {
      return new MalformedError(owner, this.name, off, `list bound failed: ${(e as Error).message}`);
    }
    if (!Number.isInteger(end) || end < off) return new MalformedError(owner, this.name, off, `list length ${end - off} is not a valid byte count`);
    if (end > limit) {
      return new MalformedError(owner, this.name, off, `list of ${end - off} byte(s) runs past the end of the layer (${limit - off} available)`);
    }
    let pos = off;
    if (count === 0 || (count < 0 && pos >= end)) return count >= 0 && this.length === undefined && lengthField === undefined ? 0 : end - off;
    // One probe layer per list field, reused; taken while in use in case items nest the same list.
    const probe = this.probe ?? new this.item.Layer();
    this.probe = undefined;
    try {
      this.walkItems ??= compileWalkItems(this.item);
      const r = this.walkItems(probe, b, pos, end, count, layer._base, owner, this.name);
      if (typeof r !== "number") return r;
      pos = r;
    } finally {
      this.probe = probe;
    }
    if (count >= 0 && this.length === undefined && lengthField === undefined) return pos - off;
    return end - off;
  }

  /** Dissect the items in `b[off..end)`. */
  readItems(b: Uint8Array, off: number, end: number, layer: LayerBase): LayerBase[] {
    this.makeItems ??= compileMakeItems(this.item);
    return this.makeItems(b, off, end, this.countOf(layer), layer._base, layer._owner);
  }

  /**
   * The items in `b[off..end)` as plain objects (what each item's `toObject()` gives), for the
   * `toObject()` of a layer whose list was not read: each item is laid out on one probe layer
   * in turn, so no item layer is made (or kept: reading the list afterwards dissects it again).
   */
  readObjects(b: Uint8Array, off: number, end: number, layer: LayerBase): Record<string, unknown>[] {
    const probe = this.probe ?? new this.item.Layer();
    this.probe = undefined; // taken while in use, in case items nest the same list
    try {
      this.makeObjects ??= compileMakeObjects(this.item);
      return this.makeObjects(probe, b, off, end, this.countOf(layer), layer._base);
    } finally {
      this.probe = probe;
    }
  }

  /** The item count a count field or expression gives, or -1 when the list is bounded otherwise. */
  private countOf(layer: LayerBase): number {
    if (this.count !== undefined) return this.count(layer as unknown as FieldValues);
    if (this.countRead !== undefined) return this.countRead(layer);
    const cf = layer._d.countFor.get(this.index);
    return cf === undefined ? -1 : (this.countRead = fieldReader(cf.name))(layer);
  }

  read(): unknown {
    throw new Error("lists are read through their layer");
  }

  normalize(value: unknown): LayerBase[] {
    if (!Array.isArray(value)) throw new RangeProblem(`expects an array of ${this.item.name} items`);
    const make = this.item.protocol as (init: object) => LayerBase;
    return value.map((v) => {
      if (v !== null && typeof v === "object" && "_d" in v) {
        if ((v as LayerBase)._d !== this.item) throw new RangeProblem(`expects ${this.item.name} items, got ${(v as LayerBase)._d.name}`);
        return v as LayerBase;
      }
      if (v === null || typeof v !== "object") throw new RangeProblem(`expects ${this.item.name} items as objects`);
      return make(v as object);
    });
  }

  write(): void {
    throw new Error("lists are written through their layer");
  }

  defaultValue(): LayerBase[] {
    return [];
  }

  override format(value: unknown): string {
    return value === undefined ? "(absent)" : `${(value as unknown[]).length} item(s)`;
  }

  override describeKind(): string {
    const bound = this.countSource !== undefined ? ` count ${String(this.countSource)}` : this.lengthSource !== undefined ? ` length ${String(this.lengthSource)}` : "";
    return `list(${this.item.name}${bound})`;
  }
}

/** A reader of one field by name, as its own function (see ListField's countRead). */
function fieldReader(name: string): (l: LayerBase) => number {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a field name: ${name}`);
  return new Function("l", `return l.${name};`) as (l: LayerBase) => number;
}

type WalkItems = (probe: LayerBase, b: Uint8Array, off: number, end: number, count: number, base: number, owner: string, name: string) => number | WirecraftError;

/**
 * Generate the walk of a list of `item`s for laying out: each item laid out on the probe layer by
 * the item's own layout, a constant here (a shared loop calls every list's layout from one place,
 * which V8 cannot inline). Returns the end of the items, or the error that stops them.
 */
function compileWalkItems(item: ProtocolDef): WalkItems {
  return new Function("D", "ME", `return function walk_${item.name}(probe, b, off, end, count, base, owner, name) {
  let pos = off, n = 0;
  while (count >= 0 ? n < count : pos < end) {
    if (n >= ${MAX_LIST_ITEMS}) return new ME(owner, name, pos, "more than ${MAX_LIST_ITEMS} items");
    const err = D.layout(probe, b, pos, end, base);
    if (err !== undefined) return err;
    if (probe._h <= pos) return new ME(owner, name, pos, "a list item of zero length");
    pos = probe._h;
    n++;
  }
  return pos;
};`)(item, MalformedError) as WalkItems;
}

type MakeItems = (b: Uint8Array, off: number, end: number, count: number, base: number, owner: LayerBase["_owner"]) => LayerBase[];

/**
 * Generate the item maker of a list of `item`s: the item class is a constant in it, so each `new`
 * is an inlined allocation (a shared `new this.item.Layer()` sees every item class and is not).
 * The items of a reusable dissector's packet come from its pool, as its layers do (they are
 * valid until its next dissection, as the layers are).
 */
function compileMakeItems(item: ProtocolDef): MakeItems {
  return new Function("L", "D", `return function items_${item.name}(b, off, end, count, base, owner) {
  const items = [];
  const lend = owner !== null && owner._pool !== null;
  let pos = off;
  while (count >= 0 ? items.length < count : pos < end) {
    const it = lend ? owner._lend(D) : new L();
    if (D.layout(it, b, pos, end, base) !== undefined) break;
    it._owner = owner;
    items.push(it);
    pos = it._h;
  }
  return items;
};`)(item.Layer, item) as MakeItems;
}

type MakeObjects = (probe: LayerBase, b: Uint8Array, off: number, end: number, count: number, base: number) => Record<string, unknown>[];

/**
 * Generate the object maker of a list of `item`s: each item laid out on the probe and turned into
 * its object by the item's own layout and `toObject`, both constants here; it stops where the
 * item maker does (the layout already checked the whole list).
 */
function compileMakeObjects(item: ProtocolDef): MakeObjects {
  return new Function("D", `return function objects_${item.name}(probe, b, off, end, count, base) {
  const out = [];
  let pos = off;
  while (count >= 0 ? out.length < count : pos < end) {
    if (D.layout(probe, b, pos, end, base) !== undefined) break;
    out.push(probe.toObject());
    pos = probe._h;
  }
  return out;
};`)(item, item.Layer.prototype.toObject) as MakeObjects;
}
