import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { ICMP } from "../protocols/icmp.js";
import { Raw } from "../protocols/raw.js";
import { stackPair, settle, flush, type Pair } from "./testing.js";
import { FRAGMENT_OVERHEAD } from "./reassembly.js";
import type { SocketError } from "./udp.js";

/** A UDP datagram 10.0.0.1:5000 → 10.0.0.2:7 carrying `size` patterned bytes, as IPv4 bytes. */
function datagram(id: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + id) & 0xff;
  return packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id }), UDP({ srcPort: 5000, dstPort: 7 }), Raw({ data })).bytes();
}

/** The frame of the fragment [start, end) of `whole`'s payload (MF unless it reaches the end); `fill` replaces its bytes. */
function fragment(pair: Pair, whole: Uint8Array, start: number, end: number, fill?: number): Uint8Array {
  const ip = dissect(whole, IPv4).layer(IPv4)!;
  const payload = whole.subarray(20);
  const data = payload.slice(start, end);
  if (fill !== undefined) data.fill(fill);
  const more = end < payload.length ? 1 : 0;
  return packet(
    Ethernet({ dst: pair.b.mac, src: pair.a.mac }),
    IPv4({ src: ip.src, dst: ip.dst, id: ip.id, protocol: ip.protocol, flags: more, fragmentOffset: start / 8 }),
    Raw({ data }),
  ).bytes();
}

/** A UDP echo server on b (port 7) recording what it got. */
function echo(pair: Pair): Buffer[] {
  const got: Buffer[] = [];
  const s = pair.b.createSocket().bind(7);
  s.on("message", (m, r) => { got.push(m); s.send(m, r.port, r.address); });
  return got;
}

test("pings larger than the MTU both ways, under seeded reordering and duplication", async () => {
  const pair = stackPair({ seed: 7, reorder: 0.3, reorderDelay: 3, duplicate: 0.2, delay: 1 }, { announce: false });
  const { clock, a, b, linkA, linkB } = pair;
  for (let i = 0; i < 5; i++) {
    const r1 = await settle(clock, a.ping("10.0.0.2", { size: 4000 + i * 333, timeout: 2000 }), 10_000, 1);
    assert.equal(r1.bytes, 4000 + i * 333);
    const r2 = await settle(clock, b.ping("10.0.0.1", { size: 3000 + i * 111, timeout: 2000 }), 10_000, 1);
    assert.equal(r2.bytes, 3000 + i * 111);
  }
  const sa = a.stats();
  const sb = b.stats();
  // Requests into b and replies into a were both reassembled (5 each way, replies included).
  assert.equal(sb.counters["ipv4.reassembled"], 10);
  assert.equal(sa.counters["ipv4.reassembled"], 10);
  assert.ok(linkA.counters.reordered > 0 && linkB.counters.reordered > 0, "the seed reorders both ways");
  assert.ok(linkA.counters.duplicated + linkB.counters.duplicated > 0, "the seed duplicates");
  assert.ok((sa.drops.ipv4FragmentDuplicate ?? 0) + (sb.drops.ipv4FragmentDuplicate ?? 0) > 0, "duplicates dropped alone");
  assert.equal(sa.drops.ipv4ReassemblyOverlap, undefined);
  assert.equal(sb.drops.ipv4ReassemblyInvalid, undefined);
  // Late duplicates of fragments already used open a new key that times out, and nothing else.
  clock.advance(a.config.ipv4.reassemblyTimeout + 100);
  assert.deepEqual(a.reassembly.state(), { datagrams: 0, memory: 0 });
  assert.deepEqual(b.reassembly.state(), { datagrams: 0, memory: 0 });
  assert.equal(sb.drops.internalError, undefined);
});

test("fragments in reverse order with an exact duplicate make one datagram with the right bytes", async () => {
  const pair = stackPair({}, { announce: false });
  const got = echo(pair);
  const whole = datagram(11, 100); // 108 bytes of UDP
  pair.linkB.inject(fragment(pair, whole, 64, 108));
  pair.linkB.inject(fragment(pair, whole, 32, 64));
  pair.linkB.inject(fragment(pair, whole, 32, 64));
  pair.linkB.inject(fragment(pair, whole, 0, 32));
  pair.clock.advance(0);
  await flush();
  assert.equal(got.length, 1);
  assert.deepEqual(new Uint8Array(got[0]!), whole.subarray(28));
  assert.equal(pair.b.stats().drops.ipv4FragmentDuplicate, 1);
  assert.equal(pair.b.stats().counters["ipv4.reassembled"], 1);
  assert.deepEqual(pair.b.reassembly.state(), { datagrams: 0, memory: 0 });
});

test("overlap discards the whole datagram, later fragments too, until the time-out (RFC 5722 policy)", async () => {
  const pair = stackPair({}, { announce: false });
  const got = echo(pair);
  const whole = datagram(12, 100);
  pair.linkB.inject(fragment(pair, whole, 0, 32));
  pair.linkB.inject(fragment(pair, whole, 24, 64)); // overlaps [24, 32)
  pair.linkB.inject(fragment(pair, whole, 32, 64)); // would have completed a clean sequence
  pair.linkB.inject(fragment(pair, whole, 64, 108));
  pair.clock.advance(0);
  await flush();
  assert.equal(got.length, 0);
  const drops = pair.b.stats().drops;
  assert.equal(drops.ipv4ReassemblyOverlap, 4, "the trigger, the fragment held, and the two after");
  assert.equal(pair.b.reassembly.state().memory, 0, "nothing is held for a dead datagram");
  // Same range, other bytes: also an overlap (not a duplicate).
  const other = datagram(13, 100);
  pair.linkB.inject(fragment(pair, other, 0, 32));
  pair.linkB.inject(fragment(pair, other, 0, 32, 0xee));
  pair.clock.advance(0);
  assert.equal(pair.b.stats().drops.ipv4ReassemblyOverlap, 6);
  // After the time-out, the identifier is usable again.
  pair.clock.advance(pair.b.config.ipv4.reassemblyTimeout);
  for (const [s, e] of [[0, 32], [32, 64], [64, 108]] as const) pair.linkB.inject(fragment(pair, whole, s, e));
  pair.clock.advance(0);
  await flush();
  assert.equal(got.length, 1);
});

