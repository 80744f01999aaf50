/**
 * Layers: one generated class per protocol, with a getter and a setter per field.
 *
 * A layer is either dissected (a view: bytes `_b` and start `_o`, with the header's extent `_h`
 * and the payload's end `_e` known after `layoutLayer`) or crafted (no bytes). Values a user sets
 * live in `_v`; a getter returns a set value, else reads the bytes, else the default. Getters for
 * integer and bit fields are generated code reading bytes at a precomputed offset.
 */
import { FieldRangeError, MalformedError, TruncatedError, UnknownFieldError, type WirecraftError } from "../errors.js";
import type { FieldValues } from "./expression.js";
import { BytesField, FieldImpl, IntField_, PaddingField, RangeProblem, StringField } from "./field.js";
import type { ListField } from "./list.js";
import { CustomField } from "./custom.js";
import { AddressField } from "./byte-fields.js";
import { formatIPv4, formatIPv6, formatMac } from "./address.js";
import type { LayoutFn } from "./layout.js";
import { showLayer, summarizeLayer } from "../packet/display.js";

/** Options a protocol declaration may give besides its fields (internal form). */
export interface ProtocolOptionsImpl {
  summary?: (layer: never) => string;
  next?: (layer: never) => unknown;
  pseudoHeaderSum?: (layer: never, protocol: number, length: number, between: readonly FieldValues[], at: { bytes: Uint8Array; start: number }) => number;
  validate?: (layer: never) => string | undefined;
  payloadLength?: (layer: never) => number | undefined;
  inheritBinds?: unknown;
  select?: (bytes: Uint8Array, offset: number, end: number) => unknown;
  quotes?: boolean;
}

/** A bind of a lower protocol to an upper one. */
export interface BindEntry {
  readonly upper: ProtocolDef;
  readonly match: ReadonlyArray<readonly [number, unknown]>;
}

/** The runtime description of a protocol, shared by all its layers. */
export interface ProtocolDef {
  readonly name: string;
  readonly fields: readonly FieldImpl[];
  readonly index: ReadonlyMap<string, number>;
  /** Static offset of each field from the layer start, or -1. */
  readonly staticOff: Int32Array;
  /** For bit fields: byte of the first covering byte relative to the run start; bytes to advance after it. */
  readonly bitByte: Int32Array;
  readonly advance: Int32Array;
  /** Index of the first field whose offset or presence is not static. */
  readonly firstDynamic: number;
  /** Header size when the whole layout is static, else -1. */
  readonly staticSize: number;
  readonly layerLen: IntField_ | undefined;
  readonly payloadLen: IntField_ | undefined;
  readonly headerLen: IntField_ | undefined;
  /** Field index -> the field holding its length / its count. */
  readonly lengthFor: ReadonlyMap<number, IntField_>;
  readonly countFor: ReadonlyMap<number, IntField_>;
  readonly checksums: readonly number[];
  readonly options: ProtocolOptionsImpl;
  readonly binds: BindEntry[];
  Layer: new () => LayerBase;
  /** The public callable protocol. */
  protocol: unknown;
  /** Lays out a dissected layer: compiled on first use (layout.ts). */
  layout: LayoutFn;
  /** The generated build functions (packet/build-compile.ts), made on first build. */
  build: unknown;
  /** The protocol's number: its index in a reusable dissector's pool. */
  readonly id: number;
  /** One dissection step of a packet whose next layer is this protocol (packet/step.ts). */
  step: (p: never) => boolean;
}

/** Anything that owns a layer and wants to know when it changes. */
export interface LayerOwner {
  markDirty(): void;
  /** @internal A reusable dissector's layers (null for other packets). */
  readonly _pool: unknown;
  /** @internal A layer of `def` from a reusable dissector's pool (list items are made from it). */
  _lend(def: ProtocolDef): LayerBase;
}

/** Member names layers use themselves; fields may not take them. */
export const RESERVED = new Set([
  "proto", "set", "unset", "isSet", "toObject", "toJSON", "show", "summary", "span",
  "constructor", "toString", "valueOf", "hasOwnProperty", "__proto__",
]);

