/**
 * Field kinds: bytes built from values checked against hand-computed hex, dissected back, and the
 * range errors each kind raises.
 */
import { describe as group, test } from "node:test";
import assert from "node:assert/strict";
import {
  defineProtocol, dissect, field, FieldRangeError, packet, parseHex, toHex, WirecraftError,
  type AnyProtocol,
} from "../index.js";

const h = (s: string): Uint8Array => parseHex(s)!;

/** Build one layer alone and return its hex. */
function built(layer: Parameters<typeof packet>[0]): string {
  return toHex(packet(layer).bytes());
}

/** Dissect `hex` as `P` strictly, returning the first layer's plain object. */
function read(P: AnyProtocol, hex: string): Record<string, unknown> {
  const p = dissect(h(hex), P);
  assert.equal(p.error, undefined, p.error?.message);
  return p.layers()[0]!.toObject();
}

function rangeError(fn: () => unknown, layerField: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FieldRangeError, `expected FieldRangeError, got ${String(e)}`);
    assert.equal(e.code, "ERR_FIELD_RANGE");
    assert.ok(e.message.includes(layerField), `message "${e.message}" names ${layerField}`);
    return true;
  });
}

group("integers", () => {
  const Ints = defineProtocol("Ints", {
    u8: field.uint8(),
    u16: field.uint16(),
    u24: field.uint24(),
    u32: field.uint32(),
    i8: field.int8(),
    i16: field.int16(),
    i24: field.int24(),
    i32: field.int32(),
  });
  const values = {
    u8: 0xab, u16: 0x1234, u24: 0xabcdef, u32: 0xdeadbeef,
    i8: -2, i16: -300, i24: -0x123456, i32: -2,
  };
  // -300 = 0xfed4; -0x123456 = 0xedcbaa (24-bit); -2 = 0xfffffffe
  const wire = "ab" + "1234" + "abcdef" + "deadbeef" + "fe" + "fed4" + "edcbaa" + "fffffffe";

  test("big-endian build matches hand-computed bytes", () => {
    assert.equal(built(Ints(values)), wire);
  });

  test("dissect reads the same values back", () => {
    assert.deepEqual(read(Ints, wire), values);
  });

  test("extremes of every width round-trip", () => {
    const lo = { u8: 0, u16: 0, u24: 0, u32: 0, i8: -128, i16: -32768, i24: -8388608, i32: -2147483648 };
    const hi = { u8: 255, u16: 65535, u24: 16777215, u32: 4294967295, i8: 127, i16: 32767, i24: 8388607, i32: 2147483647 };
    assert.equal(built(Ints(lo)), "00" + "0000" + "000000" + "00000000" + "80" + "8000" + "800000" + "80000000");
    assert.equal(built(Ints(hi)), "ff" + "ffff" + "ffffff" + "ffffffff" + "7f" + "7fff" + "7fffff" + "7fffffff");
    assert.deepEqual(read(Ints, built(Ints(lo))), lo);
    assert.deepEqual(read(Ints, built(Ints(hi))), hi);
  });

  test("values out of range throw FieldRangeError naming the field", () => {
    rangeError(() => Ints({ u8: 256 }), "Ints.u8");
    rangeError(() => Ints({ u8: -1 }), "Ints.u8");
    rangeError(() => Ints({ i8: -129 }), "Ints.i8");
    rangeError(() => Ints({ i8: 128 }), "Ints.i8");
    rangeError(() => Ints({ u16: 65536 }), "Ints.u16");
    rangeError(() => Ints({ u24: 2 ** 24 }), "Ints.u24");
    rangeError(() => Ints({ i24: -(2 ** 23) - 1 }), "Ints.i24");
    rangeError(() => Ints({ u32: 2 ** 32 }), "Ints.u32");
    rangeError(() => Ints({ i32: 2 ** 31 }), "Ints.i32");
    rangeError(() => Ints({ u8: 1.5 }), "Ints.u8");
    rangeError(() => Ints({ u8: "lots" as unknown as number }), "Ints.u8");
    const l = Ints();
    rangeError(() => { l.u16 = 70000; }, "Ints.u16");
    assert.equal(l.u16, 0, "a rejected value leaves the field unchanged");
  });

  test("little endian integers", () => {
    const LE = defineProtocol("LE", {
      a: field.uint16({ endian: "little" }),
      b: field.uint24({ endian: "little" }),
      c: field.uint32({ endian: "little" }),
      d: field.int16({ endian: "little" }),
      e: field.int32({ endian: "little" }),
    });
    const v = { a: 0x1234, b: 0x123456, c: 0x12345678, d: -2, e: -0x12345678 };
    // -0x12345678 = 0xedcba988 -> little endian 88 a9 cb ed
    const wire = "3412" + "563412" + "78563412" + "feff" + "88a9cbed";
    assert.equal(built(LE(v)), wire);
    assert.deepEqual(read(LE, wire), v);
  });

  test("64-bit integers are bigints, both byte orders and signs", () => {
    const Big = defineProtocol("Big", {
      u: field.uint64(),
      s: field.int64(),
      ul: field.uint64({ endian: "little" }),
      sl: field.int64({ endian: "little", hex: true }),
    });
    const v = { u: 0x0102030405060708n, s: -2n, ul: 0xfedcba9876543210n, sl: -(2n ** 63n) };
    const wire = "0102030405060708" + "fffffffffffffffe" + "1032547698badcfe" + "0000000000000080";
    assert.equal(built(Big(v)), wire);
    assert.deepEqual(read(Big, wire), v);
    assert.equal(typeof dissect(h(wire), Big).layer(Big)!.u, "bigint");
    // numbers are accepted and become bigints
    assert.equal(Big({ u: 5 }).u, 5n);
    rangeError(() => Big({ u: 2n ** 64n }), "Big.u");
    rangeError(() => Big({ u: -1n }), "Big.u");
    rangeError(() => Big({ s: 2n ** 63n }), "Big.s");
    rangeError(() => Big({ s: 1.5 }), "Big.s");
    // toJSON keeps 64-bit values exact as strings; show() honours hex
    const p = dissect(h(wire), Big);
    assert.equal(p.layer(Big)!.toJSON().u, "72623859790382856");
    assert.match(p.show(), /sl = 0x8000000000000000/);
  });

  test("defaults apply to unset fields and are validated at definition", () => {
    const D = defineProtocol("D", { a: field.uint16({ default: 2 }), b: field.uint8({ default: 3 }) });
    assert.equal(built(D()), "000203");
    assert.equal(built(D({ b: 9 })), "000209");
    assert.throws(() => field.uint8({ default: 300 }), /within 0\.\.255/);
  });
});