test("invalid fragments: odd length with more-fragments, past the end, over 65535 bytes", () => {
  const pair = stackPair({}, { announce: false });
  const whole = datagram(14, 100);
  pair.linkB.inject(fragment(pair, whole, 0, 30)); // not a multiple of 8
  pair.linkB.inject(fragment(pair, whole, 64, 108)); // last: total 108
  pair.linkB.inject(packet(Ethernet({ dst: pair.b.mac, src: pair.a.mac }),
    IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: 14, protocol: 17, flags: 1, fragmentOffset: 16 }), Raw({ data: new Uint8Array(16) })).bytes()); // 128..144 > 108
  pair.linkB.inject(packet(Ethernet({ dst: pair.b.mac, src: pair.a.mac }),
    IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: 15, protocol: 17, flags: 0, fragmentOffset: 8189 }), Raw({ data: new Uint8Array(64) })).bytes());
  pair.clock.advance(0);
  const d = pair.b.stats().drops;
  assert.equal(d.ipv4ReassemblyInvalid, 4, "odd length, the past-the-end one and the last it killed, the oversized one");
});

test("an incomplete datagram times out on the virtual clock; the sender gets ICMP time exceeded", async () => {
  const pair = stackPair({}, { announce: false });
  const { clock, a, b, linkB } = pair;
  const errors: SocketError[] = [];
  const s = a.createSocket().bind(5000);
  s.on("error", (e) => errors.push(e as SocketError));
  const icmpTypes: number[] = [];
  pair.linkB.tap((f) => { const t = dissect(f, Ethernet).layer(ICMP)?.type; if (t !== undefined) icmpTypes.push(t); });
  const whole = datagram(16, 100);
  linkB.inject(fragment(pair, whole, 0, 32));
  linkB.inject(fragment(pair, whole, 64, 108));
  clock.advance(0);
  assert.deepEqual(b.reassembly.state(), { datagrams: 1, memory: 32 + 44 + 2 * FRAGMENT_OVERHEAD + 20 });
  clock.advance(b.config.ipv4.reassemblyTimeout - 1);
  assert.equal(b.reassembly.state().datagrams, 1, "still waiting 1 ms before the time-out");
  clock.advance(1);
  assert.deepEqual(b.reassembly.state(), { datagrams: 0, memory: 0 });
  assert.equal(b.stats().drops.ipv4ReassemblyTimeout, 2);
  assert.equal(b.stats().counters["ipv4.reassemblyTimeouts"], 1);
  clock.advance(100); // b resolves a by ARP, then the error goes out
  await flush();
  assert.deepEqual(icmpTypes, [11]);
  assert.equal(errors[0]!.code, "EHOSTUNREACH");
  assert.equal(errors[0]!.icmp?.type, 11);
  assert.equal(errors[0]!.icmp?.code, 1);
  s.close();
  // A time-out without the first fragment sends nothing.
  linkB.inject(fragment(pair, datagram(17, 100), 32, 64));
  clock.advance(b.config.ipv4.reassemblyTimeout + 1);
  assert.deepEqual(icmpTypes, [11]);
});

test("a fragment flood stays under the memory and datagram caps; the stack still reassembles afterwards", async () => {
  const pair = stackPair({}, { announce: false, config: { ipv4: { reassemblyMemory: 64 * 1024, reassemblyDatagrams: 32, reassemblyTimeout: 5000 } } });
  const { clock, a, b, linkB } = pair;
  let peak = 0;
  let peakDatagrams = 0;
  const data = new Uint8Array(1000);
  for (let i = 0; i < 2000; i++) {
    // Never-completing first fragments of distinct datagrams, and many pieces of a few big ones.
    const id = i % 3 === 0 ? 40000 + (i % 5) : i;
    const offset = i % 3 === 0 ? (i * 125) % 8000 : 0;
    linkB.inject(packet(Ethernet({ dst: b.mac, src: a.mac }),
      IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id, protocol: 17, flags: 1, fragmentOffset: offset }), Raw({ data })).bytes());
    if (i % 50 === 0) {
      clock.advance(1);
      const st = b.reassembly.state();
      peak = Math.max(peak, st.memory);
      peakDatagrams = Math.max(peakDatagrams, st.datagrams);
    }
  }
  clock.advance(1);
  const st = b.reassembly.state();
  peak = Math.max(peak, st.memory);
  assert.ok(peak <= 64 * 1024, `peak ${peak} bytes`);
  assert.ok(peakDatagrams <= 32, `peak ${peakDatagrams} datagrams`);
  assert.ok((b.stats().drops.ipv4ReassemblyMemory ?? 0) > 1000, "refusals counted");
  // While full, a legitimate fragmented ping cannot get in; after the time-out it does.
  clock.advance(5000);
  assert.deepEqual(b.reassembly.state(), { datagrams: 0, memory: 0 });
  const r = await settle(clock, a.ping("10.0.0.2", { size: 3000 }));
  assert.equal(r.bytes, 3000);
});