/** Per-build scratch: resolved values and sizes. */
export interface BuildScratch {
  vals: unknown[];
  present: boolean[];
  size: number;
  /** Where each checksum field whose place is not fixed was written (by field index), for the checksum pass. */
  checksumAt: number[] | undefined;
  /** Bytes of custom fields, encoded while measuring. */
  enc: (Uint8Array | undefined)[] | undefined;
}

/** The base class of every generated layer class. */
export class LayerBase {
  declare readonly _d: ProtocolDef;
  // Instance state. The values are assigned by each protocol's generated constructor (see
  // makeLayerClass), so that every constructor stores into one shape: a shared constructor
  // would see dozens of shapes and go megamorphic (measured 5x slower).
  declare _b: Uint8Array | null;
  declare _o: number;
  declare _h: number;
  declare _e: number;
  /** Declared end of the layer (by a length field), may exceed `_e` when truncated. */
  declare _declEnd: number;
  /** Start of the enclosing top-level layer (the message); list items share their owner's. */
  declare _base: number;
  declare _v: unknown[] | null;
  declare _offs: number[] | null;
  declare _c: unknown[] | null;
  declare _owner: LayerOwner | null;
  declare _bs: BuildScratch | null;

  /** Return the protocol of this layer. */
  get proto(): unknown {
    return this._d.protocol;
  }

  /** Return where the layer sits in the dissected bytes, or undefined for a crafted layer. */
  span(): { start: number; headerEnd: number; end: number } | undefined {
    return this._b === null ? undefined : { start: this._o, headerEnd: this._h, end: this._e };
  }

  /** Set several fields at once (names and values as when building). */
  set(values: object): this {
    const index = this._d.index;
    for (const k in values) {
      if (!Object.prototype.hasOwnProperty.call(values, k)) continue;
      const i = index.get(k);
      if (i === undefined) throw new UnknownFieldError(this._d.name, k);
      this._setField(i, (values as Record<string, unknown>)[k]);
    }
    return this;
  }

  /** Forget the values set for these fields so they are computed or defaulted again. */
  unset(...names: string[]): this {
    for (const k of names) {
      const i = this._d.index.get(k);
      if (i === undefined) throw new UnknownFieldError(this._d.name, k);
      if (this._v !== null) this._v[i] = undefined;
      this._forget(i);
    }
    this._owner?.markDirty();
    return this;
  }

  /** Return whether a field was set by the user (dissected fields count as set). */
  isSet(name: string): boolean {
    const i = this._d.index.get(name);
    if (i === undefined) throw new UnknownFieldError(this._d.name, name);
    return (this._v !== null && this._v[i] !== undefined) || (this._b !== null && this._present(i));
  }

  _setField(i: number, value: unknown): void {
    const f = this._d.fields[i]!;
    let v: unknown;
    if (value === undefined) v = undefined;
    else {
      try {
        v = f.normalize(value);
      } catch (e) {
        if (e instanceof RangeProblem) throw new FieldRangeError(this._d.name, f.name, value, e.message);
        throw e;
      }
      if (f.kind === "list") for (const item of v as LayerBase[]) item._owner = this._owner;
    }
    if (this._v === null) this._v = new Array(this._d.fields.length);
    this._v[i] = v;
    this._forget(i);
    this._owner?.markDirty();
  }

  /** Drop what is cached for field `i`, and every custom field's decoded value (it may depend on other fields). */
  _forget(i: number): void {
    const c = this._c;
    if (c === null) return;
    c[i] = undefined;
    const fields = this._d.fields;
    for (let j = 0; j < fields.length; j++) if (fields[j] instanceof CustomField) c[j] = undefined;
  }

  /** Whether field `i` is present in the dissected bytes. */
  _present(i: number): boolean {
    const fd = this._d.firstDynamic;
    return i < fd || this._offs === null || this._offs[2 * (i - fd)]! >= 0;
  }

  /** The value of an unset field of a crafted layer. */
  _unset(i: number): unknown {
    const f = this._d.fields[i]!;
    if (f.when !== undefined && !f.when(this as unknown as FieldValues)) return undefined;
    return f.defaultValue();
  }

