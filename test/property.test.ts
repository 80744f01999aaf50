/**
 * Property tests (fast-check): dissect(build(x)) reproduces x for a protocol using every field
 * kind; hostile bytes never make dissect, display or rebuild throw; an unmodified dissected packet
 * rebuilds to the same bytes; strict parsing throws only WirecraftErrors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  defineProtocol, dissect, Ethernet, field, IPv4, IPv6, packet, Padding, toHex, UDP, WirecraftError,
  type AnyProtocol, type Packet,
} from "../src/index.js";

const RUNS = 2000;

/** IPv4 options of `n` NOPs, whether the IPv4 declaration keeps options as raw bytes or as a list. */
function nopOptions(n: number): unknown {
  const asList = IPv4.fields.some((f) => f.name === "options" && f.kind.startsWith("list"));
  return asList ? Array.from({ length: n }, () => ({ type: 1 })) : new Uint8Array(n).fill(1);
}

const TLV = defineProtocol("TLV", {
  type: field.uint8(),
  length: field.uint8({ lengthOf: "header" }),
  value: field.bytes(),
});

const All = defineProtocol("All", {
  u8: field.uint8(),
  i16le: field.int16({ endian: "little" }),
  u24: field.uint24(),
  i32: field.int32(),
  u64: field.uint64(),
  i64le: field.int64({ endian: "little" }),
  b3: field.bits(3),
  b9: field.bits(9),
  b20: field.bits(20),
  kind: field.uint8({ enum: { 1: "one", 2: "two" } }),
  flags: field.uint8({ flags: ["A", "B", "C", "D", "E", "F", "G", "H"] }),
  mac: field.mac(),
  v4: field.ipv4(),
  v6: field.ipv6(),
  fixed: field.string({ length: 6 }),
  prefixed: field.string({ prefix: 1, encoding: "utf8" }),
  cstr: field.string({ terminated: true }),
  raw4: field.bytes(4),
  count: field.uint8({ countOf: "tlvs" }),
  tlvs: field.list(TLV),
  dataLen: field.uint16({ lengthOf: "data" }),
  data: field.bytes(),
  opt: field.uint32({ when: "kind > 1" }),
  half: field.bits(4),
  nib: field.bits(4),
  pad: field.padding({ align: 8 }),
  tail: field.string(),
});

/** Check RFC 5952 4.2: the longest run of two or more zero groups is compressed, the first on ties. */
function checkRfc5952(text: string): void {
  if (text.startsWith("::ffff:") && text.includes(".")) return;
  const zeroRuns = (groups: string[]) => {
    const runs: number[] = [];
    let n = 0;
    for (const g of [...groups, "x"]) {
      if (g === "0") n++;
      else { if (n > 0) runs.push(n); n = 0; }
    }
    return runs;
  };
  const [head, tail] = text.split("::") as [string, string | undefined];
  const before = head === "" ? [] : head.split(":");
  if (tail === undefined) {
    assert.equal(before.length, 8, text);
    assert.ok(zeroRuns(before).every((r) => r < 2), `${text}: an uncompressed run of zeros`);
    return;
  }
  const after = tail === "" ? [] : tail.split(":");
  const compressed = 8 - before.length - after.length;
  assert.ok(compressed >= 2, `${text}: "::" stands for a single zero group`);
  assert.ok(zeroRuns(before).every((r) => r < compressed), `${text}: a longer or equal run before "::"`);
  assert.ok(zeroRuns(after).every((r) => r <= compressed), `${text}: a longer run after "::"`);
}

const V6 = defineProtocol("V6", { a: field.ipv6() });

const latin1Char = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
const bytesArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const v6Arb = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });

