/**
 * The DHCP client on the memory link against a minimal DHCP server written here (a second stack
 * with a UDP socket on port 67): DORA and options applied, T1 renew, T2 rebind, expiry, NAK,
 * release, and DECLINE on an ARP conflict. Virtual clock: an hour of lease in milliseconds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { BootpOp, DHCP, DHCPOption, DhcpMessageType, DhcpOptionCode as C } from "../protocols/dhcp.js";
import { VirtualClock } from "./clock.js";
import { memoryLinkPair } from "./link.js";
import { Stack } from "./stack.js";
import { DhcpClient, type DhcpLease } from "./dhcp.js";
import { flush } from "./testing.js";

interface Seen { type: number; ciaddr: string; requested: string | undefined; server: string | undefined; dst: string; at: number }

/** A DHCP server: one pool address, lease `leaseTime` s; `mode` makes it silent or hostile. */
function server(stack: Stack, clock: VirtualClock, o: { leaseTime: number; offer?: string; mode?: () => "answer" | "silent" | "nak" }) {
  const seen: Seen[] = [];
  const s = stack.createSocket("udp4");
  s.setBroadcast(true);
  s.bind(67);
  s.on("message", (msg, rinfo) => {
    const d = dissect(msg, DHCP).layer(DHCP)!;
    const opt = (code: number) => d.options.find((x) => x.code === code);
    const type = opt(C.messageType)!.messageType!;
    seen.push({ type, ciaddr: d.ciaddr, requested: opt(C.requestedAddress)?.address, server: opt(C.serverIdentifier)?.address, dst: rinfo.address, at: clock.now() });
    const mode = o.mode?.() ?? "answer";
    if (mode === "silent") return;
    let reply: number;
    if (type === DhcpMessageType.discover) reply = DhcpMessageType.offer;
    else if (type === DhcpMessageType.request) reply = mode === "nak" ? DhcpMessageType.nak : DhcpMessageType.ack;
    else return;
    const yiaddr = o.offer ?? "10.0.0.50";
    const options = [DHCPOption({ code: C.messageType, messageType: reply }), DHCPOption({ code: C.serverIdentifier, address: "10.0.0.1" })];
    if (reply !== DhcpMessageType.nak) {
      options.push(DHCPOption({ code: C.leaseTime, seconds: o.leaseTime }), DHCPOption({ code: C.subnetMask, address: "255.255.255.0" }),
        DHCPOption({ code: C.router, addresses: ["10.0.0.254"] }), DHCPOption({ code: C.domainNameServer, addresses: ["10.0.0.53", "10.0.0.54"] }),
        DHCPOption({ code: C.domainName, text: "wirecraft.test" }));
    }
    options.push(DHCPOption({ code: C.end }));
    const bytes = packet(DHCP({ op: BootpOp.reply, xid: d.xid, flags: d.flags, ciaddr: d.ciaddr, yiaddr: reply === DhcpMessageType.nak ? "0.0.0.0" : yiaddr, chaddr: d.chaddr, options })).bytes();
    s.send(bytes, 68, d.ciaddr !== "0.0.0.0" ? d.ciaddr : "255.255.255.255");
  });
  return { seen };
}

function setup(leaseTime: number, config = {}) {
  const clock = new VirtualClock();
  const [la, lb] = memoryLinkPair(clock, { delay: 1 });
  const srv = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", name: "server" });
  const cli = new Stack({ link: lb, clock, mac: "02:00:00:00:00:02", name: "client", config });
  return { clock, srv, cli, la, lb };
}

async function run(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) { clock.advance(100); await flush(); }
}

const T = DhcpMessageType;

test("DORA: the lease's address, mask, router and DNS servers are applied; secs and broadcast flag", async () => {
  const { clock, srv, cli } = setup(3600);
  const s = server(srv, clock, { leaseTime: 3600 });
  const dhcp = new DhcpClient(cli, { hostName: "wc" });
  const leases: DhcpLease[] = [];
  dhcp.on("bound", (l) => leases.push(l));
  dhcp.start();
  await run(clock, 1000);
  assert.deepEqual(s.seen.map((x) => x.type), [T.discover, T.request]);
  assert.deepEqual(s.seen.map((x) => x.dst), ["0.0.0.0", "0.0.0.0"]);
  assert.equal(s.seen[1]!.requested, "10.0.0.50");
  assert.equal(s.seen[1]!.server, "10.0.0.1");
  assert.equal(leases.length, 1);
  assert.equal(dhcp.state, "bound");
  const l = leases[0]!;
  assert.deepEqual([l.address, l.prefixLength, l.router, l.dnsServers, l.domainName, l.leaseTime, l.renewalTime, l.rebindingTime],
    ["10.0.0.50", 24, "10.0.0.254", ["10.0.0.53", "10.0.0.54"], "wirecraft.test", 3600, 1800, 3150]);
  assert.deepEqual(cli.addresses(), ["10.0.0.50/24"]);
  assert.ok(cli.routes().some((r) => r.kind === "default" && r.gateway === "10.0.0.254"), JSON.stringify(cli.routes()));
  const reply = await (async () => { const p = cli.ping("10.0.0.1"); await run(clock, 100); return p; })();
  assert.equal(reply.address, "10.0.0.1");
});

