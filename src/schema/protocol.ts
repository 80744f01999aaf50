/**
 * `defineProtocol`: turn a declaration (an ordered record of fields) into a protocol: a function
 * that crafts layers, with the layer class, the static layout and the type of its values inferred.
 */
import { DefinitionError } from "../errors.js";
import { compileExpression, type FieldValues } from "./expression.js";
import {
  BytesField, field as baseField, FieldImpl, IntField_, StringField,
  type CommonOptions, type Field, type InitOf, type LengthSpec, type ReadOf,
} from "./field.js";
import { LayerBase, makeLayerClass, RESERVED, type BindEntry, type ProtocolDef } from "./layer.js";
import { ListField } from "./list.js";
import { custom } from "./custom.js";
import { lazyLayout } from "./layout.js";

/** A protocol's declaration: field names to fields, in wire order. */
export type Shape = { readonly [name: string]: Field };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type IsOptional<F> = F extends Field<unknown, unknown, infer O> ? O : true;

/** The values of a layer as read: every field present. */
export type Values<S extends Shape> = { -readonly [K in keyof S]: ReadOf<S[K]> };
/** The values accepted when building: defaulted and computed fields optional. */
export type InitValues<S extends Shape> = Simplify<
  { -readonly [K in keyof S as IsOptional<S[K]> extends false ? K : never]: InitOf<S[K]> } &
  { -readonly [K in keyof S as IsOptional<S[K]> extends false ? never : K]?: InitOf<S[K]> }
>;

/** Methods every layer has besides its fields. */
export interface LayerMethods<S extends Shape = Shape> {
  /** Return the protocol of this layer. */
  readonly proto: Protocol<S>;
  /** Set several fields at once, with the values accepted when building. */
  set(values: Partial<InitValues<S>>): this;
  /** Forget set values so they are computed or defaulted again. */
  unset(...names: (keyof S & string)[]): this;
  /** Return whether the user (or the wire) gave this field a value. */
  isSet(name: keyof S & string): boolean;
  /** Return a detached plain object of the values. */
  toObject(): Values<S>;
  /** Return the values as JSON-safe data. */
  toJSON(): Record<string, unknown>;
  /** Return the layer's indented field tree. */
  show(): string;
  /** Return a one-line summary of the layer. */
  summary(): string;
  /** Return where a dissected layer sits in its bytes. */
  span(): { start: number; headerEnd: number; end: number } | undefined;
}

/** A layer of protocol `S`: its field values as properties, and the layer methods. */
export type Layer<S extends Shape = Shape> = Values<S> & LayerMethods<S>;

/** Any layer of any protocol. */
export interface AnyLayer {
  readonly proto: ProtocolBase;
  set(values: object): this;
  unset(...names: string[]): this;
  isSet(name: string): boolean;
  toObject(): Record<string, unknown>;
  toJSON(): Record<string, unknown>;
  show(): string;
  summary(): string;
  span(): { start: number; headerEnd: number; end: number } | undefined;
}

/** Options a declaration may give besides its fields. */
export interface ProtocolOptions<V> {
  /** The one-line summary of a layer (after the protocol name). */
  summary?: (layer: V) => string;
  /** Choose the next layer's protocol by a function; binds are consulted when it returns undefined. */
  next?: (layer: V) => AnyProtocol | undefined;
  /** The ones'-complement sum of this layer's pseudo-header for an upper protocol (IP layers). */
  /** `between` holds the layers between this one and the checksummed one (IPv6 extension headers). */
  pseudoHeaderSum?: (
    layer: V, protocol: number, length: number, between: readonly FieldValues[],
    /** Where this layer's own header sits, written out: read the addresses from here when you can. */
    at: { readonly bytes: Uint8Array; readonly start: number },
  ) => number;
  /** Return a reason when a dissected layer is malformed. */
  validate?: (layer: V) => string | undefined;
  /**
   * The payload's length in bytes when a field holds it only sometimes (an 802.3 length in the
   * EtherType's place); bytes after it become Padding. Return undefined when it does not apply.
   */
  payloadLength?: (layer: V) => number | undefined;
  /**
   * Use the binds of this protocol, matched by field name, where this protocol has none of its own
   * (IPv6 extension headers dispatch and fill `nextHeader` as IPv6 does).
   */
  inheritBinds?: AnyProtocol;
  /**
   * Make this protocol a selector that is never a layer: dissecting it picks the protocol that the
   * bytes at `offset` start with (raw IP picks IPv4 or IPv6 by the version nibble).
   */
  select?: (bytes: Uint8Array, offset: number, end: number) => AnyProtocol | undefined;
  /**
   * What follows this layer quotes another packet, usually cut short (ICMP errors): a layer there
   * that runs out of bytes marks the packet truncated and stays Raw, without an error.
   */
  quotes?: boolean;
}

