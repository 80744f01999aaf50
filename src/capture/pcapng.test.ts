import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { block, concat, epb, idb, isb, nrb, opt, shb, spb, u64 } from "./builders.test.js";
import { isPcapng, readPcapngSync } from "./pcapng.js";
import { PcapngWriter, encodePcapng } from "./pcapng-writer.js";
import { type CaptureRecord, LinkType } from "./record.js";
import { caught } from "../../test/helpers/capture.js";
import { seededRandom } from "../packet/fuzz.js";

const T = 1700000000_123456789n;
const A = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee);
const B = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

/** Two interfaces (µs and ns), a comment, unknown and custom blocks, NRB, ISB, SPB. */
function richFile(le: boolean): Uint8Array {
  return concat(
    shb(le, [opt(le, 2, "test-hw"), opt(le, 3, "Linux"), opt(le, 4, "builders"), opt(le, 1, "section one")]),
    idb(le, LinkType.ETHERNET, 65535, [opt(le, 2, "eth0"), opt(le, 3, "first NIC")]),
    idb(le, LinkType.RAW, 0, [opt(le, 2, "tun0"), opt(le, 9, Uint8Array.of(9))]),
    epb(le, 0, T / 1000n, A, [opt(le, 1, "first frame ✓")]),
    block(le, 0x12345678, new Uint8Array(20).fill(0x55)),
    epb(le, 1, T + 1n, B, [], 1500),
    block(le, 0x00000bad, concat(new Uint8Array(4), Uint8Array.of(1, 2, 3, 4))),
    nrb(le, [
      { type: 1, address: [10, 0, 0, 1], names: ["gw.example", "router"] },
      { type: 2, address: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], names: ["v6.example"] },
    ]),
    spb(le, A),
    isb(le, 0, T / 1000n, [opt(le, 4, u64(le, 42n)), opt(le, 5, u64(le, 3n)), opt(le, 1, "stats")]),
  );
}

test("reads a hand-built file in both byte orders: interfaces, comment, NRB, ISB, SPB", () => {
  for (const le of [true, false]) {
    const bytes = richFile(le);
    assert.ok(isPcapng(bytes));
    const reader = readPcapngSync(bytes);
    const recs = [...reader];
    assert.deepEqual(recs, [
      { time: T - (T % 1000n), data: A, originalLength: 5, linkType: 1, interface: 0, comment: "first frame ✓" },
      { time: T + 1n, data: B, originalLength: 1500, linkType: 101, interface: 1 },
      { time: 0n, data: A, originalLength: 5, linkType: 1, interface: 0 },
    ]);
    assert.deepEqual(reader.sections, [
      {
        offset: 0,
        byteOrder: le ? "little" : "big",
        versionMajor: 1,
        versionMinor: 0,
        sectionLength: -1n,
        hardware: "test-hw",
        os: "Linux",
        application: "builders",
        comment: "section one",
      },
    ]);
    assert.equal(reader.interfaces.length, 2);
    assert.deepEqual(reader.interfaces[0], { index: 0, section: 0, id: 0, linkType: 1, snaplen: 65535, tsresol: 6, tsoffset: 0n, name: "eth0", description: "first NIC" });
    assert.equal(reader.interfaces[1]!.tsresol, 9);
    assert.equal(reader.interfaces[1]!.name, "tun0");
    assert.deepEqual(reader.names, [
      { family: 4, address: "10.0.0.1", names: ["gw.example", "router"] },
      { family: 6, address: "2001:db8::1", names: ["v6.example"] },
    ]);
    assert.deepEqual(reader.statistics, [{ interface: 0, time: T - (T % 1000n), received: 42n, dropped: 3n, comment: "stats" }]);
  }
});

test("if_tsresol in powers of two and of ten, and if_tsoffset", () => {
  const le = true;
  const bytes = concat(
    shb(le),
    idb(le, 1, 0, [opt(le, 9, Uint8Array.of(0x80 | 20))]), // 2^-20 s
    idb(le, 1, 0, [opt(le, 9, Uint8Array.of(3)), opt(le, 14, u64(le, 1000n))]), // ms, +1000 s
    idb(le, 1, 0, [opt(le, 9, Uint8Array.of(12))]), // ps
    epb(le, 0, (1700000000n << 20n) + (1n << 19n), A), // x.5 s
    epb(le, 1, 1700000000123n, A),
    epb(le, 2, 1_000_000_123_456_789_012n, A), // 1000000.123456789012 s
  );
  const times = [...readPcapngSync(bytes)].map((r) => r.time);
  assert.deepEqual(times, [1700000000_500000000n, 1700001000_123000000n, 1000000_123456789n]);
});

