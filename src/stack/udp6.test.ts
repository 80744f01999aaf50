/**
 * UDP over IPv6 on the memory link with a virtual clock: udp6 sockets both ways (global and
 * link-local addresses with their scope), fragmented datagrams, dual-stack sockets that see IPv4
 * senders as mapped addresses, ipv6Only, how families share a port, connect, ICMPv6 errors as
 * socket errors, and the checksum rules of RFC 8200 8.1.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { Ethernet, EtherType } from "../protocols/ethernet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMPv6, ICMPv6PacketTooBig, Icmpv6Type } from "../protocols/icmpv6.js";
import { UDP } from "../protocols/udp.js";
import { Raw } from "../protocols/raw.js";
import { VirtualClock } from "./clock.js";
import { memoryLinkPair, type MemoryLinkOptions } from "./link.js";
import { Stack } from "./stack.js";
import { flush } from "./testing.js";
import type { RemoteInfo, SocketError } from "./udp.js";

const A6 = "fd00:232::1";
const B6 = "fd00:232::2";
const LL_A = "fe80::ff:fe00:1";
const LL_B = "fe80::ff:fe00:2";

/** Two dual-stack stacks (10.0.0.1 and fd00:232::1, 10.0.0.2 and fd00:232::2), after DAD. */
function dual(link: MemoryLinkOptions = {}): { clock: VirtualClock; a: Stack; b: Stack; frames: Uint8Array[]; inject: (f: Uint8Array) => void; injectA: (f: Uint8Array) => void } {
  const clock = new VirtualClock();
  const [la, lb] = memoryLinkPair(clock, link);
  const a = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", name: "a", ipv4: "10.0.0.1/24", ipv6: `${A6}/64` });
  const b = new Stack({ link: lb, clock, mac: "02:00:00:00:00:02", name: "b", ipv4: "10.0.0.2/24", ipv6: `${B6}/64` });
  const frames: Uint8Array[] = [];
  la.tap((f) => frames.push(f));
  clock.advance(3000); // DAD: at most 1 s of random delay, one solicitation, 1 s of waiting
  assert.ok(a.addresses().includes(`${A6}/64`) && b.addresses().includes(`${B6}/64`), "addresses ready");
  return { clock, a, b, frames, inject: (f) => lb.inject(f), injectA: (f) => la.inject(f) };
}

async function run(clock: VirtualClock, ms = 50): Promise<void> {
  clock.advance(ms);
  await flush();
}

test("udp6 sockets both ways: global addresses, rinfo, address(), a 4000-byte datagram fragmented", async () => {
  const { clock, a, b } = dual();
  const server = b.createSocket("udp6");
  const got: [string, RemoteInfo][] = [];
  server.on("message", (m, r) => { got.push([m.toString(), r]); server.send(m.toString().toUpperCase(), r.port, r.address); });
  server.bind(7);
  await flush();
  assert.deepEqual(server.address(), { address: "::", family: "IPv6", port: 7 });
  const client = a.createSocket("udp6");
  const replies: [string, RemoteInfo][] = [];
  client.on("message", (m, r) => replies.push([m.toString(), r]));
  let sent = -1;
  client.send("hello six", 7, B6, (e, n) => { assert.equal(e, null); sent = n!; });
  const big = "x".repeat(4000);
  client.send(big, 7, "FD00:232:0::2");
  await run(clock);
  assert.equal(sent, 9);
  const port = client.address().port;
  assert.deepEqual(got.map(([m]) => m.length), [9, 4000]);
  assert.deepEqual(got[0]![1], { address: A6, family: "IPv6", port, size: 9 });
  assert.deepEqual(replies.map(([m]) => m), ["HELLO SIX", big.toUpperCase()]);
  assert.deepEqual(replies[0]![1], { address: B6, family: "IPv6", port: 7, size: 9 });
  assert.ok((a.stats().counters["ipv6.fragmentsCreated"] ?? 0) >= 3, "the big one went in fragments");
  assert.equal(a.stats().counters["udp6.tx"], 2);
  assert.equal(b.stats().counters["udp6.rx"], 2);
  // Only multicast frames of groups a stack did not join (MLD reports, the other's DAD) are dropped.
  for (const s of [a, b]) assert.deepEqual(Object.keys(s.stats().drops).filter((k) => k !== "notForUs"), [], JSON.stringify(s.stats().drops));
});

