/**
 * Protocol declarations: definition errors, describe(), bind both ways, `next`, user-set values
 * kept, the recompute option, editing dissected packets.
 */
import { describe as group, test } from "node:test";
import assert from "node:assert/strict";
import {
  bind, createDissector, defineProtocol, DefinitionError, describe, dissect, field, IPv4, MalformedError, packet,
  parseHex, Raw, toHex, TruncatedError, UDP, UnknownFieldError, WirecraftError,
} from "../index.js";

const h = (s: string): Uint8Array => parseHex(s)!;

function definitionError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DefinitionError, `expected DefinitionError, got ${String(e)}`);
    assert.equal(e.code, "ERR_DEFINITION");
    for (const p of parts) {
      if (typeof p === "string") assert.ok(e.message.includes(p), `"${e.message}" includes ${p}`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

group("definition errors", () => {
  test("a bit run that does not end on a byte boundary names its fields", () => {
    definitionError(() => defineProtocol("X", { a: field.bits(3), b: field.bits(4), c: field.uint8() }), "X:", "a:3", "b:4", "7 bits");
    definitionError(() => defineProtocol("X", { a: field.uint8(), b: field.bits(1) }), "b:1", "1 bits");
    definitionError(() => defineProtocol("X", { a: field.bits(4), b: field.bits(8), c: field.bits(5) }), "a:4, b:8, c:5", "17 bits");
    // ending on a byte boundary is fine, however many bytes the run spans
    defineProtocol("X", { a: field.bits(4), b: field.bits(8), c: field.bits(4) });
  });

  test("reserved names", () => {
    for (const name of ["set", "show", "unset", "isSet", "toObject", "toJSON", "summary", "proto", "span", "constructor"]) {
      definitionError(() => defineProtocol("X", { [name]: field.uint8() }), `"${name}"`, "reserved");
    }
  });

  test("bad names", () => {
    definitionError(() => defineProtocol("X", { "a-b": field.uint8() }), "a-b");
    definitionError(() => defineProtocol("1X", { a: field.uint8() }), "identifier");
    definitionError(() => defineProtocol("X", { a: 5 as never }), '"a" is not a field');
  });

  test("expressions may use only earlier fields", () => {
    definitionError(() => defineProtocol("X", { a: field.bytes({ length: "zz * 2" }) }), '"a"', '"zz"');
    definitionError(() => defineProtocol("X", { a: field.bytes({ length: "b * 2" }), b: field.uint8() }), '"b"', "not an earlier field");
    definitionError(() => defineProtocol("X", { n: field.uint8(), a: field.uint8({ when: "n > m" }), m: field.uint8() }), '"m"');
    definitionError(() => defineProtocol("X", { a: field.bytes({ length: "1 +" }) }), "not well formed");
    definitionError(() => defineProtocol("X", { n: field.uint8(), a: field.bytes({ length: "n; process.exit(1)" }) }), "cannot read expression");
    definitionError(() => defineProtocol("X", { n: field.uint8(), a: field.bytes({ length: "n.constructor" }) }), "cannot read expression");
  });

  test("length and count fields must point at something variable and later", () => {
    definitionError(() => defineProtocol("X", { l: field.uint8({ lengthOf: "a" }), a: field.bytes(4) }), '"l"', "fixed size");
    definitionError(() => defineProtocol("X", { l: field.uint8({ lengthOf: "a" }), a: field.uint8() }), "fixed size");
    definitionError(() => defineProtocol("X", { l: field.uint8({ lengthOf: "nothing" }) }), '"nothing"');
    definitionError(() => defineProtocol("X", { a: field.bytes({ length: 2 }), b: field.bytes(), l: field.uint8({ lengthOf: "b" }) }), "must come before");
    definitionError(() => defineProtocol("X", { c: field.uint8({ countOf: "a" }), a: field.uint8() }), "not a list");
  });

  test("a field object belongs to one protocol", () => {
    const f = field.uint8();
    defineProtocol("One", { f });
    definitionError(() => defineProtocol("Two", { f }), "already used");
  });

  test("bad field options fail at once", () => {
    assert.throws(() => field.bits(0), /1\.\.32/);
    assert.throws(() => field.bits(33), /1\.\.32/);
  });
});

group("describe and fields", () => {
  const Disney = defineProtocol("Disney", {
    mickey: field.uint16({ default: 2 }),
    minnie: field.uint8({ default: 3, hex: true }),
    donald: field.uint32({ default: 1, enum: { 1: "pizza", 2: "burger", 3: "sushi" } }),
    size: field.uint8({ lengthOf: "layer", doc: "whole layer" }),
    note: field.string({ prefix: 1, when: "mickey > 2" }),
  });

  test("describe() lists fields, kinds, widths, defaults and notes", () => {
    assert.equal(describe(Disney), [
      "Disney",
      "field   kind              width     default",
      "mickey  uint16            16 bits   2",
      "minnie  uint8             8 bits    0x03",
      "donald  uint32            32 bits   pizza (1)",
      "size    uint8             8 bits    (computed length)  whole layer",
      'note    string(prefix 1)  variable  ""                 when mickey > 2',
    ].join("\n"));
  });

  test("P.fields", () => {
    assert.deepEqual(Disney.fields.map((f) => [f.name, f.kind, f.bits, f.default, f.computed, f.conditional]), [
      ["mickey", "uint16", 16, 2, undefined, false],
      ["minnie", "uint8", 8, 3, undefined, false],
      ["donald", "uint32", 32, 1, undefined, false],
      ["size", "uint8", 8, 0, "length", false],
      ["note", "string(prefix 1)", undefined, "", undefined, true],
    ]);
    assert.equal(Disney.fields[2]!.names!.get(2), "burger");
    assert.equal(Disney.fields[3]!.doc, "whole layer");
    assert.equal(Disney.name, "Disney");
  });

  test("P.is", () => {
    assert.ok(Disney.is(Disney()));
    assert.ok(!Disney.is(UDP()));
    assert.ok(!Disney.is({ mickey: 2 }));
    assert.ok(Disney.is(dissect(h("0002030000000108"), Disney).layers()[0]));
  });
});

group("bind", () => {
  const Lower = defineProtocol("Lower", { kind: field.uint8(), sub: field.uint8(), len: field.uint8({ lengthOf: "payload" }) });
  const A = defineProtocol("A", { a: field.uint16() });
  const B = defineProtocol("B", { b: field.uint8() });
  const C = defineProtocol("C", { c: field.uint8() });
  bind(Lower, A, { kind: 1 });
  bind(Lower, B, { kind: 2 });
  bind(Lower, C, { kind: 3, sub: 4 });

  test("building fills the selector the user left unset", () => {
    assert.equal(toHex(packet(Lower(), A({ a: 0xbeef })).bytes()), "010002beef");
    assert.equal(toHex(packet(Lower(), B({ b: 9 })).bytes()), "02000109");
    assert.equal(toHex(packet(Lower(), C({ c: 9 })).bytes()), "03040109");
    assert.equal(toHex(packet(Lower(), Raw({ data: h("ff") })).bytes()), "000001ff", "no bind: default");
  });

  test("a selector the user set is kept", () => {
    assert.equal(toHex(packet(Lower({ kind: 9 }), A({ a: 1 })).bytes()), "0900020001");
    assert.equal(toHex(packet(Lower({ kind: 2 }), A({ a: 1 })).bytes()), "0200020001");
  });

  test("dissecting dispatches on the selector", () => {
    assert.deepEqual(dissect(h("010002beef"), Lower).layers().map((l) => l.proto.name), ["Lower", "A"]);
    assert.deepEqual(dissect(h("02000109"), Lower).layers().map((l) => l.proto.name), ["Lower", "B"]);
    assert.deepEqual(dissect(h("03040109"), Lower).layers().map((l) => l.proto.name), ["Lower", "C"]);
    assert.deepEqual(dissect(h("03050109"), Lower).layers().map((l) => l.proto.name), ["Lower", "Raw"], "two-field bind needs both");
    assert.deepEqual(dissect(h("09000109"), Lower).layers().map((l) => l.proto.name), ["Lower", "Raw"]);
    assert.equal(dissect(h("02000109"), Lower).layer(B)!.b, 9);
  });

  test("a later bind takes precedence both ways", () => {
    const L2 = defineProtocol("L2", { t: field.uint8() });
    const X = defineProtocol("X", { x: field.uint8() });
    const Y = defineProtocol("Y", { y: field.uint8() });
    bind(L2, X, { t: 5 });
    bind(L2, Y, { t: 5 });
    assert.equal(dissect(h("0501"), L2).layers()[1]!.proto.name, "Y");
    bind(L2, X, { t: 6 });
    assert.equal(toHex(packet(L2(), X({ x: 1 })).bytes()), "0601");
  });

  test("bind rejects unknown fields and bad values", () => {
    assert.throws(() => bind(Lower, A, { nope: 1 } as never), UnknownFieldError);
    assert.throws(() => bind(Lower, A, { kind: 999 }), /Lower\.kind/);
  });

  test("a `next` function chooses first; binds when it returns undefined", () => {
    const N = defineProtocol("N", { sel: field.uint8() }, { next: (l) => (l.sel === 0xaa ? B : undefined) });
    bind(N, A, { sel: 1 });
    assert.deepEqual(dissect(h("aa07"), N).layers().map((l) => l.proto.name), ["N", "B"]);
    assert.deepEqual(dissect(h("010007"), N).layers().map((l) => l.proto.name), ["N", "A"]);
    assert.deepEqual(dissect(h("0207"), N).layers().map((l) => l.proto.name), ["N", "Raw"]);
    const Boom = defineProtocol("Boom", { sel: field.uint8() }, { next: () => { throw new Error("boom"); } });
    const p = dissect(h("0102"), Boom);
    assert.equal(p.error?.code, "ERR_MALFORMED");
    assert.match(p.error!.message, /boom/);
    assert.deepEqual(p.layers().map((l) => l.proto.name), ["Boom", "Raw"]);
  });
});

group("build: set values kept, unset values computed", () => {
  const ip = { src: "10.0.0.1", dst: "10.0.0.2" };

  test("a broken checksum the user set is kept", () => {
    const b = packet(IPv4(ip), UDP({ srcPort: 1, dstPort: 2, checksum: 0x1234 })).bytes();
    const p = dissect(b, IPv4);
    assert.equal(p.layer(UDP)!.checksum, 0x1234);
    const checks = p.verifyChecksums();
    assert.deepEqual(checks.map((c) => [c.layer, c.ok]), [["IPv4", true], ["UDP", false]]);
    assert.equal(checks[1]!.actual, 0x1234);
  });

  test("a wrong length the user set is kept", () => {
    const b = packet(IPv4(ip), UDP({ length: 100 }), "abc").bytes();
    assert.equal(b.length, 20 + 8 + 3);
    assert.equal((b[24]! << 8) | b[25]!, 100);
    assert.equal((b[2]! << 8) | b[3]!, 31, "the IPv4 length is still computed");
    const p = dissect(b, IPv4);
    assert.equal(p.truncated, true, "a length past the end reads as truncated");
  });

  test("recompute ignores wire values but keeps values set by hand", () => {
    const wire = packet(IPv4(ip), UDP({ srcPort: 7, dstPort: 9 }), "data").bytes();
    const broken = wire.slice();
    broken[10] = 0; broken[11] = 0; // IPv4 checksum
    broken[26] = 0xde; broken[27] = 0xad; // UDP checksum
    broken[3] = 99; // IPv4 total length (past the end: truncated)
    const p = dissect(broken, IPv4);
    assert.equal(p.bytes(), broken, "unmodified: the very same bytes");
    assert.deepEqual(toHex(p.bytes({ recompute: true })), toHex(wire));
    const q = dissect(broken, IPv4);
    q.layer(UDP)!.checksum = 0xbeef;
    const r = q.bytes({ recompute: true });
    assert.equal((r[26]! << 8) | r[27]!, 0xbeef);
    assert.equal((r[2]! << 8) | r[3]!, wire.length);
  });

  test("unset() forgets a value so it is computed again", () => {
    const u = UDP({ srcPort: 7, checksum: 1, length: 3 });
    assert.ok(u.isSet("checksum"));
    u.unset("checksum", "length");
    assert.ok(!u.isSet("checksum"));
    const b = packet(IPv4(ip), u).bytes();
    assert.equal(dissect(b, IPv4).verifyChecksums().every((c) => c.ok), true);
    assert.equal((b[24]! << 8) | b[25]!, 8);
    assert.throws(() => u.unset("nope" as never), UnknownFieldError);
  });

  test("a required field must be given", () => {
    const R = defineProtocol("R", { a: field.uint8({ required: true }), b: field.uint8() });
    assert.throws(() => packet(R({} as never)).bytes(), /R\.a: is required/);
    assert.equal(toHex(packet(R({ a: 1 })).bytes()), "0100");
  });

  test("a computed length that does not fit is an error", () => {
    const S = defineProtocol("S", { len: field.uint8({ lengthOf: "layer" }), data: field.bytes() });
    assert.throws(() => packet(S({ data: new Uint8Array(300) })).bytes(), /S\.len/);
    const W = defineProtocol("W", { words: field.uint8({ lengthOf: "header", scale: 4 }), data: field.bytes() });
    assert.throws(() => packet(W({ data: new Uint8Array(2) })).bytes(), /W\.words.*whole number/);
    assert.equal(toHex(packet(W({ data: new Uint8Array(3) })).bytes()), "01000000");
  });

  test("set() and unknown fields", () => {
    const l = UDP().set({ srcPort: 1, dstPort: 2 });
    assert.equal(l.srcPort, 1);
    assert.throws(() => l.set({ port: 1 } as never), (e: unknown) => e instanceof UnknownFieldError && e.field === "port");
    assert.throws(() => UDP({ nope: 1 } as never), UnknownFieldError);
  });

  test("set(): undefined unsets, inherited keys count, values only from own keys", () => {
    const l = UDP({ srcPort: 7, dstPort: 9 });
    l.set({ srcPort: undefined });
    assert.equal(l.isSet("srcPort"), false);
    assert.equal(l.dstPort, 9);
    // An inherited key is not a value to set; an own unknown key after known ones still throws.
    const values = Object.assign(Object.create({ dstPort: 1 }) as object, { srcPort: 5 });
    assert.equal(UDP(values).srcPort, 5);
    assert.equal(UDP(values).dstPort, 53);
    assert.throws(() => UDP({ srcPort: 1, dstPort: 2, bogus: 3 } as never), (e: unknown) => e instanceof UnknownFieldError && e.field === "bogus");
  });

  test("layer toObject/toJSON of a crafted layer", () => {
    assert.deepEqual(UDP({ srcPort: 1 }).toObject(), { srcPort: 1, dstPort: 53, length: 0, checksum: 0 });
    assert.deepEqual(IPv4({ flags: "DF" }).toJSON().flags, 2);
  });
});

group("editing dissected packets", () => {
  const wire = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ srcPort: 1000, dstPort: 7 }), "query").bytes();

  test("an unmodified dissected packet returns the identical bytes", () => {
    const p = dissect(wire, IPv4);
    p.layers();
    assert.equal(p.bytes(), wire);
    const rebuilt = p.bytes({ recompute: true });
    assert.notEqual(rebuilt, wire);
    assert.deepEqual(rebuilt, wire);
  });

  test("setting a field rebuilds; recompute refreshes checksums", () => {
    const p = dissect(wire, IPv4);
    p.layer(UDP)!.dstPort = 443;
    const b = p.bytes();
    assert.equal(b.length, wire.length);
    assert.equal((b[22]! << 8) | b[23]!, 443);
    assert.equal(toHex(b.subarray(0, 20)), toHex(wire.subarray(0, 20)), "IPv4 header unchanged");
    assert.equal(dissect(b, IPv4).verifyChecksums()[1]!.ok, false, "stale wire checksum kept (as Scapy does)");
    const fixed = p.bytes({ recompute: true });
    assert.ok(dissect(fixed, IPv4).verifyChecksums().every((c) => c.ok));
    assert.equal(dissect(fixed, IPv4).layer(UDP)!.dstPort, 443);
    const fresh = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ srcPort: 1000, dstPort: 443 }), "query").bytes();
    assert.deepEqual(fixed, fresh);
  });

  test("changing the payload and recomputing fixes every length", () => {
    const p = dissect(wire, IPv4);
    p.layer(Raw)!.data = h("0102030405060708090a");
    const b = p.bytes({ recompute: true });
    assert.equal(b.length, 20 + 8 + 10);
    const q = dissect(b, IPv4);
    assert.equal(q.layer(IPv4)!.totalLength, 38);
    assert.equal(q.layer(UDP)!.length, 18);
    assert.ok(q.verifyChecksums().every((c) => c.ok));
    assert.equal(q.error, undefined);
  });

  test("the source bytes are never modified", () => {
    const copy = wire.slice();
    const p = dissect(copy, IPv4);
    p.verifyChecksums();
    p.layer(UDP)!.srcPort = 1;
    p.bytes({ recompute: true });
    assert.deepEqual(copy, wire);
  });

  test("verifyChecksums() does not modify a Buffer it was given", () => {
    const buf = Buffer.from(wire);
    const p = dissect(buf, IPv4);
    const checks = p.verifyChecksums();
    assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));
    assert.equal(Buffer.compare(buf, Buffer.from(wire)), 0);
    assert.ok(p.verifyChecksums().every((c) => c.ok), "still ok the second time");
  });
});

