import { test } from "node:test";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { diagram } from "./index.js";
import { SVG_METRICS } from "./svg.js";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import { ESCP } from "../../examples/escp.js";
import type { AnyProtocol } from "../schema/protocol.js";

interface Rect {
  field: string;
  bit: number;
  bits: number;
  row: number;
  rows: number;
  x: number;
  y: number;
  width: number;
  height: number;
  bytes?: string;
}

/** Read every field rect of an SVG back from its attributes. */
function fieldRects(svg: string): Rect[] {
  const out: Rect[] = [];
  for (const m of svg.matchAll(/<rect class="field[^"]*"([^>]*)>/g)) {
    const a = Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    out.push({
      field: a["data-field"]!, bit: +a["data-bit"]!, bits: +a["data-bits"]!, row: +a["data-row"]!, rows: +a["data-rows"]!,
      x: +a.x!, y: +a.y!, width: +a.width!, height: +a.height!, bytes: a["data-bytes"],
    });
  }
  return out;
}

/** Where each field should start and how wide it is, from the protocol's public field list. */
function expectedBits(p: AnyProtocol): Map<string, { start: number; bits: number }> {
  const out = new Map<string, { start: number; bits: number }>();
  let pos = 0;
  for (const f of p.fields) {
    const bits = f.bits ?? 32 - (pos % 32);
    out.set(f.name, { start: pos, bits });
    pos += bits;
  }
  return out;
}

function checkStructure(p: AnyProtocol): Rect[] {
  const M = SVG_METRICS;
  const svg = diagram(p, { format: "svg" });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const rects = fieldRects(svg);
  const want = expectedBits(p);
  const top = rects.reduce((m, r) => Math.min(m, r.y), Infinity);
  const covered = new Map<string, number>();
  for (const r of rects) {
    // Rows of 32 bits: a rect stays inside its row, x follows the bit, width the bit count.
    assert.ok(r.bit % 32 + r.bits <= 32, `${p.name}.${r.field} crosses a row`);
    assert.equal(r.x, M.left + (r.bit % 32) * M.bit, `${p.name}.${r.field} x`);
    assert.equal(r.width, r.bits * M.bit, `${p.name}.${r.field} width`);
    assert.equal(r.row, Math.floor(r.bit / 32));
    assert.equal(r.y - top, r.row * M.row, `${p.name}.${r.field} y`);
    assert.equal(r.height, r.rows * M.row);
    const w = want.get(r.field);
    assert.ok(w !== undefined, `unknown field ${r.field}`);
    assert.ok(r.bit >= w.start && r.bit + r.bits * r.rows <= w.start + w.bits, `${p.name}.${r.field} outside its bits`);
    covered.set(r.field, (covered.get(r.field) ?? 0) + r.bits * r.rows);
  }
  for (const [name, w] of want) {
    if (w.bits === 0) continue;
    assert.equal(covered.get(name), w.bits, `${p.name}.${name} drawn over ${covered.get(name)} bits, wants ${w.bits}`);
    const first = rects.filter((r) => r.field === name).sort((a, b) => a.bit - b.bit)[0]!;
    assert.equal(first.bit, w.start, `${p.name}.${name} starts at bit ${first.bit}, wants ${w.start}`);
  }
  return rects;
}

const IPV4_TEXT = `IPv4
 0                   1                   2                   3
 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
|version|  ihl  |      tos      |          totalLength          |
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
|              id               |flags|     fragmentOffset      |
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
|      ttl      |   protocol    |           checksum            |
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
|                              src                              |
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
|                              dst                              |
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/                            options                            /
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/                            padding                            /
+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
options: variable length, list(IPv4Option)
padding: variable length, padding(align 4)
`;

test("diagram: IPv4 as text is RFC 791's layout", () => {
  assert.equal(diagram(IPv4), IPV4_TEXT);
  assert.equal(diagram(IPv4, { format: "text" }), IPV4_TEXT);
});

test("diagram: fields spanning rows have no rulers inside (IPv6 addresses, Ethernet MACs)", () => {
  const lines = diagram(IPv6).split("\n");
  const srcRow = lines.findIndex((l) => /^\|\s+src\s+\|$/.test(l));
  assert.ok(srcRow > 0);
  // src is 4 rows: the lines between them are "+   +" with no dashes.
  const block = lines.slice(srcRow - 3, srcRow + 5);
  assert.equal(block.filter((l) => /^\+ +\+$/.test(l)).length, 3, block.join("\n"));
  const eth = diagram(Ethernet).split("\n");
  // dst ends half-way through row 2: the ruler under row 1 has dashes only over bits 16..31.
  assert.equal(eth[5], "+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+");
});

