/**
 * The DHCP client against the kernel's dnsmasq: a TAP whose kernel side is in namespace wcdns1
 * (10.215.0.1/24), dnsmasq started there serving 10.215.0.50-59 on it (leases in a temp dir,
 * logging to its stderr), the stack on the TAP's descriptor with the system clock. Root only;
 * skips loudly otherwise. The second test turns on dnsmasq's DNS for the stub resolver. Every wait is bounded; dnsmasq and the namespace go in `finally`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tap } from "../live/tap.js";
import { SystemClock } from "./clock.js";
import { fromLiveLink, type FrameLink } from "./link.js";
import { Stack } from "./stack.js";
import { DhcpClient, type DhcpLease } from "./dhcp.js";
import { kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wcdns1";
const TAP = "wcdtap1";
const SERVER = "10.215.0.1";
const MAC = "02:00:00:00:15:02";

const why = kernelSkipReason("CAP_NET_ADMIN", ["ip", "dnsmasq", "ping"]);
if (why) console.warn(`\n*** DHCP-against-dnsmasq tests SKIPPED: ${why} ***\n`);

/** Run a command in the namespace without blocking the event loop. */
function inNs(args: readonly string[], timeout = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", NS, ...args], { encoding: "utf8", timeout }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1;
      resolve({ code, out: stdout + stderr });
    });
  });
}