  /** Read a field that has no generated getter. */
  _slow(i: number): unknown {
    const f = this._d.fields[i]!;
    const b = this._b!;
    let o: number;
    let end: number;
    const fd = this._d.firstDynamic;
    if (i >= fd && this._offs !== null) {
      o = this._offs[2 * (i - fd)]!;
      if (o < 0) return undefined;
      end = this._offs[2 * (i - fd) + 1]!;
    } else {
      o = this._o + this._d.staticOff[i]!;
      end = o + f.size;
    }
    if (f.kind === "list") {
      if (this._c === null) this._c = new Array(this._d.fields.length);
      let items = this._c[i] as LayerBase[] | undefined;
      if (items === undefined) {
        items = (f as ListField).readItems(b, o, end, this);
        this._c[i] = items;
      }
      return items;
    }
    if (f instanceof CustomField) {
      // Text and numbers decoded by a custom field (a DNS name) are kept until the layer changes:
      // reading them again is a look-up. (Objects are decoded afresh, so a change to one read
      // never shows in the next.)
      const c = this._c;
      if (c !== null) {
        const x = c[i];
        if (x !== undefined) return x;
      }
      const v = f.readAt(b, o, end, this._base, this as unknown as FieldValues);
      if (typeof v === "string" || typeof v === "number") (this._c ??= new Array(this._d.fields.length))[i] = v;
      return v;
    }
    return f.read(b, o, end, this as unknown as FieldValues);
  }

  /** Return the layer's field tree (unset computed fields of a crafted layer show as computed). */
  show(): string {
    return showLayer(this, false).slice(0, -1);
  }

  /** Return the layer's one-line summary. */
  summary(): string {
    return summarizeLayer(this, false);
  }

  /** Return a detached plain object of every field's value (list items as objects, bytes copied). */
  toObject(): Record<string, unknown> {
    // Replaced on each protocol's class by generated code (compileToObject); kept for the type.
    return {};
  }

  /** Return the fields as JSON-safe values: numbers as numbers, addresses as strings, bytes as hex. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const fields = this._d.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = (this as unknown as Record<string, unknown>)[f.name];
      if (v === undefined) continue;
      out[f.name] = f.kind === "list" ? (v as LayerBase[]).map((x) => x.toJSON()) : f.json(v);
    }
    return out;
  }
}

/** Readers the generated getters call by kind. */
const READERS = { mac: formatMac, ipv4: formatIPv4, ipv6: formatIPv6 };

/** A bytes or padding field read as a view of the dissected bytes (its kind's own read). */
function readsAsView(f: FieldImpl): boolean {
  return (f instanceof BytesField || f instanceof PaddingField) && f.read === (f instanceof BytesField ? BytesField : PaddingField).prototype.read;
}

function compileAccessors(def: ProtocolDef, proto: object): void {
  const fields = def.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const dyn = i >= def.firstDynamic;
    const slot = 2 * (i - def.firstDynamic);
    // The field's end, for reads that need it (bytes).
    const end = dyn ? `this._offs[${slot + 1}]` : `o + ${f.size}`;
    const expr = f.kind === "list" ? undefined
      : f instanceof AddressField ? `H.${f.kind}(b, o)`
      : readsAsView(f) ? `b.subarray(o, ${end})`
      : f.readExpr("b", "o");
    let body = `const v = this._v;\n if (v !== null) { const x = v[${i}]; if (x !== undefined) return x; }\n`;
    body += ` const b = this._b;\n if (b === null) return this._unset(${i});\n`;
    if (f.kind === "list" && dyn) {
      // Absent, or already read: answered here; the items are made by _slow once.
      body += ` const o = this._offs[${slot}];\n if (o < 0) return undefined;\n const c = this._c;\n if (c !== null) { const x = c[${i}]; if (x !== undefined) return x; }\n return this._slow(${i});`;
    } else if (expr === undefined) body += ` return this._slow(${i});`;
    else if (!dyn) body += ` const o = this._o + ${def.staticOff[i]};\n return ${expr};`;
    else body += ` const o = this._offs[${slot}];\n if (o < 0) return undefined;\n return ${expr};`;
    const get = new Function("H", `return function get_${f.name}() {\n ${body}\n}`)(READERS) as () => unknown;
    Object.defineProperty(proto, f.name, { get, set: compileSetter(def, i), enumerable: true, configurable: false });
  }
  Object.defineProperty(proto, "set", { value: compileSet(def), writable: true, configurable: true });
}