test("diagram: narrow fields get a letter and a key; packets show values and bytes", () => {
  const tcp = diagram(TCP);
  assert.match(tcp, /^\|   a   \|  b  \|      flags      \|            window             \|$/m);
  assert.match(tcp, /^a: dataOffset$/m);
  assert.match(tcp, /^b: reserved$/m);
  const p = packet(Ethernet({ dst: "02:00:00:00:00:02" }), IPv4({ dst: "10.0.0.2", ttl: 33 }), UDP({ dstPort: 53 }), "hi");
  const text = diagram(p);
  assert.match(text, /^IPv4 \(bytes 14–33\)$/m);
  assert.match(text, /\|   ttl = 33    \|/);
  assert.match(text, /^ {2}totalLength +30 +bytes 16–17$/m);
  assert.match(text, /^ {2}fragmentOffset +0 +bytes 20–21, bits 3–15$/m);
  assert.match(text, /^ {2}version +4 +byte 14, bits 0–3$/m);
  assert.match(text, /^UDP \(bytes 34–41\)$/m);
  assert.throws(() => diagram(IPv4, { format: "png" as "svg" }), TypeError);
});

test("diagram: SVG of IPv4 has every field at its bit offset", () => {
  const rects = checkStructure(IPv4);
  const M = SVG_METRICS;
  const fo = rects.find((r) => r.field === "fragmentOffset")!;
  assert.deepEqual([fo.bit, fo.x, fo.width], [51, M.left + 19 * M.bit, 13 * M.bit]);
  const dst = rects.find((r) => r.field === "dst")!;
  assert.deepEqual([dst.bit, dst.bits, dst.row], [128, 32, 4]);
});

test("diagram: SVG of TCP, UDP and ESCP have every field at its bit offset", () => {
  const M = SVG_METRICS;
  const tcp = checkStructure(TCP);
  const flags = tcp.find((r) => r.field === "flags")!;
  assert.deepEqual([flags.bit, flags.bits, flags.x], [103, 9, M.left + 7 * M.bit]);
  const udp = checkStructure(UDP);
  assert.deepEqual(udp.map((r) => [r.field, r.bit, r.bits]), [["srcPort", 0, 16], ["dstPort", 16, 16], ["length", 32, 16], ["checksum", 48, 16]]);
  const escp = checkStructure(ESCP);
  assert.deepEqual(escp.map((r) => [r.field, r.bit, r.bits, r.rows]), [
    ["sync", 0, 5, 1], ["ver", 5, 4, 1], ["flags", 9, 2, 1], ["cmd", 11, 5, 1],
    ["msg", 16, 16, 1], ["msg", 32, 32, 15], // 62 bytes: the rest of row 0, then 15 full rows in one rect
  ]);
  checkStructure(IPv6);
});

test("diagram: a packet's SVG fills each byte in the colour of the field covering it", () => {
  const wire = packet(Ethernet({ dst: "02:00:00:00:00:02" }), IPv4({ dst: "10.0.0.2" }), TCP({ dstPort: 80, flags: "S" })).bytes();
  const svg = diagram(dissect(wire, Ethernet), { format: "svg" });
  const rects = fieldRects(svg);
  const fill = (tag: string): string => /fill="([^"]+)"/.exec(tag)![1]!;
  const byteTags = [...svg.matchAll(/<rect class="byte"[^>]*>/g)].map((m) => m[0]);
  assert.equal(byteTags.length, wire.length);
  const fieldTags = [...svg.matchAll(/<rect class="field[^>]*>/g)].map((m) => m[0]);
  for (const [i, r] of rects.entries()) {
    const [a, b] = r.bytes!.split("-").map(Number) as [number, number];
    for (let k = a; k < b; k++) {
      const tag = byteTags[k]!;
      assert.match(tag, new RegExp(`data-offset="${k}"`));
      // A byte shared by two bit fields takes the first one's colour.
      if (tag.includes(`.${r.field}"`)) assert.equal(fill(tag), fill(fieldTags[i]!), `byte ${k} of ${r.field}`);
    }
  }
  assert.match(byteTags[22]!, /data-field="IPv4.ttl"/);
  assert.match(byteTags[36]!, /data-field="TCP.dstPort"/);
  const ttl = rects.find((r) => r.field === "ttl")!;
  assert.equal(ttl.bytes, "22-23");
});

test("diagram: docs/images/ipv4.svg is what diagram(IPv4) draws (scripts/make-images.mjs)", () => {
  const file = new URL(import.meta.url.includes("/build/") ? "../../../docs/images/ipv4.svg" : "../../docs/images/ipv4.svg", import.meta.url);
  assert.equal(readFileSync(file, "utf8"), diagram(IPv4, { format: "svg" }));
});

test("diagram: hostile and truncated frames draw without throwing", async () => {
  const { seededRandom } = await import("../packet/fuzz.js");
  const rnd = seededRandom(10);
  const good = packet(Ethernet(), IPv4({ dst: "10.0.0.2" }), TCP({ options: [{ kind: "mss", mss: 1400 }] }), "x".repeat(300)).bytes();
  for (let i = 0; i < 200; i++) {
    const bytes = i % 2 === 0 ? good.slice(0, Math.floor(rnd() * good.length)) : Uint8Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256));
    if (i % 4 === 1) bytes.set([0x08, 0x00, 0x45], Math.min(12, Math.max(0, bytes.length - 3)));
    const p = dissect(bytes, Ethernet);
    const text = diagram(p);
    assert.equal(typeof text, "string");
    assert.match(diagram(p, { format: "svg" }), /<\/svg>\n$/);
  }
  // A 300-byte payload is drawn shortened by whole rows, and says so.
  const t = diagram(dissect(good, Ethernet));
  assert.match(t, /data: 300 bytes, drawn shortened/);
});
