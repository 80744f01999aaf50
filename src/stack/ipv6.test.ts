/**
 * The IPv6 layer on a memory link with a virtual clock: ping6 both ways between two stacks
 * (link-local, global, fragmented, loopback), extension headers and unknown options by their
 * action bits, parameter problems with their pointers, source address selection, packet too big
 * and the path MTU.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IPv6DestinationOptions, IPv6HopByHop, IPv6Option } from "../protocols/ipv6-options.js";
import { IPv6Routing, IPv6RouteAddress } from "../protocols/ipv6-routing.js";
import { IPv6Fragment } from "../protocols/ipv6-fragment.js";
import { ICMPv6, ICMPv6Echo, ICMPv6PacketTooBig, ICMPv6ParameterProblem, Icmpv6Type } from "../protocols/icmpv6.js";
import { Raw } from "../protocols/raw.js";
import type { AnyLayer } from "../schema/protocol.js";
import { flush, settle } from "./testing.js";
import { datagramFrame, frame6, icmpv6Of, linkLocalOf, lone6, neighbourSolicitation, pair6 } from "./testing6.js";

const LL = "fe80::ff:fe00:1";
const PEER = "fe80::fe";
const EXACT = { maxRtrSolicitationDelay: 0, routerSolicitation: false };

test("ping6 both ways between two stacks: link-local, global, 3000 bytes fragmented and reassembled, and loopback", async () => {
  const { clock, a, b } = pair6({}, { delay: 1 });
  a.addAddress("2001:db8::1/64");
  b.addAddress("2001:db8::2/64");
  clock.advance(3000);
  const first = await settle(clock, a.ping(linkLocalOf(2)), 1000, 1);
  assert.deepEqual([first.address, first.time, first.ttl, first.bytes], [linkLocalOf(2), 4, 64, 56], "4 ms: a solicitation round trip, then the echo");
  const again = await settle(clock, a.ping(linkLocalOf(2)), 1000, 1);
  assert.equal(again.time, 2);
  const big = await settle(clock, b.ping("2001:db8::1", { size: 3000 }), 1000, 1);
  assert.deepEqual([big.address, big.bytes], ["2001:db8::1", 3000]);
  assert.equal(a.stats().counters["ipv6.reassembled"], 1);
  assert.equal(b.stats().counters["ipv6.reassembled"], 1);
  assert.equal(a.stats().counters["ipv6.fragmentsCreated"], 3);
  const self = await settle(clock, a.ping("2001:db8::1"), 100, 1);
  assert.equal(self.time, 0);
  await assert.rejects(settle(clock, a.ping("2001:db8:77::1"), 100, 1), { code: "ENETUNREACH" });
  await assert.rejects(a.ping("not an address:"), TypeError);
});

/** A stack with its link-local ready that knows the peer fe80::fe (learned from a solicitation). */
function ready() {
  const l = lone6({ config: { ipv6: EXACT } });
  l.clock.advance(1000);
  l.link.inject(neighbourSolicitation(LL, PEER, LL));
  l.clock.advance(0);
  l.sent.length = 0;
  return l;
}

const echo = (...ext: AnyLayer[]) => [...ext, ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 7, seq: 1 }), Raw({ data: new Uint8Array(8) })];
const option = (type: number) => IPv6DestinationOptions({ options: [IPv6Option({ type, data: new Uint8Array(4) })] });

test("unknown options by their action bits: 00 skipped, 01 discarded, 10 parameter problem (even to multicast), 11 only to unicast", () => {
  const cases: [number, string, "reply" | "silent" | "problem"][] = [
    [0x1e, LL, "reply"], [0x5e, LL, "silent"], [0x9e, LL, "problem"], [0xde, LL, "problem"], [0xde, "ff02::1", "silent"], [0x9e, "ff02::1", "problem"],
  ];
  for (const [type, dst, expect] of cases) {
    const l = ready();
    l.link.inject(frame6({ src: PEER, dst }, ...echo(option(type))));
    l.clock.advance(0);
    const replies = icmpv6Of(l.sent, Icmpv6Type.echoReply).length;
    const problems = icmpv6Of(l.sent, Icmpv6Type.parameterProblem);
    assert.deepEqual([replies > 0, problems.length > 0], [expect === "reply", expect === "problem"], `option 0x${type.toString(16)} to ${dst}`);
    if (expect === "problem") {
      const p = problems[0]!.packet;
      assert.equal(p.layer(ICMPv6)!.code, 2);
      assert.equal(p.layer(ICMPv6ParameterProblem)!.pointer, 42, "the option's type byte: 40 + 2");
      assert.equal(p.layers(IPv6)[0]!.dst, PEER);
      assert.equal(p.layers(IPv6)[1]!.src, PEER, "the offending packet quoted");
    }
    if (expect !== "reply") assert.equal(l.stack.stats().drops.ipv6OptionUnknown, 1);
    if (type === 0x1e) assert.equal(l.stack.stats().counters["ipv6.optionSkipped"], 1);
  }
});

