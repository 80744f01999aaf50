/**
 * TCP over IPv6 on the memory link, virtual clock: one server on both families, connections by
 * global and link-local (scoped) addresses and by name (AAAA first), MSS from the IPv6 MTU,
 * a transfer under loss checked byte-exact, a closed port refused, and a bad checksum dropped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dissect, packet } from "../../packet/packet.js";
import { DNS, DnsType } from "../../protocols/dns.js";
import { VirtualClock } from "../clock.js";
import { memoryLinkPair, type MemoryLinkOptions } from "../link.js";
import { Stack, type StackOptions } from "../stack.js";
import { settle, flush } from "../testing.js";
import type { TcpSocket } from "./socket.js";

const A6 = "fd00:232::1";
const B6 = "fd00:232::2";

function dual(link: MemoryLinkOptions = {}, extra: Partial<StackOptions> = {}): { clock: VirtualClock; a: Stack; b: Stack } {
  const clock = new VirtualClock();
  const [la, lb] = memoryLinkPair(clock, link);
  const a = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", name: "a", ipv4: "10.0.0.1/24", ipv6: `${A6}/64`, ...extra });
  const b = new Stack({ link: lb, clock, mac: "02:00:00:00:00:02", name: "b", ipv4: "10.0.0.2/24", ipv6: `${B6}/64` });
  clock.advance(3000); // DAD
  return { clock, a, b };
}

/** An upper-casing echo server on port 7 (both families); returns the remote addresses it saw. */
function echo(b: Stack): { peers: string[] } {
  const state = { peers: [] as string[] };
  b.createServer((s) => {
    state.peers.push(`${s.remoteFamily} ${s.remoteAddress} -> ${s.localAddress}`);
    s.on("data", (d: Buffer) => s.write(d.toString().toUpperCase()));
    s.on("end", () => s.end());
  }).listen(7);
  return state;
}

async function roundTrip(clock: VirtualClock, c: TcpSocket, text: string): Promise<string> {
  const got: Buffer[] = [];
  c.on("data", (d: Buffer) => got.push(d));
  c.write(text);
  await settle(clock, new Promise<void>((r) => { const t = setInterval(() => { if (Buffer.concat(got).length >= text.length) { clearInterval(t); r(); } }, 1); }));
  return Buffer.concat(got).toString();
}

test("one server answers IPv4 and IPv6: global and scoped link-local addresses, families, MSS 1440 over IPv6", async () => {
  const { clock, a, b } = dual({ delay: 1 });
  const server = echo(b);
  await flush();
  const six = await settle(clock, a.connect({ host: B6, port: 7 }));
  assert.deepEqual([six.remoteAddress, six.remotePort, six.remoteFamily, six.localAddress], [B6, 7, "IPv6", A6]);
  assert.equal(await roundTrip(clock, six, "over six"), "OVER SIX");
  assert.equal(six.tcpInfo()!.mss, 1500 - 60, "MSS = MTU - 40 - 20");
  const ll = await settle(clock, a.connect({ host: "fe80::ff:fe00:2%a", port: 7 }));
  assert.equal(ll.remoteAddress, "fe80::ff:fe00:2");
  assert.equal(ll.localAddress, "fe80::ff:fe00:1", "a link-local source for a link-local peer (RFC 6724 rule 2)");
  assert.equal(await roundTrip(clock, ll, "link-local"), "LINK-LOCAL");
  const four = await settle(clock, a.connect({ host: "10.0.0.2", port: 7 }));
  assert.equal(four.remoteFamily, "IPv4");
  assert.equal(await roundTrip(clock, four, "over four"), "OVER FOUR");
  assert.deepEqual(server.peers, [`IPv6 ${A6} -> ${B6}`, "IPv6 fe80::ff:fe00:1 -> fe80::ff:fe00:2", "IPv4 10.0.0.1 -> 10.0.0.2"]);
  for (const c of [six, ll, four]) c.end();
  await settle(clock, new Promise((r) => four.on("close", r)));
  assert.equal(a.stats().drops.tcpBadChecksum ?? 0, 0);
  // A scope that is not the interface's is no address at all.
  await assert.rejects(settle(clock, a.connect({ host: "fe80::ff:fe00:2%eth7", port: 7 })));
});

test("a 2 MB transfer over IPv6 under 2% loss and reordering arrives byte-exact", async () => {
  const { clock, a, b } = dual({ seed: 6, loss: 0.02, reorder: 0.02, delay: 2 });
  const digests: string[] = [];
  b.createServer((s) => {
    const h = createHash("sha256");
    let n = 0;
    s.on("data", (d: Buffer) => { h.update(d); n += d.length; });
    s.on("end", () => { digests.push(`${n} ${h.digest("hex")}`); s.end(); });
  }).listen(9);
  await flush();
  const data = Buffer.alloc(2_000_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
  const c = await settle(clock, a.connect({ host: B6, port: 9 }), 120_000);
  c.end(data);
  await settle(clock, new Promise<void>((r) => { const t = setInterval(() => { if (digests.length > 0) { clearInterval(t); r(); } }, 1); }), 120_000);
  assert.deepEqual(digests, [`${data.length} ${createHash("sha256").update(data).digest("hex")}`]);
  assert.ok((a.stats().counters["ipv6.tx"] ?? 0) > 1300, "segments went over IPv6");
});

test("connect by name looks up AAAA first (config.dns.order), family 4 asks for A; a closed port is ECONNREFUSED", async () => {
  const { clock, a, b } = dual({ delay: 1 }, { config: { dns: { servers: [B6] } } });
  echo(b);
  const dns = b.createSocket("udp6").bind(53);
  dns.on("message", (msg, rinfo) => {
    const q = dissect(msg, DNS).layer(DNS)!;
    const question = q.questions[0]!;
    const data = question.type === DnsType.AAAA ? B6 : "10.0.0.2";
    dns.send(packet(DNS({ id: q.id, qr: 1, questions: [question], answers: [{ name: question.name, type: question.type, ttl: 60, data }] })).bytes(), rinfo.port, rinfo.address);
  });
  await flush();
  const byName = await settle(clock, a.connect({ host: "b.wc6.test", port: 7 }));
  assert.equal(byName.remoteAddress, B6);
  const byName4 = await settle(clock, a.connect({ host: "b.wc6.test", port: 7, family: 4 }));
  assert.equal(byName4.remoteAddress, "10.0.0.2");
  await assert.rejects(settle(clock, a.connect({ host: B6, port: 8 })), { code: "ECONNREFUSED" });
});
