import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIPv4, formatIPv6, formatMac } from "./address.js";
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

test("the two-way IPv4 and IPv6 caches: a working set read again and again, in random order, always gives its own text", () => {
  const rnd = seededRandom(8);
  // 3000 addresses: more than the caches hold, so that hits in either way, swaps and evictions
  // all happen; zero runs in the IPv6 ones, so that "::" is placed.
  const v4 = new Uint8Array(4 * 3000).map(() => Math.floor(rnd() * 256));
  const v6 = new Uint8Array(16 * 3000).map((_, i) => (i % 16 >= 4 && i % 16 < 10 && rnd() < 0.7 ? 0 : Math.floor(rnd() * 256)));
  const v4Want = Array.from({ length: 3000 }, (_, i) => Array.from(v4.subarray(4 * i, 4 * i + 4)).join("."));
  // WHATWG URL serialises IPv6 hosts in the RFC 5952 form (none of these is IPv4-mapped).
  const v6Want = Array.from({ length: 3000 }, (_, i) => {
    const groups = Array.from({ length: 8 }, (_, g) => ((v6[16 * i + 2 * g]! << 8) | v6[16 * i + 2 * g + 1]!).toString(16));
    return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
  });
  for (let n = 0; n < 60000; n++) {
    // Mostly a small hot set, sometimes anything.
    const i = rnd() < 0.8 ? Math.floor(rnd() * 300) : Math.floor(rnd() * 3000);
    assert.equal(formatIPv4(v4, 4 * i), v4Want[i]);
    assert.equal(formatIPv6(v6, 16 * i), v6Want[i]);
  }
});
