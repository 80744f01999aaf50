import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIPv4, formatMac } from "./address.js";
import { seededRandom } from "../packet/fuzz.js";

// The text is made character by character and interned; compare it with the plain way of writing it.
const hex = (x: number) => x.toString(16).padStart(2, "0");

test("formatIPv4 writes every byte value in every place as the plain dotted quad, hit or miss", () => {
  const b = new Uint8Array(4);
  for (let place = 0; place < 4; place++) {
    for (let v = 0; v < 256; v++) {
      b.fill(place === 0 ? 7 : 200);
      b[place] = v;
      const want = `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
      assert.equal(formatIPv4(b, 0), want);
      assert.equal(formatIPv4(b, 0), want, "second read (from the cache)");
    }
  }
  const rnd = seededRandom(4);
  const big = new Uint8Array(4 * 5000).map(() => Math.floor(rnd() * 256));
  for (let i = 0; i < 5000; i++) {
    const o = 4 * i;
    assert.equal(formatIPv4(big, o), `${big[o]}.${big[o + 1]}.${big[o + 2]}.${big[o + 3]}`);
  }
});

test("formatMac writes lower-case colon-separated hex, hit or miss", () => {
  const rnd = seededRandom(6);
  const big = new Uint8Array(6 * 5000).map(() => Math.floor(rnd() * 256));
  for (let i = 0; i < 5000; i++) {
    const o = 6 * i;
    const want = Array.from(big.subarray(o, o + 6), hex).join(":");
    assert.equal(formatMac(big, o), want);
    assert.equal(formatMac(big, o), want);
  }
});