test("several sections, each with its own byte order and interfaces", () => {
  const bytes = concat(
    shb(true),
    idb(true, LinkType.ETHERNET, 0),
    epb(true, 0, 1n, A),
    shb(false, [], 80n),
    idb(false, LinkType.LINUX_SLL, 0, [opt(false, 9, Uint8Array.of(9))]),
    idb(false, LinkType.RAW, 0, [opt(false, 9, Uint8Array.of(9))]),
    epb(false, 1, 2n, B),
    epb(false, 0, 3n, A),
    shb(true),
    idb(true, LinkType.IPV4, 0),
    epb(true, 0, 4n, B),
  );
  const reader = readPcapngSync(bytes);
  const recs = [...reader];
  assert.deepEqual(
    recs.map((r) => [r.time, r.linkType, r.interface]),
    [
      [1000n, 1, 0],
      [2n, 101, 2],
      [3n, 113, 1],
      [4000n, 228, 3],
    ],
  );
  assert.deepEqual(
    reader.sections.map((s) => [s.byteOrder, s.sectionLength]),
    [
      ["little", -1n],
      ["big", 80n],
      ["little", -1n],
    ],
  );
  assert.deepEqual(
    reader.interfaces.map((i) => [i.index, i.section, i.id]),
    [
      [0, 0, 0],
      [1, 1, 0],
      [2, 1, 1],
      [3, 2, 0],
    ],
  );
});

test("a packet for an interface the section lacks is ERR_CAPTURE_FORMAT", () => {
  const good = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, A));
  const bad = epb(true, 1, 2n, A);
  const seen: CaptureRecord[] = [];
  const err = caught(() => {
    for (const r of readPcapngSync(concat(good, bad))) seen.push(r);
  });
  assert.equal(seen.length, 1);
  assert.equal(err.code, "ERR_CAPTURE_FORMAT");
  assert.equal(err.offset, good.length);
  assert.match(err.message, /interface 1/);
});

test("a trailing length that does not match is ERR_CAPTURE_FORMAT at the block", () => {
  const head = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, A));
  const broken = block(true, 6, concat(new Uint8Array(20), new Uint8Array(8)), 999);
  const seen: CaptureRecord[] = [];
  const err = caught(() => {
    for (const r of readPcapngSync(concat(head, broken, epb(true, 0, 2n, A)))) seen.push(r);
  });
  assert.equal(seen.length, 1);
  assert.equal(err.code, "ERR_CAPTURE_FORMAT");
  assert.equal(err.offset, head.length);
  assert.match(err.message, /trailing/);
});

test("a corrupt block length is ERR_CAPTURE_FORMAT (unaligned, too small) or truncation (too big)", () => {
  const head = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, A));
  for (const [len, code] of [
    [45, "ERR_CAPTURE_FORMAT"],
    [8, "ERR_CAPTURE_FORMAT"],
    [0x7fffffff, "ERR_CAPTURE_FORMAT"],
    [4096, "ERR_CAPTURE_TRUNCATED"],
  ] as const) {
    const next = epb(true, 0, 2n, B);
    new DataView(next.buffer).setUint32(4, len, true);
    const seen: CaptureRecord[] = [];
    const err = caught(() => {
      for (const r of readPcapngSync(concat(head, next))) seen.push(r);
    });
    assert.equal(seen.length, 1, `length ${len}`);
    assert.equal(err.code, code, `length ${len}`);
    assert.equal(err.offset, head.length);
  }
});

test("a captured length past the block is ERR_CAPTURE_FORMAT", () => {
  const head = concat(shb(true), idb(true, 1, 0));
  const b = epb(true, 0, 1n, A);
  new DataView(b.buffer).setUint32(20, 1000, true);
  const err = caught(() => [...readPcapngSync(concat(head, b))]);
  assert.equal(err.code, "ERR_CAPTURE_FORMAT");
  assert.equal(err.offset, head.length);
});

test("a truncated file yields the good packets, then ERR_CAPTURE_TRUNCATED at the cut block", () => {
  const head = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, A), epb(true, 0, 2n, B));
  const last = epb(true, 0, 3n, B);
  for (const cut of [1, 8, 12, last.length - 1]) {
    const seen: CaptureRecord[] = [];
    const err = caught(() => {
      for (const r of readPcapngSync(concat(head, last.subarray(0, cut)))) seen.push(r);
    });
    assert.equal(seen.length, 2);
    assert.equal(err.code, "ERR_CAPTURE_TRUNCATED");
    assert.equal(err.offset, head.length);
  }
});

