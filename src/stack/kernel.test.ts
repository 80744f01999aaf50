/**
 * The stack against the Linux kernel: a TAP device whose kernel side is moved into a namespace of
 * our own (wcsns1, 10.214.0.1/24) while the stack runs on its descriptor in this process
 * (10.214.0.2/24) with the system clock. Needs root and the native addon; skips loudly otherwise.
 * Every command that needs the stack to answer runs asynchronously (the stack lives on this
 * process's event loop) and with a time limit.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Tap } from "../live/tap.js";
import { SystemClock } from "./clock.js";
import { fromLiveLink, type FrameLink } from "./link.js";
import { Stack } from "./stack.js";
import type { AddressConflict } from "./conflict.js";
import type { UdpSocket } from "./udp.js";
import { has, kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wcsns1";
const TAP = "wcstap1";
const KERNEL = "10.214.0.1";
const ME = { mac: "02:00:00:00:14:02", ip: "10.214.0.2" };


const why = kernelSkipReason("CAP_NET_ADMIN", ["ip", "ping"]);
if (why) console.warn(`\n*** stack kernel tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 30_000 };


/** Run a command in the namespace without blocking the event loop; resolve with its output and status. */
function inNs(args: readonly string[], input?: string, timeout = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

/** Wait (bounded) for an event-ish condition. */
function within<T>(ms: number, what: string, start: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    start((v) => { clearTimeout(t); resolve(v); });
  });
}

let tap: Tap | undefined;
let link: FrameLink | undefined;
let stack: Stack | undefined;
let kernelMac = "";
const linkErrors: Error[] = [];

function cleanup(): void {
  stack?.close();
  link?.close();
  tap?.close();
  stack = undefined; link = undefined; tap = undefined;
  try { sh(`ip netns del ${NS} 2>/dev/null; ip link del ${TAP} 2>/dev/null; true`); } catch { /* gone */ }
}

before(() => {
  if (why) return;
  cleanup();
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  tap = Tap.open(TAP);
  sh(`ip link set ${TAP} netns ${NS}`);
  sh(`ip -n ${NS} addr add ${KERNEL}/24 dev ${TAP} && ip -n ${NS} link set ${TAP} up`);
  sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.${TAP}.disable_ipv6=1 || true`);
  kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${TAP}/address`).trim();
  link = fromLiveLink(tap, { onError: (e) => linkErrors.push(e) });
  stack = new Stack({ link, clock: new SystemClock(), mac: ME.mac, ipv4: `${ME.ip}/24`, name: "kernel-test" });
});

after(() => {
  if (!why) cleanup();
});

