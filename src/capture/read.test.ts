import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { concat, epb, idb, nrb, opt, shb, tinyChunks } from "./builders.test.js";
import { CaptureError } from "./errors.js";
import { encodePcap } from "./pcap.js";
import { readPcapngSync } from "./pcapng.js";
import { encodePcapng } from "./pcapng-writer.js";
import { readPcap, writePcap } from "./read.js";
import { type CaptureRecord, LinkType } from "./record.js";
import { readPcapSync } from "./pcap.js";

function frames(n: number): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let i = 0; i < n; i++) {
    const data = Uint8Array.from({ length: (i * 37) % 300 }, (_, k) => (i * 7 + k) & 255);
    out.push({ time: 1700000000_000000000n + BigInt(i) * 123_456_789n, data, originalLength: data.length, linkType: 1, interface: 0 });
  }
  return out;
}

async function collect(it: AsyncIterable<CaptureRecord>): Promise<{ records: CaptureRecord[]; error?: CaptureError }> {
  const records: CaptureRecord[] = [];
  try {
    for await (const r of it) records.push(r);
  } catch (err) {
    assert.ok(err instanceof CaptureError, `expected CaptureError, got ${String(err)}`);
    return { records, error: err };
  }
  return { records };
}

function syncRecords(bytes: Uint8Array): { records: CaptureRecord[]; error?: CaptureError } {
  const records: CaptureRecord[] = [];
  const reader = bytes[0] === 0x0a ? readPcapngSync(bytes) : readPcapSync(bytes);
  try {
    for (const r of reader) records.push(r);
  } catch (err) {
    assert.ok(err instanceof CaptureError);
    return { records, error: err };
  }
  return { records };
}

const pcapBytes = encodePcap(frames(60), { nanosecond: true });
const le = true;
const ngBytes = concat(
  shb(le),
  idb(le, LinkType.ETHERNET, 0),
  idb(le, LinkType.RAW, 0, [opt(le, 9, Uint8Array.of(9))]),
  ...frames(30).map((r, i) => epb(le, i % 2, i % 2 ? r.time : r.time / 1000n, r.data, i % 5 === 0 ? [opt(le, 1, `frame ${i}`)] : [])),
  nrb(le, [{ type: 1, address: [127, 0, 0, 1], names: ["localhost"] }]),
  shb(false),
  idb(false, LinkType.LINUX_SLL, 0),
  epb(false, 0, 77n, Uint8Array.of(1, 2, 3)),
);

test("streaming in tiny chunks (1..7 bytes) gives the same records as the sync reader", async () => {
  for (const bytes of [pcapBytes, ngBytes, encodePcapng(frames(40))]) {
    const want = syncRecords(bytes);
    assert.equal(want.error, undefined);
    for (const seed of [1, 2, 3]) {
      const got = await collect(readPcap(Readable.from(tinyChunks(bytes, seed))));
      assert.deepEqual(got, want);
    }
    // One big chunk, and an async generator of chunks.
    assert.deepEqual(await collect(readPcap(bytes)), want);
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
    }
    assert.deepEqual(await collect(readPcap(gen())), want);
  }
});

test("streaming keeps the error contract: good records, then the same error and offset", async () => {
  const cuts = [25, 24 + 40, pcapBytes.length - 1, ngBytes.length - 3, ngBytes.length - 20];
  for (const [bytes, cut] of [
    [pcapBytes, cuts[0]!],
    [pcapBytes, cuts[1]!],
    [pcapBytes, cuts[2]!],
    [ngBytes, cuts[3]!],
    [ngBytes, cuts[4]!],
  ] as const) {
    const part = bytes.slice(0, cut);
    const want = syncRecords(part);
    assert.ok(want.error !== undefined);
    assert.equal(want.error.code, "ERR_CAPTURE_TRUNCATED");
    const got = await collect(readPcap(Readable.from(tinyChunks(part, cut))));
    assert.deepEqual(got.records, want.records);
    assert.equal(got.error?.code, want.error.code);
    assert.equal(got.error?.offset, want.error.offset);
  }
  // A corrupt length mid-file.
  const broken = pcapBytes.slice();
  const at = 24 + 16 + 0; // second record's header (first record is empty)
  new DataView(broken.buffer).setUint32(at + 8, 0x7fffffff, true);
  const want = syncRecords(broken);
  const got = await collect(readPcap(Readable.from(tinyChunks(broken, 9))));
  assert.equal(want.error?.code, "ERR_CAPTURE_FORMAT");
  assert.equal(want.error?.offset, at);
  assert.deepEqual(got.records, want.records);
  assert.equal(got.error?.offset, at);
});

