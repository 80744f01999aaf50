/**
 * ICMPv6 on a memory link with a virtual clock: errors handed to the transport that sent the
 * quoted packet, the token-bucket rate limit, RFC 4443's "never about" rules, and hostile IPv6
 * frames (random, truncated, corrupted) that must never throw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { seededRandom } from "../packet/fuzz.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IPv6DestinationOptions, IPv6Option } from "../protocols/ipv6-options.js";
import { ICMPv6, ICMPv6DestinationUnreachable, ICMPv6Echo, ICMPv6TimeExceeded, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPNeighborSolicitation } from "../protocols/ndp.js";
import { MLDv2Query } from "../protocols/mld.js";
import { UDP } from "../protocols/udp.js";
import { Raw } from "../protocols/raw.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { settle } from "./testing.js";
import { datagramFrame, fragments6, frame6, icmpv6Of, linkLocalOf, lone6, neighbourSolicitation, pair6, routerAdvertisement } from "./testing6.js";
import type { Icmpv6ErrorInfo } from "./icmpv6.js";

const LL = "fe80::ff:fe00:1";
const PEER = "fe80::fe";

function ready() {
  const l = lone6({ config: { ipv6: { maxRtrSolicitationDelay: 0, routerSolicitation: false } } });
  l.clock.advance(1000);
  l.link.inject(neighbourSolicitation(LL, PEER, LL));
  l.clock.advance(0);
  l.sent.length = 0;
  return l;
}

test("errors reach the transport that sent the quoted packet: addresses, ports, type and code; errors about echoes reject the ping", async () => {
  const l = ready();
  const got: Icmpv6ErrorInfo[] = [];
  l.stack.inet6.icmpv6.onError(IpProtocol.UDP, (e) => got.push(e));
  const udp = packet(IPv6({ src: LL, dst: "2001:db8::9" }), UDP({ srcPort: 5000, dstPort: 53 }), Raw({ data: new Uint8Array(4) })).bytes();
  l.link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.destinationUnreachable, code: 4 }), ICMPv6DestinationUnreachable({}), Raw({ data: udp })));
  l.link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.timeExceeded, code: 0 }), ICMPv6TimeExceeded({}), Raw({ data: udp })));
  l.clock.advance(0);
  assert.deepEqual(got.map((e) => [e.type, e.code, e.reporter, e.src, e.dst, e.protocol, e.srcPort, e.dstPort]), [
    [1, 4, "fe80::1", LL, "2001:db8::9", IpProtocol.UDP, 5000, 53],
    [3, 0, "fe80::1", LL, "2001:db8::9", IpProtocol.UDP, 5000, 53],
  ]);
  const ping = l.stack.ping(PEER);
  l.clock.advance(0);
  const request = icmpv6Of(l.sent, Icmpv6Type.echoRequest)[0]!.bytes.subarray(14);
  l.link.inject(frame6({ src: "fe80::1", dst: LL }, ICMPv6({ type: Icmpv6Type.destinationUnreachable, code: 3 }), ICMPv6DestinationUnreachable({}), Raw({ data: request })));
  await assert.rejects(settle(l.clock, ping, 100, 1), { code: "EHOSTUNREACH" });
});

test("rate limit: a burst of errorBurst parameter problems, then errorsPerSecond", () => {
  const l = ready();
  const bad = () => l.link.inject(frame6({ src: PEER, dst: LL }, IPv6DestinationOptions({ options: [IPv6Option({ type: 0x80, data: new Uint8Array(4) })] }), Raw({ data: new Uint8Array(8) })));
  for (let i = 0; i < 30; i++) bad();
  l.clock.advance(0);
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.parameterProblem).length, 10);
  assert.equal(l.stack.stats().drops.icmpv6RateLimited, 20);
  l.clock.advance(500);
  for (let i = 0; i < 30; i++) bad();
  l.clock.advance(0);
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.parameterProblem).length, 15, "5 tokens in half a second");
});

test("never about: packets from ::, to a multicast group (but an option of action 10), or ICMPv6 errors", () => {
  const l = ready();
  const unknownNext = (src: string, dst: string) => datagramFrame(packet(IPv6({ src, dst, nextHeader: 253 }), Raw({ data: new Uint8Array(8) })).bytes(), dst.startsWith("ff") ? "33:33:00:00:00:01" : undefined);
  l.link.inject(unknownNext("::", LL));
  l.link.inject(unknownNext(PEER, "ff02::1"));
  // A time exceeded whose quoted packet is nonsense: dropped, never answered.
  l.link.inject(frame6({ src: PEER, dst: LL }, ICMPv6({ type: Icmpv6Type.timeExceeded }), ICMPv6TimeExceeded({}), Raw({ data: new Uint8Array(10) })));
  l.clock.advance(0);
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.parameterProblem).length, 0);
  assert.equal(l.stack.stats().drops.ipv6ProtocolUnknown, 2);
  assert.equal(l.stack.stats().drops.icmpv6Malformed, 1);
});

test("hostile IPv6 frames never throw; drops are counted by reason; the stacks still ping each other", async () => {
  const { clock, a, b, linkB } = pair6({ config: { ipv6: { maxRtrSolicitationDelay: 0 } } });
  const rnd = seededRandom(6);
  const mac = { dstMac: b.mac };
  const to = linkLocalOf(2);
  const echo = packet(IPv6({ src: PEER, dst: to }), ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 1, seq: 1 }), Raw({ data: new Uint8Array(3000) })).bytes();
  const good = [
    datagramFrame(echo, b.mac),
    frame6({ src: PEER, dst: to, hopLimit: 255, ...mac }, ICMPv6({ type: Icmpv6Type.neighborSolicitation }), NDPNeighborSolicitation({ target: to })),
    routerAdvertisement({ prefixes: [{ prefix: "2001:db8:9::", valid: 600, preferred: 600 }], raw: [Uint8Array.from([24, 1, 0, 0, 0, 0, 0, 1])] }),
    frame6({ src: PEER, dst: "ff02::1", hopLimit: 1 }, ICMPv6({ type: Icmpv6Type.multicastListenerQuery }), MLDv2Query({})),
    ...fragments6(echo, 3, [[0, 1232], [1232, 2464], [2464, 3008]]).map((f) => datagramFrame(f, b.mac)),
    frame6({ src: PEER, dst: to, ...mac }, IPv6DestinationOptions({ options: [IPv6Option({ type: 0x1e, data: new Uint8Array(3) })] }), ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({})),
  ];
  let injected = 0;
  for (let i = 0; i < 3000; i++) {
    const base = good[Math.floor(i / 3) % good.length]!;
    let f: Uint8Array;
    if (i % 3 === 0) f = base.slice(0, Math.floor(rnd() * base.length));
    else {
      f = base.slice();
      for (let k = 0; k < 3; k++) f[14 + Math.floor(rnd() * (f.length - 14))] = Math.floor(rnd() * 256);
    }
    linkB.inject(f);
    injected++;
    if (i % 100 === 0) clock.advance(1);
  }
  clock.advance(100);
  const s = b.stats();
  assert.equal(s.drops.internalError, undefined, "no exception escaped a handler");
  assert.ok(s.dropped > 1000, JSON.stringify(s.drops));
  for (const reason of ["ipv6Malformed", "icmpv6BadChecksum", "ipv6NotForUs"] as const) assert.ok((s.drops[reason] ?? 0) > 0, `some ${reason}: ${JSON.stringify(s.drops)}`);
  assert.ok(b.neighbours().length <= b.config.ipv6.neighbourCacheSize);
  assert.ok(b.inet6.reassembly.held <= b.config.ipv6.reassemblyMemory);
  const r = await settle(clock, a.ping(to, { size: 2000 }), 5000, 5);
  assert.equal(r.bytes, 2000);
  assert.ok(injected === 3000);
});