test("a file not starting with a section header, or with a bad byte-order magic, is rejected", () => {
  assert.equal(caught(() => readPcapngSync(idb(true, 1, 0))).code, "ERR_CAPTURE_FORMAT");
  const s = shb(true);
  s[8] = 0;
  assert.match(caught(() => [...readPcapngSync(s)]).message, /byte-order magic/);
  const v = shb(true);
  v[12] = 2;
  assert.match(caught(() => [...readPcapngSync(v)]).message, /version 2\.0/);
  const o = concat(shb(true), block(true, 1, concat(new Uint8Array(8), Uint8Array.of(2, 0, 200, 0))));
  assert.match(caught(() => [...readPcapngSync(o)]).message, /option 2 of length 200/);
});

test("writer round trip: two link types get two interfaces, ns stamps, comments", () => {
  const recs: CaptureRecord[] = [
    { time: T, data: A, originalLength: 60, linkType: 1, interface: 0, comment: "hello" },
    { time: T + 5n, data: B, originalLength: 8, linkType: 101, interface: 1 },
    { time: T + 9n, data: B.subarray(1), originalLength: 7, linkType: 1, interface: 0 },
  ];
  for (const byteOrder of ["little", "big"] as const) {
    const reader = readPcapngSync(encodePcapng(recs, { byteOrder }));
    assert.deepEqual([...reader], recs);
    assert.deepEqual(
      reader.interfaces.map((i) => [i.linkType, i.tsresol]),
      [
        [1, 9],
        [101, 9],
      ],
    );
    assert.equal(reader.sections[0]!.application, "wirecraft");
    assert.equal(reader.sections[0]!.byteOrder, byteOrder);
  }
});

test("writer with declared interfaces picks them by record.interface", async () => {
  const got: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      cb();
    },
  });
  const w = new PcapngWriter(sink, {
    interfaces: [
      { linkType: 1, name: "eth0" },
      { linkType: 1, name: "eth1", snaplen: 4 },
    ],
    comment: "two NICs",
  });
  await w.write({ time: 1n, data: A, interface: 1 });
  await w.write({ time: 2n, data: A });
  assert.throws(() => w.write({ time: 3n, data: A, interface: 2 }), RangeError);
  await w.close();
  const reader = readPcapngSync(new Uint8Array(Buffer.concat(got)));
  const recs = [...reader];
  assert.deepEqual(
    recs.map((r) => [r.interface, r.data.length, r.originalLength]),
    [
      [1, 4, 5],
      [0, 5, 5],
    ],
  );
  assert.deepEqual(
    reader.interfaces.map((i) => i.name),
    ["eth0", "eth1"],
  );
  assert.equal(reader.sections[0]!.comment, "two NICs");
});

test("an empty writer still writes a section header", () => {
  const bytes = encodePcapng([]);
  const reader = readPcapngSync(bytes);
  assert.deepEqual([...reader], []);
  assert.equal(reader.sections.length, 1);
});

test("nanosecond and microsecond timestamps read back exactly, whatever their upper and lower 32 bits", () => {
  const rnd = seededRandom(17);
  const ns: bigint[] = [];
  for (let i = 0; i < 3000; i++) {
    // Upper words that repeat and change, lower words at and near their edges.
    const hi = BigInt(i % 7 === 0 ? Math.floor(rnd() * 2 ** 32) : 0x17a2b3c4 + Math.floor(i / 500));
    const r = rnd();
    const lo = BigInt(r < 0.1 ? 0 : r < 0.2 ? 2 ** 32 - 1 : Math.floor(rnd() * 2 ** 32));
    ns.push((hi << 32n) | lo);
  }
  ns.push(0n, 1n, 2n ** 64n - 1n);
  // The writer writes nanoseconds.
  const recs = ns.map((time) => ({ time, data: A, originalLength: A.length, linkType: 1, interface: 0 }));
  assert.deepEqual([...readPcapngSync(encodePcapng(recs))].map((r) => r.time), ns);
  // Microseconds (if_tsresol 6, the default), from ticks made here.
  const le = true;
  const ticks = ns.map((t) => t & (2n ** 64n - 1n) >> 10n); // below 2^54: times 1000 stays within 64 bits
  const file = concat(shb(le), idb(le, 1, 0), ...ticks.map((t) => epb(le, 0, t, A)));
  assert.deepEqual([...readPcapngSync(file)].map((r) => r.time), ticks.map((t) => t * 1000n));
});
