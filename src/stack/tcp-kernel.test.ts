/**
 * The stack's TCP against the Linux kernel (issue 7): a TAP with a virtio-net header and TCP
 * offloads whose kernel side is in a namespace of our own (wctl-tk, 10.222.4.1/24) while the stack
 * runs on its descriptor in this process (10.222.4.2/24) with the system clock. curl fetches from
 * our HTTP service; Node's http client over the stack fetches from python3's http.server; socat
 * moves 30 MB each way (sha256 compared), with the kernel's 64 KiB segments and ours; window
 * scaling, SACK and timestamps are checked in our own capture of the SYNs, in `tcpInfo()` and in
 * the kernel's `ss -ti`, and used: scaled windows above 64 KiB, timestamps on data, SACK blocks
 * both ways when frames are dropped. The same bulk transfer on a TAP without the header.
 * Needs root, the addon, curl, socat and python3; skips loudly otherwise.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { Tap } from "../live/tap.js";
import { createDissector } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { TCP, TcpOptionKind } from "../protocols/tcp.js";
import { seededRandom } from "../packet/fuzz.js";
import { SystemClock } from "./clock.js";
import { fromLiveLink, type FrameLink, type FrameMeta, type LiveFrameLink } from "./link.js";
import { Stack } from "./stack.js";
import { startHttpService, patternBytes } from "./http-service.js";
import type { TcpSocket } from "./tcp/socket.js";
import { kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wctl-tk";
const TAP = "wctltk0";
const TAP_PLAIN = "wctltk1";
const KERNEL = "10.222.4.1";
const ME = { mac: "02:00:00:22:04:02", ip: "10.222.4.2" };
const PLAIN = { kernel: "10.222.5.1", mac: "02:00:00:22:05:02", ip: "10.222.5.2" };
const PYTHON = "/usr/bin/python3";
const BULK = 30 * 1024 * 1024;

const why = kernelSkipReason("CAP_NET_ADMIN", ["ip", "curl", "socat", "ss", PYTHON]);
if (why) console.warn(`\n*** TCP kernel tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 30_000 };

/** Run a command in the namespace without blocking the event loop (the stack lives on it). */
function inNs(args: readonly string[], timeout = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

/** Start a long-running command in the namespace; killed in `after`. */
const children: ChildProcess[] = [];
function startInNs(args: readonly string[]): ChildProcess {
  const c = spawn("ip", ["netns", "exec", NS, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(c);
  return c;
}

/** Wait (bounded) until something listens on `port` in the namespace. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await inNs(["ss", "-Htln", `sport = :${port}`]);
    if (r.stdout.trim() !== "") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on port ${port} in ${NS} after 5 s`);
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** What our own sniff of the link keeps: SYNs both ways, counts of options seen on other segments. */
interface Sniffed {
  syns: { dir: "in" | "out"; frame: Uint8Array }[];
  /** Segments carrying SACK blocks (kind 5), by direction. */
  sackBlocks: { in: number; out: number };
  /** Data segments carrying timestamps, by direction. */
  timestampedData: { in: number; out: number };
  /** The largest raw window field seen in ACKs, by direction (before scaling). */
  windowField: { in: number; out: number };
}

/** Return the option kinds of a TCP header in an IPv4 frame (or undefined when it is not TCP). */
function tcpOf(frame: Uint8Array): { flags: number; kinds: number[]; payload: number; window: number } | undefined {
  if (frame.length < 54 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 6) return undefined;
  const ip = 14;
  const ihl = (frame[ip]! & 15) * 4;
  const total = (frame[ip + 2]! << 8) | frame[ip + 3]!;
  const t = ip + ihl;
  const doff = (frame[t + 12]! >> 4) * 4;
  const kinds: number[] = [];
  for (let i = t + 20; i < t + doff;) {
    const k = frame[i]!;
    if (k === 0) break;
    if (k === 1) { i++; continue; }
    kinds.push(k);
    i += Math.max(2, frame[i + 1] ?? 2);
  }
  return { flags: frame[t + 13]!, kinds, payload: total - ihl - doff, window: (frame[t + 14]! << 8) | frame[t + 15]! };
}

/** Wrap a link: record what `Sniffed` keeps and drop frames at the given (seeded) rates. */
function sniffing(inner: FrameLink, sniffed: Sniffed): FrameLink & { drop: { in: number; out: number } } {
  const random = seededRandom(4242);
  const drop = { in: 0, out: 0 };
  let receiver: ((frame: Uint8Array, meta?: FrameMeta) => void) | undefined;
  const observe = (dir: "in" | "out", frame: Uint8Array): void => {
    const t = tcpOf(frame);
    if (t === undefined) return;
    if ((t.flags & 2) !== 0) sniffed.syns.push({ dir, frame: frame.slice() });
    if (t.kinds.includes(5)) sniffed.sackBlocks[dir]++;
    if (t.payload > 0 && t.kinds.includes(8)) sniffed.timestampedData[dir]++;
    if ((t.flags & 2) === 0 && (t.flags & 16) !== 0) sniffed.windowField[dir] = Math.max(sniffed.windowField[dir], t.window);
  };
  inner.setReceiver((frame, meta) => {
    observe("in", frame);
    if (drop.in > 0 && tcpOf(frame)?.payload && random() < drop.in) return;
    receiver?.(frame, meta);
  });
  return {
    mtu: inner.mtu,
    ...(inner.gsoMax === undefined ? {} : { gsoMax: inner.gsoMax }),
    drop,
    send: (frame, meta) => {
      observe("out", frame);
      if (drop.out > 0 && tcpOf(frame)?.payload && random() < drop.out) return;
      inner.send(frame, meta);
    },
    setReceiver: (r) => { receiver = r; },
    close: () => inner.close(),
  };
}

let dir = "";
let tap: Tap | undefined;
let live: LiveFrameLink | undefined;
let link: ReturnType<typeof sniffing> | undefined;
let stack: Stack | undefined;
const sniffed: Sniffed = { syns: [], sackBlocks: { in: 0, out: 0 }, timestampedData: { in: 0, out: 0 }, windowField: { in: 0, out: 0 } };
const linkErrors: Error[] = [];

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  stack?.close();
  link?.close();
  tap?.close();
  stack = undefined; link = undefined; tap = undefined;
  try { sh(`ip netns del ${NS} 2>/dev/null; ip link del ${TAP} 2>/dev/null; ip link del ${TAP_PLAIN} 2>/dev/null; true`); } catch { /* gone */ }
}

before(() => {
  if (why) return;
  cleanup();
  dir = mkdtempSync(join(tmpdir(), "wctl-tk-"));
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  tap = Tap.open(TAP, { vnetHeader: true, offloads: "tcp" });
  sh(`ip link set ${TAP} netns ${NS} && ip -n ${NS} addr add ${KERNEL}/24 dev ${TAP} && ip -n ${NS} link set ${TAP} up`);
  sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.${TAP}.disable_ipv6=1 || true`);
  live = fromLiveLink(tap, { onError: (e) => linkErrors.push(e) });
  link = sniffing(live, sniffed);
  stack = new Stack({ link, clock: new SystemClock(), mac: ME.mac, ipv4: `${ME.ip}/24`, name: "tcp-kernel" });
});

after(() => {
  if (why) return;
  cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("curl fetches the page and /bytes/1000000 from our HTTP server (byte-exact)", opts, async () => {
  const http = startHttpService(stack!, { port: 80 });
  try {
    const page = await inNs(["curl", "-sS", "--max-time", "10", `http://${ME.ip}/`]);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /<h1>wirecraft stack tcp-kernel<\/h1>/);
    assert.match(page.stdout, /10\.222\.4\.2\/24/);
    const file = join(dir, "curl.bin");
    const r = await inNs(["curl", "-sS", "--max-time", "10", "-o", file, "-w", "%{http_code} %{size_download}", `http://${ME.ip}/bytes/1000000`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "200 1000000");
    assert.equal(sha(readFileSync(file)), sha(patternBytes(1_000_000)));
    assert.equal(http.counters.requests, 2);
  } finally {
    http.close();
  }
});

test("our client (Node's http.request over stack.createConnection) fetches from python3's http.server", opts, async () => {
  const content = randomBytes(2_000_000);
  writeFileSync(join(dir, "served.bin"), content);
  startInNs([PYTHON, "-m", "http.server", "8000", "--bind", KERNEL, "--directory", dir]);
  await listening(8000);
  const fetch = (path: string): Promise<{ status: number; body: Buffer }> => new Promise((resolve, reject) => {
    const req = request({ host: KERNEL, port: 8000, path, createConnection: () => stack!.createConnection({ host: KERNEL, port: 8000 }) }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.end();
  });
  const index = await fetch("/");
  assert.equal(index.status, 200);
  assert.match(index.body.toString(), /served\.bin/);
  const file = await fetch("/served.bin");
  assert.equal(file.status, 200);
  assert.equal(file.body.length, content.length);
  assert.equal(sha(file.body), sha(content));
});

/** Receive everything a kernel socat sends to `port`; resolve with its length and hash. */
function receiveAll(s: Stack, port: number): Promise<{ length: number; hash: string; socket: TcpSocket }> {
  return new Promise((resolve, reject) => {
    const server = s.createServer((sock) => {
      const h = createHash("sha256");
      let length = 0;
      sock.on("data", (d: Buffer) => { h.update(d); length += d.length; });
      sock.on("end", () => { server.close(); resolve({ length, hash: h.digest("hex"), socket: sock }); sock.end(); });
      sock.on("error", reject);
    });
    server.listen(port);
  });
}

/** Send `data` to a kernel socat that writes it into `file`; resolve when socat has exited. */
async function sendAll(s: Stack, host: string, port: number, data: Buffer, file: string): Promise<TcpSocket> {
  const sink = startInNs(["socat", "-u", `TCP-LISTEN:${port},bind=${host},reuseaddr`, `CREATE:${file}`]);
  const exited = new Promise<number | null>((resolve) => sink.on("exit", resolve));
  await listening(port);
  const sock = await s.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    let at = 0;
    const pump = (): void => {
      while (at < data.length) {
        const chunk = data.subarray(at, at + 256 * 1024);
        at += chunk.length;
        if (!sock.write(chunk)) { sock.once("drain", pump); return; }
      }
      sock.end();
    };
    sock.on("error", reject);
    sock.on("close", () => resolve());
    sock.resume();
    pump();
  });
  assert.equal(await exited, 0, "socat exits cleanly");
  return sock;
}

test("bulk both ways with socat, 30 MB each (sha256), in 64 KiB segments both ways (segmentation offload)", opts, async () => {
  const input = randomBytes(BULK);
  const inFile = join(dir, "to-stack.bin");
  writeFileSync(inFile, input);
  const before = { ...live!.counters };
  const received = receiveAll(stack!, 5001);
  const sender = inNs(["socat", "-u", `FILE:${inFile}`, `TCP:${ME.ip}:5001`], 25_000);
  const r = await received;
  assert.equal((await sender).code, 0);
  assert.equal(r.length, BULK);
  assert.equal(r.hash, sha(input));
  const output = randomBytes(BULK);
  const outFile = join(dir, "from-stack.bin");
  const sock = await sendAll(stack!, KERNEL, 5002, output, outFile);
  assert.equal(sha(readFileSync(outFile)), sha(output));
  const info = sock.tcpInfo()!;
  assert.ok(info.sendWindow > 65535, `the kernel's scaled window: ${info.sendWindow}`);
  const c = live!.counters;
  assert.ok(c.coalesced - before.coalesced > 10, `the kernel sent us large segments: ${JSON.stringify(c)}`);
  assert.ok(c.offloaded - before.offloaded > 10, `we sent the kernel large segments: ${JSON.stringify(c)}`);
  assert.deepEqual(linkErrors, []);
});

/** Return the option kinds and window shift of a SYN frame, dissected with the project's TCP. */
function synOptions(frame: Uint8Array): { flags: number; mss: number | undefined; shift: number | undefined; sack: boolean; timestamps: boolean } {
  const tcp = createDissector(Ethernet).dissect(frame).layer(TCP);
  assert.ok(tcp !== undefined);
  const o = tcp.toObject() as { flags: number; options: { kind: number; mss?: number; shift?: number }[] };
  const find = (k: number): { mss?: number; shift?: number } | undefined => o.options.find((x) => x.kind === k);
  return {
    flags: o.flags, mss: find(TcpOptionKind.mss)?.mss, shift: find(TcpOptionKind.windowScale)?.shift,
    sack: find(TcpOptionKind.sackPermitted) !== undefined, timestamps: find(TcpOptionKind.timestamps) !== undefined,
  };
}

test("window scaling, SACK and timestamps: negotiated (our capture of the SYNs, tcpInfo, ss -ti) and used", opts, async () => {
  // An idle connection of ours to a kernel socat, kept open while ss looks at it.
  const sink = startInNs(["socat", "-u", `TCP-LISTEN:5003,bind=${KERNEL},reuseaddr`, "OPEN:/dev/null"]);
  await listening(5003);
  const sock = await stack!.connect({ host: KERNEL, port: 5003 });
  try {
    sock.write(Buffer.alloc(100_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const info = sock.tcpInfo()!;
    assert.equal(info.state, "ESTABLISHED");
    assert.equal(info.sack, true);
    assert.equal(info.timestamps, true);
    // Measured from the timestamps, in their 1 ms ticks: on a quiet machine the TAP's RTT rounds to 0.
    assert.ok(info.srtt !== undefined && info.srtt >= 0 && info.rttvar !== undefined, `RTT measured: ${info.srtt}`);
    // Our SYN and the kernel's SYN-ACK for this connection, from our own capture.
    const port = sock.localPort!;
    const syn = sniffed.syns.filter((s) => s.dir === "out" && ((s.frame[34]! << 8) | s.frame[35]!) === port).map((s) => synOptions(s.frame));
    const synAck = sniffed.syns.filter((s) => s.dir === "in" && ((s.frame[36]! << 8) | s.frame[37]!) === port).map((s) => synOptions(s.frame));
    assert.equal(syn.length, 1);
    assert.equal(synAck.length, 1);
    for (const o of [syn[0]!, synAck[0]!]) {
      assert.equal(o.mss, 1460);
      assert.ok(o.shift !== undefined && o.sack && o.timestamps, JSON.stringify(o));
    }
    assert.equal(info.receiveWindowScale, syn[0]!.shift);
    assert.equal(info.sendWindowScale, synAck[0]!.shift);
    // The kernel's view of the same connection.
    const ss = await inNs(["ss", "-tin", "state", "established", `dport = :${port}`]);
    assert.equal(ss.code, 0, ss.stderr);
    // (This ss/kernel pair prints no "ts"/"sack" flags, even between two kernel sockets; the MSS
    // in use tells timestamps: 1460 - 12 bytes of option. SACK is seen used in the next test.)
    assert.match(ss.stdout, new RegExp(`wscale:${syn[0]!.shift},${synAck[0]!.shift}`), ss.stdout);
    assert.match(ss.stdout, /\bmss:1448\b/, ss.stdout);
    // The kernel's SYN to us (curl's, in the first test) and our SYN-ACK: the same options.
    const kernelSyn = sniffed.syns.filter((s) => s.dir === "in" && (s.frame[47]! & 0x12) === 0x02).map((s) => synOptions(s.frame));
    const ourSynAck = sniffed.syns.filter((s) => s.dir === "out" && (s.frame[47]! & 0x12) === 0x12).map((s) => synOptions(s.frame));
    assert.ok(kernelSyn.length >= 1 && ourSynAck.length >= 1, `${kernelSyn.length} ${ourSynAck.length}`);
    assert.ok(kernelSyn.every((o) => o.shift !== undefined && o.sack && o.timestamps));
    assert.ok(ourSynAck.every((o) => o.shift !== undefined && o.sack && o.timestamps && o.mss === 1460));
    // Used: timestamps on data both ways, scaled windows beyond 64 KiB both ways.
    assert.ok(sniffed.timestampedData.in > 0 && sniffed.timestampedData.out > 0, JSON.stringify(sniffed.timestampedData));
    assert.ok(sniffed.windowField.out << syn[0]!.shift! > 65535, `our window ${sniffed.windowField.out} << ${syn[0]!.shift}`);
    assert.ok(sniffed.windowField.in << synAck[0]!.shift! > 65535, `the kernel's window ${sniffed.windowField.in} << ${synAck[0]!.shift}`);
  } finally {
    sock.destroy();
    sink.kill();
  }
});

/** Read one counter of the kernel's TcpExt (nstat names, e.g. TcpExtTCPSackRecovery) in the namespace. */
async function kernelCounter(name: string): Promise<number> {
  const r = await inNs(["cat", "/proc/net/netstat"]);
  const lines = r.stdout.split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const keys = lines[i]!.split(/\s+/);
    const values = lines[i + 1]!.split(/\s+/);
    const prefix = keys[0]!.replace(":", "");
    const k = keys.findIndex((x) => `${prefix}${x}` === name);
    if (k > 0) return Number(values[k]);
  }
  throw new Error(`no ${name} in /proc/net/netstat`);
}

test("SACK used both ways: 1% of data frames dropped each way, 8 MB arrive intact, blocks seen, the kernel recovers with them", opts, async () => {
  const sackBefore = { ...sniffed.sackBlocks };
  const kernelRecoveries = await kernelCounter("TcpExtTCPSackRecovery");
  link!.drop.in = 0.01;
  link!.drop.out = 0.01;
  try {
    const input = randomBytes(8 * 1024 * 1024);
    const inFile = join(dir, "lossy-in.bin");
    writeFileSync(inFile, input);
    const received = receiveAll(stack!, 5004);
    const sender = inNs(["socat", "-u", `FILE:${inFile}`, `TCP:${ME.ip}:5004`], 25_000);
    const r = await received;
    assert.equal((await sender).code, 0);
    assert.equal(r.hash, sha(input));
    assert.ok(sniffed.sackBlocks.out > sackBefore.out, `our ACKs carried SACK blocks: ${JSON.stringify(sniffed.sackBlocks)}`);
    assert.ok(await kernelCounter("TcpExtTCPSackRecovery") > kernelRecoveries, "the kernel recovered with our SACK blocks");
    const output = randomBytes(8 * 1024 * 1024);
    const outFile = join(dir, "lossy-out.bin");
    const sock = await sendAll(stack!, KERNEL, 5005, output, outFile);
    assert.equal(sha(readFileSync(outFile)), sha(output));
    assert.ok(sniffed.sackBlocks.in > sackBefore.in, `the kernel's ACKs carried SACK blocks: ${JSON.stringify(sniffed.sackBlocks)}`);
    assert.ok(sock.tcpInfo()!.retransmits > 0, "we retransmitted what was lost");
  } finally {
    link!.drop.in = 0;
    link!.drop.out = 0;
  }
});

test("the same bulk transfer on a TAP without the virtio-net header (1514-byte frames, the addon's writer thread), 10 MB each way", opts, async () => {
  const plainTap = Tap.open(TAP_PLAIN);
  const plainLink = fromLiveLink(plainTap, { writer: "thread" });
  const s = new Stack({ link: plainLink, clock: new SystemClock(), mac: PLAIN.mac, ipv4: `${PLAIN.ip}/24`, name: "tcp-kernel-plain" });
  try {
    assert.equal(plainLink.gsoMax, undefined);
    sh(`ip link set ${TAP_PLAIN} netns ${NS} && ip -n ${NS} addr add ${PLAIN.kernel}/24 dev ${TAP_PLAIN} && ip -n ${NS} link set ${TAP_PLAIN} up`);
    const input = randomBytes(10 * 1024 * 1024);
    const inFile = join(dir, "plain-in.bin");
    writeFileSync(inFile, input);
    const received = receiveAll(s, 5006);
    const sender = inNs(["socat", "-u", `FILE:${inFile}`, `TCP:${PLAIN.ip}:5006`], 25_000);
    const r = await received;
    assert.equal((await sender).code, 0);
    assert.equal(r.hash, sha(input));
    const output = randomBytes(10 * 1024 * 1024);
    const outFile = join(dir, "plain-out.bin");
    await sendAll(s, PLAIN.kernel, 5007, output, outFile);
    assert.equal(sha(readFileSync(outFile)), sha(output));
    assert.equal(plainLink.counters.coalesced, 0);
    assert.equal(plainLink.counters.offloaded, 0);
    const w = plainTap.writerStats();
    assert.ok(w.written >= plainLink.counters.sent - w.queued && w.written > 1000, `the writer thread wrote them: ${JSON.stringify(w)} ${JSON.stringify(plainLink.counters)}`);
  } finally {
    s.close();
    plainLink.close();
    plainTap.close();
  }
});
