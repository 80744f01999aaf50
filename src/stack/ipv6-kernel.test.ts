/**
 * IPv6 against the Linux kernel: a TAP whose kernel side is moved into a namespace of our own
 * (wc6e) where `radvd` advertises fd00:232::/64, while the stack runs on the TAP's descriptor in
 * this process with the system clock and configures itself by SLAAC. The kernel pings the stack's
 * link-local and global addresses (4000-byte echoes too: fragments both ways), UDP and TCP go both
 * ways with socat, dnsmasq answers AAAA over IPv6, and duplicate address detection is tried in
 * both directions (the kernel's DAD finds the stack's address: `dadfailed`; the stack's DAD finds
 * the kernel's: `addressConflict`). Needs root, the native addon, `ip`, `ping`, `radvd` and
 * `socat`; skips loudly otherwise.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { Tap } from "../live/tap.js";
import { SystemClock } from "./clock.js";
import { fromLiveLink, type FrameLink } from "./link.js";
import { Stack } from "./stack.js";
import type { RemoteInfo, UdpSocket } from "./udp.js";
import type { AddressConflict } from "./conflict.js";
import { has, kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wc6e";
const TAP = "wc6etap";
const PREFIX = "fd00:232::";
const KERNEL = "fd00:232::1";
const MAC = "02:00:00:00:23:02";
/** The modified EUI-64 interface identifier of MAC (RFC 4291 appendix A): U/L bit flipped, ff:fe inserted. */
const IID = "ff:fe00:2302";
const LINK_LOCAL = `fe80::${IID}`;
const GLOBAL = `${PREFIX}${IID}`;

const why = kernelSkipReason("CAP_NET_ADMIN", ["ip", "ping", "radvd", "socat"]);
if (why) console.warn(`\n*** IPv6 kernel tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 20_000 };

/** Run a command in the namespace without blocking the event loop; resolve with its output and status. */
function inNs(args: readonly string[], input?: string, timeout = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input);
  });
}

/** Wait (bounded) for a callback-style condition. */
function within<T>(ms: number, what: string, start: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    start((v) => { clearTimeout(t); resolve(v); });
  });
}

/** Poll `check` every 100 ms (bounded) until it returns a value. */
async function until<T>(ms: number, what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tap: Tap | undefined;
let link: FrameLink | undefined;
let stack: Stack | undefined;
let radvd: ChildProcess | undefined;
let radvdLog = "";
let dir = "";
const ready: string[] = [];
const linkErrors: Error[] = [];

function cleanup(): void {
  radvd?.kill("SIGKILL");
  radvd = undefined;
  stack?.close();
  link?.close();
  tap?.close();
  stack = undefined; link = undefined; tap = undefined;
  try { sh(`ip netns del ${NS} 2>/dev/null; ip link del ${TAP} 2>/dev/null; true`); } catch { /* gone */ }
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
  dir = "";
}

before(() => {
  if (why) return;
  cleanup();
  dir = mkdtempSync(join(tmpdir(), "wc6e-"));
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  tap = Tap.open(TAP);
  sh(`ip link set ${TAP} netns ${NS}`);
  // radvd wants a router: forwarding on (inside the namespace only). The kernel's own global
  // address skips DAD (nodad) to save a second; its link-local goes through DAD as usual.
  sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.${TAP}.accept_dad=1 net.ipv6.conf.${TAP}.dad_transmits=1`);
  sh(`ip -n ${NS} addr add ${KERNEL}/64 dev ${TAP} nodad && ip -n ${NS} link set ${TAP} up`);
  writeFileSync(join(dir, "radvd.conf"), `interface ${TAP} {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix ${PREFIX}/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 3600; AdvPreferredLifetime 1800; };
  RDNSS ${KERNEL} { };
};
`);
  radvd = spawn("ip", ["netns", "exec", NS, "radvd", "-n", "-C", join(dir, "radvd.conf"), "-p", join(dir, "radvd.pid"), "-m", "stderr", "-d", "1"], { stdio: ["ignore", "ignore", "pipe"] });
  radvd.stderr!.on("data", (d: Buffer) => { radvdLog += d.toString(); });
  link = fromLiveLink(tap, { onError: (e) => linkErrors.push(e) });
  stack = new Stack({ link, clock: new SystemClock(), mac: MAC, name: TAP, ipv6: true });
  stack.on("addressReady", (a) => ready.push(a));
});

