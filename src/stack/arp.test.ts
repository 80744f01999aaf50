import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP, ArpOpcode } from "../protocols/arp.js";
import { stackPair, settle } from "./testing.js";

test("two stacks resolve each other by ARP; entries age out and are resolved again", async () => {
  const { clock, a, b, linkA } = stackPair();
  const sent: ReturnType<typeof dissect>[] = [];
  linkA.tap((f) => sent.push(dissect(f, Ethernet)));
  assert.deepEqual(a.arpTable(), []);
  const reply = await settle(clock, a.ping("10.0.0.2"));
  assert.equal(reply.address, "10.0.0.2");
  const requests = sent.filter((p) => p.layer(ARP)?.opcode === ArpOpcode.request);
  assert.equal(requests.length, 1, "one ARP request");
  assert.equal(requests[0]!.layer(Ethernet)!.dst, "ff:ff:ff:ff:ff:ff");
  assert.equal(requests[0]!.layer(ARP)!.targetIp, "10.0.0.2");
  const entry = a.arpTable().find((e) => e.address === "10.0.0.2");
  assert.equal(entry?.mac, "02:00:00:00:00:02");
  assert.equal(entry?.state, "reachable");
  // b learned a from the request (RFC 826: the target adds the sender).
  assert.equal(b.arpTable().find((e) => e.address === "10.0.0.1")?.mac, "02:00:00:00:00:01");
  // Aging: past reachableTime the entry is gone, and the next ping asks again.
  clock.advance(a.config.arp.reachableTime + 1);
  assert.equal(a.arpTable().some((e) => e.address === "10.0.0.2"), false);
  await settle(clock, a.ping("10.0.0.2"));
  assert.equal(sent.filter((p) => p.layer(ARP)?.opcode === ArpOpcode.request && p.layer(ARP)?.targetIp === "10.0.0.2").length, 2);
  assert.equal(a.stats().drops.internalError, undefined);
});

test("an unresolved neighbour: bounded retries, bounded pending queue, drops counted", async () => {
  const { clock, a, linkA } = stackPair({}, { config: { arp: { pendingLimit: 4, retries: 3, retryInterval: 1000 } } });
  let requests = 0;
  linkA.tap((f) => { if (dissect(f, Ethernet).layer(ARP)?.targetIp === "10.0.0.99") requests++; });
  const s = a.createSocket();
  for (let i = 0; i < 10; i++) s.send("x", 9, "10.0.0.99");
  clock.advance(0);
  assert.equal(a.arpTable().find((e) => e.address === "10.0.0.99")?.pending, 4);
  assert.equal(a.stats().drops.arpPendingOverflow, 6);
  clock.advance(10_000);
  assert.equal(requests, 3);
  assert.equal(a.stats().drops.arpUnresolved, 4);
  assert.equal(a.arpTable().some((e) => e.address === "10.0.0.99"), false);
  s.close();
});

test("the cache is bounded: the oldest resolved entry is evicted", () => {
  const { clock, a, linkA } = stackPair({}, { config: { arp: { cacheSize: 3 } } });
  // Answer every request for 10.0.0.100.. as if hosts were there (injected replies).
  for (let i = 0; i < 5; i++) {
    const ip = `10.0.0.${100 + i}`;
    const mac = `02:00:00:00:01:0${i}`;
    linkA.inject(packet(Ethernet({ dst: a.mac, src: mac }), ARP({ opcode: ArpOpcode.request, senderMac: mac, senderIp: ip, targetIp: "10.0.0.1" })).bytes());
    clock.advance(0);
  }
  const table = a.arpTable();
  assert.deepEqual(table.map((e) => e.address), ["10.0.0.102", "10.0.0.103", "10.0.0.104"]);
  assert.equal(a.stats().counters["arp.evicted"], 2);
});