group("bit fields", () => {
  const Bits = defineProtocol("Bits", {
    a: field.bits(3),
    b: field.bits(7),
    c: field.bits(6),
    w: field.bits(20),
    x: field.bits(4),
  });

  test("pack MSB first across byte boundaries", () => {
    // a=0b101, b=0b1100110, c=0b010011 -> 101 1100110 010011 = 1011 1001 1001 0011 = b9 93
    // w=0xabcde, x=0x7 -> abcde7
    const v = { a: 0b101, b: 0b1100110, c: 0b010011, w: 0xabcde, x: 7 };
    assert.equal(built(Bits(v)), "b993abcde7");
    assert.deepEqual(read(Bits, "b993abcde7"), v);
  });

  test("every single bit lands in its place", () => {
    for (let i = 0; i < 3; i++) {
      const hex = built(Bits({ a: 1 << i }));
      assert.equal(hex, toHex(Uint8Array.of(0x20 << i, 0, 0, 0, 0)));
    }
    assert.equal(built(Bits({ x: 1 })), "0000000001");
    assert.equal(built(Bits({ w: 1 })), "0000000010");
  });

  test("range errors", () => {
    const B3 = defineProtocol("B3", { v: field.bits(3), rest: field.bits(5) });
    rangeError(() => B3({ v: 8 }), "B3.v");
    rangeError(() => B3({ v: -1 }), "B3.v");
    assert.equal(built(B3({ v: 7, rest: 31 })), "ff");
  });

  test("bit fields after a variable-length field", () => {
    const V = defineProtocol("V", {
      n: field.uint8(),
      data: field.bytes({ length: "n" }),
      hi: field.bits(4),
      lo: field.bits(12),
    });
    const wire = built(V({ n: 2, data: h("aabb"), hi: 0xc, lo: 0x123 }));
    assert.equal(wire, "02aabbc123");
    const back = read(V, wire);
    assert.equal(back.hi, 0xc);
    assert.equal(back.lo, 0x123);
  });

  test("32-bit and wide unaligned bit fields", () => {
    const W = defineProtocol("W", { a: field.bits(4), b: field.bits(32), c: field.bits(4), d: field.bits(32) });
    const v = { a: 0xf, b: 0x89abcdef, c: 0x1, d: 0xffffffff };
    assert.equal(built(W(v)), "f89abcdef1ffffffff");
    assert.deepEqual(read(W, "f89abcdef1ffffffff"), v);
  });
});

