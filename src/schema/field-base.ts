/**
 * Field kinds. A field knows how to read itself from bytes, check and normalise a value given by
 * a user, size and write it, and show it. The phantom `__types` member carries the TypeScript
 * types (value read, value accepted when building, optional or not) so that protocol types are
 * inferred from declarations.
 */
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

/** Signals a value that does not fit; the caller adds layer and field names. */
export class RangeProblem extends Error {}

/** Throw a RangeProblem. */
export function rangeFail(reason: string): never {
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

