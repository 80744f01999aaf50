// fuzz(): unset fields random, set fields kept, computed fields still computed; seeded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzz, seededRandom } from "./fuzz.js";
import { dissect, packet } from "./packet.js";
import { defineProtocol, field } from "../schema/protocol.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { toHex } from "../schema/address.js";

test("the same seed gives the same packet; another seed another", () => {
  const base = packet(Ethernet(), IPv4({ dst: "10.0.0.2" }), UDP({ dstPort: 53 }));
  const a = toHex(fuzz(base, { seed: 7 }).bytes());
  const b = toHex(fuzz(base, { seed: 7 }).bytes());
  const c = toHex(fuzz(base, { seed: 8 }).bytes());
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test("set fields are kept, computed fields stay computed and correct", () => {
  for (let seed = 0; seed < 300; seed++) {
    const p = fuzz(packet(IPv4({ dst: "10.0.0.2", version: 4 }), UDP({ dstPort: 53 }), "payload"), { seed });
    const q = dissect(p.bytes(), IPv4, {});
    const ip = q.layer(IPv4)!;
    assert.equal(ip.dst, "10.0.0.2");
    assert.equal(ip.totalLength, p.bytes().length, `seed ${seed}`);
    assert.equal(ip.ihl, 5, `seed ${seed}: lists (the options) are left alone unless asked`);
    // Fields were randomised: over 300 seeds the TTL and the id take many values.
    assert.ok(q.verifyChecksums().filter((c) => c.layer === "IPv4").every((c) => c.ok), `IPv4 checksum, seed ${seed}`);
  }
  const ttls = new Set(Array.from({ length: 50 }, (_, seed) => fuzz(IPv4(), { seed }).ttl));
  assert.ok(ttls.size > 10, `ttl took ${ttls.size} values`);
  assert.ok(ttls.has(0) || ttls.has(255), "edges are favoured");
});

test("every field kind gets a value of its kind, and the result builds and dissects back", () => {
  const Item = defineProtocol("FuzzItem", { kind: field.uint8(), len: field.uint8({ lengthOf: "header" }), data: field.bytes() });
  const P = defineProtocol("FuzzAll", {
    a: field.uint64(),
    b: field.int16({ endian: "little" }),
    c: field.bits(3, { flags: ["x", "y", "z"] }),
    d: field.bits(5, { enum: { 1: "one", 2: "two" } }),
    e: field.mac(),
    f: field.ipv6(),
    g: field.string({ prefix: 1 }),
    h: field.string({ terminated: true }),
    n: field.uint8({ countOf: "items" }),
    items: field.list(Item, { count: "n" }),
    rest: field.bytes(),
  });
  const rnd = seededRandom(1);
  for (let i = 0; i < 200; i++) {
    const l = fuzz(P(), { random: rnd, lists: true });
    const back = dissect(packet(l).bytes(), P, { strict: true }).layer(P)!;
    assert.equal(back.a, l.a);
    assert.equal(back.b, l.b);
    assert.equal(back.e, l.e);
    assert.equal(back.f, l.f);
    assert.equal(back.g, l.g);
    assert.equal(back.h, l.h);
    assert.equal(back.items.length, l.items.length);
    assert.ok(!back.h.includes("\u0000"));
  }
});

test("a dissected packet fuzzes to itself: every field came from the wire", () => {
  const wire = packet(Ethernet(), IPv4(), UDP(), "x").bytes();
  assert.equal(toHex(fuzz(dissect(wire, Ethernet), { seed: 3 }).bytes()), toHex(wire));
});
