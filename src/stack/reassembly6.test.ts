/**
 * IPv6 reassembly on a memory link with a virtual clock, the test sending fragments of an echo
 * request built byte for byte: out of order with an exact duplicate, RFC 5722 overlap (the whole
 * datagram and its late fragments dropped until the time-out), the 60 s time-out with time
 * exceeded, RFC 8200's parameter problems, the memory cap, atomic fragments, and fragments
 * under seeded reordering and duplication between two stacks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IPv6Fragment } from "../protocols/ipv6-fragment.js";
import { ICMPv6, ICMPv6Echo, ICMPv6ParameterProblem, Icmpv6Type } from "../protocols/icmpv6.js";
import { Raw } from "../protocols/raw.js";
import { settle } from "./testing.js";
import { datagramFrame, fragments6, icmpv6Of, linkLocalOf, lone6, neighbourAdvertisement, neighbourSolicitation, pair6 } from "./testing6.js";

const LL = "fe80::ff:fe00:1";
const PEER = "fe80::fe";

function ready(ipv6: object = {}) {
  const l = lone6({ config: { ipv6: { maxRtrSolicitationDelay: 0, routerSolicitation: false, ...ipv6 } } });
  l.clock.advance(1000);
  l.link.inject(neighbourSolicitation(LL, PEER, LL));
  l.clock.advance(0);
  l.sent.length = 0;
  return l;
}

/** An echo request of `size` data bytes (a pattern) from the peer, as datagram bytes. */
function echoRequest(size: number, seq = 1): Uint8Array {
  const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + seq) & 0xff);
  return packet(IPv6({ src: PEER, dst: LL }), ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 9, seq }), Raw({ data })).bytes();
}

/** The echo replies sent: their seq and data length. */
const replies = (l: ReturnType<typeof ready>) => icmpv6Of(l.sent, Icmpv6Type.echoReply).map((f) => f.packet.layer(ICMPv6Echo)!.seq);

test("out of order with an exact duplicate: reassembled once, bytes intact (the reply carries them back)", () => {
  const l = ready();
  const d = echoRequest(3000);
  const f = fragments6(d, 0x1234, [[0, 1232], [1232, 2464], [2464, 3008]]);
  for (const i of [2, 0, 2, 1]) l.link.inject(datagramFrame(f[i]!));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [1]);
  assert.equal(l.stack.stats().drops.ipv6FragmentDuplicate, 1);
  assert.equal(l.stack.stats().counters["ipv6.reassembled"], 1);
  // The reply came back in fragments; reassembled here, it holds the request's data byte for byte.
  const out = l.sent.filter((x) => x.packet.layer(IPv6Fragment) !== undefined);
  assert.equal(out.length, 3);
  const data = new Uint8Array(3008);
  for (const x of out) {
    const frag = x.packet.layer(IPv6Fragment)!;
    data.set(x.bytes.subarray(14 + 48), frag.fragmentOffset * 8);
  }
  assert.deepEqual(data.subarray(8), d.subarray(48));
  assert.equal(l.stack.inet6.reassembly.held, 0);
});

test("RFC 5722: an overlapping fragment drops the whole datagram, and its late fragments, until the time-out", () => {
  const l = ready();
  const f = fragments6(echoRequest(3000), 7, [[0, 1232], [1224, 2464], [2464, 3008]]);
  l.link.inject(datagramFrame(f[0]!));
  l.link.inject(datagramFrame(f[1]!));
  l.link.inject(datagramFrame(f[2]!));
  l.clock.advance(0);
  assert.deepEqual(replies(l), []);
  assert.deepEqual([l.stack.stats().drops.ipv6ReassemblyOverlap], [2], "the overlap, then the late fragment");
  const good = fragments6(echoRequest(3000), 7, [[0, 1232], [1232, 2464], [2464, 3008]]);
  for (const x of good) l.link.inject(datagramFrame(x));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [], "the same key stays dead");
  l.clock.advance(60_000);
  l.link.inject(neighbourSolicitation(LL, PEER, LL)); // the peer's entry went while idle: learn it again
  for (const x of good) l.link.inject(datagramFrame(x));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [1], "after the time-out the key is free again");
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.timeExceeded).length, 0, "no time exceeded for a discarded datagram");
});