/** A field as `describe()` and tools see it. */
export interface FieldInfo {
  readonly name: string;
  readonly kind: string;
  /** Width in bits, or undefined when variable. */
  readonly bits: number | undefined;
  readonly default: unknown;
  readonly hex: boolean;
  readonly conditional: boolean;
  readonly computed: "length" | "count" | "checksum" | undefined;
  readonly names: ReadonlyMap<number, string> | undefined;
  readonly doc: string | undefined;
}

/** What every protocol has, whatever its fields. */
export interface ProtocolBase {
  /** The protocol's name, as the RFC writes it. */
  readonly name: string;
  /** The fields, in wire order. */
  readonly fields: readonly FieldInfo[];
  /** Return whether `layer` is a layer of this protocol. */
  is(layer: unknown): boolean;
}

/** A protocol: call it to craft a layer. */
export interface Protocol<S extends Shape = Shape> extends ProtocolBase {
  (...init: {} extends InitValues<S> ? [values?: InitValues<S>] : [values: InitValues<S>]): Layer<S>;
  /** The declaration this protocol was made from. */
  readonly shape: S;
  /** Return whether `layer` is a layer of this protocol. */
  is(layer: unknown): layer is Layer<S>;
  /** Parse bytes strictly as this protocol and what it carries; throws a typed error naming layer, field and offset. */
  parse(bytes: Uint8Array): Layer<S>;
}

/** Any protocol. */
export type AnyProtocol = ProtocolBase;

/** The read values of a protocol: `Infer<typeof IPv4>`. */
export type Infer<P> = P extends Protocol<infer S> ? Values<S> : never;
/** The build values of a protocol: `InferInit<typeof IPv4>`. */
export type InferInit<P> = P extends Protocol<infer S> ? InitValues<S> : never;
/** The layer type of a protocol. */
export type LayerOf<P> = P extends Protocol<infer S> ? Layer<S> : never;

const DEF = Symbol("wirecraft.protocol");

/** Return the runtime description of a protocol (internal). */
export function defOf(p: unknown): ProtocolDef {
  const d = (p as { [DEF]?: ProtocolDef } | null | undefined)?.[DEF];
  if (d === undefined) throw new TypeError("not a wirecraft protocol");
  return d;
}

type SpecSlot = "when" | "length" | "count";

/** Compile a condition, length or count for `f[slot]`; an expression, once compiled, replaces its first function there. */
function compileSpec(proto: string, f: FieldImpl, slot: SpecSlot, what: string, spec: LengthSpec | ((l: FieldValues) => unknown), known: () => readonly string[]): (l: FieldValues) => number {
  if (typeof spec === "number") return () => spec;
  if (typeof spec === "function") return spec as (l: FieldValues) => number;
  try {
    const first = compileExpression(spec, known(), (fn) => {
      const holder = f as unknown as Record<SpecSlot, unknown>;
      if (holder[slot] === first) holder[slot] = fn;
    });
    return first;
  } catch (e) {
    throw new DefinitionError(proto, `field "${f.name}": ${what}: ${(e as Error).message}`);
  }
}

