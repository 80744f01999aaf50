/**
 * Field kinds. A field knows how to read itself from bytes, check and normalise a value given by
 * a user, size and write it, and show it. The phantom `__types` member carries the TypeScript
 * types (value read, value accepted when building, optional or not) so that protocol types are
 * inferred from declarations.
 */
import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac, toHex } from "./address.js";
import type { FieldValues } from "./expression.js";

/** What a checksum function gets: the whole buffer being built and where its layer sits in it. */
export interface ChecksumContext {
  /** The whole packet buffer. */
  readonly bytes: Uint8Array;
  /** Offset of the layer's first byte. */
  readonly start: number;
  /** Offset just past the layer's header (its own fields). */
  readonly headerEnd: number;
  /** Offset just past the layer's payload (trailing padding excluded). */
  readonly end: number;
  /** The layer's field values. */
  readonly layer: FieldValues;
  /** The enclosing layer, if any. */
  readonly lower: FieldValues | undefined;
  /** Ones'-complement sum of the enclosing layer's pseudo-header for `protocol` (0 if it has none). */
  pseudoHeaderSum(protocol: number): number;
}

/** A checksum computed over a layer and its payload. Returns the value to store. */
export type ChecksumFn = (ctx: ChecksumContext) => number;

/** A length given as a constant, an expression over earlier fields, or a function of the layer. */
export type LengthSpec = number | string | ((layer: FieldValues) => number);

/** A condition given as an expression over earlier fields or a function of the layer. */
export type Condition = string | ((layer: FieldValues) => unknown);

/** Options every field kind takes. */
export interface CommonOptions {
  /** Show the value in hex in `show()`. */
  readonly hex?: boolean;
  /** The field is present only when this holds (checked on earlier fields). */
  readonly when?: Condition;
  /** The value must be given when building (no default). */
  readonly required?: boolean;
  /** A short description, shown by `describe()`. */
  readonly doc?: string;
}

/** Options of integer and bit fields. */
export interface IntOptions extends CommonOptions {
  readonly default?: number | string;
  /** Byte order (integers only); big-endian unless told. */
  readonly endian?: "big" | "little";
  /** Names for values: shown by `show()`, accepted when building. */
  readonly enum?: { readonly [value: number]: string };
  /** Names for bits: an array from the least significant bit up, or a map from bit value to name. */
  readonly flags?: readonly string[] | { readonly [bit: number]: string };
  /** The field holds the length of `"layer"` (header and payload), `"header"`, `"payload"` or a named field. */
  readonly lengthOf?: string;
  /** The field holds the number of items of the named list field. */
  readonly countOf?: string;
  /** Units of a length field (4 for 32-bit words). */
  readonly scale?: number;
  /** Added to the length before scaling (`len = (size + adjust) / scale`). */
  readonly adjust?: number;
  /** The field is a checksum computed by this function. */
  readonly checksum?: ChecksumFn;
  /**
   * A checksum of 0 on the wire means "none was computed" (UDP over IPv4). A function gets the
   * name of the nearest enclosing layer with a pseudo-header (`"IPv4"`, `"IPv6"`) and decides.
   */
  readonly checksumAbsentWhenZero?: boolean | ((network: string | undefined) => boolean);
}

/** Options of 64-bit integer fields. */
export interface BigIntOptions extends CommonOptions {
  readonly default?: bigint | number;
  readonly endian?: "big" | "little";
}

/** Options of byte fields. */
export interface BytesOptions extends CommonOptions {
  readonly default?: Uint8Array | string;
  /** Length in bytes: a constant, an expression over earlier fields or a function. Omit for "to the end". */
  readonly length?: LengthSpec;
}

/** Options of string fields. */
export interface StringOptions extends CommonOptions {
  readonly default?: string;
  /** Fixed or computed length in bytes; fixed strings are padded with NUL. */
  readonly length?: LengthSpec;
  /** Length-prefixed: the prefix width in bytes. */
  readonly prefix?: 1 | 2 | 4;
  /** NUL-terminated. */
  readonly terminated?: boolean;
  /** Text encoding; latin1 (every byte one character) unless told, so any bytes round-trip. */
  readonly encoding?: "latin1" | "utf8";
}

/** Options of address fields. */
export interface AddressOptions extends CommonOptions {
  readonly default?: string;
}