group("strict parse and typed errors", () => {
  test("P.parse returns the first layer with its payload dissected", () => {
    const wire = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ dstPort: 99 })).bytes();
    const l = IPv4.parse(wire);
    assert.equal(l.dst, "10.0.0.2");
    assert.ok(IPv4.is(l));
  });

  test("P.parse throws TruncatedError with layer, field and offset", () => {
    const wire = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP()).bytes();
    assert.throws(() => IPv4.parse(wire.subarray(0, 11)), (e: unknown) => {
      assert.ok(e instanceof TruncatedError);
      assert.equal(e.layer, "IPv4");
      assert.equal(e.field, "checksum");
      assert.equal(e.offset, 10);
      return true;
    });
    assert.throws(() => IPv4.parse(wire.subarray(0, 24)), (e: unknown) => e instanceof TruncatedError && e.layer === "UDP" && e.offset === 24);
    assert.throws(() => IPv4.parse(new Uint8Array(0)), WirecraftError);
  });

  test("dissect({ strict: true }) throws where dissect() records", () => {
    const bad = h("44000014000100004011000000000000000000000000");
    assert.throws(() => dissect(bad, IPv4, { strict: true }), MalformedError);
    assert.equal(dissect(bad, IPv4).error?.code, "ERR_MALFORMED");
  });
});

