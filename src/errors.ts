/**
 * Errors are data: every error wirecraft throws is a `WirecraftError` with a stable `code`,
 * and subclasses carry the layer, field and byte offset where the problem is.
 */

/** Stable error codes; match on these, not on messages. */
export const ErrorCode = {
  DEFINITION: "ERR_DEFINITION",
  FIELD_RANGE: "ERR_FIELD_RANGE",
  UNKNOWN_FIELD: "ERR_UNKNOWN_FIELD",
  TRUNCATED: "ERR_TRUNCATED",
  MALFORMED: "ERR_MALFORMED",
  LINK: "ERR_LINK",
  CAPTURE_FORMAT: "ERR_CAPTURE_FORMAT",
  CAPTURE_TRUNCATED: "ERR_CAPTURE_TRUNCATED",
  FILTER: "ERR_FILTER",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base class of every error wirecraft throws. */
export class WirecraftError extends Error {
  /** A stable code: one of `ErrorCode`, or a subclass's own (`ERR_FILTER`…). */
  readonly code: string;
  constructor(code: ErrorCode | (string & {}), message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A protocol declaration that cannot work (bit run not closing on a byte, bad expression…). */
export class DefinitionError extends WirecraftError {
  readonly protocol: string;
  constructor(protocol: string, message: string) {
    super(ErrorCode.DEFINITION, `${protocol}: ${message}`);
    this.protocol = protocol;
  }
}

/** A value that does not fit its field (too large, wrong type, bad address…). */
export class FieldRangeError extends WirecraftError {
  readonly layer: string;
  readonly field: string;
  readonly value: unknown;
  constructor(layer: string, field: string, value: unknown, reason: string) {
    super(ErrorCode.FIELD_RANGE, `${layer}.${field}: ${reason} (got ${describeValue(value)})`);
    this.layer = layer;
    this.field = field;
    this.value = value;
  }
}

/** A field name that the protocol does not have. */
export class UnknownFieldError extends WirecraftError {
  readonly layer: string;
  readonly field: string;
  constructor(layer: string, field: string) {
    super(ErrorCode.UNKNOWN_FIELD, `${layer} has no field "${field}"`);
    this.layer = layer;
    this.field = field;
  }
}

/** Bytes end before a layer's field does. */
export class TruncatedError extends WirecraftError {
  readonly layer: string;
  readonly field: string;
  /** Absolute offset in the dissected buffer where the field starts. */
  readonly offset: number;
  readonly needed: number;
  readonly available: number;
  constructor(layer: string, field: string, offset: number, needed: number, available: number) {
    super(
      ErrorCode.TRUNCATED,
      `${layer}.${field} at offset ${offset}: needs ${needed} byte(s), ${available} available`,
    );
    this.layer = layer;
    this.field = field;
    this.offset = offset;
    this.needed = needed;
    this.available = available;
  }
}

/** Bytes that are present but do not make sense for the layer (a length below the minimum…). */
export class MalformedError extends WirecraftError {
  readonly layer: string;
  readonly field: string;
  readonly offset: number;
  readonly reason: string;
  constructor(layer: string, field: string, offset: number, reason: string) {
    super(ErrorCode.MALFORMED, `${field ? `${layer}.${field}` : layer} at offset ${offset}: ${reason}`);
    this.layer = layer;
    this.field = field;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A link (TAP, packet socket) that cannot be opened or used. */
export class LinkError extends WirecraftError {
  constructor(message: string) {
    super(ErrorCode.LINK, message);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `${value.length} byte(s)`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  return String(value);
}
