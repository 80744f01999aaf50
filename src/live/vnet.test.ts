/**
 * TAP devices with a virtio-net header and offloads (issue 7), against the kernel in a namespace
 * of our own (wctl-vn, 10.222.3.0/24): the kernel leaves UDP checksums to us (NEEDS_CSUM) and the
 * addon completes them; the stack runs on such a TAP through fromLiveLink (batched writes, UDP
 * echo small and fragmented, ping). Needs root and the addon; skips loudly otherwise.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Tap } from "./tap.js";
import type { Frame } from "./link.js";
import { onesComplementSum, finishChecksum } from "../packet/checksum.js";
import { SystemClock } from "../stack/clock.js";
import { fromLiveLink, type LiveFrameLink } from "../stack/link.js";
import { Stack } from "../stack/stack.js";
import { kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wctl-vn";
const TAP = "wctlvn0";
const KERNEL = "10.222.3.1";
const ME = { ip: "10.222.3.2", mac: "02:00:00:22:03:02" };

const why = kernelSkipReason("CAP_NET_ADMIN", ["ip", "ping"]);
if (why) console.warn(`\n*** vnet TAP tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 20_000 };

function inNs(args: readonly string[], timeout = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, out: stdout + stderr });
    });
  });
}

let tap: Tap | undefined;

function cleanup(): void {
  tap?.close();
  tap = undefined;
  try { sh(`ip netns del ${NS} 2>/dev/null; ip link del ${TAP} 2>/dev/null; true`); } catch { /* gone */ }
}

before(() => {
  if (why) return;
  cleanup();
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  tap = Tap.open(TAP, { vnetHeader: true, offloads: "tcp" });
  sh(`ip link set ${TAP} netns ${NS} && ip -n ${NS} addr add ${KERNEL}/24 dev ${TAP} && ip -n ${NS} link set ${TAP} up`);
  sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.${TAP}.disable_ipv6=1 || true`);
});

after(() => { if (!why) cleanup(); });

test("a vnet TAP announces its offloads to the kernel (ethtool shows TSO on)", opts, async () => {
  assert.deepEqual(tap!.offloads, { checksum: true, tso4: true, tso6: true, tsoEcn: false });
  const k = await inNs(["ethtool", "-k", TAP]);
  if (k.code !== 0) { console.warn("*** no ethtool: offload check SKIPPED ***"); return; }
  assert.match(k.out, /tx-tcp-segmentation: on/);
  assert.match(k.out, /tx-checksumming: on/);
});

test("the kernel leaves UDP checksums to us (NEEDS_CSUM): the addon completes them, and they verify", opts, async () => {
  sh(`ip -n ${NS} neigh replace ${ME.ip} lladdr ${ME.mac} dev ${TAP}`);
  const frames: Frame[] = [];
  const stop = tap!.subscribe((batch) => { for (const f of batch) if (f.data.length > 14 && f.data[23] === 17) frames.push(f); });
  try {
    const sizes = [1, 100, 1001, 1400];
    const client = `const s = require("dgram").createSocket("udp4"); const sizes = ${JSON.stringify(sizes)};
      let i = 0; const next = () => { if (i === sizes.length) return s.close(); s.send(Buffer.alloc(sizes[i], 0x40 + i), 9999, "${ME.ip}", next); i++; }; next();`;
    const r = await inNs([process.execPath, "-e", client]);
    assert.equal(r.code, 0, r.out);
    for (let t = 0; t < 100 && frames.length < sizes.length; t++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(frames.length, sizes.length);
    for (const [i, f] of frames.entries()) {
      const d = f.data;
      assert.equal(f.checksum, "completed", "the kernel asked for the checksum (tx-checksumming on)");
      const ihl = (d[14]! & 15) * 4;
      const udp = 14 + ihl;
      const udpLength = (d[udp + 4]! << 8) | d[udp + 5]!;
      assert.equal(udpLength, 8 + sizes[i]!);
      assert.notEqual((d[udp + 6]! << 8) | d[udp + 7]!, 0, "a checksum is there");
      const pseudo = onesComplementSum(d, 26, 34, 17 + udpLength);
      assert.equal(finishChecksum(onesComplementSum(d, udp, udp + udpLength, pseudo)), 0, `datagram ${i} verifies`);
    }
  } finally {
    stop();
    sh(`ip -n ${NS} neigh del ${ME.ip} dev ${TAP} 2>/dev/null; true`);
  }
});

test("the stack on a vnet TAP: UDP echo (small and fragmented), ping, frames batched per turn", opts, async () => {
  const link: LiveFrameLink = fromLiveLink(tap!);
  const stack = new Stack({ link, clock: new SystemClock(), mac: ME.mac, ipv4: `${ME.ip}/24`, name: "vnet-test" });
  try {
    assert.equal(link.gsoMax, 65535);
    assert.equal(link.mtu, 1500);
    const echo = stack.createSocket("udp4");
    echo.on("message", (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    echo.bind(7);
    const client = `const s = require("dgram").createSocket("udp4"); const want = [Buffer.alloc(30, 1), Buffer.alloc(5000, 2)]; let n = 0;
      s.on("message", (m) => { if (!m.equals(want[n])) { console.log("mismatch", n, m.length); process.exit(3); } if (++n === 2) { console.log("ok"); process.exit(0); } });
      s.send(want[0], 7, "${ME.ip}", () => s.send(want[1], 7, "${ME.ip}"));
      setTimeout(() => { console.log("timeout", n); process.exit(2); }, 4000);`;
    const r = await inNs([process.execPath, "-e", client]);
    assert.equal(r.code, 0, r.out);
    const p = await inNs(["ping", "-n", "-c", "3", "-i", "0.05", "-W", "1", "-s", "3000", ME.ip]);
    assert.equal(p.code, 0, p.out);
    assert.match(p.out, /3 received/);
    const c = link.counters;
    assert.ok(c.sent >= 10, JSON.stringify(c));
    // A fragmented 5000-byte echo is 4 frames sent in one turn: they go in one call.
    assert.ok(c.writeCalls < c.sent, `batched: ${JSON.stringify(c)}`);
    assert.equal(c.dropped, 0);
    assert.equal(stack.stats().drops.udpBadChecksum ?? 0, 0);
    echo.close();
  } finally {
    stack.close();
    link.close();
  }
});
