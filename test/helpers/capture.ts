/** Helpers for the capture tests. */
import assert from "node:assert/strict";
import { CaptureError } from "../../src/capture/errors.js";

/** Run `fn`, which must throw a CaptureError, and return that error. */
export function caught(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CaptureError, `expected CaptureError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a CaptureError");
}