/** Options of list fields. */
export interface ListOptions extends CommonOptions {
  /** Number of items: constant, expression or function. */
  readonly count?: LengthSpec;
  /** Length in bytes of the whole list. Omit both for "to the end". */
  readonly length?: LengthSpec;
}

/** Options of padding fields. */
export interface PaddingOptions extends CommonOptions {
  /** Pad so that the layer's length so far is a multiple of this. */
  readonly align: number;
}

declare const phantom: unique symbol;

/** A declared field; `R` is the value read, `I` the value accepted when building, `O` optional or not. */
export interface Field<R = unknown, I = unknown, O extends boolean = boolean> extends FieldImpl {
  readonly [phantom]?: { read: R; init: I; optional: O };
}

/** The value type a field reads as. */
export type ReadOf<F> = F extends Field<infer R, unknown, boolean> ? R : never;
/** The value type a field accepts when building. */
export type InitOf<F> = F extends Field<unknown, infer I, boolean> ? I : never;

type When<O, R> = O extends { when: Condition } ? R | undefined : R;
type Optional<O> = O extends { required: true } ? false : true;
type EnumName<O> = O extends { enum: infer E } ? E[keyof E] : never;
type FlagInit<O> = O extends { flags: infer F }
  ? F extends readonly (infer N)[] ? string | readonly N[] : string | readonly string[]
  : never;

type IntField<O> = Field<When<O, number>, number | EnumName<O> | FlagInit<O>, Optional<O>>;

/** Signals a value that does not fit; the caller adds layer and field names. */
export class RangeProblem extends Error {}

function rangeFail(reason: string): never {
  throw new RangeProblem(reason);
}

/** The runtime side shared by every field kind. */
export abstract class FieldImpl {
  /** Set by `defineProtocol`. */
  name = "";
  index = -1;
  abstract readonly kind: string;
  /** Width in bits of a bit field; 0 for byte-aligned kinds. */
  bits = 0;
  /** Fixed size in bytes, or -1 when it depends on the value or on other fields. */
  size = -1;
  hex: boolean;
  required: boolean;
  doc: string | undefined;
  whenSource: Condition | undefined;
  when: ((l: FieldValues) => unknown) | undefined = undefined;
  readonly options: CommonOptions;
  /** For lengths, counts and checksums: computed at build time when not set. */
  auto: "length" | "count" | "checksum" | undefined = undefined;

  constructor(options: CommonOptions) {
    this.options = options;
    this.hex = options.hex ?? false;
    this.required = options.required ?? false;
    this.doc = options.doc;
    this.whenSource = options.when;
  }

  /** Read the value at `off` (the field's first byte); `end` bounds variable fields. */
  abstract read(b: Uint8Array, off: number, end: number, layer: FieldValues): unknown;
  /** Check a user value and return it in canonical form; throws RangeProblem. */
  abstract normalize(value: unknown): unknown;
  /** Bytes needed to write `value` (canonical). */
  sizeOf(_value: unknown): number {
    return this.size;
  }
  /** Write canonical `value` at `off`. */
  abstract write(b: Uint8Array, off: number, value: unknown): void;
  /** The default value, canonical. */
  abstract defaultValue(): unknown;
  /** Text for `show()`. */
  format(value: unknown): string {
    return String(value);
  }
  /** A JSON-safe value for `toJSON()`. */
  json(value: unknown): unknown {
    return value;
  }
  /** A JS expression reading the field from bytes `b` at offset `o`, for generated getters. */
  readExpr(_b: string, _o: string): string | undefined {
    return undefined;
  }
  /** A short kind description for `describe()`, such as `uint16` or `bits(4)`. */
  describeKind(): string {
    return this.kind;
  }
}

// ---------------------------------------------------------------- integers and bit fields

/** Integers of 8..32 bits and bit fields of 1..32 bits, with optional enum or flag names. */
export class IntField_ extends FieldImpl {
  readonly kind: string;
  readonly signed: boolean;
  readonly little: boolean;
  readonly max: number;
  readonly min: number;
  readonly enumNames: Map<number, string> | undefined;
  readonly enumValues: Map<string, number> | undefined;
  readonly flagBits: ReadonlyArray<readonly [number, string]> | undefined;
  readonly flagSingleChars: boolean;
  lengthOf: string | undefined;
  countOf: string | undefined;
  scale: number;
  adjust: number;
  checksum: ChecksumFn | undefined;
  /** Bit fields: bit position of the field's first bit within its first byte (0 = MSB). */
  bitShift = 0;
  private readonly dflt: number;