/** Declare a protocol from an ordered record of fields. */
export function defineProtocol<const S extends Shape>(name: string, shape: S, options: ProtocolOptions<Values<S>> = {}): Protocol<S> {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new DefinitionError(name || "(unnamed)", "a protocol name is an identifier");
  const fields: FieldImpl[] = [];
  const index = new Map<string, number>();
  for (const [fname, f] of Object.entries(shape)) {
    if (!(f instanceof FieldImpl)) throw new DefinitionError(name, `"${fname}" is not a field (use field.uint8(), field.bytes()…)`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(fname)) throw new DefinitionError(name, `field name "${fname}" is not an identifier`);
    if (RESERVED.has(fname)) throw new DefinitionError(name, `field name "${fname}" is reserved for a layer method`);
    if (f.index !== -1) throw new DefinitionError(name, `field "${fname}" is already used by another protocol (make a new field per protocol)`);
    f.name = fname;
    f.index = fields.length;
    index.set(fname, fields.length);
    fields.push(f);
  }
  const n = fields.length;
  const staticOff = new Int32Array(n).fill(-1);
  const bitByte = new Int32Array(n);
  const advance = new Int32Array(n);
  let firstDynamic = n;
  let pos = 0;
  let isStatic = true;
  let runStart = -1;
  let runBits = 0;
  const closeRun = (upTo: number) => {
    if (runStart < 0) return;
    if (runBits % 8 !== 0) {
      const names = fields.slice(runStart, upTo).map((x) => `${x.name}:${x.bits}`).join(", ");
      throw new DefinitionError(name, `bit fields ${names} add up to ${runBits} bits, which does not end on a byte boundary`);
    }
    advance[upTo - 1] = runBits / 8;
    if (isStatic) pos += runBits / 8;
    runStart = -1;
    runBits = 0;
  };
  const lengthFor = new Map<number, IntField_>();
  const countFor = new Map<number, IntField_>();
  let layerLen: IntField_ | undefined;
  let payloadLen: IntField_ | undefined;
  let headerLen: IntField_ | undefined;
  const checksums: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const earlier = () => fields.slice(0, i).map((x) => x.name);
    if (f.whenSource !== undefined) {
      f.when = compileSpec(name, f, "when", "condition", f.whenSource, earlier);
    }
    if (f.bits) {
      if (runStart < 0) { runStart = i; runBits = 0; }
      // A run of bit fields is present or absent as a whole: all its fields share one condition.
      const head = fields[runStart]!;
      if (f.whenSource !== head.whenSource) {
        throw new DefinitionError(name, `bit field "${f.name}" must have the same condition as "${head.name}", the first field of its run`);
      }
      if (f.when !== undefined && i === runStart && isStatic) {
        isStatic = false;
        firstDynamic = i;
      }
      (f as IntField_).bitShift = runBits % 8;
      bitByte[i] = runBits >> 3;
      if (isStatic) staticOff[i] = pos + (runBits >> 3);
      runBits += f.bits;
      continue;
    }
    closeRun(i);
    if (f instanceof BytesField || f instanceof StringField) {
      if (f.lengthSource !== undefined && typeof f.lengthSource !== "number") f.length = compileSpec(name, f, "length", "length", f.lengthSource, earlier);
    }
    if (f instanceof ListField) {
      if (f.countSource !== undefined) f.count = compileSpec(name, f, "count", "count", f.countSource, earlier);
      if (f.lengthSource !== undefined) f.length = compileSpec(name, f, "length", "length", f.lengthSource, earlier);
    }
    if (isStatic && (f.size < 0 || f.when !== undefined)) {
      isStatic = false;
      firstDynamic = i;
    }
    if (isStatic) {
      staticOff[i] = pos;
      pos += f.size;
    }
  }
  closeRun(n);
  for (const f of fields) {
    if (!(f instanceof IntField_)) continue;
    if (f.enumNames && f.flagBits) throw new DefinitionError(name, `field "${f.name}" cannot have both enum and flags`);
    if (f.lengthOf !== undefined) {
      const t = f.lengthOf;
      if (t === "layer") layerLen = f;
      else if (t === "payload") payloadLen = f;
      else if (t === "header") headerLen = f;
      else {
        const ti = index.get(t);
        if (ti === undefined) throw new DefinitionError(name, `field "${f.name}" is the length of "${t}", which is not "layer", "header", "payload" or a field`);
        const target = fields[ti]!;
        if (target.size >= 0 || target.bits) throw new DefinitionError(name, `field "${f.name}" is the length of "${t}", which has a fixed size`);
        if (ti < f.index) throw new DefinitionError(name, `length field "${f.name}" must come before "${t}"`);
        lengthFor.set(ti, f);
      }
      if (!(f.scale > 0)) throw new DefinitionError(name, `field "${f.name}" has a scale that is not positive`);
    }
    if (f.countOf !== undefined) {
      const ti = index.get(f.countOf);
      if (ti === undefined || !(fields[ti] instanceof ListField)) throw new DefinitionError(name, `field "${f.name}" counts "${f.countOf}", which is not a list field`);
      if (ti < f.index) throw new DefinitionError(name, `count field "${f.name}" must come before "${f.countOf}"`);
      countFor.set(ti, f);
    }
    if (f.checksum !== undefined) checksums.push(f.index);
  }
  const def: ProtocolDef = {
    name, fields, index, staticOff, bitByte, advance, firstDynamic,
    staticSize: firstDynamic === n ? pos : -1,
    layerLen, payloadLen, headerLen, lengthFor, countFor, checksums,
    options: options as ProtocolDef["options"],
    binds: [],
    Layer: LayerBase, protocol: undefined, layout: lazyLayout, build: undefined,
    id: protocols++, step: firstStep,
  };
  def.Layer = makeLayerClass(def);
  const Ctor = def.Layer;
  const make = function (values?: object): LayerBase {
    const layer = new Ctor();
    if (values !== undefined) layer.set(values);
    return layer;
  };
  Object.defineProperty(make, "name", { value: name });
  // The field descriptions are for describe() and tools: made on first read, then kept.
  const fieldInfo = (): FieldInfo[] => fields.map((f) => ({
    name: f.name,
    kind: f.describeKind(),
    bits: f.bits ? f.bits : f.size >= 0 ? f.size * 8 : undefined,
    default: f.required ? undefined : f.defaultValue(),
    hex: f.hex,
    conditional: f.when !== undefined,
    computed: f.auto,
    names: f instanceof IntField_ ? (f.enumNames ?? (f.flagBits ? new Map(f.flagBits) : undefined)) : undefined,
    doc: f.doc,
  }));
  Object.assign(make, { shape });
  Object.defineProperty(make, "fields", {
    configurable: true,
    enumerable: true,
    get: () => {
      const value = fieldInfo();
      Object.defineProperty(make, "fields", { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
  });
  Object.assign(make, {
    is: (layer: unknown) => layer instanceof Ctor,
    parse: (bytes: Uint8Array) => {
      if (hooks.parse === undefined) throw new Error("wirecraft: packet module not loaded");
      return hooks.parse(bytes, def);
    },
  });
  def.protocol = make;
  // Now that it exists, the protocol is a plain value on the layer prototype: a load of `proto`
  // across many layer classes then finds a constant instead of calling each class's getter.
  Object.defineProperty(Ctor.prototype, "proto", { value: make, enumerable: false, configurable: true });
  Object.defineProperty(make, DEF, { value: def });
  return make as unknown as Protocol<S>;
}

type ListF<P, O> = P extends Protocol<infer S>
  ? Field<O extends { when: unknown } ? Layer<S>[] | undefined : Layer<S>[], readonly (InitValues<S> | Layer<S>)[], O extends { required: true } ? false : true>
  : never;

/** Options of list fields. */
export interface ListOptions extends CommonOptions {
  /** Number of items: constant, expression over earlier fields, or function. */
  readonly count?: LengthSpec;
  /** Byte length of the whole list. Omit both for "to the end of the layer". */
  readonly length?: LengthSpec;
}

/** Field constructors, lists included. */
export const field = {
  ...baseField,
  /** A list of `item` layers, bounded by `count`, `length`, a count/length field, or the end of the layer. */
  list: <P extends AnyProtocol, const O extends ListOptions = {}>(item: P, o?: O & ListOptions): ListF<P, O> =>
    new ListField(defOf(item), o ?? {}) as unknown as ListF<P, O>,
  /** A field read and written by functions the protocol supplies, with message context (see `CustomSpec`). */
  custom,
};

/** How many protocols have been defined; each has its number in `def.id`. */
let protocols = 0;
export function protocolCount(): number {
  return protocols;
}

/** A protocol's dissection step until it is compiled (by the packet module, see packet/step.ts). */
function firstStep(p: never): boolean {
  return hooks.step!(p);
}

/** Set by the packet module: strict parsing of bytes as a protocol (avoids an import cycle). */
export const hooks: { parse?: (bytes: Uint8Array, def: ProtocolDef) => LayerBase; step?: (p: never) => boolean } = {};

/** Parse `bytes` strictly as `protocol` and what it carries; throw a typed error on bad input. */
export function parseStrict<P extends AnyProtocol>(protocol: P, bytes: Uint8Array): LayerOf<P> {
  if (hooks.parse === undefined) throw new Error("wirecraft: packet module not loaded");
  return hooks.parse(bytes, defOf(protocol)) as unknown as LayerOf<P>;
}