const valuesArb = fc.record({
  u8: fc.integer({ min: 0, max: 255 }),
  i16le: fc.integer({ min: -32768, max: 32767 }),
  u24: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
  i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  i64le: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  b3: fc.integer({ min: 0, max: 7 }),
  b9: fc.integer({ min: 0, max: 511 }),
  b20: fc.integer({ min: 0, max: 2 ** 20 - 1 }),
  kind: fc.integer({ min: 0, max: 4 }),
  flags: fc.integer({ min: 0, max: 255 }),
  mac: bytesArb(6, 6).map((b) => toHex(b).replace(/(..)(?!$)/g, "$1:")),
  v4: bytesArb(4, 4).map((b) => b.join(".")),
  v6words: v6Arb,
  fixed: fc.string({ unit: latin1Char, maxLength: 6 }),
  prefixed: fc.string({ maxLength: 40 }).filter((s) => new TextEncoder().encode(s).length < 256 && !/[\ud800-\udfff]/.test(s)),
  cstr: fc.string({ unit: latin1Char, maxLength: 20 }),
  raw4: bytesArb(4, 4),
  tlvs: fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }), value: bytesArb(0, 10) }), { maxLength: 5 }),
  data: bytesArb(0, 30),
  opt: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  half: fc.integer({ min: 0, max: 15 }),
  nib: fc.integer({ min: 0, max: 15 }),
  tail: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
});

test("dissect(build(x)) reproduces x for every field kind", () => {
  fc.assert(
    fc.property(valuesArb, ({ v6words, ...v }) => {
      const v6 = v6words.map((w) => w.toString(16)).join(":");
      const layer = All({ ...v, v6 });
      const wire = packet(layer).bytes();
      const p = dissect(wire, All);
      assert.equal(p.error, undefined, p.error?.message);
      assert.equal(p.truncated, false);
      assert.deepEqual(p.layers().map((l) => l.proto.name), ["All"]);
      const got = p.layer(All)!;
      const o = got.toObject();
      for (const k of Object.keys(v) as (keyof typeof v)[]) {
        if (k === "tlvs" || k === "opt") continue;
        assert.deepEqual(o[k], v[k], `field ${k}`);
      }
      assert.equal(o.opt, v.kind > 1 ? v.opt : undefined);
      assert.deepEqual(o.tlvs.map((t) => ({ type: t.type, value: t.value })), v.tlvs.map((t) => ({ ...t })));
      assert.deepEqual(o.tlvs.map((t) => t.length), v.tlvs.map((t) => t.value.length + 2));
      assert.equal(o.count, v.tlvs.length);
      assert.equal(o.dataLen, v.data.length);
      // the IPv6 address reads back canonical, and means the same 16 bytes
      assert.equal(got.v6, All({ v6: got.v6 }).v6);
      assert.equal(toHex(packet(V6({ a: got.v6 })).bytes()), toHex(packet(V6({ a: v6 })).bytes()));
      assert.doesNotMatch(got.v6, /(^|:)0[0-9a-f]/, "no leading zeros");
      assert.doesNotMatch(got.v6, /::.*::/);
      checkRfc5952(got.v6);
      // the padding makes everything before it a multiple of 8
      const span = got.span()!;
      assert.equal((wire.length - v.tail.length) % 8, 0);
      assert.equal(span.end, wire.length);
      // rebuilding keeps every byte
      got.u8 = v.u8;
      assert.deepEqual(p.bytes(), wire);
      assert.deepEqual(p.bytes({ recompute: true }), wire);
    }),
    { numRuns: RUNS, seed: 42, includeErrorInReport: true },
  );
});

/** Everything a user may call on a packet; none of it may throw. */
function exercise(p: Packet): void {
  p.layers();
  p.show();
  p.summary();
  JSON.stringify(p.toJSON());
  p.hexdump();
  p.verifyChecksums();
  p.bytes();
  void p.error;
  void p.truncated;
  for (const l of p.layers()) {
    l.toObject();
    l.toJSON();
    l.span();
  }
}

const firsts: [string, AnyProtocol][] = [["Ethernet", Ethernet], ["IPv4", IPv4], ["IPv6", IPv6], ["UDP", UDP]];

