/*
 * Interoperability: tshark and editcap as oracles for our writers and readers, and a real
 * loopback capture (test/fixtures/loopback-ping.*) whose tshark output is committed beside it.
 * Tests needing the binaries skip with a reason when they are missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodePcap, readPcapSync } from "./pcap.js";
import { readPcapngSync } from "./pcapng.js";
import { PcapngWriter } from "./pcapng-writer.js";
import { readPcap, writePcap } from "./read.js";
import { type CaptureRecord, LinkType, formatTime } from "./record.js";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/", import.meta.url));

function has(bin: string): boolean {
  return spawnSync(bin, ["-v"], { stdio: "ignore" }).error === undefined;
}
const skipTshark = has("tshark") ? false : "tshark is not installed (apt-get install tshark): interop oracle skipped";
const skipEditcap = has("editcap") ? false : "editcap is not installed (apt-get install tshark): interop oracle skipped";

/** Run tshark and return one array of fields per packet. */
function tshark(file: string, fields: string[]): string[][] {
  const args = ["-r", file, "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])];
  const out = execFileSync("tshark", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("|"));
}

function editcap(format: string, from: string, to: string): void {
  execFileSync("editcap", ["-F", format, from, to], { stdio: "ignore" });
}

function frames(n: number): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let i = 0; i < n; i++) {
    // Ethernet II header with a made-up ethertype, then a payload.
    const data = Uint8Array.from({ length: 20 + ((i * 13) % 90) }, (_, k) => (k === 12 ? 0x88 : k === 13 ? 0xb5 : (i + k) & 255));
    out.push({ time: 1700000000_000000000n + BigInt(i) * 1_234_567_891n + 7n, data, originalLength: data.length + (i % 3), linkType: 1, interface: 0 });
  }
  return out;
}

function asTshark(records: CaptureRecord[]): string[][] {
  return records.map((r) => [formatTime(r.time), String(r.originalLength), String(r.data.length)]);
}

const usOnly = (r: CaptureRecord): CaptureRecord => ({ ...r, time: r.time - (r.time % 1000n) });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "wirecraft-interop-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the loopback fixture reads as tshark reported it (pcap and pcapng, sync and streaming)", async () => {
  const expected = (await readFile(join(fixtures, "loopback-ping.tshark.txt"), "utf8"))
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t"));
  assert.equal(expected.length, 12);
  for (const name of ["loopback-ping.pcap", "loopback-ping.pcapng"]) {
    const bytes = new Uint8Array(await readFile(join(fixtures, name)));
    const sync = [...(name.endsWith("ng") ? readPcapngSync(bytes) : readPcapSync(bytes))];
    assert.deepEqual(asTshark(sync), expected, name);
    const streamed: CaptureRecord[] = [];
    for await (const r of readPcap(join(fixtures, name), { chunkSize: 100 })) streamed.push(r);
    assert.deepEqual(streamed, sync);
    assert.ok(sync.every((r) => r.linkType === LinkType.ETHERNET));
    // Frames 5.. are ICMP echoes carrying our marker payload.
    assert.match(new TextDecoder().decode(sync[4]!.data), /wirecraft-ping-01/);
  }
});

test("the committed tshark output matches tshark today", { skip: skipTshark }, async () => {
  const committed = await readFile(join(fixtures, "loopback-ping.tshark.txt"), "utf8");
  for (const name of ["loopback-ping.pcap", "loopback-ping.pcapng"]) {
    const now = tshark(join(fixtures, name), ["frame.time_epoch", "frame.len", "frame.cap_len"]).map((f) => f.join("\t"));
    assert.equal(now.join("\n") + "\n", committed);
  }
});

test("tshark reads our pcap files (µs, ns, big-endian) with the same count, times and lengths", { skip: skipTshark }, async () => {
  await withDir(async (dir) => {
    const recs = frames(40);
    const cases = [
      { name: "us.pcap", options: {}, want: recs.map(usOnly) },
      { name: "ns.pcap", options: { nanosecond: true }, want: recs },
      { name: "be.pcap", options: { nanosecond: true, byteOrder: "big" as const }, want: recs },
    ];
    for (const c of cases) {
      const path = join(dir, c.name);
      await writeFile(path, encodePcap(recs, c.options));
      assert.deepEqual(tshark(path, ["frame.time_epoch", "frame.len", "frame.cap_len"]), asTshark(c.want), c.name);
    }
  });
});

test("tshark reads our pcapng: two interfaces, ns times, comments", { skip: skipTshark }, async () => {
  await withDir(async (dir) => {
    const path = join(dir, "out.pcapng");
    const recs = frames(20).map((r, i) => (i % 4 === 3 ? { ...r, linkType: LinkType.RAW, interface: 1 } : r));
    recs[2] = { ...recs[2]!, comment: "hello from wirecraft" };
    const w = new PcapngWriter(path);
    for (const r of recs) await w.write(r);
    await w.close();
    const rows = tshark(path, ["frame.time_epoch", "frame.len", "frame.cap_len", "frame.interface_id", "frame.comment"]);
    assert.deepEqual(
      rows,
      recs.map((r) => [formatTime(r.time), String(r.originalLength), String(r.data.length), String(r.interface), r.comment ?? ""]),
    );
  });
});

test("records survive editcap conversions of our files (pcap, nsecpcap, pcapng)", { skip: skipEditcap }, async () => {
  await withDir(async (dir) => {
    const recs = frames(30);
    recs[5] = { ...recs[5]!, comment: "kept through editcap" };
    const ng = join(dir, "ours.pcapng");
    await writePcap(ng, recs);
    const read = async (path: string): Promise<CaptureRecord[]> => {
      const out: CaptureRecord[] = [];
      for await (const r of readPcap(path, { chunkSize: 777 })) out.push(r);
      return out;
    };
    const noComment = (r: CaptureRecord): CaptureRecord => {
      const { comment: _drop, ...rest } = r;
      return rest;
    };
    editcap("nsecpcap", ng, join(dir, "ns.pcap"));
    assert.deepEqual(await read(join(dir, "ns.pcap")), recs.map(noComment));
    editcap("pcap", ng, join(dir, "us.pcap"));
    assert.deepEqual(await read(join(dir, "us.pcap")), recs.map(noComment).map(usOnly));
    editcap("pcapng", ng, join(dir, "again.pcapng"));
    assert.deepEqual(await read(join(dir, "again.pcapng")), recs);
    // And the other way: our nanosecond pcap, converted to pcapng by editcap.
    const pc = join(dir, "ours.pcap");
    await writePcap(pc, recs);
    editcap("pcapng", pc, join(dir, "from-pcap.pcapng"));
    assert.deepEqual(await read(join(dir, "from-pcap.pcapng")), recs.map(noComment));
  });
});
