import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePcap, readPcapSync } from "../capture/pcap.js";
import { readPcapngSync } from "../capture/pcapng.js";
import { have, LOOPBACK, MAIN, tshark, wirecraft } from "./testing.js";

const TSHARK = have("tshark");

test("read: one numbered line per frame, relative times, addresses", () => {
  const r = wirecraft(["read", LOOPBACK]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 12);
  assert.match(lines[0]!, /^\s+1\s+0\.000000\s+127\.0\.0\.1 → 127\.0\.0\.1\s+UDP 59 33653 > 40123$/);
  assert.match(lines[4]!, /^\s+5\s+5\.965060\s/);
});

test("read: frame count, times and addresses agree with tshark", { skip: !TSHARK && "tshark is not installed" }, () => {
  const ours = wirecraft(["read", LOOPBACK]).stdout.trimEnd().split("\n").map((l) => {
    const m = /^\s*(\d+)\s+(\S+)\s+(\S+) → (\S+)/.exec(l)!;
    return [m[1], m[2], m[3], m[4]].join(" ");
  });
  const theirs = tshark(["-n", "-r", LOOPBACK, "-T", "fields", "-e", "frame.number", "-e", "frame.time_relative", "-e", "ip.src", "-e", "ip.dst"])
    .map((l) => l.split("\t")).map(([n, t, s, d]) => [n, Number(t).toFixed(6), s, d].join(" "));
  assert.deepEqual(ours, theirs);
});

test("read: stdin, -c, filter, and the filter agrees with tshark's", { skip: !TSHARK && "tshark is not installed" }, () => {
  const bytes = readFileSync(LOOPBACK);
  const r = wirecraft(["read", "-", "-c", "3", "--filter", "udp.srcPort == 40123 || !udp"], bytes);
  assert.equal(r.status, 0, r.stderr);
  const nums = r.stdout.trimEnd().split("\n").map((l) => Number(/^\s*(\d+)/.exec(l)![1]));
  assert.deepEqual(nums, [2, 4, 5]);
  const theirs = tshark(["-n", "-r", LOOPBACK, "-Y", "udp.srcport == 40123 || !udp", "-T", "fields", "-e", "frame.number"]).map(Number);
  assert.deepEqual(nums, theirs.slice(0, 3));
});