/** Random bytes, biased towards looking like the protocol so deeper layers get reached. */
function hostile(first: string): fc.Arbitrary<Uint8Array> {
  const any = fc.uint8Array({ maxLength: 200 });
  const ip4 = fc.tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 199 }), fc.boolean()).map(([ihl, rest, udp]) => {
    const b = new Uint8Array(1 + rest.length);
    b[0] = 0x40 | ihl;
    b.set(rest, 1);
    if (udp && b.length > 9) b[9] = 17;
    return b;
  });
  const ip6 = fc.tuple(fc.uint8Array({ maxLength: 199 }), fc.boolean()).map(([rest, udp]) => {
    const b = new Uint8Array(1 + rest.length);
    b[0] = 0x60;
    b.set(rest, 1);
    if (udp && b.length > 6) b[6] = 17;
    return b;
  });
  if (first === "IPv4") return fc.oneof(any, ip4);
  if (first === "IPv6") return fc.oneof(any, ip6);
  if (first === "Ethernet") {
    return fc.oneof(any, fc.tuple(bytesArb(12, 12), fc.oneof(ip4, ip6)).map(([mac, ip]) => {
      const b = new Uint8Array(14 + ip.length);
      b.set(mac);
      b[12] = ip[0]! >> 4 === 4 ? 0x08 : 0x86;
      b[13] = ip[0]! >> 4 === 4 ? 0x00 : 0xdd;
      b.set(ip, 14);
      return b;
    }));
  }
  return any;
}

for (const [name, P] of firsts) {
  test(`random bytes as ${name}: dissect and display never throw; strict parse throws only WirecraftErrors`, () => {
    fc.assert(
      fc.property(hostile(name), (bytes) => {
        const copy = bytes.slice();
        const p = dissect(bytes, P);
        exercise(p);
        assert.equal(p.bytes(), bytes, "unmodified: the same bytes");
        // a forced rebuild keeps wire values: identical bytes whenever dissection got through
        const first = p.layers()[0];
        if (first !== undefined && p.error === undefined && !p.truncated) {
          const l = first as unknown as Record<string, unknown>;
          const name0 = first.proto.fields[0]!.name;
          l[name0] = l[name0];
          assert.equal(toHex(p.bytes()), toHex(bytes), `rebuild of ${p.summary()}`);
        }
        try {
          p.bytes({ recompute: true });
        } catch (e) {
          assert.ok(e instanceof WirecraftError, `recompute threw ${String(e)}`);
        }
        try {
          const l = (P as unknown as { parse(b: Uint8Array): unknown }).parse(bytes);
          assert.ok(P.is(l));
        } catch (e) {
          assert.ok(e instanceof WirecraftError, `parse threw ${String(e)}`);
        }
        assert.deepEqual(bytes, copy, "the input is never modified");
      }),
      { numRuns: RUNS, seed: 7 },
    );
  });
}

test("random valid frames: dissect, recompute and rebuild give the same bytes", () => {
  const frame = fc.record({
    v6: fc.boolean(),
    ttl: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.integer({ min: 0, max: 7 }),
    nops: fc.integer({ min: 0, max: 10 }).map((w) => w * 4),
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.integer({ min: 0, max: 0xffff }),
    payload: bytesArb(0, 100),
    pad: bytesArb(0, 20),
  });
  fc.assert(
    fc.property(frame, (f) => {
      const ip = f.v6 ? IPv6({ hopLimit: f.ttl, flowLabel: f.id }) : IPv4({ ttl: f.ttl, id: f.id, flags: f.flags, options: nopOptions(f.nops) as never });
      const layers = [Ethernet(), ip, UDP({ srcPort: f.srcPort, dstPort: f.dstPort }), f.payload, Padding({ data: f.pad })] as const;
      const wire = packet(...layers).bytes();
      const p = dissect(wire, Ethernet);
      assert.equal(p.error, undefined);
      assert.ok(p.verifyChecksums().every((c) => c.ok));
      assert.equal(p.layer(UDP)!.srcPort, f.srcPort);
      assert.deepEqual(p.bytes({ recompute: true }), wire);
      p.layer(UDP)!.dstPort = f.dstPort;
      assert.deepEqual(p.bytes(), wire);
      if (f.pad.length > 0) assert.deepEqual(p.layer(Padding)!.data, f.pad);
    }),
    { numRuns: RUNS, seed: 3 },
  );
});