test("retransmission: DISCOVER backs off 4, 8, 16 s (±1 s) while no server answers", async () => {
  const { clock, srv, cli } = setup(3600);
  let silent = true;
  const s = server(srv, clock, { leaseTime: 3600, mode: () => (silent ? "silent" : "answer") });
  const dhcp = new DhcpClient(cli);
  dhcp.start();
  await run(clock, 30_000);
  const at = s.seen.map((x) => x.at);
  assert.equal(at.length, 4, JSON.stringify(at));
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  for (const [i, g] of gaps.entries()) assert.ok(Math.abs(g - 4000 * 2 ** i) <= 1000, `gap ${i} ${g}`);
  silent = false;
  await run(clock, 40_000);
  assert.equal(dhcp.state, "bound");
});

test("T1 renews by unicast to the server; T2 rebinds by broadcast when the server stays silent; expiry removes the address", async () => {
  const { clock, srv, cli, lb } = setup(100);
  let mode: "answer" | "silent" = "answer";
  const s = server(srv, clock, { leaseTime: 100, mode: () => mode });
  const dhcp = new DhcpClient(cli);
  const events: string[] = [];
  dhcp.on("renewed", () => events.push(`renewed@${Math.round(clock.now() / 1000)}`));
  dhcp.on("expired", () => events.push(`expired@${Math.round(clock.now() / 1000)}`));
  dhcp.start();
  await run(clock, 1000);
  assert.equal(dhcp.state, "bound");
  await run(clock, 50_000); // T1 = 50 s
  const renew = s.seen[2]!;
  assert.equal(renew.type, T.request);
  assert.equal(renew.ciaddr, "10.0.0.50");
  assert.equal(renew.dst, "10.0.0.50");
  assert.equal(renew.requested, undefined, "no requested address while renewing (RFC 2131 4.3.2)");
  assert.deepEqual(events, ["renewed@50"]);
  // Now the server is silent: renewing (unicast) at T1 = 100 s, rebinding (broadcast) at T2 = 50 + 87 s (floor of 0.875 × 100), expiry at 150 s.
  mode = "silent";
  const dsts: string[] = [];
  lb.tap((f) => { if (f[12] === 8 && f[13] === 0 && f[23] === 17) dsts.push(`${Math.round(clock.now() / 100) / 10}:${f.subarray(30, 34).join(".")}`); });
  await run(clock, 89_000);
  assert.ok(cli.addresses().includes("10.0.0.50/24"), "still ours before the lease ends");
  assert.deepEqual(dsts, ["100:10.0.0.1", "137:255.255.255.255"]);
  assert.equal(dhcp.state, "rebinding");
  await run(clock, 20_000);
  assert.deepEqual(events, ["renewed@50", "expired@150"]);
  assert.deepEqual(cli.addresses(), []);
  assert.equal(cli.routes().some((r) => r.kind === "default"), false);
  assert.equal(dhcp.state, "selecting");
  mode = "answer";
  await run(clock, 70_000);
  assert.equal(dhcp.state, "bound");
  assert.deepEqual(cli.addresses(), ["10.0.0.50/24"]);
});

test("NAK restarts; release sends DHCPRELEASE and removes the address", async () => {
  const { clock, srv, cli } = setup(3600);
  let nak = true;
  const s = server(srv, clock, { leaseTime: 3600, mode: () => (nak ? "nak" : "answer") });
  const dhcp = new DhcpClient(cli);
  const naks: string[] = [];
  dhcp.on("nak", (x) => { naks.push(x); nak = false; });
  dhcp.start();
  await run(clock, 2000);
  assert.deepEqual(naks, ["10.0.0.1"]);
  assert.equal(dhcp.state, "bound");
  assert.deepEqual(s.seen.map((x) => x.type), [T.discover, T.request, T.discover, T.request]);
  dhcp.release();
  await run(clock, 1100);
  const last = s.seen.at(-1)!;
  assert.deepEqual([last.type, last.ciaddr, last.server], [T.release, "10.0.0.50", "10.0.0.1"]);
  assert.deepEqual(cli.addresses(), []);
  assert.equal(dhcp.state, "stopped");
});

test("with ARP probing, an offered address already in use is declined and the client starts over", async () => {
  const { clock, srv, cli, la } = setup(3600, { arp: { probe: true } });
  // A third host holds 10.0.0.50: the server stack answers ARP for it too.
  srv.addAddress("10.0.0.50/32");
  const s = server(srv, clock, { leaseTime: 3600 });
  void la;
  const dhcp = new DhcpClient(cli);
  const declined: string[] = [];
  dhcp.on("declined", (a) => declined.push(a));
  dhcp.start();
  await run(clock, 5000);
  assert.deepEqual(declined, ["10.0.0.50"]);
  const d = s.seen.find((x) => x.type === T.decline)!;
  assert.deepEqual([d.requested, d.server], ["10.0.0.50", "10.0.0.1"]);
  assert.deepEqual(cli.addresses(), []);
  await run(clock, 11_000);
  assert.equal(s.seen.filter((x) => x.type === T.discover).length, 2, "DISCOVER again 10 s after the decline");
});
