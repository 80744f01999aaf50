/**
 * Hostile input for the link and network layer protocols: every prefix of every fixture frame, and
 * every frame with each byte flipped, goes through dissect, show, summary, toJSON and a rebuild;
 * nothing may throw out of dissect and every display must complete.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect } from "../../src/packet/packet.js";
import { WirecraftError } from "../../src/errors.js";
import { NETWORK_CAPTURES, networkFrames } from "./network-fixtures.js";

function exercise(bytes: Uint8Array, first: Parameters<typeof dissect>[1], what: string): void {
  const p = dissect(bytes, first);
  p.layers();
  void p.error;
  void p.truncated;
  p.summary();
  p.show();
  JSON.stringify(p.toJSON());
  p.verifyChecksums();
  try {
    p.bytes({ recompute: true });
  } catch (e) {
    assert.ok(e instanceof WirecraftError, `${what}: rebuild threw ${String(e)}`);
  }
}

for (const capture of NETWORK_CAPTURES) {
  test(`${capture}: every prefix of every frame dissects without throwing`, () => {
    let n = 0;
    for (const fr of networkFrames(capture)) {
      for (let len = 0; len <= fr.data.length; len++) {
        exercise(fr.data.subarray(0, len), fr.first, `frame ${fr.index + 1} prefix ${len}`);
        n++;
      }
    }
    assert.ok(n > 50);
  });

  test(`${capture}: every frame with one byte changed dissects without throwing`, () => {
    for (const fr of networkFrames(capture)) {
      const limit = Math.min(fr.data.length, 200);
      for (let i = 0; i < limit; i++) {
        for (const x of [0x00, 0xff, fr.data[i]! ^ 0x80]) {
          const b = fr.data.slice();
          b[i] = x;
          exercise(b, fr.first, `frame ${fr.index + 1} byte ${i} = ${x}`);
        }
      }
    }
  });
}