test("read --json: JSON Lines with frame, time, lengths and every layer's fields", () => {
  const r = wirecraft(["read", LOOPBACK, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const frames = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(frames.length, 12);
  const f = frames[0]!;
  assert.deepEqual(Object.keys(f), ["frame", "time", "length", "capturedLength", "layers"]);
  assert.equal(f.frame, 1);
  assert.equal(f.time, "1795385341.124495000");
  assert.equal(f.length, 59);
  assert.equal(f.capturedLength, 59);
  const layers = f.layers as { name: string; fields: Record<string, unknown> }[];
  assert.deepEqual(layers.map((l) => l.name), ["Ethernet", "IPv4", "UDP", "Raw"]);
  assert.equal(layers[1]!.fields.src, "127.0.0.1");
  assert.equal(layers[2]!.fields.dstPort, 40123);
  assert.equal(layers[3]!.fields.data, Buffer.from("wirecraft hello 0").toString("hex"));
});

test("read --json marks a malformed frame with its error", () => {
  // A pcap with one Ethernet frame cut inside the IPv4 header.
  const frame = Buffer.alloc(20);
  frame.writeUInt16BE(0x0800, 12);
  frame[14] = 0x45;
  const file = Buffer.alloc(24 + 16 + frame.length);
  file.writeUInt32LE(0xa1b2c3d4, 0); file.writeUInt16LE(2, 4); file.writeUInt16LE(4, 6);
  file.writeUInt32LE(65535, 16); file.writeUInt32LE(1, 20);
  file.writeUInt32LE(frame.length, 24 + 8); file.writeUInt32LE(frame.length, 24 + 12);
  frame.copy(file, 40);
  const r = wirecraft(["read", "-", "--json"], file);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { error?: string; layers: { name: string }[] };
  assert.match(j.error ?? "", /IPv4/);
  assert.deepEqual(j.layers.map((l) => l.name), ["Ethernet", "Raw"]);
  const line = wirecraft(["read", "-"], file).stdout;
  assert.match(line, /truncated/);
});

test("read -w writes the kept frames; tshark and our readers agree", () => {
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-read-"));
  try {
    for (const name of ["icmp.pcap", "icmp.pcapng"]) {
      const out = join(dir, name);
      const r = wirecraft(["read", LOOPBACK, "-Y", "!udp", "-w", out]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^8 frame\(s\) written/);
      const bytes = readFileSync(out);
      const recs = name.endsWith("ng") ? [...readPcapngSync(bytes)] : [...readPcapSync(bytes)];
      assert.equal(recs.length, 8);
      const orig = [...readPcapSync(readFileSync(LOOPBACK))].slice(4);
      assert.deepEqual(recs.map((x) => [x.time, Buffer.from(x.data).toString("hex")]), orig.map((x) => [x.time, Buffer.from(x.data).toString("hex")]));
      if (TSHARK) assert.equal(tshark(["-r", out]).length, 8);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("read -V and -x print the tree and the hex dump", () => {
  const r = wirecraft(["read", LOOPBACK, "-V", "-x", "-c", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Frame 1: 59 bytes on wire, 59 bytes captured, time 1795385341\.124495000\n###\[ Ethernet \]###/);
  assert.match(r.stdout, /  dstPort  = 40123/);
  assert.match(r.stdout, /0030  61 66 74 20 68 65 6c 6c  6f 20 30 +aft hello 0/);
});

test("read: usage errors, filter errors with a caret, corrupt files", () => {
  let r = wirecraft(["read"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /name a capture file/);
  r = wirecraft(["read", LOOPBACK, "--bogus"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Unknown option '--bogus'/);
  r = wirecraft(["read", LOOPBACK, "-Y", "udp.dstPort == x"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /column 16\)\nudp\.dstPort == x\n {15}\^/);
  r = wirecraft(["read", "-"], "not a capture file at all");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a pcap or pcapng file/);
  // A file cut in the middle of a record: every good frame first, then the error.
  const cut = readFileSync(LOOPBACK).subarray(0, 24 + 16 + 59 + 10);
  r = wirecraft(["read", "-"], cut);
  assert.equal(r.status, 1);
  assert.equal(r.stdout.trimEnd().split("\n").length, 1);
  assert.match(r.stderr, /truncated/);
  r = wirecraft(["read", "--help"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Examples:/);
});

test("read --reassemble: HTTP and DNS over TCP and reassembled pings at the frames tshark names", { skip: !TSHARK && "tshark is not installed" }, () => {
  const file = LOOPBACK.replace("loopback-ping.pcap", "streams.pcap");
  const r = wirecraft(["read", file, "--reassemble"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => /^\s*(\d+)\s+\S+\s+\S+ → \S+\s+(\S+) \d+ (.*)$/.exec(l)!);
  const app = lines.filter((m) => m[2] === "HTTP" || m[2] === "DNS").map((m) => Number(m[1]));
  assert.deepEqual(app, tshark(["-n", "-r", file, "-Y", "http || dns", "-T", "fields", "-e", "frame.number"]).map(Number));
  const whole = lines.filter((m) => m[3]!.includes("[reassembled from")).map((m) => Number(m[1]));
  assert.deepEqual(whole, tshark(["-n", "-r", file, "-Y", "ip.reassembled.length || ipv6.reassembled.length", "-T", "fields", "-e", "frame.number"]).map(Number));
  const json = wirecraft(["read", file, "--reassemble", "--json", "-Y", "tcp.srcPort == 8080"]).stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { layers: { name: string; fields: Record<string, unknown> }[] });
  const http = json.flatMap((f) => f.layers.filter((l) => l.name === "HTTP"));
  let page = 0;
  for (let i = 0; i < 120; i++) page += `line ${i} of a page served over TCP by wirecraft's fixture script\n`.length;
  assert.deepEqual(http.map((l) => [l.fields.status, l.fields.bodyLength]), [[200, page], [200, page]]);
});

test("read over many chunks: every line, -c stopping inside a chunk, a cut file's good lines then its error, a closed pipe", () => {
  // 10000 copies of the loopback frames (about 1 MiB: several of the reader's chunks).
  const loop = [...readPcapSync(readFileSync(LOOPBACK))];
  const recs = Array.from({ length: 10000 }, (_, i) => ({ ...loop[i % loop.length]!, time: loop[0]!.time + BigInt(i) * 1_000_000n }));
  const bytes = encodePcap(recs);
  assert.ok(bytes.length > 3 * 256 * 1024);
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-read-many-"));
  try {
    const file = join(dir, "many.pcap");
    writeFileSync(file, bytes);
    const all = wirecraft(["read", file]);
    assert.equal(all.status, 0, all.stderr);
    const lines = all.stdout.split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.length, 10000);
    lines.forEach((l, i) => assert.match(l, new RegExp(`^ *${i + 1} +${Math.floor(i / 1000)}\\.${String(i % 1000).padStart(3, "0")}000 `)));
    // The same lines from stdin (asynchronous reads).
    assert.equal(wirecraft(["read", "-"], bytes).stdout, all.stdout);
    const some = wirecraft(["read", file, "-c", "4321"]);
    assert.equal(some.status, 0, some.stderr);
    assert.equal(some.stdout, lines.slice(0, 4321).join("\n") + "\n");
    // Cut inside record 9000: the 8999 good lines, then the error.
    let at = 24;
    for (let i = 0; i < 8999; i++) at += 16 + recs[i]!.data.length;
    const cutFile = join(dir, "cut.pcap");
    writeFileSync(cutFile, bytes.subarray(0, at + 20));
    const cut = wirecraft(["read", cutFile]);
    assert.equal(cut.status, 1);
    assert.equal(cut.stdout, lines.slice(0, 8999).join("\n") + "\n");
    assert.match(cut.stderr, /cut\.pcap: .*truncated/);
    // A reader that stops early (| head -1): the command ends quietly.
    const head = spawnSync("sh", ["-c", `"${process.execPath}" "${MAIN}" read "${file}" | head -1`], { encoding: "utf8", timeout: 30_000 });
    assert.equal(head.status, 0);
    assert.equal(head.stdout, lines[0] + "\n");
    assert.equal(head.stderr, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