  constructor(kind: string, bytes: number, bits: number, signed: boolean, options: IntOptions) {
    super(options);
    this.kind = kind;
    this.signed = signed;
    this.little = options.endian === "little";
    const width = bits || bytes * 8;
    if (bits) this.bits = bits;
    else this.size = bytes;
    this.max = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1;
    this.min = signed ? -(2 ** (width - 1)) : 0;
    if (options.enum) {
      this.enumNames = new Map();
      this.enumValues = new Map();
      for (const [k, v] of Object.entries(options.enum)) {
        this.enumNames.set(Number(k), v);
        this.enumValues.set(v, Number(k));
      }
    }
    if (options.flags) {
      const entries: [number, string][] = Array.isArray(options.flags)
        ? (options.flags as readonly string[]).map((n, i) => [2 ** i, n] as [number, string])
        : Object.entries(options.flags).map(([k, v]) => [Number(k), v] as [number, string]);
      this.flagBits = entries.filter(([, n]) => n !== "");
    }
    this.flagSingleChars = !!this.flagBits && this.flagBits.every(([, n]) => n.length === 1);
    this.lengthOf = options.lengthOf;
    this.countOf = options.countOf;
    this.scale = options.scale ?? 1;
    this.adjust = options.adjust ?? 0;
    this.checksum = options.checksum;
    if (this.lengthOf !== undefined) this.auto = "length";
    else if (this.countOf !== undefined) this.auto = "count";
    else if (this.checksum !== undefined) this.auto = "checksum";
    this.dflt = options.default === undefined ? 0 : (this.normalize(options.default) as number);
  }

  read(b: Uint8Array, off: number): number {
    if (this.bits) {
      let acc = 0;
      const last = this.bitShift + this.bits;
      const n = (last + 7) >> 3;
      for (let i = 0; i < n; i++) acc = acc * 256 + b[off + i]!;
      return Math.floor(acc / 2 ** (n * 8 - last)) % 2 ** this.bits;
    }
    let v = 0;
    const size = this.size;
    if (this.little) for (let i = size - 1; i >= 0; i--) v = v * 256 + b[off + i]!;
    else for (let i = 0; i < size; i++) v = v * 256 + b[off + i]!;
    if (this.signed && v > this.max) v -= 2 ** (size * 8);
    return v;
  }

  override readExpr(b: string, o: string): string | undefined {
    if (this.bits) {
      const last = this.bitShift + this.bits;
      const n = (last + 7) >> 3;
      if (n > 4 || (n === 4 && this.bitShift === 0 && this.bits === 32)) return undefined;
      let acc = `${b}[${o}]`;
      for (let i = 1; i < n; i++) acc = `((${acc} << 8) | ${b}[${o} + ${i}])`;
      const shift = n * 8 - last;
      const mask = this.bits === 32 ? 0xffffffff : 2 ** this.bits - 1;
      return `((${acc} >>> ${shift}) & ${mask})${this.bits === 32 ? " >>> 0" : ""}`;
    }
    const at = (i: number) => `${b}[${o}${i ? ` + ${i}` : ""}]`;
    const idx = (i: number) => (this.little ? this.size - 1 - i : i);
    let e: string;
    switch (this.size) {
      case 1: e = at(0); break;
      case 2: e = `((${at(idx(0))} << 8) | ${at(idx(1))})`; break;
      case 3: e = `((${at(idx(0))} << 16) | (${at(idx(1))} << 8) | ${at(idx(2))})`; break;
      default: e = `(((${at(idx(0))} << 24) | (${at(idx(1))} << 16) | (${at(idx(2))} << 8) | ${at(idx(3))}) >>> 0)`;
    }
    if (!this.signed) return e;
    const w = this.size * 8;
    return w === 32 ? `(${e} | 0)` : `((${e} << ${32 - w}) >> ${32 - w})`;
  }

