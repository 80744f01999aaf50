import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP, ArpOpcode } from "../protocols/arp.js";
import { VirtualClock } from "./clock.js";
import { memoryLinkPair, type MemoryLink } from "./link.js";
import { Stack } from "./stack.js";
import type { AddressConflict } from "./conflict.js";
import type { StackConfigInput } from "./config.js";
import { stackPair, settle } from "./testing.js";
import { PingError } from "./icmp.js";

interface Seen { t: number; op: number; dst: string; senderIp: string; targetIp: string; senderMac: string }

function watch(clock: VirtualClock, link: MemoryLink): Seen[] {
  const seen: Seen[] = [];
  link.tap((f) => {
    const p = dissect(f, Ethernet);
    const arp = p.layer(ARP);
    if (arp !== undefined) seen.push({ t: clock.now(), op: arp.opcode, dst: p.layer(Ethernet)!.dst, senderIp: arp.senderIp, targetIp: arp.targetIp, senderMac: arp.senderMac });
  });
  return seen;
}

function two(configA: StackConfigInput, ipA: string, configB: StackConfigInput, ipB: string) {
  const clock = new VirtualClock();
  const [linkA, linkB] = memoryLinkPair(clock, { delay: 1 });
  const seenA = watch(clock, linkA);
  const seenB = watch(clock, linkB);
  const b = new Stack({ link: linkB, clock, mac: "02:00:00:00:00:02", ipv4: ipB, name: "b", config: configB, announce: false });
  const events: AddressConflict[] = [];
  const ready: string[] = [];
  const a = new Stack({ link: linkA, clock, mac: "02:00:00:00:00:01", name: "a", config: configA, announce: false });
  a.on("addressConflict", (c) => events.push(c));
  a.on("addressReady", (r) => ready.push(r));
  a.addAddress(ipA);
  return { clock, a, b, linkA, linkB, seenA, seenB, events, ready };
}

const probing: StackConfigInput = { arp: { probe: true } };

test("RFC 5227: three probes from 0.0.0.0, then the address is used and announced twice", async () => {
  const { clock, a, seenA, events, ready } = two(probing, "10.0.0.1/24", {}, "10.0.0.2/24");
  assert.deepEqual(a.addresses(), []);
  assert.deepEqual(a.tentativeAddresses(), ["10.0.0.1/24"]);
  await assert.rejects(settle(clock, a.ping("10.0.0.2")), (e: unknown) => e instanceof PingError);
  clock.advance(20_000);
  const probes = seenA.filter((s) => s.senderIp === "0.0.0.0");
  assert.equal(probes.length, 3);
  for (const p of probes) {
    assert.equal(p.op, ArpOpcode.request);
    assert.equal(p.dst, "ff:ff:ff:ff:ff:ff");
    assert.equal(p.targetIp, "10.0.0.1");
  }
  assert.ok(probes[0]!.t >= 0 && probes[0]!.t <= 1000, `first probe at ${probes[0]!.t}`);
  for (let i = 1; i < 3; i++) {
    const gap = probes[i]!.t - probes[i - 1]!.t;
    assert.ok(gap >= 1000 && gap <= 2000, `gap ${gap}`);
  }
  const announcements = seenA.filter((s) => s.senderIp === "10.0.0.1" && s.targetIp === "10.0.0.1");
  assert.deepEqual(announcements.map((s) => s.t), [probes[2]!.t + 2000, probes[2]!.t + 4000]);
  assert.deepEqual(ready, ["10.0.0.1/24"]);
  assert.deepEqual(events, []);
  assert.deepEqual(a.addresses(), ["10.0.0.1/24"]);
  assert.equal((await settle(clock, a.ping("10.0.0.2"))).address, "10.0.0.2");
  // The same seed gives the same probe times.
  const again = two(probing, "10.0.0.1/24", {}, "10.0.0.2/24");
  again.clock.advance(20_000);
  assert.deepEqual(again.seenA.filter((s) => s.senderIp === "0.0.0.0").map((s) => s.t), probes.map((s) => s.t));
});

test("RFC 5227: a host that answers the probe makes the address abandoned, never used", () => {
  const { clock, a, b, seenA, events, ready } = two(probing, "10.0.0.2/24", {}, "10.0.0.2/24");
  clock.advance(20_000);
  assert.deepEqual(ready, []);
  assert.deepEqual(a.addresses(), []);
  assert.deepEqual(a.tentativeAddresses(), []);
  assert.deepEqual(events, [{ address: "10.0.0.2", mac: b.mac, state: "tentative", action: "abandoned" }]);
  assert.equal(seenA.filter((s) => s.senderIp === "0.0.0.0").length, 1, "probing stopped at the first answer");
  assert.equal(seenA.some((s) => s.senderIp === "10.0.0.2"), false, "never announced");
});