group("enums and flags", () => {
  const Disney = defineProtocol("Disney", {
    mickey: field.uint16({ default: 2 }),
    minnie: field.uint8({ default: 3, hex: true }),
    donald: field.uint32({ default: 1, enum: { 1: "pizza", 2: "burger", 3: "sushi" } }),
  });

  test("the Disney seed: defaults, hex display, enum names", () => {
    const p = packet(Disney());
    assert.equal(toHex(p.bytes()), "00020300000001");
    const show = p.show();
    assert.match(show, /minnie += 0x03$/m);
    assert.match(show, /donald += pizza \(1\)$/m);
  });

  test("enum names in, numbers out, unknown values pass through", () => {
    const l = Disney({ donald: "sushi" });
    assert.equal(l.donald, 3);
    assert.equal(built(l), "00020300000003");
    const u = dissect(h("0002030000002a"), Disney);
    assert.equal(u.layer(Disney)!.donald, 42);
    assert.match(u.show(), /donald += 42$/m);
    assert.equal(toHex(u.bytes({ recompute: true })), "0002030000002a");
    assert.equal(built(Disney({ donald: 42 })), "0002030000002a");
    rangeError(() => Disney({ donald: "pasta" as "pizza" }), "Disney.donald");
  });

  const TCPish = defineProtocol("TCPish", {
    flags: field.uint8({ flags: ["F", "S", "R", "P", "A", "U", "E", "C"] }),
    ipFlags: field.bits(3, { flags: ["MF", "DF", "evil"] }),
    offset: field.bits(13),
  });

  test("flags from strings, arrays, numbers and MF+DF", () => {
    assert.equal(TCPish({ flags: "SA" }).flags, 0x12);
    assert.equal(TCPish({ flags: ["S", "A"] }).flags, 0x12);
    assert.equal(TCPish({ flags: 0x12 }).flags, 0x12);
    assert.equal(TCPish({ flags: "" }).flags, 0);
    assert.equal(TCPish({ flags: "FSRPAUEC" }).flags, 0xff);
    assert.equal(TCPish({ ipFlags: "MF+DF" }).ipFlags, 3);
    assert.equal(TCPish({ ipFlags: "DF" }).ipFlags, 2);
    assert.equal(TCPish({ ipFlags: ["evil"] }).ipFlags, 4);
    assert.equal(TCPish({ ipFlags: "DF+DF" }).ipFlags, 2, "a repeated flag counts once");
    assert.equal(built(TCPish({ flags: "SA", ipFlags: "DF" })), "124000");
    rangeError(() => TCPish({ flags: "SX" }), "TCPish.flags");
    rangeError(() => TCPish({ ipFlags: "MF+XX" }), "TCPish.ipFlags");
    rangeError(() => TCPish({ ipFlags: 8 }), "TCPish.ipFlags");
  });

  test("show() names flags set on the wire", () => {
    const p = dissect(h("126000"), TCPish);
    assert.equal(p.layer(TCPish)!.flags, 0x12);
    const s = p.show();
    assert.match(s, /flags += SA \(18\)/);
    assert.match(s, /ipFlags += MF\+DF \(3\)/);
  });
});

group("conditional fields", () => {
  const C = defineProtocol("C", {
    kind: field.uint8(),
    extra: field.uint16({ when: "kind > 1", hex: true }),
    tail: field.uint8({ default: 0xee }),
  });

  test("absent when the condition is false, both ways", () => {
    const l = C({ kind: 1 });
    assert.equal(l.extra, undefined);
    assert.equal(built(l), "01ee");
    assert.equal(built(C({ kind: 1, extra: 0x1234 })), "01ee", "a value set on an absent field is not written");
    const back = dissect(h("01ee"), C).layer(C)!;
    assert.equal(back.extra, undefined);
    assert.equal(back.tail, 0xee);
    assert.ok(!back.isSet("extra"));
  });

  test("present when the condition is true, both ways", () => {
    assert.equal(built(C({ kind: 2, extra: 0x1234 })), "021234ee");
    assert.equal(built(C({ kind: 2 })), "020000ee");
    const back = dissect(h("021234ee"), C).layer(C)!;
    assert.equal(back.extra, 0x1234);
    assert.equal(back.tail, 0xee);
    assert.match(dissect(h("021234ee"), C).show(), /extra = 0x1234/);
    assert.doesNotMatch(dissect(h("01ee"), C).show(), /extra/);
  });

  test("a function condition", () => {
    const F = defineProtocol("F", { a: field.uint8(), b: field.uint8({ when: (l) => (l.a as number) % 2 === 1 }) });
    assert.equal(built(F({ a: 3, b: 9 })), "0309");
    assert.equal(built(F({ a: 2, b: 9 })), "02");
  });
});

