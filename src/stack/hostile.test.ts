import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { seededRandom } from "../packet/fuzz.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP } from "../protocols/arp.js";
import { IPv4 } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { ICMP, ICMPEcho } from "../protocols/icmp.js";
import { stackPair, settle } from "./testing.js";

test("random, truncated and malformed frames never throw; drops are counted; the stack still works", async () => {
  const { clock, a, b, linkB } = stackPair();
  const rnd = seededRandom(42);
  const good = [
    packet(Ethernet({ dst: b.mac, src: a.mac }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ srcPort: 1, dstPort: 7 }), "payload").bytes(),
    packet(Ethernet({ dst: b.mac, src: a.mac }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), ICMP(), ICMPEcho({ id: 1, seq: 1 }), "ping").bytes(),
    packet(Ethernet({ src: a.mac }), ARP({ senderMac: a.mac, senderIp: "10.0.0.1", targetIp: "10.0.0.2" })).bytes(),
  ];
  let injected = 0;
  for (let i = 0; i < 3000; i++) {
    let f: Uint8Array;
    const kind = i % 3;
    const base = good[Math.floor(i / 3) % good.length]!;
    if (kind === 0) {
      f = new Uint8Array(Math.floor(rnd() * 120));
      for (let j = 0; j < f.length; j++) f[j] = Math.floor(rnd() * 256);
      if (f.length >= 14 && rnd() < 0.5) { f.set([2, 0, 0, 0, 0, 2], 0); f[12] = 0x08; f[13] = rnd() < 0.5 ? 0x00 : 0x06; }
    } else if (kind === 1) {
      f = base.slice(0, Math.floor(rnd() * base.length)); // truncated
    } else {
      f = base.slice(); // a few bytes flipped
      for (let k = 0; k < 3; k++) f[Math.floor(rnd() * f.length)] = Math.floor(rnd() * 256);
    }
    linkB.inject(f);
    injected++;
    if (i % 100 === 0) clock.advance(1);
  }
  clock.advance(100);
  const s = b.stats();
  assert.equal(s.counters["ethernet.rx"], injected + 1 /* a's announcement */);
  assert.equal(s.drops.internalError, undefined, "no exception escaped a handler");
  assert.ok(s.dropped > 1000, `${s.dropped} drops: ${JSON.stringify(s.drops)}`);
  for (const reason of ["frameShort", "notForUs", "ipv4Malformed", "ipv4BadChecksum", "arpMalformed"] as const) assert.ok((s.drops[reason] ?? 0) > 0, `some ${reason}`);
  // Only senders on b's subnet were learned (corrupted requests may still poison 10.0.0.x: that is ARP).
  for (const e of b.arpTable()) assert.match(e.address, /^10\.0\.0\./);
  assert.ok(b.arpTable().length <= b.config.arp.cacheSize);
  // Still healthy: after a announces itself again, b answers a ping.
  a.announce();
  const r = await settle(clock, a.ping("10.0.0.2"));
  assert.equal(r.address, "10.0.0.2");
});

test("a seeded lossy, duplicating, corrupting, reordering link: same seed, same outcome", async () => {
  const run = async (): Promise<{ got: number; link: object; drops: object }> => {
    const { clock, a, b, linkA } = stackPair({ seed: 7, loss: 0.1, duplicate: 0.1, corrupt: 0.1, reorder: 0.2, jitter: 3, delay: 1 });
    const server = b.createSocket().bind(7);
    let got = 0;
    server.on("message", () => got++);
    const client = a.createSocket();
    for (let i = 0; i < 200; i++) { client.send(`datagram ${i}`, 7, "10.0.0.2"); clock.advance(2); }
    clock.advance(5000);
    return { got, link: { ...linkA.counters }, drops: b.stats().drops };
  };
  const one = await run();
  const two = await run();
  assert.deepEqual(one, two);
  assert.ok(one.got > 100 && one.got < 260, `received ${one.got}`);
  const c = one.link as { lost: number; duplicated: number; corrupted: number; reordered: number };
  assert.ok(c.lost > 0 && c.duplicated > 0 && c.corrupted > 0 && c.reordered > 0, JSON.stringify(c));
  assert.equal((one.drops as { internalError?: number }).internalError, undefined);
});

test("frames over the link MTU are dropped by the memory link", () => {
  const { clock, a, linkA } = stackPair({ mtu: 576 });
  const s = a.createSocket();
  s.send(new Uint8Array(1000), 7, "10.0.0.2");
  clock.advance(10);
  assert.equal(linkA.counters.tooBig, 0, "the stack fragments to the link MTU");
  assert.ok(a.stats().counters["ipv4.fragmentsCreated"]! >= 2);
});