test("createDissector reuses its objects and gives the same answers as dissect", () => {
  const d = createDissector(IPv4);
  const a = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ dstPort: 1 })).bytes();
  const b = packet(IPv4({ src: "10.0.0.3", dst: "10.0.0.4" }), UDP({ dstPort: 2 }), "x").bytes();
  const p1 = d.dissect(a);
  const u1 = p1.layer(UDP)!;
  assert.equal(u1.dstPort, 1);
  const p2 = d.dissect(b);
  assert.equal(p2, p1, "the same packet object");
  assert.equal(p2.layer(UDP), u1, "the same layer object, re-pointed");
  assert.equal(p2.layer(UDP)!.dstPort, 2);
  assert.equal(p2.layer(IPv4)!.src, "10.0.0.3");
  assert.equal(p2.summary(), dissect(b, IPv4).summary());
  assert.deepEqual(p2.toJSON(), dissect(b, IPv4).toJSON());
  const p3 = d.dissect(a.subarray(0, 5));
  assert.equal(p3.truncated, true);
  assert.equal(d.dissect(a).error, undefined);
});

test("a reusable dissector: two layers of one protocol, protocols defined and bound after it was made", () => {
  const d = createDissector(IPv4);
  // IP in IP: two IPv4 layers from the pool at once.
  const tunnel = packet(IPv4({ src: "10.0.0.1", protocol: 4 }), IPv4({ src: "10.9.9.9" }), UDP({ dstPort: 7 })).bytes();
  const p = d.dissect(tunnel);
  assert.deepEqual(p.layers(IPv4).map((l) => l.src), ["10.0.0.1", "10.9.9.9"]);
  assert.equal(p.layer(UDP)!.dstPort, 7);
  // A protocol made after the dissector, bound after the UDP step was compiled: the next
  // dissection sees the bind (compiled steps are dropped by bind) and pools the new layer.
  const Late = defineProtocol("LateBound", { tag: field.uint16() });
  const wire = packet(IPv4(), UDP({ dstPort: 39999 }), Late({ tag: 0xbeef })).bytes();
  assert.equal(d.dissect(wire).layer(Late), undefined);
  bind(UDP, Late, { dstPort: 39999 });
  for (let i = 0; i < 3; i++) assert.equal(d.dissect(wire).layer(Late)?.tag, 0xbeef);
  assert.deepEqual(d.dissect(tunnel).layers(IPv4).map((l) => l.src), ["10.0.0.1", "10.9.9.9"]);
});