test("link-local addresses carry the interface as scope: fe80::…%b in, %a in rinfo; a wrong scope is refused", async () => {
  const { clock, a, b } = dual();
  const server = b.createSocket({ type: "udp6", ipv6Only: true }).bind(5000);
  const got: RemoteInfo[] = [];
  server.on("message", (m, r) => { got.push(r); server.send(m, r.port, r.address); });
  const client = a.createSocket("udp6");
  const echoed: RemoteInfo[] = [];
  client.on("message", (_m, r) => echoed.push(r));
  client.send("ll", 5000, `${LL_B}%a`);
  client.send("ll", 5000, LL_B);
  await run(clock);
  assert.equal(got.length, 2);
  assert.equal(got[0]!.address, `${LL_A}%b`, "the receiver names its own interface");
  assert.deepEqual(echoed.map((r) => r.address), [`${LL_B}%a`, `${LL_B}%a`]);
  const errors: Error[] = [];
  client.send("x", 5000, `${LL_B}%eth9`, (e) => errors.push(e!));
  await flush();
  assert.match(errors[0]!.message, /unknown scope "eth9"/);
});

test("a dual-stack udp6 socket receives IPv4 as ::ffff: addresses and answers them; ipv6Only does not; families share ports by claim", async () => {
  const { clock, a, b } = dual();
  const dualSock = b.createSocket("udp6").bind(53);
  const heard: RemoteInfo[] = [];
  dualSock.on("message", (m, r) => { heard.push(r); dualSock.send(m, r.port, r.address); });
  const v4 = a.createSocket("udp4");
  const back: RemoteInfo[] = [];
  v4.on("message", (_m, r) => back.push(r));
  v4.send("over four", 53, "10.0.0.2");
  const v6 = a.createSocket("udp6");
  v6.send("over six", 53, B6);
  await run(clock);
  const p4 = v4.address().port;
  assert.deepEqual(heard.map((r) => [r.address, r.family]), [[`::ffff:10.0.0.1`, "IPv6"], [A6, "IPv6"]]);
  assert.equal(heard[0]!.port, p4);
  assert.deepEqual(back, [{ address: "10.0.0.2", family: "IPv4", port: 53, size: 9 }], "the reply to a mapped address went over IPv4");

  // The dual socket holds both families of port 53: neither a udp4 nor a udp6 socket gets it.
  const errs: string[] = [];
  b.createSocket("udp4").on("error", (e: SocketError) => errs.push(`4 ${e.code}`)).bind(53);
  b.createSocket({ type: "udp6", ipv6Only: true }).on("error", (e: SocketError) => errs.push(`6 ${e.code}`)).bind(53);
  // Port 54: a udp4 socket and an ipv6Only udp6 socket share it; a dual one cannot join them.
  const four = b.createSocket("udp4").bind(54);
  const six = b.createSocket({ type: "udp6", ipv6Only: true }).bind(54);
  b.createSocket("udp6").on("error", (e: SocketError) => errs.push(`dual ${e.code}`)).bind(54);
  await flush();
  assert.deepEqual(errs, ["4 EADDRINUSE", "6 EADDRINUSE", "dual EADDRINUSE"]);
  const at: string[] = [];
  four.on("message", (m) => at.push(`four:${m}`));
  six.on("message", (m) => at.push(`six:${m}`));
  a.createSocket("udp4").send("p", 54, "10.0.0.2");
  a.createSocket("udp6").send("q", 54, B6);
  // An ipv6Only socket refuses IPv4 destinations, mapped or not.
  const refusals: string[] = [];
  six.send("no", 9, "::ffff:10.0.0.1", (e) => refusals.push(e!.message));
  six.send("no", 9, "10.0.0.1", (e) => refusals.push(e!.message));
  await run(clock);
  assert.deepEqual(at.sort(), ["four:p", "six:q"]);
  assert.equal(refusals.length, 2);
  assert.match(refusals[0]!, /ipv6Only/);
});

test("connect over IPv6: remoteAddress, sends without a destination, other senders ignored", async () => {
  const { clock, a, b } = dual();
  const server = b.createSocket("udp6").bind(6000);
  const got: string[] = [];
  server.on("message", (m) => got.push(m.toString()));
  const client = a.createSocket("udp6");
  client.connect(6000, B6);
  await flush();
  assert.deepEqual(client.remoteAddress(), { address: B6, family: "IPv6", port: 6000 });
  client.send("one");
  await run(clock);
  assert.deepEqual(got, ["one"]);
  const heard: string[] = [];
  client.on("message", (m) => heard.push(m.toString()));
  b.createSocket("udp6").send("stranger", client.address().port, A6);
  server.send("friend", client.address().port, A6);
  await run(clock);
  assert.deepEqual(heard, ["friend"]);
});