after(() => {
  if (!why) cleanup();
});

test("SLAAC from radvd: a link-local and a global address in modified EUI-64 form, the kernel as default router", opts, async () => {
  // The stack checks its link-local address by DAD (1 s), solicits a router, and radvd answers.
  await until(15_000, `addresses ${JSON.stringify(ready)}; radvd: ${radvdLog}`, () => (ready.includes(`${GLOBAL}/64`) ? true : undefined));
  assert.ok(ready.includes(`${LINK_LOCAL}/64`), JSON.stringify(ready));
  assert.ok(ready.indexOf(`${LINK_LOCAL}/64`) < ready.indexOf(`${GLOBAL}/64`), "link-local first");
  const addrs = stack!.addresses();
  assert.ok(addrs.includes(`${GLOBAL}/64`) && addrs.includes(`${LINK_LOCAL}/64`), JSON.stringify(addrs));
  const kernelLinkLocal = sh(`ip -n ${NS} -6 -o addr show dev ${TAP} scope link`).match(/inet6 (fe80::[0-9a-f:]+)\//)?.[1];
  assert.ok(kernelLinkLocal !== undefined);
  const routes = stack!.routes();
  assert.ok(routes.some((r) => r.destination === "::/0" && r.gateway === kernelLinkLocal && r.kind === "default"), `default router: ${JSON.stringify(routes)}`);
  assert.ok(routes.some((r) => r.destination === `${PREFIX}/64` && r.gateway === undefined), `on-link prefix: ${JSON.stringify(routes)}`);
  const slaac = stack!.addresses6().find((a) => a.address === GLOBAL);
  assert.equal(slaac?.origin, "slaac");
  assert.equal(slaac?.state, "preferred");
  assert.ok(slaac!.validFor > 3_590_000 && slaac!.validFor <= 3_600_000, `valid lifetime from the RA: ${slaac!.validFor}`);
  assert.ok(slaac!.preferredFor > 1_790_000 && slaac!.preferredFor <= 1_800_000, `preferred lifetime: ${slaac!.preferredFor}`);
  assert.deepEqual(stack!.dnsServers(), [KERNEL], "RDNSS (RFC 8106) given to the resolver");
});

test("the kernel pings the stack's link-local and global addresses, 4000-byte echoes fragmented both ways; the stack pings the kernel", opts, async () => {
  const ll = await inNs(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "1", `${LINK_LOCAL}%${TAP}`]);
  assert.equal(ll.code, 0, ll.stdout + ll.stderr);
  assert.match(ll.stdout, /3 packets transmitted, 3 received/);
  const g = await inNs(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "1", GLOBAL]);
  assert.equal(g.code, 0, g.stdout + g.stderr);
  assert.match(g.stdout, /3 packets transmitted, 3 received/);
  const before = stack!.stats().counters;
  const big = await inNs(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "1", "-s", "4000", GLOBAL]);
  assert.equal(big.code, 0, big.stdout + big.stderr);
  assert.match(big.stdout, /3 packets transmitted, 3 received/);
  assert.match(big.stdout, new RegExp(`4008 bytes from ${GLOBAL}`));
  const after = stack!.stats().counters;
  const grew = (name: string): number => (after[name] ?? 0) - (before[name] ?? 0);
  assert.ok(grew("ipv6.reassembled") >= 3, `reassembled ${grew("ipv6.reassembled")}: ${JSON.stringify(after)}`);
  assert.ok(grew("ipv6.fragmentsCreated") >= 9, `fragments sent ${grew("ipv6.fragmentsCreated")}: ${JSON.stringify(after)}`);
  // The kernel resolved the stack by neighbour discovery: its cache holds our MAC for both addresses.
  const neigh = sh(`ip -n ${NS} -6 neigh show dev ${TAP}`);
  for (const a of [LINK_LOCAL, GLOBAL]) assert.match(neigh, new RegExp(`^${a} lladdr ${MAC} `, "m"), neigh);
  // And the other way: the stack pings the kernel's global and link-local addresses, 3000 bytes too.
  const kernelLinkLocal = sh(`ip -n ${NS} -6 -o addr show dev ${TAP} scope link`).match(/inet6 (fe80::[0-9a-f:]+)\//)![1]!;
  for (const [to, size] of [[KERNEL, 56], [KERNEL, 3000], [kernelLinkLocal, 56]] as const) {
    const r = await stack!.ping(to, { timeout: 2000, size });
    assert.equal(r.address, to);
    assert.equal(r.bytes, size);
    assert.ok(r.time >= 0 && r.time < 2000, `rtt ${r.time}`);
  }
  assert.deepEqual(linkErrors, []);
});

