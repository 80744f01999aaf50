// The Internet checksum and verifyChecksums(): good, bad, absent and unverifiable checksums.
import { test } from "node:test";
import assert from "node:assert/strict";
import { internetChecksum, onesComplementSum, finishChecksum } from "./checksum.js";
import { defineProtocol, field } from "../schema/protocol.js";
import { dissect, packet } from "./packet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { bind } from "./bind.js";

test("RFC 1071 section 3 example: the sum of 0001 f203 f4f5 f6f7 is ddf2, checksum 220d", () => {
  const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(finishChecksum(onesComplementSum(b, 0, b.length)), 0x220d);
  assert.equal(internetChecksum(b), 0x220d);
});

test("odd lengths pad with a zero byte; long inputs fold without overflow", () => {
  assert.equal(internetChecksum(new Uint8Array([0x12])), ~0x1200 & 0xffff);
  const big = new Uint8Array(1 << 20).fill(0xff);
  assert.equal(internetChecksum(big), 0);
  // A checksum written into its own data makes the sum verify to zero.
  const data = new Uint8Array([0x45, 0, 0, 0x1c, 0, 1, 0, 0, 0x40, 0x11, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  const c = internetChecksum(data);
  data[10] = c >> 8;
  data[11] = c & 0xff;
  assert.equal(internetChecksum(data), 0);
});

test("onesComplementSum and internetChecksum equal a word-by-word sum at any offset, length and start value", () => {
  // Seeded bytes (a linear congruential generator), odd and even starts and lengths.
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  const b = new Uint8Array(600).map(() => rnd());
  const naive = (start: number, end: number, initial: number): number => {
    let s = initial;
    for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
    return s;
  };
  for (let start = 0; start < 9; start++) {
    for (let len = 0; len < 300; len += 7) {
      for (const initial of [0, 6 + 84, 0x3ffff]) {
        const want = finishChecksum(naive(start, start + len, initial));
        assert.equal(finishChecksum(onesComplementSum(b, start, start + len, initial)), want, `start ${start} length ${len}`);
        assert.equal(internetChecksum(b, start, start + len, initial), want, `internetChecksum, start ${start} length ${len}`);
      }
    }
  }
  // Long inputs (9 MiB) fold without losing carries.
  const big = new Uint8Array(9 << 20).map((_, i) => (i * 7 + (i >> 9)) & 255);
  let s = 0;
  for (let i = 0; i < big.length; i += 2) s += (big[i]! << 8) | big[i + 1]!;
  assert.equal(finishChecksum(onesComplementSum(big, 0, big.length)), finishChecksum(s));
  assert.equal(internetChecksum(big), finishChecksum(s));
  assert.equal(finishChecksum(onesComplementSum(big, 1, big.length - 2, 77)), finishChecksum(onesComplementSum(big.subarray(1, big.length - 2), 0, big.length - 3, 77)));
});

const Sum = defineProtocol("SumDemo", {
  kind: field.uint8(),
  pad: field.uint8(),
  check: field.uint16({ checksum: (c) => internetChecksum(c.bytes, c.start, c.end), checksumAbsentWhenZero: true }),
  body: field.bytes(),
});

test("verifyChecksums reports good, bad and absent", () => {
  const wire = packet(Sum({ kind: 7, body: "abc" })).bytes();
  const good = dissect(wire, Sum).verifyChecksums();
  assert.deepEqual(good.map((c) => [c.layer, c.field, c.status, c.ok]), [["SumDemo", "check", "good", true]]);
  const bad = wire.slice();
  bad[2] ^= 0xff;
  const b = dissect(bad, Sum).verifyChecksums()[0]!;
  assert.equal(b.status, "bad");
  assert.equal(b.ok, false);
  assert.equal(b.expected, good[0]!.actual);
  const zero = wire.slice();
  zero[2] = 0;
  zero[3] = 0;
  assert.equal(dissect(zero, Sum).verifyChecksums()[0]!.status, "absent");
  assert.equal(wire[2], good[0]!.actual >> 8, "verifying never writes into the caller's bytes");
});

test("a checksum over bytes cut short by a snaplen is unverifiable, not bad", () => {
  const wire = packet(IPv4({ dst: "10.0.0.2" }), UDP({ dstPort: 9 }), new Uint8Array(40).fill(1)).bytes();
  const cut = dissect(wire.subarray(0, 40), IPv4);
  assert.equal(cut.truncated, true);
  const [ip, udp] = cut.verifyChecksums();
  assert.equal(ip!.status, "good", "the IPv4 header is whole");
  assert.equal(udp!.status, "unverifiable");
  assert.equal(udp!.ok, false);
});

test("a protocol bound under UDP gets its checksum after UDP's inner bytes are final", () => {
  bind(UDP, Sum, { dstPort: 47999 });
  const p = dissect(packet(IPv4(), UDP(), Sum({ body: "xyz" })).bytes(), IPv4);
  assert.deepEqual(p.verifyChecksums().map((c) => c.status), ["good", "good", "good"]);
});

// A checksum function that builds a packet of the same chain while its own is being built: the
// inner build gets its own scratch and contexts, and the outer checksum still sees its own layer.
const inner: Uint8Array[] = [];
const Nest = defineProtocol("NestDemo", {
  kind: field.uint16(),
  check: field.uint16({
    checksum: (c) => {
      if (c.bytes[c.start + 1] === 1) inner.push(packet(Nest({ kind: 2 }), new Uint8Array([9, 9, 9])).bytes());
      return internetChecksum(c.bytes, c.start, c.end);
    },
  }),
});

test("a checksum function may build a packet of the same protocols (re-entry)", () => {
  for (let round = 0; round < 3; round++) {
    inner.length = 0;
    const outer = packet(Nest({ kind: 1 }), new Uint8Array([1, 2, 3, 4, 5])).bytes();
    assert.equal(inner.length, 1);
    assert.equal(internetChecksum(outer), 0, "the outer checksum covers the outer bytes");
    assert.deepEqual([...outer.subarray(0, 2), ...outer.subarray(4)], [0, 1, 1, 2, 3, 4, 5]);
    assert.equal(internetChecksum(inner[0]!), 0, "the inner packet is whole too");
    assert.deepEqual([...inner[0]!.subarray(0, 2), ...inner[0]!.subarray(4)], [0, 2, 9, 9, 9]);
    assert.ok(dissect(outer, Nest).verifyChecksums().every((x) => x.ok));
  }
});
