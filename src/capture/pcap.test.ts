import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pcapFile } from "./builders.test.js";
import { PcapWriter, encodePcap, isPcap, readPcapSync } from "./pcap.js";
import { type CaptureRecord, LinkType } from "./record.js";
import { caught } from "../../test/helpers/capture.js";

function frames(n: number, nsStep = 1_001n): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let i = 0; i < n; i++) {
    const data = Uint8Array.from({ length: 14 + i * 3 }, (_, k) => (i + k) & 255);
    out.push({ time: 1700000000_123456789n + BigInt(i) * nsStep * 1000n, data, originalLength: data.length + (i % 2), linkType: 1, interface: 0 });
  }
  return out;
}

function truncUs(t: bigint): bigint {
  return t - (t % 1000n);
}

test("pcap round trip with microsecond stamps keeps data and truncates time to µs", () => {
  const recs = frames(5);
  const bytes = encodePcap(recs);
  assert.ok(isPcap(bytes));
  const reader = readPcapSync(bytes);
  assert.deepEqual(reader.header, { byteOrder: "little", nanosecond: false, versionMajor: 2, versionMinor: 4, snaplen: 262144, linkType: 1 });
  const back = [...reader];
  assert.equal(back.length, 5);
  back.forEach((r, i) => {
    assert.equal(r.time, truncUs(recs[i]!.time));
    assert.deepEqual(r.data, recs[i]!.data);
    assert.equal(r.originalLength, recs[i]!.originalLength);
    assert.equal(r.linkType, 1);
    assert.equal(r.interface, 0);
  });
});

test("pcap round trip with nanosecond stamps, both byte orders", () => {
  const recs = frames(6);
  for (const byteOrder of ["little", "big"] as const) {
    const bytes = encodePcap(recs, { nanosecond: true, byteOrder, linkType: LinkType.ETHERNET });
    const reader = readPcapSync(bytes);
    assert.equal(reader.header.byteOrder, byteOrder);
    assert.equal(reader.header.nanosecond, true);
    assert.deepEqual([...reader], recs);
  }
});

test("reads hand-built big-endian files, µs and ns", () => {
  const data = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 1);
  const us = pcapFile(false, false, LinkType.RAW, 65535, [
    { sec: 1700000000, frac: 123456, data },
    { sec: 1700000001, frac: 999999, data: data.subarray(0, 2), orig: 1500 },
  ]);
  assert.deepEqual([...us.subarray(0, 4)], [0xa1, 0xb2, 0xc3, 0xd4]);
  const r = readPcapSync(us);
  assert.deepEqual(r.header, { byteOrder: "big", nanosecond: false, versionMajor: 2, versionMinor: 4, snaplen: 65535, linkType: 101 });
  assert.deepEqual([...r], [
    { time: 1700000000123456000n, data, originalLength: 5, linkType: 101, interface: 0 },
    { time: 1700000001999999000n, data: data.subarray(0, 2), originalLength: 1500, linkType: 101, interface: 0 },
  ]);
  const ns = pcapFile(false, true, LinkType.LINUX_SLL2, 65535, [{ sec: 1700000000, frac: 123456789, data }]);
  assert.deepEqual([...ns.subarray(0, 4)], [0xa1, 0xb2, 0x3c, 0x4d]);
  assert.equal([...readPcapSync(ns)][0]!.time, 1700000000123456789n);
  assert.equal(readPcapSync(ns).header.linkType, 276);
});

test("records are views into the input (zero-copy)", () => {
  const bytes = encodePcap(frames(2));
  const [first] = readPcapSync(bytes);
  assert.equal(first!.data.buffer, bytes.buffer);
  assert.equal(first!.data.byteOffset, 24 + 16);
});

test("a truncated file yields the good records, then ERR_CAPTURE_TRUNCATED at the cut record", () => {
  const bytes = encodePcap(frames(4), { nanosecond: true });
  const sizes = frames(4).map((r) => 16 + r.data.length);
  const thirdAt = 24 + sizes[0]! + sizes[1]!;
  for (const cut of [thirdAt + 3, thirdAt + 16, thirdAt + sizes[2]! - 1]) {
    const seen: CaptureRecord[] = [];
    const err = caught(() => {
      for (const r of readPcapSync(bytes.subarray(0, cut))) seen.push(r);
    });
    assert.equal(seen.length, 2);
    assert.equal(err.code, "ERR_CAPTURE_TRUNCATED");
    assert.equal(err.offset, thirdAt);
    assert.match(err.message, /truncated/);
  }
});

test("a record longer than the snaplen allows is ERR_CAPTURE_FORMAT after the good ones", () => {
  const ok = Uint8Array.of(1, 2, 3);
  const bytes = pcapFile(true, false, 1, 1000, [
    { sec: 1, frac: 0, data: ok },
    { sec: 2, frac: 0, data: ok, incl: 300000 },
  ]);
  const seen: CaptureRecord[] = [];
  const err = caught(() => {
    for (const r of readPcapSync(bytes)) seen.push(r);
  });
  assert.equal(seen.length, 1);
  assert.equal(err.code, "ERR_CAPTURE_FORMAT");
  assert.equal(err.offset, 24 + 16 + 3);
  assert.match(err.message, /captured length 300000/);
});