test("not a capture file, empty and short inputs are errors at offset 0", async () => {
  const bad = await collect(readPcap(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0)));
  assert.equal(bad.error?.code, "ERR_CAPTURE_FORMAT");
  assert.equal(bad.error?.offset, 0);
  const empty = await collect(readPcap(Readable.from([])));
  assert.equal(empty.error?.code, "ERR_CAPTURE_TRUNCATED");
  assert.match(empty.error!.message, /empty/);
  const short = await collect(readPcap(Readable.from([Uint8Array.of(0xd4, 0xc3)])));
  assert.equal(short.error?.code, "ERR_CAPTURE_TRUNCATED");
  const header = await collect(readPcap(Readable.from([pcapBytes.subarray(0, 10)])));
  assert.equal(header.error?.code, "ERR_CAPTURE_TRUNCATED");
  assert.equal(header.error?.offset, 0);
});

test("the reader exposes format and metadata", async () => {
  const r = readPcap(Readable.from(tinyChunks(ngBytes)));
  assert.equal(r.format, undefined);
  const n = (await collect(r)).records.length;
  assert.equal(n, 31);
  assert.equal(r.format, "pcapng");
  assert.equal(r.sections.length, 2);
  assert.equal(r.interfaces.length, 3);
  assert.deepEqual(r.names, [{ family: 4, address: "127.0.0.1", names: ["localhost"] }]);
  const p = readPcap(pcapBytes);
  await collect(p);
  assert.equal(p.format, "pcap");
  assert.equal(p.header?.nanosecond, true);
});

