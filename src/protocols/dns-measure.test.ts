import { test } from "node:test";
import assert from "node:assert/strict";
import { measureName, nameAt, nameSpan } from "./dns-name.js";
import { measureData, readData, DnsType } from "./dns-data.js";
import { seededRandom } from "../packet/fuzz.js";

// Laying out measures names and record data without making text (measureName, measureData);
// reading checks them while making it. Both must accept and refuse the same bytes, with the
// same span.

/** Random bytes that look like names: label lengths, pointers, zeros, junk. */
function nameLike(rnd: () => number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const r = rnd();
    b[i] = r < 0.25 ? Math.floor(rnd() * 6) : r < 0.35 ? 0 : r < 0.45 ? 0xc0 | Math.floor(rnd() * 2) : r < 0.5 ? 0x40 + Math.floor(rnd() * 0x40) : 0x61 + Math.floor(rnd() * 26);
  }
  return b;
}

const spanOrFail = (f: () => number): number => { try { return f(); } catch { return -1; } };

test("measureName agrees with nameSpan (accepts, refuses, spans) on 30,000 seeded byte strings", () => {
  const rnd = seededRandom(11);
  let good = 0;
  for (let n = 0; n < 30000; n++) {
    const len = 1 + Math.floor(rnd() * 40);
    const b = nameLike(rnd, len);
    const base = Math.floor(rnd() * 3);
    const off = Math.min(len - 1, base + Math.floor(rnd() * 20));
    const end = off + Math.floor(rnd() * (len - off + 1));
    const want = spanOrFail(() => nameSpan(b, off, end, base));
    assert.equal(measureName(b, off, end, base), want, `${Buffer.from(b).toString("hex")} at ${off}..${end} base ${base}`);
    if (want >= 0) good++;
  }
  assert.ok(good > 1500, `only ${good} well-formed names`);
});

test("measureName refuses names longer than 255 bytes, as reading does", () => {
  const b = new Uint8Array(300);
  for (let at = 0; at + 64 <= 299; at += 64) { b[at] = 63; b.fill(0x61, at + 1, at + 64); }
  b[299] = 0;
  assert.equal(measureName(b, 0, 300, 0), -1);
  assert.throws(() => nameSpan(b, 0, 300, 0), /longer than 255/);
});

test("measureData agrees with readData for every type it knows, on 20,000 seeded byte strings", () => {
  const rnd = seededRandom(12);
  const types = [DnsType.A, DnsType.AAAA, DnsType.NS, DnsType.CNAME, DnsType.PTR, DnsType.DNAME, DnsType.MX, DnsType.SOA, DnsType.SRV, DnsType.TXT, DnsType.OPT, 99];
  const good = new Map<number, number>();
  for (let n = 0; n < 20000; n++) {
    const type = types[n % types.length]!;
    const len = Math.floor(rnd() * 48);
    const b = nameLike(rnd, len + 2);
    const off = 2;
    const end = off + Math.floor(rnd() * (len + 1));
    const layer = { type };
    const ok = spanOrFail(() => { readData({ bytes: b, offset: off, end, base: 0, layer }); return end - off; });
    assert.equal(measureData(b, off, end, 0, type), ok, `type ${type} ${Buffer.from(b).toString("hex")} at ${off}..${end}`);
    if (ok >= 0) good.set(type, (good.get(type) ?? 0) + 1);
  }
  for (const t of types) if (t !== DnsType.SOA) assert.ok((good.get(t) ?? 0) > 5, `type ${t}: only ${good.get(t) ?? 0} well-formed`);
  // Random bytes seldom make an SOA: two names and 20 bytes, given here, with one byte too many.
  const soa = Uint8Array.from([1, 0x61, 0, 0xc0, 0, ...new Array<number>(20).fill(7), 9]);
  assert.equal(measureData(soa, 0, 25, 0, DnsType.SOA), 25);
  assert.equal(readData({ bytes: soa, offset: 0, end: 25, base: 0, layer: { type: DnsType.SOA } }).constructor, Object);
  assert.equal(measureData(soa, 0, 26, 0, DnsType.SOA), -1);
  assert.throws(() => readData({ bytes: soa, offset: 0, end: 26, base: 0, layer: { type: DnsType.SOA } }), /left over/);
});

/** A name's text the plain way: labels followed through pointers, escaped, joined by dots. */
function plainName(b: Uint8Array, off: number, base: number): string {
  const labels: string[] = [];
  let pos = off;
  for (let hops = 0; hops < 300; hops++) {
    const len = b[pos]!;
    if (len === 0) return labels.length === 0 ? "." : labels.join(".");
    if (len >= 0xc0) { pos = base + (((len & 0x3f) << 8) | b[pos + 1]!); continue; }
    let l = "";
    for (let i = pos + 1; i <= pos + len; i++) l += (b[i] === 0x2e || b[i] === 0x5c ? "\\" : "") + String.fromCharCode(b[i]!);
    labels.push(l);
    pos += 1 + len;
  }
  throw new Error("loop");
}

test("name text (interned whole names) equals the plain reading, for names read again and again", () => {
  const rnd = seededRandom(29);
  let good = 0;
  // Few distinct letters, so that names repeat, share labels and collide in the caches.
  for (let n = 0; n < 40000; n++) {
    const len = 2 + Math.floor(rnd() * 30);
    const b = nameLike(rnd, len).map((x) => (x >= 0x61 ? 0x61 + (x % 3) : x === 0x62 ? 0x2e : x));
    if (rnd() < 0.05) b[Math.floor(rnd() * len)] = 0x2e; // a dot inside a label
    const off = Math.floor(rnd() * 4);
    if (off >= len) continue;
    let got: string | undefined;
    try { got = nameAt(b, off, len, 0).name; } catch { continue; }
    assert.equal(got, plainName(b, off, 0), Buffer.from(b).toString("hex"));
    good++;
  }
  assert.ok(good > 3000, `only ${good} names read`);
});