test("RFC 5227: of two hosts probing the same address, the one that hears the other's probe gives it up", () => {
  const { clock, a, b, events } = two(probing, "10.0.0.5/24", probing, "10.0.0.9/24");
  const bEvents: AddressConflict[] = [];
  b.on("addressConflict", (c) => bEvents.push(c));
  b.addAddress("10.0.0.5/24");
  clock.advance(20_000);
  const holders = [a, b].filter((s) => s.addresses().includes("10.0.0.5/24"));
  assert.equal(holders.length, 1, "exactly one host uses it");
  assert.ok(b.addresses().includes("10.0.0.9/24"));
  const lost = [...events, ...bEvents];
  assert.equal(lost.length, 1);
  assert.deepEqual({ ...lost[0], mac: undefined }, { address: "10.0.0.5", mac: undefined, state: "tentative", action: "abandoned" });
  assert.equal(lost[0]!.mac, holders[0]!.mac, "the conflict names the other host");
});

function claim(link: MemoryLink, ip: string): void {
  const mac = "02:00:00:00:00:66";
  link.inject(packet(Ethernet({ dst: "ff:ff:ff:ff:ff:ff", src: mac }), ARP({ opcode: ArpOpcode.request, senderMac: mac, senderIp: ip, targetIp: ip })).bytes());
}

test("RFC 5227 defence 'forever': announce at a conflict, at most once per defendInterval; keep the address", () => {
  const { clock, a, linkA, seenA, events } = two({}, "10.0.0.1/24", {}, "10.0.0.2/24");
  claim(linkA, "10.0.0.1");
  clock.advance(1);
  claim(linkA, "10.0.0.1");
  clock.advance(10_000);
  claim(linkA, "10.0.0.1");
  clock.advance(1);
  assert.deepEqual(events.map((e) => e.action), ["defended", "ignored", "defended"]);
  assert.equal(seenA.filter((s) => s.senderIp === "10.0.0.1" && s.targetIp === "10.0.0.1").length, 2);
  assert.deepEqual(a.addresses(), ["10.0.0.1/24"]);
  assert.equal(a.stats().counters["arp.conflict"], 3);
});

test("RFC 5227 defence 'retreat': defend once, give the address up at a second conflict within defendInterval", () => {
  const { clock, a, linkA, events } = two({ arp: { defence: "retreat" } }, "10.0.0.1/24", {}, "10.0.0.2/24");
  claim(linkA, "10.0.0.1");
  clock.advance(10_001);
  claim(linkA, "10.0.0.1"); // after the interval: defended again
  clock.advance(5000);
  assert.deepEqual(a.addresses(), ["10.0.0.1/24"]);
  claim(linkA, "10.0.0.1");
  clock.advance(1);
  assert.deepEqual(events.map((e) => `${e.state}:${e.action}`), ["inUse:defended", "inUse:defended", "inUse:abandoned"]);
  assert.deepEqual(a.addresses(), []);
  assert.deepEqual(a.routes().filter((r) => r.kind === "connected"), []);
});

test("ARP entries in use are refreshed by unicast requests before they expire; idle ones age out", async () => {
  const { clock, a, b, linkA } = stackPair({ delay: 1 }, { announce: false, config: { arp: { reachableTime: 20_000, refreshBefore: 5000 } } });
  const seen = watch(clock, linkA);
  for (let i = 0; i < 60; i++) {
    await settle(clock, a.ping("10.0.0.2"), 10_000, 1);
    clock.advance(1000);
  }
  const requests = seen.filter((s) => s.op === ArpOpcode.request && s.targetIp === "10.0.0.2");
  assert.equal(requests.filter((s) => s.dst === "ff:ff:ff:ff:ff:ff").length, 1, "one broadcast resolution in 60 s");
  const unicast = requests.filter((s) => s.dst === b.mac);
  assert.ok(unicast.length >= 2, `${unicast.length} refreshes`);
  assert.equal(a.stats().counters["arp.expired"], undefined);
  assert.equal(a.stats().counters["arp.refresh"], unicast.length);
  clock.advance(20_001);
  assert.equal(a.arpTable().some((e) => e.address === "10.0.0.2"), false, "idle: aged out");
});
