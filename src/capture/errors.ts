import { WirecraftError } from "../errors.js";

/** Stable codes of capture-file errors. */
export type CaptureErrorCode = "ERR_CAPTURE_FORMAT" | "ERR_CAPTURE_TRUNCATED";

/**
 * Report a malformed or truncated capture file.
 *
 * `offset` is the byte offset in the file where the bad structure starts (the file header, record
 * or block that could not be read). Readers yield every good record before throwing one.
 */
export class CaptureError extends WirecraftError {
  /** The stable error code. */
  declare readonly code: CaptureErrorCode;
  /** The byte offset in the file of the structure that is wrong. */
  readonly offset: number;

  /** Create an error; the message should name what was wrong. */
  constructor(code: CaptureErrorCode, offset: number, message: string) {
    super(code, message);
    this.offset = offset;
  }
}

/** Create an ERR_CAPTURE_FORMAT error. */
export function formatError(offset: number, message: string): CaptureError {
  return new CaptureError("ERR_CAPTURE_FORMAT", offset, `${message} (at byte ${offset})`);
}

/** Create an ERR_CAPTURE_TRUNCATED error. */
export function truncatedError(offset: number, message: string): CaptureError {
  return new CaptureError("ERR_CAPTURE_TRUNCATED", offset, `${message} (at byte ${offset})`);
}