/** Generate the setter of field `i`: what `_setField` does, with one field's normalize at its call site. */
function compileSetter(def: ProtocolDef, i: number): (this: LayerBase, value: unknown) => void {
  const f = def.fields[i]!;
  const src = `return function set_${f.name}(value) {
  let v;
  if (value === undefined) v = undefined;
  else {
    try { v = F.normalize(value); } catch (e) { if (e instanceof RP) throw new FRE(D.name, ${JSON.stringify(f.name)}, value, e.message); throw e; }
    ${f.kind === "list" ? "for (let k = 0; k < v.length; k++) v[k]._owner = this._owner;" : ""}
  }
  let vs = this._v;
  if (vs === null) vs = this._v = new Array(${def.fields.length});
  vs[${i}] = v;
  if (this._c !== null) { this._c[${i}] = undefined;${def.fields.map((g, j) => (g instanceof CustomField && j !== i ? ` this._c[${j}] = undefined;` : "")).join("")} }
  const owner = this._owner;
  if (owner !== null) owner.markDirty();
};`;
  return new Function("D", "F", "RP", "FRE", src)(def, f, RangeProblem, FieldRangeError) as (this: LayerBase, value: unknown) => void;
}

/**
 * Generate a protocol's `set(values)`: each field's value read by name (a load V8 caches per
 * object shape) and the keys counted before anything is set; a count that does not match (a key
 * that is no field, an inherited one, one whose value is undefined) goes the exact way, key by
 * key, which unsets or names the unknown field; so do objects that are not plain, whose keys
 * may be inherited. (A `for...in` with a switch and a keyed load per
 * key costs several times more.)
 */
function compileSet(def: ProtocolDef): (this: LayerBase, values: object) => LayerBase {
  const n = def.fields.length;
  const reads = def.fields.map((f, i) => `  const x${i} = values.${f.name}; if (x${i} !== undefined) n++;`).join("\n");
  const writes = def.fields.map((f, i) => `  if (x${i} !== undefined) this.${f.name} = x${i};`).join("\n");
  // A layer with no cached values and no owner (a fresh one, as a protocol call makes it): what
  // each setter does, written out here (the setters are calls), with an integer in its field's
  // range taken as it is (what IntField_.normalize returns for one).
  const stores = def.fields.map((f, i) => {
    const plainInt = f instanceof IntField_ && Object.getPrototypeOf(f) === IntField_.prototype;
    const norm = `try { v = F[${i}].normalize(x${i}); } catch (e) { throw named(e, ${i}, x${i}); }`;
    return `    if (x${i} !== undefined) {
      let v;
      ${plainInt ? `if (typeof x${i} === "number" && x${i} >= ${f.min} && x${i} <= ${f.max} && Math.floor(x${i}) === x${i}) v = x${i};
      else ${norm}` : norm}${f.kind === "list" ? `
      for (let k = 0; k < v.length; k++) v[k]._owner = null;` : ""}
      if (vs === null) vs = this._v = new Array(${n});
      vs[${i}] = v;
    }`;
  }).join("\n");
  const cases = def.fields.map((f) => `      case ${JSON.stringify(f.name)}: layer.${f.name} = values[k]; break;`).join("\n");
  const src = `const has = Object.prototype.hasOwnProperty;
function exact(layer, values) {
  for (const k in values) {
    if (!has.call(values, k)) continue;
    switch (k) {
${cases}
      default: throw new UFE(D.name, k);
    }
  }
  return layer;
}
const plain = Object.prototype;
return function set(values) {
  // Keys inherited from anything but a plain object's prototype: the exact way.
  if (values === null || Object.getPrototypeOf(values) !== plain) return exact(this, values);
  let n = 0;
${reads}
  let keys = 0;
  for (const k in values) keys++;
  // Unknown, inherited or undefined-valued keys: the exact way, key by key.
  if (keys !== n) return exact(this, values);
  if (this._c === null && this._owner === null) {
    let vs = this._v;
${stores}
    return this;
  }
${writes}
  return this;
};`;
  const named = (e: unknown, i: number, value: unknown): unknown => (e instanceof RangeProblem ? new FieldRangeError(def.name, def.fields[i]!.name, value, e.message) : e);
  return new Function("D", "UFE", "F", "named", src)(def, UnknownFieldError, def.fields, named) as (this: LayerBase, values: object) => LayerBase;
}

