/**
 * Custom fields: a field kind whose reading and writing a protocol supplies, for encodings the
 * declarative kinds cannot say — DNS names with compression pointers, typed record data.
 *
 * Such encodings need context the other kinds do without, and the engine gives it:
 * - reading: the start of the enclosing message (`base`: the top-level layer's first byte, shared
 *   by the items of its lists), so that offsets counted from the message start can be followed;
 * - building: the field's position counted from that same start, and a scratch map that lives for
 *   one build of one top-level layer (its list items included), so that a field can remember what
 *   earlier fields wrote (names already written, for compression).
 * The bytes of a custom field are produced once, while the build measures sizes, so its size may
 * depend on its position; writing copies them.
 */
import type { FieldValues } from "./expression.js";
import { FieldImpl, RangeProblem, type CommonOptions, type Field } from "./field.js";

/** What `span` and `read` of a custom field get. */
export interface CustomReadContext {
  /** The whole buffer being dissected. */
  readonly bytes: Uint8Array;
  /** Offset of the field's first byte. */
  readonly offset: number;
  /** Bound of the field: its end when a length field gives it, else the end of the header. */
  readonly end: number;
  /** Offset of the first byte of the enclosing top-level layer (the message). */
  readonly base: number;
  /** The layer's values (read only earlier fields). */
  readonly layer: FieldValues;
}

/** What `encode` of a custom field gets. */
export interface CustomWriteContext {
  /** Offset of the field from the first byte of the enclosing top-level layer. */
  readonly position: number;
  /** Scratch shared by every custom field during one build of one top-level layer. */
  readonly scratch: Map<unknown, unknown>;
  /** The layer's resolved values so far (earlier fields; computed ones not yet known are undefined). */
  readonly layer: FieldValues;
}

/** The behaviour of a custom field: `R` is the value read and canonical, `I` what building accepts. */
export interface CustomSpec<R, I = R> extends CommonOptions {
  /** A short kind name for `describe()`, such as `dnsName`. */
  readonly kind: string;
  /** The value an unset field takes. */
  readonly default: R;
  /** Return the number of bytes the field takes at `ctx.offset`; throw an Error when malformed. */
  span(ctx: CustomReadContext): number;
  /**
   * Optional, for speed: what `span` returns, or -1 when the bytes are malformed (then `span` is
   * asked, for its error), taking the context as arguments so that laying out allocates nothing.
   */
  measure?(bytes: Uint8Array, offset: number, end: number, base: number, layer: FieldValues): number;
  /** Return the value of the field at `ctx.offset` (its span was checked by `span`). */
  read(ctx: CustomReadContext): R;
  /** Return a user value in canonical form; throw an Error (its message is shown) when invalid. */
  normalize?(value: I | R): R;
  /** Return the bytes of `value` written at `ctx.position`. */
  encode(value: R, ctx: CustomWriteContext): Uint8Array;
  /** Text for `show()`. */
  format?(value: R): string;
  /** A JSON-safe value for `toJSON()`. */
  json?(value: R): unknown;
}

/** A field read and written by protocol-supplied functions. */
export class CustomField extends FieldImpl {
  readonly kind: string;
  readonly spec: CustomSpec<unknown, unknown>;
  constructor(spec: CustomSpec<unknown, unknown>) {
    super(spec);
    this.kind = spec.kind;
    this.spec = spec;
  }
  /** Return the bytes the field takes, or an Error when it cannot be read. */
  spanAt(bytes: Uint8Array, offset: number, end: number, base: number, layer: FieldValues): number | Error {
    try {
      const n = this.spec.span({ bytes, offset, end, base, layer });
      if (!Number.isInteger(n) || n < 0 || offset + n > end) return new Error(`span ${n} does not fit in the ${end - offset} byte(s) available`);
      return n;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }
  /**
   * The bytes the field takes when they are well formed and fit before `end`, else -1 (when the
   * spec has no `measure`, too): the layout's fast way, which falls back on `spanAt` for the error.
   */
  measureAt(bytes: Uint8Array, offset: number, end: number, base: number, layer: FieldValues): number {
    const m = this.spec.measure;
    if (m === undefined) return -1;
    const n = m(bytes, offset, end, base, layer);
    return Number.isInteger(n) && n >= 0 && offset + n <= end ? n : -1;
  }
  /** Read the value, given the message start. */
  readAt(bytes: Uint8Array, offset: number, end: number, base: number, layer: FieldValues): unknown {
    return this.spec.read({ bytes, offset, end, base, layer });
  }
  read(b: Uint8Array, off: number, end: number, layer: FieldValues): unknown {
    return this.spec.read({ bytes: b, offset: off, end, base: off, layer });
  }
  normalize(value: unknown): unknown {
    if (this.spec.normalize === undefined) return value;
    try {
      return this.spec.normalize(value);
    } catch (e) {
      if (e instanceof RangeProblem) throw e;
      throw new RangeProblem(e instanceof Error ? e.message : String(e));
    }
  }
  /** Encode `value` at `position` (called once per build, while measuring). */
  encode(value: unknown, ctx: CustomWriteContext): Uint8Array {
    return this.spec.encode(value, ctx);
  }
  override sizeOf(value: unknown): number {
    return this.spec.encode(value, { position: 0, scratch: new Map(), layer: {} }).length;
  }
  write(b: Uint8Array, off: number, value: unknown): void {
    b.set(this.spec.encode(value, { position: 0, scratch: new Map(), layer: {} }), off);
  }
  defaultValue(): unknown {
    return this.spec.default;
  }
  override format(value: unknown): string {
    if (value === undefined) return "(absent)";
    return this.spec.format !== undefined ? this.spec.format(value) : JSON.stringify(this.json(value));
  }
  override json(value: unknown): unknown {
    if (value === undefined) return undefined;
    return this.spec.json !== undefined ? this.spec.json(value) : value;
  }
  override describeKind(): string {
    return this.kind;
  }
}

type Optional<O> = O extends { required: true } ? false : true;

/** Declare a custom field (see `CustomSpec`). */
export function custom<R, I = R, const O extends CommonOptions = {}>(spec: CustomSpec<R, I> & O): Field<O extends { when: unknown } ? R | undefined : R, I | R, Optional<O>> {
  return new CustomField(spec as unknown as CustomSpec<unknown, unknown>) as unknown as Field<O extends { when: unknown } ? R | undefined : R, I | R, Optional<O>>;
}