  normalize(value: unknown): number {
    let v: number;
    if (typeof value === "number") v = value;
    else if (typeof value === "string") v = this.fromName(value);
    else if (Array.isArray(value) && this.flagBits) v = this.fromFlagList(value);
    else if (typeof value === "bigint") v = Number(value);
    else if (typeof value === "boolean") v = value ? 1 : 0;
    else return rangeFail(`expects a number${this.enumNames ? " or a name" : ""}`);
    if (!Number.isInteger(v)) rangeFail("expects an integer");
    if (v < this.min || v > this.max) rangeFail(`must be within ${this.min}..${this.max}`);
    return v;
  }

  private fromName(text: string): number {
    const named = this.enumValues?.get(text);
    if (named !== undefined) return named;
    if (this.flagBits) return this.fromFlagString(text);
    const n = /^(0x[0-9a-f]+|0b[01]+|-?[0-9]+)$/i.test(text) ? Number(text) : NaN;
    if (Number.isNaN(n)) {
      const names = this.enumValues ? [...this.enumValues.keys()] : [];
      rangeFail(names.length ? `unknown name; expected one of ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}` : "expects a number");
    }
    return n;
  }

  private fromFlagString(text: string): number {
    const t = text.trim();
    if (t === "") return 0;
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(t)) return Number(t);
    const parts = /[+|, ]/.test(t) ? t.split(/[+|, ]+/).filter(Boolean) : this.flagSingleChars ? [...t] : [t];
    return this.fromFlagList(parts);
  }

  private fromFlagList(names: readonly unknown[]): number {
    let v = 0;
    for (const n of names) {
      const hit = this.flagBits!.find(([, name]) => name === n);
      if (!hit) rangeFail(`unknown flag ${JSON.stringify(n)}; flags are ${this.flagBits!.map(([, x]) => x).join(", ")}`);
      v += (Math.floor(v / hit[0]) % 2 === 1) ? 0 : hit[0];
    }
    return v;
  }

  write(b: Uint8Array, off: number, value: unknown): void {
    let v = value as number;
    if (this.bits) {
      const last = this.bitShift + this.bits;
      const n = (last + 7) >> 3;
      if (n <= 3) {
        // Fits in 24 bits: plain integer arithmetic.
        const shift = n * 8 - last;
        const mask = ((1 << this.bits) - 1) << shift;
        let acc = b[off]!;
        for (let i = 1; i < n; i++) acc = (acc << 8) | b[off + i]!;
        acc = (acc & ~mask) | ((v << shift) & mask);
        for (let i = n - 1; i >= 0; i--) { b[off + i] = acc & 0xff; acc >>>= 8; }
        return;
      }
      let acc = 0;
      for (let i = 0; i < n; i++) acc = acc * 256 + b[off + i]!;
      const low = 2 ** (n * 8 - last);
      const span = 2 ** this.bits;
      const old = Math.floor(acc / low) % span;
      acc += (v - old) * low;
      for (let i = n - 1; i >= 0; i--) {
        b[off + i] = acc % 256;
        acc = Math.floor(acc / 256);
      }
      return;
    }
    const size = this.size;
    if (v < 0) v += 2 ** (size * 8);
    if (!this.little) {
      switch (size) {
        case 1: b[off] = v; return;
        case 2: b[off] = v >>> 8; b[off + 1] = v & 0xff; return;
        case 4: b[off] = v >>> 24; b[off + 1] = (v >>> 16) & 0xff; b[off + 2] = (v >>> 8) & 0xff; b[off + 3] = v & 0xff; return;
      }
    }
    if (this.little) for (let i = 0; i < size; i++) { b[off + i] = v % 256; v = Math.floor(v / 256); }
    else for (let i = size - 1; i >= 0; i--) { b[off + i] = v % 256; v = Math.floor(v / 256); }
  }

  defaultValue(): number {
    return this.dflt;
  }

  /** The name of a value, for enums and flags; undefined when it has none. */
  nameOf(v: number): string | undefined {
    if (this.enumNames) return this.enumNames.get(v);
    if (this.flagBits) {
      const on = this.flagBits.filter(([bit]) => Math.floor(v / bit) % 2 === 1).map(([, n]) => n);
      return on.join(this.flagSingleChars ? "" : "+");
    }
    return undefined;
  }

  override format(value: unknown): string {
    if (value === undefined) return "(absent)";
    const v = value as number;
    const num = this.hex ? "0x" + v.toString(16).padStart(Math.ceil((this.bits || this.size * 8) / 4), "0") : String(v);
    const name = this.nameOf(v);
    if (this.enumNames) return name !== undefined ? `${name} (${num})` : num;
    if (this.flagBits) return name ? `${name} (${num})` : num;
    return num;
  }

  override describeKind(): string {
    if (this.bits) return `bits(${this.bits})`;
    return this.kind + (this.little && this.size > 1 ? "le" : "");
  }
}