test("UDP over IPv6 both ways with socat: the stack's echo answers the kernel, the stack's client gets the kernel's echo", opts, async () => {
  const echo: UdpSocket = stack!.createSocket("udp6");
  const heard: RemoteInfo[] = [];
  echo.on("message", (msg, rinfo) => { heard.push(rinfo); echo.send(msg, rinfo.port, rinfo.address); });
  echo.bind(7);
  try {
    const s = await inNs(["socat", "-T", "2", "-", `UDP6:[${GLOBAL}]:7`], "through socat over IPv6\n");
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, "through socat over IPv6\n");
    assert.equal(heard[0]?.address, KERNEL);
    assert.equal(heard[0]?.family, "IPv6");
    const l = await inNs(["socat", "-T", "2", "-", `UDP6:[${LINK_LOCAL}%${TAP}]:7`], "link-local\n");
    assert.equal(l.stdout, "link-local\n", l.stderr);
    assert.match(heard[1]?.address ?? "", new RegExp(`^fe80::[0-9a-f:]+%${TAP}$`), "a link-local sender carries the scope");
  } finally {
    echo.close();
  }
  // The other way: socat echoes in the namespace; the stack sends until the echo comes back.
  const server = inNs(["socat", "-T", "5", "UDP6-RECVFROM:9232", "PIPE"], undefined, 8000);
  const client: UdpSocket = stack!.createSocket({ type: "udp6", ipv6Only: true });
  try {
    const big = Buffer.alloc(3000, 0x62);
    const got = within<[Buffer, RemoteInfo]>(5000, "the kernel's echo", (resolve) => client.on("message", (m, r) => resolve([m, r])));
    const timer = setInterval(() => client.send(big, 9232, KERNEL), 200);
    client.send(big, 9232, KERNEL);
    const [msg, rinfo] = await got.finally(() => clearInterval(timer));
    assert.equal(msg.length, 3000);
    assert.ok(msg.equals(big), "byte-exact after fragmentation both ways");
    assert.deepEqual({ address: rinfo.address, family: rinfo.family, port: rinfo.port }, { address: KERNEL, family: "IPv6", port: 9232 });
  } finally {
    client.close();
    await server;
  }
  // A closed port: the kernel's ICMPv6 port unreachable reaches the sending socket as ECONNREFUSED.
  const refused: UdpSocket = stack!.createSocket("udp6");
  try {
    const e = within<Error & { code?: string }>(3000, "ECONNREFUSED", (resolve) => refused.on("error", resolve));
    refused.send("x", 9, KERNEL);
    assert.equal((await e).code, "ECONNREFUSED");
  } finally {
    refused.close();
  }
});