test("the kernel pings the stack: 3 echoes answered, then 3000-byte echoes fragmented both ways", opts, async () => {
  const small = await inNs(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", ME.ip]);
  assert.equal(small.code, 0, small.stdout + small.stderr);
  assert.match(small.stdout, /3 packets transmitted, 3 received/);
  const before = stack!.stats().counters;
  const big = await inNs(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-s", "3000", ME.ip]);
  assert.equal(big.code, 0, big.stdout + big.stderr);
  assert.match(big.stdout, /3 packets transmitted, 3 received/);
  assert.match(big.stdout, /3008 bytes from 10\.214\.0\.2/);
  // The stack reassembled the kernel's fragments and fragmented its replies (the kernel reassembled them).
  const after = stack!.stats().counters;
  const grew = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
  assert.ok(grew("ipv4.reassembled") >= 3, `reassembled ${grew("ipv4.reassembled")}: ${JSON.stringify(after)}`);
  assert.ok(grew("ipv4.fragmentsCreated") >= 9, `fragments sent ${grew("ipv4.fragmentsCreated")}: ${JSON.stringify(after)}`);
  assert.ok(stack!.arpTable().some((e) => e.address === KERNEL && e.mac === kernelMac), "the stack learned the kernel's MAC");
  assert.deepEqual(linkErrors, []);
});

test("the stack pings the kernel, small and fragmented", opts, async () => {
  const r = await stack!.ping(KERNEL, { timeout: 2000 });
  assert.equal(r.address, KERNEL);
  assert.equal(r.ttl, 64);
  assert.ok(r.time >= 0 && r.time < 2000, `rtt ${r.time}`);
  const big = await stack!.ping(KERNEL, { timeout: 2000, size: 3000 });
  assert.equal(big.bytes, 3000);
  const sock = stack!.createPingSocket();
  try {
    const got = within<number>(3000, "ping socket reply", (resolve) => sock.on("message", (m) => resolve(m.data.length)));
    sock.send(KERNEL, { size: 5000 });
    assert.equal(await got, 5000);
  } finally {
    sock.close();
  }
});

test("UDP echo on port 7 answers a client in the namespace (Node dgram, and socat when installed)", opts, async () => {
  const echo: UdpSocket = stack!.createSocket("udp4");
  echo.on("message", (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
  echo.bind(7);
  try {
    // A Node dgram client in the namespace: one small datagram and one that the kernel fragments.
    const client = `
      const s = require("dgram").createSocket("udp4");
      const big = Buffer.alloc(4000, 0x61);
      const want = ["hello wirecraft", big.toString()];
      let n = 0;
      s.on("message", (m) => { if (m.toString() !== want[n]) { console.log("mismatch", n, m.length); process.exit(3); } if (++n === 2) { console.log("ok", n); process.exit(0); } });
      s.send("hello wirecraft", 7, "${ME.ip}", () => s.send(big, 7, "${ME.ip}"));
      setTimeout(() => { console.log("timeout", n); process.exit(2); }, 4000);`;
    const r = await inNs([process.execPath, "-e", client]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok 2/);
    if (has("socat")) {
      const s = await inNs(["socat", "-T", "2", "-", `UDP4:${ME.ip}:7`], "through socat\n");
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout, "through socat\n");
    } else {
      console.warn("*** socat not installed: the socat half of the UDP echo test SKIPPED ***");
    }
    // A closed port: the kernel's client sees ECONNREFUSED from the stack's ICMP port unreachable.
    const closed = `
      const s = require("dgram").createSocket("udp4");
      s.on("error", (e) => { console.log(e.code); process.exit(0); });
      s.connect(9, "${ME.ip}", () => { s.send("x"); setTimeout(() => s.send("y"), 200); });
      setTimeout(() => { console.log("no error"); process.exit(2); }, 3000);`;
    const c = await inNs([process.execPath, "-e", closed]);
    assert.equal(c.stdout.trim(), "ECONNREFUSED", c.stdout + c.stderr);
  } finally {
    echo.close();
  }
});

test("RFC 5227 on the TAP: probing the kernel's address finds the conflict; a free address is used", opts, async () => {
  // A second stack on the same TAP would share the descriptor's frames; use a second TAP instead.
  const TAP2 = "wcstap2";
  const tap2 = Tap.open(TAP2);
  let link2: FrameLink | undefined;
  let probing: Stack | undefined;
  try {
    sh(`ip link set ${TAP2} netns ${NS} && ip -n ${NS} addr add 10.214.1.1/24 dev ${TAP2} && ip -n ${NS} link set ${TAP2} up`);
    sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.${TAP2}.disable_ipv6=1 || true`);
    const mac2 = sh(`ip netns exec ${NS} cat /sys/class/net/${TAP2}/address`).trim();
    link2 = fromLiveLink(tap2);
    probing = new Stack({
      link: link2, clock: new SystemClock(), mac: "02:00:00:00:14:03", name: "probing",
      config: { arp: { probe: true, probeWait: 100, probeMin: 100, probeMax: 200, announceWait: 200, announceInterval: 100 } },
    });
    const s = probing;
    const conflict = within<AddressConflict>(5000, "conflict", (resolve) => s.once("addressConflict", resolve));
    s.addAddress("10.214.1.1/24");
    const c = await conflict;
    assert.deepEqual(c, { address: "10.214.1.1", mac: mac2, state: "tentative", action: "abandoned" });
    assert.deepEqual(s.addresses(), []);
    const ready = within<string>(5000, "addressReady", (resolve) => s.once("addressReady", resolve));
    s.addAddress("10.214.1.3/24");
    assert.equal(await ready, "10.214.1.3/24");
    const p = await inNs(["ping", "-n", "-c", "1", "-W", "1", "10.214.1.3"]);
    assert.equal(p.code, 0, p.stdout + p.stderr);
  } finally {
    probing?.close();
    link2?.close();
    tap2.close();
  }
});
