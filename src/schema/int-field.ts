/** Integer and bit fields (8..32 bits, with enum and flag names) and 64-bit integers as bigint. */
import { FieldImpl, rangeFail, type BigIntOptions, type ChecksumFn, type IntOptions } from "./field-base.js";

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

