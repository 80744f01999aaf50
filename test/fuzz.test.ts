// Fuzzing: every frame of every committed capture, mutated in many ways, and random bytes, go
// through dissect, show, summary, toJSON, verifyChecksums and a rebuild. Nothing may throw out of
// dissect or the display calls, and no packet may take long (compression loops, zero-length
// options, length fields larger than the buffer). 100,000 cases; seeded, so a failure names a
// case that can be replayed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as wc from "../src/index.js";

const { dissect, readPcapSync, readPcapngSync, isPcapng, protocolForLinkType, seededRandom, Raw, WirecraftError, toHex } = wc;

const root = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? captures(p) : /\.pcap(ng)?$/.test(n) ? [p] : [];
  });
}

interface Seed { data: Uint8Array; first: wc.AnyProtocol; from: string }
const seeds: Seed[] = [];
for (const file of captures(root)) {
  const bytes = new Uint8Array(readFileSync(file));
  const records = isPcapng(bytes) ? readPcapngSync(bytes) : readPcapSync(bytes);
  for (const r of records) seeds.push({ data: r.data, first: protocolForLinkType(r.linkType) ?? Raw, from: file.slice(root.length + 1) });
}
const firsts = [...new Set(seeds.map((s) => s.first))];

const CASES = Number(process.env.WIRECRAFT_FUZZ_CASES ?? 100_000);
const SLOW_MS = 50;

function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = Uint8Array.from(src);
  const pick = rnd();
  const at = () => Math.floor(rnd() * Math.max(1, b.length));
  if (pick < 0.3) {
    for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) b[at()] ^= 1 << Math.floor(rnd() * 8);
    return b;
  }
  if (pick < 0.45) return b.subarray(0, at());
  if (pick < 0.6) {
    // Stomp a byte with an edge value: lengths and counts of 0, 0xff, 0x80, 1.
    const edges = [0, 0xff, 0x80, 0x7f, 1, 0xc0];
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) b[at()] = edges[Math.floor(rnd() * edges.length)]!;
    return b;
  }
  if (pick < 0.7) {
    const i = at();
    const extra = Uint8Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b.subarray(0, i));
    out.set(extra, i);
    out.set(b.subarray(i), i + extra.length);
    return out;
  }
  if (pick < 0.8) {
    // Overwrite a 2-byte word with a big value, as a hostile length field would be.
    const i = at();
    b[i] = 0xff;
    if (i + 1 < b.length) b[i + 1] = Math.floor(rnd() * 256);
    return b;
  }
  return Uint8Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
}

test(`fuzz: ${CASES} mutated and random frames never throw out of dissect and display`, () => {
  assert.ok(seeds.length > 50, `the fixtures give ${seeds.length} frames`);
  const rnd = seededRandom(20261122);
  let malformed = 0;
  let slowest = 0;
  for (let n = 0; n < CASES; n++) {
    const seed = seeds[Math.floor(rnd() * seeds.length)]!;
    const data = mutate(seed.data, rnd);
    const first = rnd() < 0.05 ? firsts[Math.floor(rnd() * firsts.length)]! : seed.first;
    const t0 = performance.now();
    try {
      const p = dissect(data, first);
      p.layers();
      p.show();
      p.summary();
      JSON.stringify(p.toJSON());
      p.verifyChecksums();
      if (p.error !== undefined) malformed++;
      const again = p.bytes();
      assert.equal(toHex(again), toHex(data), "an unmodified packet gives its bytes back");
      if ((n & 7) === 0) {
        // A forced rebuild may refuse values it cannot write, but only with a WirecraftError.
        try {
          p.bytes({ recompute: true });
        } catch (e) {
          if (!(e instanceof WirecraftError)) throw e;
        }
      }
    } catch (e) {
      assert.fail(`case ${n} (${seed.from} as ${first.name}, ${data.length} bytes ${toHex(data)}): ${(e as Error).stack}`);
    }
    const ms = performance.now() - t0;
    if (ms > slowest) slowest = ms;
    assert.ok(ms < SLOW_MS * 20, `case ${n} took ${ms.toFixed(1)} ms`);
  }
  assert.ok(malformed > CASES / 20, `mutations reach the error paths (${malformed} malformed)`);
  console.log(`fuzz: ${CASES} cases from ${seeds.length} real frames, ${malformed} marked malformed, slowest ${slowest.toFixed(2)} ms`);
});