test("ICMPv6 port unreachable is ECONNREFUSED on the sender; too big for UDP is EMSGSIZE; no IPv6 is ENETUNREACH", async () => {
  const { clock, a } = dual();
  const s = a.createSocket("udp6");
  const errors: SocketError[] = [];
  s.on("error", (e: SocketError) => errors.push(e));
  s.send("anyone?", 9999, B6);
  await run(clock);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, "ECONNREFUSED");
  assert.equal(errors[0]!.address, B6);
  assert.equal(errors[0]!.port, 9999);
  assert.match(errors[0]!.message, /ICMPv6 type 1 code 4 from fd00:232::2/);
  const big: (Error | null)[] = [];
  s.send(Buffer.alloc(65528), 9999, B6, (e) => big.push(e));
  await flush();
  assert.equal((big[0] as SocketError).code, "EMSGSIZE");
  // A stack without IPv6 has nothing to send a udp6 datagram through.
  const clock4 = new VirtualClock();
  const [l4] = memoryLinkPair(clock4);
  const v4only = new Stack({ link: l4, clock: clock4, mac: "02:00:00:00:00:09", ipv4: "10.0.0.9/24" });
  const none: (Error | null)[] = [];
  v4only.createSocket("udp6").send("x", 9, B6, (e) => none.push(e));
  await flush();
  assert.equal((none[0] as SocketError).code, "ENETUNREACH");
});

test("checksums over IPv6 (RFC 8200 8.1): a zero checksum is dropped, a wrong one too, a right one delivered", async () => {
  const { clock, b, inject } = dual();
  const server = b.createSocket("udp6").bind(7000);
  const got: string[] = [];
  server.on("message", (m) => got.push(m.toString()));
  const frame = (checksum: number | undefined, text: string): Uint8Array => packet(
    Ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", type: EtherType.IPv6 }),
    IPv6({ src: A6, dst: B6 }),
    UDP(checksum === undefined ? { srcPort: 1234, dstPort: 7000 } : { srcPort: 1234, dstPort: 7000, checksum }),
    Raw({ data: Buffer.from(text) }),
  ).bytes();
  inject(frame(0, "zero"));
  inject(frame(0x1234, "wrong"));
  inject(frame(undefined, "right"));
  await run(clock);
  assert.deepEqual(got, ["right"]);
  assert.equal(b.stats().drops.udpBadChecksum, 2);
});

test("neighbour discovery without an answer is EHOSTUNREACH; a packet too big is EMSGSIZE and lowers the path MTU", async () => {
  const { clock, a, frames, injectA } = dual();
  const s = a.createSocket("udp6");
  const errors: SocketError[] = [];
  s.on("error", (e: SocketError) => errors.push(e));
  s.send("anyone?", 9999, "fd00:232::77"); // on-link, nobody there: 3 solicitations 1 s apart
  await run(clock, 2900);
  assert.equal(errors.length, 0, "still resolving");
  await run(clock, 200);
  assert.deepEqual(errors.map((e) => [e.code, e.address, e.port]), [["EHOSTUNREACH", "fd00:232::77", 9999]]);

  // A router on the path says 1280: the quoted datagram's sender gets EMSGSIZE, and the next
  // large datagram to that destination goes in fragments of at most 1280 bytes.
  const far = "fd00:999::1";
  a.addRoute({ destination: "fd00:999::/64", gateway: B6 });
  const big = Buffer.alloc(1400, 0x7a);
  s.send(big, 9999, far);
  await run(clock);
  const sent = frames.filter((f) => f.length > 1400).at(-1)!;
  const ptb = packet(
    Ethernet({ src: "02:00:00:00:00:02", dst: "02:00:00:00:00:01", type: EtherType.IPv6 }),
    IPv6({ src: B6, dst: A6 }),
    ICMPv6({ type: Icmpv6Type.packetTooBig }),
    ICMPv6PacketTooBig({ mtu: 1280 }),
    Raw({ data: sent.subarray(14, 14 + 1232) }),
  ).bytes();
  frames.length = 0;
  injectA(ptb);
  await run(clock, 10);
  assert.deepEqual(errors.slice(1).map((e) => [e.code, e.address, e.port]), [["EMSGSIZE", far, 9999]]);
  assert.match(errors[1]!.message, /ICMPv6 type 2 code 0 from fd00:232::2/);
  s.send(big, 9999, far);
  await run(clock);
  const out = frames.filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[14 + 6] === 44); // IPv6 with a fragment header
  assert.equal(out.length, 2, "fragmented to the path MTU");
  assert.ok(out.every((f) => f.length - 14 <= 1280), out.map((f) => f.length - 14).join(","));
});
