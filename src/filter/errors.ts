import { WirecraftError } from "../errors.js";

/** The stable code of filter errors. */
export const FILTER_ERROR = "ERR_FILTER";

/**
 * A filter that cannot be compiled: bad syntax, an unknown protocol or field, or a value that
 * does not fit its field. `column` is 1-based, pointing into `source`.
 */
export class FilterError extends WirecraftError {
  /** The stable error code. */
  declare readonly code: typeof FILTER_ERROR;
  /** The filter as given. */
  readonly source: string;
  /** 1-based column of the problem in `source`. */
  readonly column: number;
  /** What was wrong, without the position. */
  readonly reason: string;

  /** Create an error at `column` of `source`. */
  constructor(source: string, column: number, reason: string) {
    // ErrorCode in src/errors.ts has no filter code yet; the code is stable all the same.
    super(FILTER_ERROR as never, `filter: ${reason} (column ${column})`);
    this.source = source;
    this.column = column;
    this.reason = reason;
  }

  /** Return the filter with a caret under the column, for terminals. */
  pointer(): string {
    return `${this.source}\n${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}
