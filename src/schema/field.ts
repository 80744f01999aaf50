/**
 * Field kinds and the `field` namespace of constructors. The runtime base and the option types
 * are in field-base.ts, the kinds in int-field.ts and byte-fields.ts; this module gathers them and
 * carries the TypeScript types (value read, value accepted when building, optional or not) that
 * protocol types are inferred from.
 */
import {
  RangeProblem, FieldImpl, type AddressOptions, type BigIntOptions, type BytesOptions, type ChecksumContext,
  type ChecksumFn, type CommonOptions, type Condition, type Field, type InitOf, type IntOptions, type LengthSpec,
  type ListOptions, type PaddingOptions, type ReadOf, type StringOptions,
} from "./field-base.js";
import { BigIntField, IntField_ } from "./int-field.js";
import { AddressField, BytesField, PaddingField, StringField } from "./byte-fields.js";

export {
  RangeProblem, FieldImpl, IntField_, BigIntField, AddressField, BytesField, StringField, PaddingField,
  type AddressOptions, type BigIntOptions, type BytesOptions, type ChecksumContext, type ChecksumFn, type CommonOptions,
  type Condition, type Field, type InitOf, type IntOptions, type LengthSpec, type ListOptions, type PaddingOptions,
  type ReadOf, type StringOptions,
};

type When<O, R> = O extends { when: Condition } ? R | undefined : R;
type Optional<O> = O extends { required: true } ? false : true;
type EnumName<O> = O extends { enum: infer E } ? E[keyof E] : never;
type FlagInit<O> = O extends { flags: infer F }
  ? F extends readonly (infer N)[] ? string | readonly N[] : string | readonly string[]
  : never;

type IntField<O> = Field<When<O, number>, number | EnumName<O> | FlagInit<O>, Optional<O>>;

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