test("bad magic, bad version, short header and empty input are errors at offset 0", () => {
  const bad = caught(() => readPcapSync(Uint8Array.of(1, 2, 3, 4, ...new Array(20).fill(0))));
  assert.equal(bad.code, "ERR_CAPTURE_FORMAT");
  assert.equal(bad.offset, 0);
  const v = pcapFile(true, false, 1, 100, []);
  v[4] = 3;
  assert.match(caught(() => readPcapSync(v)).message, /version 3\.4/);
  assert.equal(caught(() => readPcapSync(v.subarray(0, 10))).code, "ERR_CAPTURE_TRUNCATED");
  assert.equal(caught(() => readPcapSync(new Uint8Array(0))).code, "ERR_CAPTURE_TRUNCATED");
});

test("writers cut frames to the snaplen and keep the original length", () => {
  const data = new Uint8Array(100).fill(7);
  const [r] = readPcapSync(encodePcap([{ time: 5n, data }], { snaplen: 64 }));
  assert.equal(r!.data.length, 64);
  assert.equal(r!.originalLength, 100);
  assert.equal(r!.time, 0n);
});

test("writers reject bad times and mixed link types", () => {
  assert.throws(() => encodePcap([{ time: -1n, data: new Uint8Array(1) }]), RangeError);
  assert.throws(() => encodePcap([{ time: 1n << 80n, data: new Uint8Array(1) }]), RangeError);
  assert.throws(
    () => encodePcap([{ time: 1n, data: new Uint8Array(1), linkType: 1 }, { time: 1n, data: new Uint8Array(1), linkType: 101 }]),
    /pcapng/,
  );
});

test("PcapWriter writes to a path", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-pcap-"));
  try {
    const path = join(dir, "out.pcap");
    const w = new PcapWriter(path, { nanosecond: true, linkType: 1 });
    const recs = frames(3);
    for (const r of recs) await w.write(r);
    await w.close();
    const bytes = new Uint8Array(await readFile(path));
    assert.deepEqual(bytes, encodePcap(recs, { nanosecond: true }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("PcapWriter waits for drain on a slow stream and loses nothing", async () => {
  const got: Buffer[] = [];
  // 3000 records are ~650 KB; with backpressure the stream never buffers more than two chunks.
  let maxBuffered = 0;
  const slow = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
      setTimeout(cb, 1);
    },
  });
  const w = new PcapWriter(slow, { nanosecond: true });
  const recs: CaptureRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const data = new Uint8Array(200).fill(i & 255);
    recs.push({ time: BigInt(i) * 1000n, data, originalLength: 200, linkType: 1, interface: 0 });
  }
  for (const r of recs) await w.write(r);
  await w.close();
  assert.ok(maxBuffered > 0);
  assert.ok(maxBuffered <= 2 * 65536, `stream buffered ${maxBuffered} bytes`);
  assert.ok(slow.writableFinished);
  assert.deepEqual([...readPcapSync(new Uint8Array(Buffer.concat(got)))], recs);
});

test("closing without records writes a valid empty file", async () => {
  const got: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      cb();
    },
  });
  const w = new PcapWriter(sink, { linkType: LinkType.RAW });
  await w.close();
  const r = readPcapSync(new Uint8Array(Buffer.concat(got)));
  assert.equal(r.header.linkType, 101);
  assert.deepEqual([...r], []);
});

test("records are views of the bytes read: a Uint8Array gives Uint8Array views, a Buffer gives Buffer views (pcap and pcapng)", async () => {
  const { encodePcapng } = await import("./pcapng-writer.js");
  const { readPcapngSync } = await import("./pcapng.js");
  const recs = frames(3);
  for (const [encode, read] of [[encodePcap, readPcapSync], [encodePcapng, readPcapngSync]] as const) {
    const bytes = encode(recs);
    // At an offset inside a larger buffer, so that a view's byteOffset is checked too.
    const outer = new Uint8Array(bytes.length + 7);
    outer.set(bytes, 7);
    const plain = outer.subarray(7);
    const fromPlain = [...read(plain)];
    fromPlain.forEach((r, i) => {
      assert.equal(r.data.constructor, Uint8Array);
      assert.equal(r.data.buffer, outer.buffer, "a view, not a copy");
      assert.deepEqual([...r.data], [...recs[i]!.data]);
    });
    const fromBuffer = [...read(Buffer.from(plain))];
    fromBuffer.forEach((r, i) => {
      assert.ok(Buffer.isBuffer(r.data));
      assert.deepEqual([...r.data], [...recs[i]!.data]);
    });
  }
});