/**
 * Generate a protocol's `toObject()`: every field read by name into one object literal (a loop
 * reading `this[name]` over many layer classes is megamorphic and several times slower).
 *
 * A dissected layer nobody changed (the common case: `_b` set, no values) takes a fast path that
 * reads each field straight from the bytes at its known offset, as the getters would, with no
 * getter calls; an empty list is `[]` without making anything.
 */
function compileToObject(def: ProtocolDef): () => Record<string, unknown> {
  const reads: string[] = [];
  const props: string[] = [];
  const fast: string[] = [];
  const fd = def.firstDynamic;
  def.fields.forEach((f, i) => {
    const dyn = i >= fd;
    const slot = 2 * (i - fd);
    const at = dyn ? `offs[${slot}]` : `o0 + ${def.staticOff[i]}`;
    const end = dyn ? `offs[${slot + 1}]` : `o + ${f.size}`;
    if (f.kind === "list") {
      reads.push(`let v${i} = this.${f.name}; if (Array.isArray(v${i})) v${i} = v${i}.map(toObject);`);
      props.push(`${f.name}: v${i}`);
      // A list not read yet becomes objects without item layers (ListField.readObjects); one
      // already read is mapped from its items.
      fast.push(dyn
        ? `let f${i}; { const o = offs[${slot}]; const c = this._c; f${i} = o < 0 ? undefined : o === offs[${slot + 1}] ? [] : c !== null && c[${i}] !== undefined ? c[${i}].map(toObject) : F[${i}].readObjects(b, o, offs[${slot + 1}], this); }`
        : `const f${i} = this.${f.name}.map(toObject);`);
      return;
    }
    if (readsAsView(f)) {
      // Dissected bytes are copied out in one step (no view made first).
      reads.push(`let v${i};
if (this._b !== null && (this._v === null || this._v[${i}] === undefined)) { const o = ${at.replace("o0", "this._o").replace("offs", "this._offs")}; v${i} = o < 0 ? undefined : COPY(this._b, o, ${end.replace("offs", "this._offs")}); }
else { v${i} = this.${f.name}; if (v${i} instanceof Uint8Array) v${i} = new Uint8Array(v${i}); }`);
      props.push(`${f.name}: v${i}`);
      fast.push(`let f${i}; { const o = ${at}; f${i} = o < 0 ? undefined : COPY(b, o, ${end}); }`);
      return;
    }
    reads.push(`const v${i} = this.${f.name};`);
    // Integers, addresses and text are never bytes; anything else is detached even when the value
    // is a view of the dissected bytes (or a Buffer's).
    const plain = f instanceof IntField_ || f instanceof AddressField || f instanceof StringField;
    if (plain) props.push(`${f.name}: v${i}`);
    else props.push(`${f.name}: v${i} instanceof Uint8Array ? new Uint8Array(v${i}) : v${i}`);
    const expr = f instanceof AddressField ? `H.${f.kind}(b, o)` : f.readExpr("b", "o");
    if (f instanceof CustomField && dyn) {
      // A custom kind's read, called here (its getter would go through _slow); text it decoded
      // before is taken as kept.
      fast.push(`let f${i}; { const o = offs[${slot}]; const c = this._c; f${i} = o < 0 ? undefined : c !== null && c[${i}] !== undefined ? c[${i}] : F[${i}].readAt(b, o, offs[${slot + 1}], this._base, this); if (f${i} instanceof Uint8Array) f${i} = new Uint8Array(f${i}); }`);
    } else if (expr === undefined || !plain) {
      // Custom fields and the like: their getter (which keeps decoded text).
      fast.push(`let f${i} = this.${f.name}; if (f${i} instanceof Uint8Array) f${i} = new Uint8Array(f${i});`);
    } else if (dyn) fast.push(`let f${i}; { const o = offs[${slot}]; f${i} = o < 0 ? undefined : ${expr}; }`);
    else fast.push(`let f${i}; { const o = o0 + ${def.staticOff[i]}; f${i} = ${expr}; }`);
  });
  const names = def.fields.map((f, i) => `${f.name}: f${i}`);
  const src = `const toObject = (x) => x.toObject();
return function toObject_${def.name}() {
const b = this._b;
if (b !== null && this._v === null) {
const o0 = this._o;${fd < def.fields.length ? "\nconst offs = this._offs;" : ""}
${fast.join("\n")}
return { ${names.join(", ")} };
}
${reads.join("\n")}
return { ${props.join(", ")} };
};`;
  return new Function("COPY", "H", "F", src)(copyOut, READERS, def.fields) as () => Record<string, unknown>;
}