/** Wait (bounded) until `ok()` holds, polling every 50 ms. */
async function until(ms: number, what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A namespace with the TAP's kernel side and dnsmasq on it; `extra` adds dnsmasq options. */
interface DnsmasqLab {
  readonly stack: Stack;
  readonly log: () => string;
  readonly leases: () => string;
  readonly close: () => void;
}

function cleanupNs(): void {
  try { sh(`ip netns del ${NS} 2>/dev/null; ip link del ${TAP} 2>/dev/null; true`); } catch { /* gone */ }
}

/** Set up the lab: namespace, TAP, dnsmasq (DHCP on 10.215.0.50-59, DNS as `extra` says), a stack. */
async function lab(extra: readonly string[]): Promise<DnsmasqLab> {
  cleanupNs();
  const dir = mkdtempSync(join(tmpdir(), "wcd-"));
  let tap: Tap | undefined;
  let link: FrameLink | undefined;
  let stack: Stack | undefined;
  let dnsmasq: ChildProcess | undefined;
  let log = "";
  const close = (): void => {
    stack?.close();
    link?.close();
    tap?.close();
    if (dnsmasq?.pid !== undefined && dnsmasq.exitCode === null) dnsmasq.kill("SIGTERM");
    cleanupNs();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
    tap = Tap.open(TAP);
    sh(`ip link set ${TAP} netns ${NS}`);
    sh(`ip -n ${NS} addr add ${SERVER}/24 dev ${TAP} && ip -n ${NS} link set ${TAP} up`);
    sh(`ip netns exec ${NS} sysctl -qw net.ipv6.conf.${TAP}.disable_ipv6=1 || true`);
    const leaseFile = join(dir, "leases");
    dnsmasq = spawn("ip", ["netns", "exec", NS, "dnsmasq", "--no-daemon", "--log-facility=-", "--log-dhcp",
      "--conf-file=/dev/null", `--interface=${TAP}`, "--bind-interfaces", "--except-interface=lo",
      "--dhcp-range=10.215.0.50,10.215.0.59,255.255.255.0,2m", `--dhcp-leasefile=${leaseFile}`,
      `--pid-file=${join(dir, "pid")}`, "--dhcp-authoritative", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    dnsmasq.stdout!.on("data", (d: Buffer) => { log += d.toString(); });
    dnsmasq.stderr!.on("data", (d: Buffer) => { log += d.toString(); });
    const d = dnsmasq;
    await until(5000, "dnsmasq started", () => /started, version/.test(log) || d.exitCode !== null);
    assert.equal(d.exitCode, null, `dnsmasq exited: ${log}`);
    link = fromLiveLink(tap);
    stack = new Stack({ link, clock: new SystemClock(), mac: MAC, name: "dhcp-kernel" });
    return {
      stack,
      log: () => log,
      leases: () => { try { return readFileSync(leaseFile, "utf8"); } catch { return ""; } },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

test("DhcpClient gets a lease from dnsmasq, the kernel pings the leased address, release is seen", { skip: why ?? false, timeout: 40_000 }, async () => {
  const l = await lab(["--port=0", `--dhcp-option=option:router,${SERVER}`, "--dhcp-option=option:dns-server,10.215.0.1", "--domain=wc.test"]);
  const dhcp = new DhcpClient(l.stack, { hostName: "wirecraft" });
  try {
    let lease: DhcpLease | undefined;
    dhcp.on("bound", (x) => { lease = x; });
    dhcp.start();
    await until(15_000, "bound", () => lease !== undefined);
    const got = lease!;
    const n = Number(got.address.split(".")[3]);
    assert.match(got.address, /^10\.215\.0\.\d+$/);
    assert.ok(n >= 50 && n <= 59, got.address);
    assert.equal(got.prefixLength, 24);
    assert.equal(got.server, SERVER);
    assert.equal(got.router, SERVER);
    assert.deepEqual(got.dnsServers, [SERVER]);
    assert.equal(got.domainName, "wc.test");
    assert.equal(got.leaseTime, 120);
    assert.equal(dhcp.state, "bound");
    assert.deepEqual(l.stack.addresses(), [`${got.address}/24`]);
    assert.ok(l.stack.routes().some((r) => r.kind === "default" && r.gateway === SERVER), JSON.stringify(l.stack.routes()));
    assert.match(l.log(), new RegExp(`DHCPACK\\(${TAP}\\) ${got.address.replace(/\./g, "\\.")} ${MAC}`));
    await until(3000, "lease file", () => l.leases().includes(`${MAC} ${got.address} wirecraft`));

    const p = await inNs(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", got.address]);
    assert.equal(p.code, 0, p.out);
    assert.match(p.out, /2 packets transmitted, 2 received/);
    // The stack reaches the server through its leased address too.
    const r = await l.stack.ping(SERVER, { timeout: 2000 });
    assert.equal(r.address, SERVER);

    dhcp.release();
    assert.equal(dhcp.state, "stopped");
    await until(5000, "DHCPRELEASE in dnsmasq's log", () => new RegExp(`DHCPRELEASE\\(${TAP}\\) ${got.address.replace(/\./g, "\\.")} ${MAC}`).test(l.log()));
    await until(3000, "lease file emptied", () => !l.leases().includes(MAC));
    await until(3000, "address removed", () => l.stack.addresses().length === 0);
  } finally {
    dhcp.stop();
    l.close();
  }
});

test("the stub resolver asks dnsmasq (the server the lease named): A, CNAME, NXDOMAIN", { skip: why ?? false, timeout: 40_000 }, async () => {
  const l = await lab(["--port=53", "--no-resolv", "--no-hosts", "--address=/wc.test/10.215.0.9", "--address=/nx.test/",
    "--host-record=host.wc.example,10.215.0.8", "--cname=www.wc.example,host.wc.example"]);
  const dhcp = new DhcpClient(l.stack);
  try {
    let lease: DhcpLease | undefined;
    dhcp.on("bound", (x) => { lease = x; });
    dhcp.start();
    await until(15_000, "bound", () => lease !== undefined);
    assert.deepEqual(lease!.dnsServers, [SERVER]);
    assert.deepEqual(l.stack.dnsServers(), [SERVER]);
    assert.deepEqual(await l.stack.resolve4("wc.test"), ["10.215.0.9"]);
    assert.deepEqual(await l.stack.resolve4("anything.wc.test"), ["10.215.0.9"]);
    assert.deepEqual(await l.stack.resolve4("www.wc.example"), ["10.215.0.8"]);
    await assert.rejects(l.stack.resolve4("a.nx.test"), (e: { code?: string }) => e.code === "ENOTFOUND");
    assert.ok((l.stack.stats().counters["dns.queries"] ?? 0) >= 4);
    assert.equal(l.stack.stats().counters["dns.ignored"] ?? 0, 0);
    dhcp.release();
    assert.deepEqual(l.stack.dnsServers(), [], "the lease's servers go with it");
  } finally {
    dhcp.stop();
    l.close();
  }
});