group("bytes", () => {
  test("fixed bytes: padded with zeros when short, range error when too long", () => {
    const B = defineProtocol("B", { tag: field.uint8(), data: field.bytes(4) });
    assert.equal(built(B({ tag: 1, data: h("aabb") })), "01aabb0000");
    assert.equal(built(B({ tag: 1, data: [1, 2, 3, 4] })), "0101020304");
    assert.equal(built(B({ tag: 1, data: "ab" })), "0161620000");
    assert.equal(built(B()), "0000000000");
    rangeError(() => B({ data: h("0102030405") }), "B.data");
    rangeError(() => B({ data: [256] }), "B.data");
    assert.deepEqual(read(B, "0101020304").data, h("01020304"));
  });

  test("computed length from an expression, and rest of layer", () => {
    const B = defineProtocol("B", {
      words: field.uint8(),
      head: field.bytes({ length: "words * 2 - 1" }),
      rest: field.bytes(),
    });
    const wire = "03" + "0102030405" + "eeff";
    const back = read(B, wire);
    assert.deepEqual(back.head, h("0102030405"));
    assert.deepEqual(back.rest, h("eeff"));
    assert.equal(built(B({ words: 3, head: h("0102030405"), rest: h("eeff") })), wire);
    // a length running past the end is truncation, not a crash
    const t = dissect(h("0901"), B);
    assert.equal(t.error?.code, "ERR_TRUNCATED");
    assert.equal(t.truncated, true);
  });

  test("toObject() detaches bytes from the dissected buffer", () => {
    const B = defineProtocol("B", { data: field.bytes(2) });
    const wire = Buffer.from("aabb", "hex");
    const obj = dissect(wire, B).layer(B)!.toObject();
    wire[0] = 0;
    assert.equal(toHex(obj.data), "aabb");
  });
});

group("strings", () => {
  const S = defineProtocol("S", {
    fixed: field.string({ length: 8 }),
    p1: field.string({ prefix: 1 }),
    p2: field.string({ prefix: 2, encoding: "utf8" }),
    p4: field.string({ prefix: 4 }),
    z: field.string({ terminated: true }),
    rest: field.string(),
  });

  test("every kind builds the hand-computed bytes and reads back", () => {
    const v = { fixed: "abc", p1: "hi", p2: "é€", p4: "x", z: "nul", rest: "tail" };
    const wire =
      "6162630000000000" + // "abc" NUL padded to 8
      "02" + "6869" + // prefix 1
      "0005" + "c3a9e282ac" + // utf8 é (2 bytes) € (3 bytes)
      "00000001" + "78" +
      "6e756c00" +
      "7461696c";
    assert.equal(built(S(v)), wire);
    assert.deepEqual(read(S, wire), v);
  });

  test("latin1 round-trips every byte value", () => {
    const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join("");
    const back = read(S, built(S({ rest: all })));
    assert.equal(back.rest, all);
  });

  test("range errors: latin1 '€', too long, NUL in terminated, prefix overflow", () => {
    rangeError(() => S({ rest: "€" }), "S.rest");
    rangeError(() => S({ fixed: "123456789" }), "S.fixed");
    rangeError(() => S({ z: "a\u0000b" }), "S.z");
    rangeError(() => S({ p1: "x".repeat(256) }), "S.p1");
    assert.equal(S({ p1: "x".repeat(255) }).p1.length, 255);
    rangeError(() => S({ rest: 5 as unknown as string }), "S.rest");
  });

  test("hostile strings: missing NUL is malformed, short prefix is truncated", () => {
    const Z = defineProtocol("Z", { z: field.string({ terminated: true }) });
    const p = dissect(h("616263"), Z);
    assert.equal(p.error?.code, "ERR_MALFORMED");
    assert.match(p.error!.message, /Z\.z/);
    const P2 = defineProtocol("P2", { s: field.string({ prefix: 2 }) });
    const q = dissect(h("0010616263"), P2);
    assert.equal(q.error?.code, "ERR_TRUNCATED");
    assert.equal(q.truncated, true);
  });
});