/** Zero bytes, shared: a zero-length array has nothing to change (and is frozen besides). */
const NO_BYTES = Object.freeze(new Uint8Array(0)) as Uint8Array;

/** A detached copy of `b[start..end)` as a plain Uint8Array (a Buffer's `slice` would be a view). */
function copyOut(b: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 0) return NO_BYTES;
  const out = new Uint8Array(n);
  if (n <= 64) for (let k = 0; k < n; k++) out[k] = b[start + k]!;
  else out.set(b.subarray(start, end));
  return out;
}

/** Make the layer class for a protocol. */
export function makeLayerClass(def: ProtocolDef): new () => LayerBase {
  // The class is named in its source, not by redefining `name` afterwards: V8 treats a class
  // constructor as a prototype, and redefining a property of one turns it into a dictionary-mode
  // object whose map is never stable. Code constructing such a class (the layers of Ethernet, Raw
  // and others) then kept failing to optimise ("dependency change"), and the bench's build loop
  // ran unoptimised (measured: 2.4 µs per Ethernet/IPv4/TCP packet built, 1.6 µs with this).
  const Layer = new Function("Base", `return class ${def.name}Layer extends Base {
    constructor() {
      super();
      this._b = null; this._o = 0; this._h = 0; this._e = 0; this._declEnd = -1; this._base = 0;
      this._v = null; this._offs = null; this._c = null; this._owner = null; this._bs = null;
    }
  };`)(LayerBase) as new () => LayerBase;
  Object.defineProperty(Layer.prototype, "_d", { value: def, enumerable: false });
  // Per class; defineProtocol replaces it with the protocol itself as a plain value once that
  // exists (protocol.ts).
  Object.defineProperty(Layer.prototype, "proto", { get: () => def.protocol, enumerable: false, configurable: true });
  // Generated code is made on first use, so that importing sixty protocols compiles nothing.
  const proto = Layer.prototype as Record<string, unknown>;
  let compiled = false;
  const compile = (): void => {
    if (compiled) return;
    compiled = true;
    compileAccessors(def, proto);
  };
  for (const f of def.fields) {
    const name = f.name;
    Object.defineProperty(proto, name, {
      get(this: Record<string, unknown>) { compile(); return this[name]; },
      set(this: Record<string, unknown>, v: unknown) { compile(); this[name] = v; },
      enumerable: true, configurable: true,
    });
  }
  Object.defineProperty(proto, "set", {
    value: function (this: LayerBase, values: object) { compile(); return this.set(values); },
    writable: true, configurable: true,
  });
  Object.defineProperty(proto, "toObject", {
    value: function (this: LayerBase) {
      const fn = compileToObject(def);
      Object.defineProperty(proto, "toObject", { value: fn, writable: true, configurable: true });
      return fn.call(this);
    },
    writable: true, configurable: true,
  });
  return Layer;
}

/**
 * Lay out a dissected layer: point it at `b[off..limit)`, find where each non-static field sits,
 * the header's end and the payload's end. Returns the error that stops dissection here, if any.
 * Each protocol's layout is generated code (see layout.ts).
 */
export function layoutLayer(layer: LayerBase, b: Uint8Array, off: number, limit: number, base = off): WirecraftError | undefined {
  return layer._d.layout(layer, b, off, limit, base);
}

export { fieldOffset } from "./layout.js";