test("a reusable dissector lends list items from its pool too: the same item objects, re-pointed, nested lists included", () => {
  const Item = defineProtocol("PoolItem", { tag: field.uint8(), count: field.uint8({ countOf: "inner" }), inner: field.list(defineProtocol("PoolInner", { v: field.uint8() })) });
  const Outer = defineProtocol("PoolOuter", { n: field.uint8({ countOf: "items" }), items: field.list(Item) });
  const mk = (tags: number[]) => packet(Outer({ items: tags.map((t) => Item({ tag: t, inner: [{ v: t + 1 }, { v: t + 2 }] })) })).bytes();
  const d = createDissector(Outer);
  const first = d.dissect(mk([1, 2, 3])).layer(Outer)!.items;
  assert.deepEqual(first.map((i) => [i.tag, i.inner.map((x) => x.v)]), [[1, [2, 3]], [2, [3, 4]], [3, [4, 5]]]);
  const kept = [...first];
  const second = d.dissect(mk([7, 8])).layer(Outer)!.items;
  assert.deepEqual(second.map((i) => [i.tag, i.inner.map((x) => x.v)]), [[7, [8, 9]], [8, [9, 10]]]);
  assert.ok(second.every((i) => kept.includes(i)), "items come from the pool");
  // A packet dissected on its own keeps its items.
  const own = dissect(mk([4]), Outer).layer(Outer)!.items;
  d.dissect(mk([5]));
  assert.equal(own[0]!.tag, 4);
  assert.equal(own[0]!.inner[1]!.v, 6);
  // Changing an item marks the packet changed, and the next dissection starts clean.
  const p = d.dissect(mk([1]));
  p.layer(Outer)!.items[0]!.tag = 9;
  assert.equal(p.bytes()[1], 9);
  assert.equal(d.dissect(mk([1])).layer(Outer)!.items[0]!.tag, 1);
});