test("time-out at exactly 60 s: time exceeded (code 1) quoting the first fragment; none when the first never came", () => {
  const l = ready();
  const f = fragments6(echoRequest(3000), 0xabcd, [[0, 1232], [1232, 2464], [2464, 3008]]);
  l.link.inject(datagramFrame(f[0]!));
  l.link.inject(datagramFrame(f[2]!));
  const g = fragments6(echoRequest(3000, 2), 0xabce, [[0, 1232], [1232, 2464], [2464, 3008]]);
  l.link.inject(datagramFrame(g[1]!));
  l.clock.advance(59_999);
  assert.equal(icmpv6Of(l.sent, Icmpv6Type.timeExceeded).length, 0);
  l.clock.advance(1);
  // The peer's cache entry went while idle (probed unanswered): the error waits for resolution.
  l.link.inject(neighbourAdvertisement(PEER, LL));
  l.clock.advance(0);
  const te = icmpv6Of(l.sent, Icmpv6Type.timeExceeded);
  assert.equal(te.length, 1);
  assert.equal(te[0]!.time, 61_000);
  const p = te[0]!.packet;
  assert.deepEqual([p.layer(ICMPv6)!.code, p.layers(IPv6)[0]!.dst, p.layers(IPv6)[1]!.src], [1, PEER, PEER]);
  assert.deepEqual([p.layer(IPv6Fragment)!.id, p.layer(IPv6Fragment)!.fragmentOffset, p.layer(IPv6Fragment)!.moreFragments], [0xabcd, 0, 1]);
  assert.equal(l.stack.stats().drops.ipv6ReassemblyTimeout, 3);
  assert.equal(l.stack.inet6.reassembly.held, 0);
});

test("RFC 8200 parameter problems: a non-last fragment not a multiple of 8 (pointer 4); beyond 65,535 bytes (pointer to the offset)", () => {
  const l = ready();
  const d = echoRequest(3000);
  l.link.inject(datagramFrame(fragments6(d, 1, [[0, 1230]], 3008)[0]!));
  const far = fragments6(d, 2, [[0, 1000]], 70_000)[0]!;
  far[42] = 0xff; far[43] = 0xf9; // offset 65528, more fragments
  l.link.inject(datagramFrame(far));
  l.clock.advance(0);
  const pp = icmpv6Of(l.sent, Icmpv6Type.parameterProblem).map((f) => [f.packet.layer(ICMPv6)!.code, f.packet.layer(ICMPv6ParameterProblem)!.pointer]);
  assert.deepEqual(pp, [[0, 4], [0, 42]]);
});

test("an atomic fragment (offset 0, no more) is processed alone at once (RFC 6946)", () => {
  const l = ready();
  l.link.inject(datagramFrame(fragments6(echoRequest(100), 5, [[0, 108]])[0]!));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [1]);
  assert.equal(l.stack.stats().counters["ipv6.atomicFragment"], 1);
  assert.equal(l.stack.inet6.reassembly.size, 0);
});

test("the memory cap: a flood of first fragments is refused beyond it; reassembly works again after the time-out", () => {
  const l = ready({ reassemblyMemory: 20_000, reassemblyDatagrams: 64 });
  for (let id = 0; id < 200; id++) l.link.inject(datagramFrame(fragments6(echoRequest(3000), 1000 + id, [[0, 1232]], 3008)[0]!));
  l.clock.advance(0);
  const r = l.stack.inet6.reassembly;
  assert.ok(r.held <= 20_000, `held ${r.held}`);
  assert.ok(r.size < 200);
  assert.equal(l.stack.stats().drops.ipv6ReassemblyMemory, 200 - r.size);
  const f = fragments6(echoRequest(3000), 99, [[0, 1232], [1232, 2464], [2464, 3008]]);
  for (const x of f) l.link.inject(datagramFrame(x));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [], "no room while full");
  l.clock.advance(60_000);
  assert.equal(r.held, 0);
  l.link.inject(neighbourSolicitation(LL, PEER, LL));
  for (const x of f) l.link.inject(datagramFrame(x));
  l.clock.advance(0);
  assert.deepEqual(replies(l), [1]);
});

test("between two stacks under seeded reordering and duplication: large pings fragmented and reassembled both ways", async () => {
  const { clock, a, b } = pair6({}, { seed: 7, delay: 1, jitter: 3, reorder: 0.3, duplicate: 0.2 });
  for (const size of [1500, 3000, 5300, 9000]) {
    const r1 = await settle(clock, a.ping(linkLocalOf(2), { size, timeout: 2000 }), 3000, 5);
    const r2 = await settle(clock, b.ping(linkLocalOf(1), { size, timeout: 2000 }), 3000, 5);
    assert.deepEqual([r1.bytes, r2.bytes], [size, size]);
  }
  assert.ok(a.stats().counters["ipv6.reassembled"]! >= 4);
  assert.ok((a.stats().drops.ipv6FragmentDuplicate ?? 0) + (b.stats().drops.ipv6FragmentDuplicate ?? 0) > 0, "duplicates were met");
  assert.equal(a.stats().drops.ipv6ReassemblyOverlap, undefined);
});