/** 64-bit integers, read as bigint. */
export class BigIntField extends FieldImpl {
  readonly kind: string;
  readonly signed: boolean;
  readonly little: boolean;
  private readonly dflt: bigint;
  constructor(signed: boolean, options: BigIntOptions) {
    super(options);
    this.kind = signed ? "int64" : "uint64";
    this.signed = signed;
    this.little = options.endian === "little";
    this.size = 8;
    this.dflt = options.default === undefined ? 0n : this.normalize(options.default);
  }
  read(b: Uint8Array, off: number): bigint {
    let v = 0n;
    if (this.little) for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
    else for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[off + i]!);
    return this.signed ? BigInt.asIntN(64, v) : v;
  }
  normalize(value: unknown): bigint {
    let v: bigint;
    if (typeof value === "bigint") v = value;
    else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
    else if (typeof value === "string" && /^-?(0x[0-9a-f]+|[0-9]+)$/i.test(value)) v = BigInt(value);
    else return rangeFail("expects a bigint or an integer");
    const ok = this.signed ? BigInt.asIntN(64, v) === v : BigInt.asUintN(64, v) === v;
    if (!ok) rangeFail(`does not fit in ${this.kind}`);
    return v;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    let v = BigInt.asUintN(64, value as bigint);
    if (this.little) for (let i = 0; i < 8; i++) { b[off + i] = Number(v & 0xffn); v >>= 8n; }
    else for (let i = 7; i >= 0; i--) { b[off + i] = Number(v & 0xffn); v >>= 8n; }
  }
  defaultValue(): bigint {
    return this.dflt;
  }
  override format(value: unknown): string {
    if (value === undefined) return "(absent)";
    return this.hex ? "0x" + BigInt.asUintN(64, value as bigint).toString(16).padStart(16, "0") : String(value);
  }
  override json(value: unknown): unknown {
    return value === undefined ? undefined : String(value);
  }
}

// ---------------------------------------------------------------- addresses

/** Parsed addresses by kind and text; cleared when full (a bound, not an LRU). */
const addressCaches = { mac: new Map<string, AddressEntry>(), ipv4: new Map<string, AddressEntry>(), ipv6: new Map<string, AddressEntry>() };
interface AddressEntry { readonly text: string; readonly bytes: Uint8Array }
const ADDRESS_CACHE_SIZE = 4096;

/** MAC, IPv4 and IPv6 addresses as strings. */
export class AddressField extends FieldImpl {
  readonly kind: "mac" | "ipv4" | "ipv6";
  private readonly dflt: string;
  private readonly cache: Map<string, AddressEntry>;
  constructor(kind: "mac" | "ipv4" | "ipv6", options: AddressOptions) {
    super(options);
    this.kind = kind;
    this.cache = addressCaches[kind];
    this.size = kind === "mac" ? 6 : kind === "ipv4" ? 4 : 16;
    this.dflt = kind === "mac" ? "00:00:00:00:00:00" : kind === "ipv4" ? "0.0.0.0" : "::";
    if (options.default !== undefined) this.dflt = this.normalize(options.default);
  }
  read(b: Uint8Array, off: number): string {
    return this.kind === "mac" ? formatMac(b, off) : this.kind === "ipv4" ? formatIPv4(b, off) : formatIPv6(b, off);
  }
  normalize(value: unknown): string {
    if (typeof value !== "string") rangeFail(`expects ${this.kind === "mac" ? "a MAC address" : `an ${this.kind === "ipv4" ? "IPv4" : "IPv6"} address`} string`);
    const hit = this.cache.get(value);
    if (hit !== undefined) return hit.text;
    return this.parse(value).text;
  }
  /** Parse text into canonical text and bytes, remembering the result (addresses repeat). */
  private parse(value: string): AddressEntry {
    const s = new Uint8Array(this.size);
    const ok = this.kind === "mac" ? parseMac(value, s, 0) : this.kind === "ipv4" ? parseIPv4(value, s, 0) : parseIPv6(value, s, 0);
    if (!ok) rangeFail(`is not a valid ${this.kind === "mac" ? "MAC" : this.kind === "ipv4" ? "IPv4" : "IPv6"} address`);
    const entry = { text: this.read(s, 0), bytes: s };
    const cache = this.cache;
    if (cache.size >= ADDRESS_CACHE_SIZE) cache.clear();
    cache.set(value, entry);
    if (entry.text !== value) cache.set(entry.text, entry);
    return entry;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    const v = value as string;
    const src = (this.cache.get(v) ?? this.parse(v)).bytes;
    for (let i = 0; i < src.length; i++) b[off + i] = src[i]!;
  }
  defaultValue(): string {
    return this.dflt;
  }
}