test("building: packets of many different stacks (past the compiled-chain limit) come out the same", () => {
  const tiny = Array.from({ length: 20 }, (_, i) => defineProtocol(`ChainTiny${i}`, { v: field.uint8({ default: i }) }));
  let built = 0;
  for (const a of tiny) for (const b of tiny) for (const c of [undefined, tiny[3]!]) {
    const layers = c === undefined ? [a(), b()] : [a(), b(), c()];
    const want = layers.map((l) => toHex(packet(l).bytes())).join("");
    assert.equal(toHex(packet(...layers).bytes()), want);
    built++;
  }
  assert.equal(built, 800);
});

test("set() on a fresh layer checks and keeps values as the setters do", () => {
  const range = (e: unknown): boolean => e instanceof WirecraftError && e.code === "ERR_FIELD_RANGE" && (e as { field?: string }).field === "srcPort";
  for (const bad of [70000, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => UDP({ srcPort: bad }), range, String(bad));
  assert.equal(UDP({ srcPort: 65535, dstPort: 0 }).srcPort, 65535);
  assert.equal(UDP({ srcPort: "0x10" as never }).srcPort, 16, "a number as text goes through the field's normalize");
  assert.equal(IPv4({ protocol: "UDP" }).protocol, 17, "so does an enum name");
  assert.equal(IPv4({ flags: "DF" }).flags, 2, "and flags by name");
  // An error part-way leaves the fields before it set, as setting them one by one does.
  const l = UDP();
  assert.throws(() => l.set({ srcPort: 5, dstPort: 1e9 }), (e: unknown) => e instanceof WirecraftError && (e as { field?: string }).field === "dstPort");
  assert.equal(l.srcPort, 5);
  assert.equal(l.isSet("dstPort"), false);
  // A layer in a packet goes through its setters: the packet sees the change.
  const p = dissect(packet(UDP({ srcPort: 1, dstPort: 2 })).bytes(), UDP);
  p.layer(UDP)!.set({ dstPort: 9 });
  assert.equal(dissect(p.bytes(), UDP).layer(UDP)!.dstPort, 9);
});