test("parameter problems: unknown next header (code 1), hop-by-hop not first (code 1), routing header with segments left (code 0); segments left 0 is ignored", () => {
  const cases: [string, AnyLayer[], number, number][] = [
    ["unknown next header", [IPv6({ src: PEER, dst: LL, nextHeader: 253 }), Raw({ data: new Uint8Array(8) })], 1, 6],
    ["hop-by-hop after destination options", [IPv6({ src: PEER, dst: LL }), IPv6DestinationOptions({ options: [] }), IPv6HopByHop({ options: [] }), ...echo()], 1, 40],
    ["routing header type 0 with segments left", [IPv6({ src: PEER, dst: LL }), IPv6Routing({ routingType: 0, segmentsLeft: 1, addresses: [IPv6RouteAddress({ address: "2001:db8::9" })] }), ...echo()], 0, 42],
  ];
  for (const [what, layers, code, pointer] of cases) {
    const l = ready();
    const bytes = packet(...layers).bytes();
    l.link.inject(datagramFrame(bytes));
    l.clock.advance(0);
    const pp = icmpv6Of(l.sent, Icmpv6Type.parameterProblem)[0];
    assert.ok(pp, `a parameter problem for ${what}`);
    assert.deepEqual([pp.packet.layer(ICMPv6)!.code, pp.packet.layer(ICMPv6ParameterProblem)!.pointer], [code, pointer]);
  }
  const l = ready();
  l.link.inject(frame6({ src: PEER, dst: LL }, IPv6Routing({ routingType: 0, segmentsLeft: 0, addresses: [IPv6RouteAddress({ address: "2001:db8::9" })] }), ...echo()));
  l.clock.advance(0);
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.echoReply).length, 1);
});

test("source address selection (RFC 6724): the destination's scope, then not deprecated, then the longest matching prefix", () => {
  const { clock, stack } = lone6({ config: { ipv6: { ...EXACT, dadTransmits: 0 } } });
  stack.addAddress("2001:db8:1::1/64");
  stack.addAddress("2001:db8:2::1/64");
  clock.advance(0);
  const ip = stack.inet6.ipv6;
  assert.equal(ip.sourceFor("fe80::9"), LL);
  assert.equal(ip.sourceFor("2001:db8:2::9"), "2001:db8:2::1");
  assert.equal(ip.sourceFor("2001:db8:1::9"), "2001:db8:1::1");
  assert.equal(ip.sourceFor("2001:db8:2::1"), "2001:db8:2::1", "the destination itself");
  ip.address("2001:db8:2::1")!.state = "deprecated";
  assert.equal(ip.sourceFor("2001:db8:2::9"), "2001:db8:1::1", "a deprecated address only when nothing else will do");
  assert.equal(ip.sourceFor("ff02::1"), LL);
});

test("packet too big lowers the path MTU (never below 1280); later sends fragment to it; RFC 8201's time-out restores the link MTU", () => {
  const l = ready();
  const { clock, link, sent, stack } = l;
  const ping = (size: number) => void stack.ping(PEER, { size, timeout: 100 }).catch(() => undefined);
  ping(1400);
  clock.advance(0);
  const [big] = icmpv6Of(sent, Icmpv6Type.echoRequest);
  assert.equal(big!.bytes.length, 14 + 40 + 8 + 1400, "1448 bytes fit 1500");
  const quote = big!.bytes.subarray(14, 14 + 1232);
  link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.packetTooBig }), ICMPv6PacketTooBig({ mtu: 1300 }), Raw({ data: quote })));
  clock.advance(0);
  assert.equal(stack.inet6.ipv6.mtuFor(PEER), 1300);
  sent.length = 0;
  ping(1400);
  clock.advance(0);
  assert.ok(sent.length === 2 && sent.every((f) => f.bytes.length - 14 <= 1300 && f.packet.layer(IPv6Fragment) !== undefined), sent.map((f) => f.bytes.length).join());
  link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.packetTooBig }), ICMPv6PacketTooBig({ mtu: 600 }), Raw({ data: quote })));
  clock.advance(0);
  assert.equal(stack.inet6.ipv6.mtuFor(PEER), 1280, "clamped to the IPv6 minimum");
  link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.packetTooBig }), ICMPv6PacketTooBig({ mtu: 1400 }), Raw({ data: quote })));
  clock.advance(0);
  assert.equal(stack.inet6.ipv6.mtuFor(PEER), 1280, "never raised by a packet too big");
  clock.advance(600_000);
  assert.equal(stack.inet6.ipv6.mtuFor(PEER), 1500);
  void flush();
});

test("IPv6 is off by default: no frame is sent, 0x86dd frames are dropped", () => {
  const { clock, stack, link, sent } = lone6({ ipv6: false });
  clock.advance(10_000);
  assert.equal(sent.length, 0);
  link.inject(frame6({ src: PEER, dst: "ff02::1" }, ...echo()));
  clock.advance(0);
  assert.equal(stack.stats().counters["ipv6.rx"], undefined);
  assert.deepEqual(stack.addresses6(), []);
});

test("a ping socket speaks ICMPv6 too: its identifier, replies with virtual times, errors as events", async () => {
  const { clock, a } = pair6({ ipv4: "10.0.0.1/24" }, { delay: 1 });
  const s = a.createPingSocket();
  const replies: string[] = [];
  const errors: string[] = [];
  s.on("message", (r) => replies.push(`${r.address} seq=${r.seq} ${r.data.length} bytes time=${r.time} hop=${r.ttl}`));
  s.on("error", (e) => errors.push(`${e.code}@${clock.now()}`));
  s.send(linkLocalOf(2));
  s.send(`${linkLocalOf(2)}%eth0`, { size: 2000 });
  clock.advance(20);
  assert.deepEqual(replies, [`${linkLocalOf(2)} seq=0 56 bytes time=4 hop=64`, `${linkLocalOf(2)} seq=1 2000 bytes time=4 hop=64`]);
  const t = clock.now();
  s.send("fe80::99");
  clock.advance(3000);
  await flush();
  assert.deepEqual(errors, [`EHOSTUNREACH@${t + 3000}`], "neighbour discovery failed: address unreachable");
  s.close();
  await flush();
});