// ---------------------------------------------------------------- bytes, strings, padding

function resolveLength(spec: LengthSpec | undefined): { fixed: number; source: LengthSpec | undefined } {
  return { fixed: typeof spec === "number" ? spec : -1, source: spec };
}

/** Raw bytes: fixed length, computed length, or to the end of the layer. */
export class BytesField extends FieldImpl {
  readonly kind = "bytes";
  readonly lengthSource: LengthSpec | undefined;
  /** Compiled by defineProtocol from `lengthSource`. */
  length: ((l: FieldValues) => number) | undefined = undefined;
  private readonly dflt: Uint8Array;
  constructor(options: BytesOptions) {
    super(options);
    const { fixed, source } = resolveLength(options.length);
    this.size = fixed;
    this.lengthSource = source;
    this.dflt = options.default === undefined ? new Uint8Array(fixed > 0 ? fixed : 0) : this.normalize(options.default);
  }
  read(b: Uint8Array, off: number, end: number): Uint8Array {
    return b.subarray(off, end);
  }
  normalize(value: unknown): Uint8Array {
    let v: Uint8Array;
    if (value instanceof Uint8Array) v = value;
    else if (typeof value === "string") v = new TextEncoder().encode(value);
    else if (Array.isArray(value) && value.every((x) => Number.isInteger(x) && x >= 0 && x < 256)) v = Uint8Array.from(value as number[]);
    else return rangeFail("expects a Uint8Array, a string or an array of bytes");
    if (this.size >= 0) {
      if (v.length > this.size) rangeFail(`is ${this.size} byte(s) long`);
      if (v.length < this.size) {
        const padded = new Uint8Array(this.size);
        padded.set(v);
        v = padded;
      }
    }
    return v;
  }
  override sizeOf(value: unknown): number {
    return (value as Uint8Array).length;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    b.set(value as Uint8Array, off);
  }
  defaultValue(): Uint8Array {
    return this.dflt;
  }
  override format(value: unknown): string {
    if (value === undefined) return "(absent)";
    const v = value as Uint8Array;
    if (v.length === 0) return "(empty)";
    const shown = v.length > 32 ? toHex(v, 0, 32) + "…" : toHex(v);
    return `${shown} (${v.length} byte${v.length === 1 ? "" : "s"})`;
  }
  override json(value: unknown): unknown {
    return value === undefined ? undefined : toHex(value as Uint8Array);
  }
  override describeKind(): string {
    if (this.size >= 0) return `bytes(${this.size})`;
    return typeof this.lengthSource === "string" ? `bytes(${this.lengthSource})` : this.lengthSource ? "bytes(computed)" : "bytes(rest)";
  }
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");
const utf8Enc = new TextEncoder();

/** Text: fixed (NUL padded), length-prefixed, NUL-terminated, computed length, or to the end. */
export class StringField extends FieldImpl {
  readonly kind = "string";
  readonly lengthSource: LengthSpec | undefined;
  length: ((l: FieldValues) => number) | undefined = undefined;
  readonly prefix: number;
  readonly terminated: boolean;
  readonly utf8: boolean;
  private readonly dflt: string;
  constructor(options: StringOptions) {
    super(options);
    const { fixed, source } = resolveLength(options.length);
    this.size = fixed;
    this.lengthSource = source;
    this.prefix = options.prefix ?? 0;
    this.terminated = options.terminated ?? false;
    this.utf8 = options.encoding === "utf8";
    this.dflt = options.default === undefined ? "" : this.normalize(options.default);
  }
  /** Bytes the string occupies when read at `off` with `end` as the limit; -1 if it runs past `end`. */
  spanAt(b: Uint8Array, off: number, end: number): number {
    if (this.prefix) {
      if (off + this.prefix > end) return -1;
      let n = 0;
      for (let i = 0; i < this.prefix; i++) n = n * 256 + b[off + i]!;
      return this.prefix + n;
    }
    if (this.terminated) {
      const z = b.indexOf(0, off);
      return z < 0 || z >= end ? -1 : z - off + 1;
    }
    return end - off;
  }
  read(b: Uint8Array, off: number, end: number): string {
    let start = off;
    let stop = end;
    if (this.prefix) start += this.prefix;
    else if (this.terminated) stop = end - 1;
    else if (this.size >= 0 || this.lengthSource !== undefined) {
      while (stop > start && b[stop - 1] === 0) stop--;
    }
    return (this.utf8 ? utf8 : latin1).decode(b.subarray(start, stop));
  }
  encode(value: string): Uint8Array {
    if (this.utf8) return utf8Enc.encode(value);
    const out = new Uint8Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i);
    return out;
  }
  normalize(value: unknown): string {
    if (typeof value !== "string") rangeFail("expects a string");
    if (!this.utf8 && /[^\u0000-\u00ff]/.test(value)) rangeFail("has characters outside latin1; declare the field with encoding: \"utf8\"");
    if (this.terminated && value.includes("\u0000")) rangeFail("a NUL-terminated string cannot contain NUL");
    const n = this.utf8 ? utf8Enc.encode(value).length : value.length;
    if (this.size >= 0 && n > this.size) rangeFail(`is at most ${this.size} byte(s) long`);
    if (this.prefix && n >= 2 ** (8 * this.prefix)) rangeFail(`is longer than its ${this.prefix}-byte length prefix allows`);
    return value;
  }
  override sizeOf(value: unknown): number {
    if (this.size >= 0) return this.size;
    const n = this.utf8 ? utf8Enc.encode(value as string).length : (value as string).length;
    return n + this.prefix + (this.terminated ? 1 : 0);
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    const bytes = this.encode(value as string);
    let at = off;
    if (this.prefix) {
      let n = bytes.length;
      for (let i = this.prefix - 1; i >= 0; i--) { b[off + i] = n % 256; n = Math.floor(n / 256); }
      at += this.prefix;
    }
    b.set(bytes, at);
    if (this.size > bytes.length) b.fill(0, at + bytes.length, off + this.size);
    if (this.terminated) b[at + bytes.length] = 0;
  }
  defaultValue(): string {
    return this.dflt;
  }
  override format(value: unknown): string {
    return value === undefined ? "(absent)" : JSON.stringify(value);
  }
  override describeKind(): string {
    if (this.prefix) return `string(prefix ${this.prefix})`;
    if (this.terminated) return "string(NUL-terminated)";
    if (this.size >= 0) return `string(${this.size})`;
    return typeof this.lengthSource === "string" ? `string(${this.lengthSource})` : "string(rest)";
  }
}

