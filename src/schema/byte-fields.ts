/** Address, bytes, string and padding fields. */
import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac, toHex } from "./address.js";
import {
  FieldImpl, rangeFail, type AddressOptions, type BytesOptions, type LengthSpec, type PaddingOptions, type StringOptions,
} from "./field-base.js";
import type { FieldValues } from "./expression.js";

/** Parsed addresses by kind and text; cleared when full (a bound, not an LRU). */
const addressCaches = { mac: new Map<string, AddressEntry>(), ipv4: new Map<string, AddressEntry>(), ipv6: new Map<string, AddressEntry>() };
interface AddressEntry { readonly text: string; readonly bytes: Uint8Array }
const ADDRESS_CACHE_SIZE = 4096;
/** No address yet (an object, so no value given to normalize() is it; its text is no address). */
const NO_ENTRY: AddressEntry = { text: "", bytes: new Uint8Array(0) };

/** MAC, IPv4 and IPv6 addresses as strings. */
export class AddressField extends FieldImpl {
  readonly kind: "mac" | "ipv4" | "ipv6";
  private readonly dflt: string;
  private readonly cache: Map<string, AddressEntry>;
  /**
   * The text this field last normalized and the entry it gave, and the entry it last wrote: a
   * field is usually given the same address again (a script's own MAC, its peer's IP), and a
   * string compare is cheaper than a Map look-up.
   */
  private lastIn: unknown = NO_ENTRY;
  private lastEntry: AddressEntry = NO_ENTRY;
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
    if (value === this.lastIn) return this.lastEntry.text;
    if (typeof value !== "string") rangeFail(`expects ${this.kind === "mac" ? "a MAC address" : `an ${this.kind === "ipv4" ? "IPv4" : "IPv6"} address`} string`);
    const entry = this.cache.get(value) ?? this.parse(value);
    this.lastIn = value;
    this.lastEntry = entry;
    return entry.text;
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
  /** The bytes of address text as normalize() returns it (`size` of them; not to be changed). */
  bytesOf(text: string): Uint8Array {
    let entry = this.lastEntry;
    if (text !== entry.text) {
      entry = this.cache.get(text) ?? this.parse(text);
      this.lastEntry = entry;
      this.lastIn = text;
    }
    return entry.bytes;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    const src = this.bytesOf(value as string);
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