test("file paths: writePcap picks the format by extension and readPcap reads it back", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-read-"));
  try {
    const recs = frames(500);
    for (const name of ["a.pcap", "b.pcapng", "c.cap"]) {
      const path = join(dir, name);
      assert.equal(await writePcap(path, recs), 500);
      const head = new Uint8Array(await readFile(path));
      const magic = new DataView(head.buffer, head.byteOffset).getUint32(0, true);
      assert.equal(magic, name.endsWith(".pcapng") ? 0x0a0d0d0a : 0xa1b23c4d);
      assert.deepEqual((await collect(readPcap(path, { chunkSize: 4096 }))).records, recs);
    }
    const forced = join(dir, "d.pcap");
    await writePcap(forced, frames(3), { format: "pcapng" });
    const r = readPcap(forced);
    await collect(r);
    assert.equal(r.format, "pcapng");
    // An async iterable of records, and breaking out early.
    async function* gen(): AsyncGenerator<CaptureRecord> {
      yield* recs;
    }
    await writePcap(join(dir, "e.pcapng"), gen());
    let seen = 0;
    for await (const _ of readPcap(join(dir, "e.pcapng"), { chunkSize: 1024 })) {
      if (++seen === 10) break;
    }
    assert.equal(seen, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a missing file rejects with the fs error", async () => {
  await assert.rejects(async () => {
    for await (const _ of readPcap("/nonexistent/wirecraft.pcap"));
  }, { code: "ENOENT" });
});

test('"-" reads standard input', async () => {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-stdin-"));
  try {
    const file = join(dir, "in.pcapng");
    await writeFile(file, ngBytes);
    const readJs = fileURLToPath(new URL("./read.js", import.meta.url));
    const script = `import { readPcap } from ${JSON.stringify(readJs)};
      let n = 0, last = 0n;
      for await (const r of readPcap("-")) { n++; last = r.time; }
      console.log(n + " " + last);`;
    const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], { input: ngBytes, encoding: "utf8" });
    assert.equal(out.stderr, "");
    assert.equal(out.stdout.trim(), "31 77000");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("file paths in any chunk size (2 bytes to more than the file) give the sync reader's records and errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-chunks-"));
  try {
    // A record longer than the chunk size, and frames that straddle every chunk boundary.
    const big = frames(5);
    big[2] = { ...big[2]!, data: new Uint8Array(70_000).fill(7), originalLength: 70_000 };
    const files = [
      ["a.pcap", pcapBytes],
      ["b.pcapng", ngBytes],
      ["c.pcap", encodePcap(big, { nanosecond: true })],
      ["d.pcapng", encodePcapng(big)],
      ["cut.pcap", pcapBytes.slice(0, pcapBytes.length - 5)],
      ["cut.pcapng", ngBytes.slice(0, ngBytes.length - 9)],
    ] as const;
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      const want = syncRecords(bytes);
      assert.equal(want.error !== undefined, name.startsWith("cut"), name);
      for (const chunkSize of bytes.length < 20_000 ? [2, 5, 1000, 1 << 20] : [16, 1000, 65536, 1 << 20]) {
        const got = await collect(readPcap(path, { chunkSize }));
        assert.deepEqual(got.records, want.records, `${name} in chunks of ${chunkSize}`);
        assert.equal(got.error?.code, want.error?.code, `${name} in chunks of ${chunkSize}`);
        assert.equal(got.error?.offset, want.error?.offset, `${name} in chunks of ${chunkSize}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("records' data stay valid after later chunks are read", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-views-"));
  try {
    const path = join(dir, "a.pcap");
    const recs = frames(400);
    await writeFile(path, encodePcap(recs, { nanosecond: true }));
    const kept: CaptureRecord[] = [];
    for await (const batch of readPcap(path, { chunkSize: 512 }).batches()) kept.push(...batch);
    assert.deepEqual(kept, recs);
    // The data of the last, short chunk are not followed by stale bytes in its memory.
    const last = kept.at(-1)!.data;
    const after = new Uint8Array(last.buffer, last.byteOffset + last.length);
    assert.ok(after.every((b) => b === 0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a named pipe (not a regular file) is read asynchronously, with the same records", { timeout: 20_000 }, async (t) => {
  if (process.platform === "win32") return t.skip("no mkfifo on Windows");
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-fifo-"));
  try {
    const path = join(dir, "pipe");
    const made = spawnSync("mkfifo", [path]);
    if (made.status !== 0) return t.skip(`mkfifo failed: ${String(made.stderr)}`);
    // The writer runs in another process: opening a FIFO for writing blocks until a reader opens it.
    const writer = spawn("sh", ["-c", 'exec cat > "$0"', path], { stdio: ["pipe", "ignore", "inherit"] });
    const exited = once(writer, "exit");
    writer.stdin.end(ngBytes);
    try {
      const got = await collect(readPcap(path, { chunkSize: 100 }));
      assert.deepEqual(got, syncRecords(ngBytes));
      assert.deepEqual(await exited, [0, null]);
    } finally {
      writer.kill();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the in-memory readers decode a file of many spans, a unit longer than a span, and cuts in any place", () => {
  const recs = frames(3000);
  recs[1500] = { ...recs[1500]!, data: new Uint8Array(300_000).fill(1), originalLength: 300_000 };
  for (const bytes of [encodePcap(recs, { nanosecond: true, snaplen: 400_000 }), encodePcapng(recs, { snaplen: 400_000 })]) {
    assert.ok(bytes.length > 3 * 256 * 1024);
    const all = syncRecords(bytes);
    assert.equal(all.error, undefined);
    assert.deepEqual(all.records, recs);
    // Cut inside the long unit, at a span boundary and one byte short of the end.
    for (const cut of [bytes.length - 1, 256 * 1024, 256 * 1024 + 1, Math.floor(bytes.length / 2)]) {
      const part = syncRecords(bytes.subarray(0, cut));
      assert.equal(part.error?.code, "ERR_CAPTURE_TRUNCATED", `cut at ${cut}`);
      assert.ok(part.records.length < recs.length);
      assert.deepEqual(part.records, recs.slice(0, part.records.length));
    }
  }
});