/** Filler up to an alignment boundary counted from the layer's start. */
export class PaddingField extends FieldImpl {
  readonly kind = "padding";
  readonly align: number;
  constructor(options: PaddingOptions) {
    super(options);
    if (!Number.isInteger(options.align) || options.align < 1) throw new Error("padding align must be a positive integer");
    this.align = options.align;
  }
  /** Bytes of padding needed at relative position `pos`. */
  padAt(pos: number): number {
    return (this.align - (pos % this.align)) % this.align;
  }
  read(b: Uint8Array, off: number, end: number): Uint8Array {
    return b.subarray(off, end);
  }
  normalize(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return value;
    return rangeFail("expects a Uint8Array");
  }
  override sizeOf(value: unknown): number {
    return (value as Uint8Array).length;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    b.set(value as Uint8Array, off);
  }
  defaultValue(): Uint8Array {
    return new Uint8Array(0);
  }
  override format(value: unknown): string {
    return value === undefined ? "(absent)" : toHex(value as Uint8Array) || "(none)";
  }
  override json(value: unknown): unknown {
    return value === undefined ? undefined : toHex(value as Uint8Array);
  }
  override describeKind(): string {
    return `padding(align ${this.align})`;
  }
}



// ---------------------------------------------------------------- the `field` namespace

function int<O>(kind: string, bytes: number, signed: boolean, o?: IntOptions): IntField<O> {
  return new IntField_(kind, bytes, 0, signed, o ?? {}) as IntField<O>;
}