group("addresses", () => {
  const A = defineProtocol("A", { mac: field.mac(), v4: field.ipv4(), v6: field.ipv6() });

  test("build and dissect", () => {
    const v = { mac: "02:00:5e:10:00:ff", v4: "192.0.2.254", v6: "2001:db8::1" };
    const wire = "02005e1000ff" + "c00002fe" + "20010db8000000000000000000000001";
    assert.equal(built(A(v)), wire);
    assert.deepEqual(read(A, wire), v);
  });

  test("accepted spellings are normalised", () => {
    assert.equal(A({ mac: "02-00-5E-10-00-FF" }).mac, "02:00:5e:10:00:ff");
    assert.equal(A({ mac: "02005E1000FF" }).mac, "02:00:5e:10:00:ff");
    assert.equal(A({ v6: "2001:0DB8:0000::0001" }).v6, "2001:db8::1");
  });

  test("bad addresses throw FieldRangeError", () => {
    for (const mac of ["00:11:22:33:44", "zz:11:22:33:44:55", "00:11:22:33:44:55:66", "00:11-22:33:44:55", ""]) {
      rangeError(() => A({ mac }), "A.mac");
    }
    for (const v4 of ["1.2.3.256", "1.2.3", "1.2.3.4.5", "01.2.3.4", "a.b.c.d", "1..2.3", " 1.2.3.4"]) {
      rangeError(() => A({ v4 }), "A.v4");
    }
    for (const v6 of ["1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:2:3:4:5:6:7::8", ":1::", "1:", "::g", "1:2:3:4:5:6:7", "::1.2.3"]) {
      rangeError(() => A({ v6 }), "A.v6");
    }
    rangeError(() => A({ v4: 0x01020304 as unknown as string }), "A.v4");
  });

  // RFC 5952 section 4 and 5.
  const cases: [string, string][] = [
    ["2001:db8::1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // 4.2.3: first of equal runs
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"], // 4.1 leading zeros
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // 4.2.2: one zero group is not compressed
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // 4.2.3: the longest run
    ["2001:DB8::AAAA", "2001:db8::aaaa"], // 4.3: lowercase
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"], // 5: IPv4-mapped keeps dotted form
    ["0:0:0:0:0:ffff:c000:201", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:0:0:1", "::1"], // leading run
    ["1:0:0:0:0:0:0:0", "1::"], // trailing run
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["fe80::0:0:0:1", "fe80::1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ];
  for (const [input, canonical] of cases) {
    test(`RFC 5952: ${input} -> ${canonical}`, () => {
      assert.equal(A({ v6: input }).v6, canonical);
      const wire = packet(A({ v6: input })).bytes();
      assert.equal(dissect(wire, A).layer(A)!.v6, canonical);
    });
  }
});

group("lists", () => {
  // A TLV whose length covers the whole item (type + length + data); data is the rest.
  const TLV = defineProtocol("TLV", {
    type: field.uint8(),
    length: field.uint8({ lengthOf: "header" }),
    data: field.bytes(),
  });
  const items = [{ type: 1, data: h("aabb") }, { type: 7, data: h("") }, { type: 2, data: h("cc") }];
  const itemsHex = "0104aabb" + "0702" + "0203cc";

  test("a TLV item computes its own length", () => {
    assert.equal(built(TLV({ type: 9, data: h("010203") })), "0905010203");
  });

  test("with a count field", () => {
    const L = defineProtocol("L", { n: field.uint8({ countOf: "opts" }), opts: field.list(TLV), tail: field.uint8() });
    const wire = "03" + itemsHex + "ff";
    assert.equal(built(L({ opts: items, tail: 0xff })), wire);
    const back = dissect(h(wire), L).layer(L)!;
    assert.equal(back.n, 3);
    assert.deepEqual(back.opts.map((o) => [o.type, o.length, toHex(o.data)]), [[1, 4, "aabb"], [7, 2, ""], [2, 3, "cc"]]);
    assert.equal(back.tail, 0xff);
    // a count larger than the items present is truncation
    const bad = dissect(h("04" + itemsHex), L);
    assert.ok(bad.malformed);
  });

  test("with a length field", () => {
    const L = defineProtocol("L", { len: field.uint8({ lengthOf: "opts" }), opts: field.list(TLV), tail: field.uint8() });
    const wire = "09" + itemsHex + "ff";
    assert.equal(built(L({ opts: items, tail: 0xff })), wire);
    const back = dissect(h(wire), L).layer(L)!;
    assert.equal(back.opts.length, 3);
    assert.equal(back.tail, 0xff);
    // a length past the end of the layer is reported, not thrown
    const bad = dissect(h("20" + itemsHex + "ff"), L);
    assert.ok(bad.error !== undefined && ["ERR_TRUNCATED", "ERR_MALFORMED"].includes(bad.error.code), bad.error?.message);
    assert.match(bad.error.message, /^L\.opts/);
  });

  test("with a constant count and a length expression", () => {
    const L = defineProtocol("L", { opts: field.list(TLV, { count: 2 }), tail: field.bytes() });
    const back = dissect(h(itemsHex), L).layer(L)!;
    assert.equal(back.opts.length, 2);
    assert.equal(toHex(back.tail), "0203cc");
    const M = defineProtocol("M", { words: field.uint8(), opts: field.list(TLV, { length: "words * 2" }), tail: field.bytes() });
    const m = dissect(h("03" + "0104aabb" + "0702" + "0203cc"), M).layer(M)!;
    assert.equal(m.opts.length, 2);
    assert.equal(toHex(m.tail), "0203cc");
  });

  test("to the end of the layer", () => {
    const L = defineProtocol("L", { kind: field.uint8(), opts: field.list(TLV) });
    const wire = "05" + itemsHex;
    assert.equal(built(L({ kind: 5, opts: items })), wire);
    const p = dissect(h(wire), L);
    assert.equal(p.error, undefined);
    assert.equal(p.layer(L)!.opts.length, 3);
    assert.equal(p.layers().length, 1);
    assert.deepEqual(p.toJSON().layers[0]!.fields, {
      kind: 5,
      opts: [{ type: 1, length: 4, data: "aabb" }, { type: 7, length: 2, data: "" }, { type: 2, length: 3, data: "cc" }],
    });
    // an item whose length is below its own header is malformed, not an endless loop
    const zero = dissect(h("05" + "0100"), L);
    assert.equal(zero.error?.code, "ERR_MALFORMED");
  });

  test("items accept layers, range-check their fields, and edits rebuild", () => {
    const L = defineProtocol("L", { n: field.uint8({ countOf: "opts" }), opts: field.list(TLV) });
    assert.equal(built(L({ opts: [TLV({ type: 3, data: h("01") })] })), "01030301");
    rangeError(() => L({ opts: [{ type: 300 }] }), "TLV.type");
    assert.throws(() => L({ opts: "nope" as never }), FieldRangeError);
    const p = dissect(h("02" + "0104aabb" + "0702"), L);
    p.layer(L)!.opts[1]!.data = h("0102");
    assert.equal(toHex(p.bytes()), "02" + "0104aabb" + "07020102", "lengths read from the wire are kept");
    assert.equal(toHex(p.bytes({ recompute: true })), "02" + "0104aabb" + "07040102");
  });
});

group("padding", () => {
  const P = defineProtocol("P", {
    n: field.uint8(),
    name: field.string({ prefix: 1 }),
    pad: field.padding({ align: 4 }),
    tail: field.uint16(),
  });

  test("pads to the alignment counted from the layer start", () => {
    assert.equal(built(P({ n: 1, name: "", tail: 0xabcd })), "01000000abcd"); // 2 bytes + 2 pad
    assert.equal(built(P({ n: 1, name: "a", tail: 0xabcd })), "01016100abcd"); // 3 + 1
    assert.equal(built(P({ n: 1, name: "ab", tail: 0xabcd })), "01026162abcd"); // 4 + 0
    assert.equal(built(P({ n: 1, name: "abc", tail: 0xabcd })), "0103616263000000abcd"); // 5 + 3
  });

  test("dissects past the padding", () => {
    const back = dissect(h("0103616263000000abcd"), P).layer(P)!;
    assert.equal(back.name, "abc");
    assert.equal(toHex(back.pad), "000000");
    assert.equal(back.tail, 0xabcd);
  });
});

test("every error thrown is a WirecraftError with a code", () => {
  const A = defineProtocol("A", { a: field.uint8() });
  try {
    A({ a: 999 });
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof WirecraftError);
    assert.equal((e as FieldRangeError).field, "a");
    assert.equal((e as FieldRangeError).layer, "A");
    assert.equal((e as FieldRangeError).value, 999);
  }
});