test("DNS over IPv6: the resolver asks the RDNSS server (dnsmasq on fd00:232::1) for AAAA; lookup prefers IPv6", { ...opts, skip: why ?? (has("dnsmasq") ? false : "no dnsmasq") }, async () => {
  const dns = spawn("ip", ["netns", "exec", NS, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
    `--listen-address=${KERNEL}`, `--pid-file=${join(dir, "dnsmasq.pid")}`, "--local=/wc6.test/", "--address=/six.wc6.test/fd00:232::99", "--address=/four.wc6.test/10.232.0.99",
    "--host-record=both.wc6.test,10.232.0.98,fd00:232::98"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  dns.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
  try {
    await until(5000, `dnsmasq listening: ${log}`, async () => ((await inNs(["ss", "-uln"])).stdout.includes(`[${KERNEL}]:53`) ? true : undefined));
    assert.deepEqual(stack!.dnsServers(), [KERNEL]);
    assert.deepEqual(await stack!.resolve6("six.wc6.test"), ["fd00:232::99"]);
    assert.deepEqual(await stack!.resolve("four.wc6.test", "A"), ["10.232.0.99"]);
    assert.deepEqual(await stack!.lookup("both.wc6.test", { all: true }), [{ address: "fd00:232::98", family: 6 }, { address: "10.232.0.98", family: 4 }]);
    assert.deepEqual(await stack!.lookup("both.wc6.test", { order: "ipv4first" }), { address: "10.232.0.98", family: 4 });
    await assert.rejects(stack!.resolve6("nothing.wc6.test"), { code: "ENOTFOUND" });
    assert.ok((stack!.stats().counters["udp6.tx"] ?? 0) >= 5, "the queries went over IPv6");
  } finally {
    dns.kill("SIGKILL");
  }
});

test("TCP over IPv6 both ways with socat: the kernel to the stack's echo (global and link-local), the stack's 1 MB to the kernel, hash checked", opts, async () => {
  const server = stack!.createServer((s) => {
    s.on("data", (d: Buffer) => s.write(d));
    s.on("end", () => s.end());
  });
  server.listen(7);
  try {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
    const g = await inNs(["socat", "-T", "3", "-", `TCP6:[${GLOBAL}]:7`], big.toString());
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout.length, big.length);
    assert.ok(g.stdout === big.toString(), "300 kB echoed byte-exact over IPv6");
    const l = await inNs(["socat", "-T", "3", "-", `TCP6:[${LINK_LOCAL}%${TAP}]:7`], "link-local TCP\n");
    assert.equal(l.stdout, "link-local TCP\n", l.stderr);
  } finally {
    server.close();
  }
  // The other way: the kernel hashes what the stack sends and answers with the hash.
  const sink = inNs(["socat", "-T", "5", `TCP6-LISTEN:9233,bind=[${KERNEL}]`, "EXEC:sha256sum"], undefined, 10_000);
  const data = Buffer.alloc(1_000_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 10)) & 0xff;
  const c = await until(5000, "the kernel listening on 9233", async () => {
    try { return await stack!.connect({ host: KERNEL, port: 9233 }); } catch { return undefined; }
  });
  assert.equal(c.remoteFamily, "IPv6");
  assert.equal(c.localAddress, GLOBAL);
  const answer: Buffer[] = [];
  c.on("data", (d: Buffer) => answer.push(d));
  const ended = new Promise<void>((r) => c.on("end", () => r()));
  c.end(data);
  await within(8000, "the hash", (r) => { void ended.then(() => r(undefined)); });
  const sum = createHash("sha256").update(data).digest("hex");
  assert.equal(Buffer.concat(answer).toString().split(" ")[0], sum, "1 MB arrived byte-exact");
  assert.equal((await sink).code, 0);
  assert.ok((c.tcpInfo()?.mss ?? 0) <= 1440, `MSS over IPv6 ${c.tcpInfo()?.mss}`);
});

test("DAD both ways: the kernel's duplicate of the stack's address fails (dadfailed); the stack's duplicate of the kernel's is a conflict", opts, async () => {
  // The kernel tries the stack's global address: its NS from :: is answered by the stack's NA.
  sh(`ip -n ${NS} addr add ${GLOBAL}/64 dev ${TAP}`);
  const state = await until(5000, "dadfailed", async () => {
    const r = await inNs(["ip", "-6", "-o", "addr", "show", "dev", TAP]);
    const line = r.stdout.split("\n").find((l) => l.includes(`${GLOBAL}/64`));
    return line?.includes("dadfailed") === true ? line : undefined;
  });
  assert.match(state, /dadfailed/);
  sh(`ip -n ${NS} addr del ${GLOBAL}/64 dev ${TAP}`);
  assert.ok(stack!.addresses().includes(`${GLOBAL}/64`), "the stack keeps its address");
  const still = await inNs(["ping", "-6", "-n", "-c", "1", "-W", "1", GLOBAL]);
  assert.equal(still.code, 0, still.stdout + still.stderr);

  // The stack tries the kernel's address: the kernel answers its NS, the stack gives it up.
  const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${TAP}/address`).trim();
  const conflict = within<AddressConflict>(5000, "addressConflict", (resolve) => stack!.once("addressConflict", resolve));
  stack!.addAddress(`${KERNEL}/64`);
  const c = await conflict;
  assert.deepEqual(c, { address: KERNEL, mac: kernelMac, state: "tentative", action: "abandoned" });
  assert.ok(!stack!.addresses().some((a) => a.startsWith(`${KERNEL}/`)), "not used");
  const k = sh(`ip -n ${NS} -6 -o addr show dev ${TAP}`);
  assert.ok(k.includes(`${KERNEL}/64`) && !k.includes("dadfailed"), k);
});