type BigField<O> = Field<When<O, bigint>, bigint | number, Optional<O>>;
type BytesF<O> = Field<When<O, Uint8Array>, Uint8Array | string | readonly number[], Optional<O>>;
type StringF<O> = Field<When<O, string>, string, Optional<O>>;
type AddrF<O> = Field<When<O, string>, string, Optional<O>>;

/** Field constructors: `field.uint16({ default: 2 })`, `field.bits(4)`, `field.ipv4()`… */
export const field = {
  /** Unsigned 8-bit integer. */
  uint8: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("uint8", 1, false, o),
  /** Unsigned 16-bit integer (big-endian unless `endian: "little"`). */
  uint16: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("uint16", 2, false, o),
  /** Unsigned 24-bit integer. */
  uint24: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("uint24", 3, false, o),
  /** Unsigned 32-bit integer. */
  uint32: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("uint32", 4, false, o),
  /** Unsigned 64-bit integer, read as bigint. */
  uint64: <const O extends BigIntOptions = {}>(o?: O & BigIntOptions) => new BigIntField(false, o ?? {}) as BigField<O>,
  /** Signed 8-bit integer. */
  int8: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("int8", 1, true, o),
  /** Signed 16-bit integer. */
  int16: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("int16", 2, true, o),
  /** Signed 24-bit integer. */
  int24: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("int24", 3, true, o),
  /** Signed 32-bit integer. */
  int32: <const O extends IntOptions = {}>(o?: O & IntOptions) => int<O>("int32", 4, true, o),
  /** Signed 64-bit integer, read as bigint. */
  int64: <const O extends BigIntOptions = {}>(o?: O & BigIntOptions) => new BigIntField(true, o ?? {}) as BigField<O>,
  /** A bit field of 1..32 bits, packed MSB-first; a run of them must end on a byte boundary. */
  bits: <const O extends IntOptions = {}>(width: number, o?: O & IntOptions): IntField<O> => {
    if (!Number.isInteger(width) || width < 1 || width > 32) throw new Error(`bit fields are 1..32 bits wide (got ${width})`);
    if (o?.endian) throw new Error("bit fields have no byte order");
    return new IntField_("bits", 0, width, false, o ?? {}) as IntField<O>;
  },
  /** Bytes: `field.bytes(62)`, `field.bytes({ length: "ihl * 4 - 20" })`, or to the end of the layer. */
  bytes: <const O extends BytesOptions = {}>(lengthOrOptions?: number | (O & BytesOptions), o?: O & BytesOptions): BytesF<O> => {
    const opts = typeof lengthOrOptions === "number" ? { ...(o ?? {}), length: lengthOrOptions } : (lengthOrOptions ?? {});
    return new BytesField(opts) as BytesF<O>;
  },
  /** Text: fixed (`length`), length-prefixed (`prefix`), NUL-terminated (`terminated`) or to the end. */
  string: <const O extends StringOptions = {}>(o?: O & StringOptions) => new StringField(o ?? {}) as StringF<O>,
  /** A MAC address, `"02:00:00:00:00:01"`. */
  mac: <const O extends AddressOptions = {}>(o?: O & AddressOptions) => new AddressField("mac", o ?? {}) as AddrF<O>,
  /** An IPv4 address, `"192.0.2.1"`. */
  ipv4: <const O extends AddressOptions = {}>(o?: O & AddressOptions) => new AddressField("ipv4", o ?? {}) as AddrF<O>,
  /** An IPv6 address, read in RFC 5952 form. */
  ipv6: <const O extends AddressOptions = {}>(o?: O & AddressOptions) => new AddressField("ipv6", o ?? {}) as AddrF<O>,
  /** Filler to an alignment boundary, counted from the start of the layer. */
  padding: <const O extends PaddingOptions>(o: O & PaddingOptions) => new PaddingField(o) as Field<When<O, Uint8Array>, Uint8Array, true>,
};

/** Swap keys and values of a table of constants: `{ IPv4: 0x0800 }` gives `{ 0x0800: "IPv4" }`, typed exactly. */
export function invert<const T extends { readonly [name: string]: number }>(table: T): { readonly [K in keyof T as T[K]]: K } {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [v, k])) as { readonly [K in keyof T as T[K]]: K };
}
