/**
 * The 802.1Q tag on the interface (`config.vlan`), on the memory link: frames go out tagged with
 * the id and priority, tagged stacks talk (ARP, ping, full-size and fragmented echoes, UDP), and
 * frames with another tag or none are dropped as `vlanMismatch` (and tagged ones by an untagged stack).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect } from "../packet/packet.js";
import { Ethernet, EtherType } from "../protocols/ethernet.js";
import { Dot1Q } from "../protocols/dot1q.js";
import { ARP } from "../protocols/arp.js";
import { IPv4 } from "../protocols/ipv4.js";
import { VirtualClock } from "./clock.js";
import { memoryLinkPair } from "./link.js";
import { Stack } from "./stack.js";
import { settle } from "./testing.js";
import type { StackConfigInput } from "./config.js";

function pair(ca: StackConfigInput, cb: StackConfigInput) {
  const clock = new VirtualClock();
  const [la, lb] = memoryLinkPair(clock);
  const sent: Uint8Array[] = [];
  la.tap((f) => sent.push(f));
  const a = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", name: "a", config: ca });
  const b = new Stack({ link: lb, clock, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2/24", name: "b", config: cb });
  clock.advance(0);
  return { clock, a, b, sent };
}

test("frames go out tagged (id, pcp); two stacks on VLAN 5 ping and exchange UDP, full size and fragmented", async () => {
  const { clock, a, b, sent } = pair({ vlan: { id: 5, pcp: 3 } }, { vlan: { id: 5 } });
  const r = await settle(clock, a.ping("10.0.0.2"));
  assert.equal(r.address, "10.0.0.2");
  assert.ok(sent.length >= 3);
  for (const f of sent) {
    const p = dissect(f, Ethernet);
    assert.equal(p.layer(Ethernet)!.type, EtherType.Dot1Q);
    const tag = p.layer(Dot1Q)!;
    assert.equal(tag.vid, 5);
    assert.equal(tag.pcp, 3);
    assert.ok(p.layer(ARP) !== undefined || p.layer(IPv4) !== undefined);
  }
  // 1472 bytes of echo data fill the 1500-byte MTU: the tag does not count against it.
  assert.equal((await settle(clock, a.ping("10.0.0.2", { size: 1472 }))).bytes, 1472);
  assert.equal((await settle(clock, a.ping("10.0.0.2", { size: 4000 }))).bytes, 4000);
  const echo = b.createSocket("udp4");
  echo.on("message", (m, ri) => echo.send(m, ri.port, ri.address));
  echo.bind(7);
  const c = a.createSocket("udp4");
  const got = new Promise<string>((resolve) => c.on("message", (m) => resolve(m.toString())));
  c.send("tagged", 7, "10.0.0.2");
  assert.equal(await settle(clock, got), "tagged");
  assert.equal(a.stats().drops["vlanMismatch"] ?? 0, 0);
  assert.equal(b.stats().drops["vlanMismatch"] ?? 0, 0);
});

test("another VLAN id, or no tag, is dropped as vlanMismatch both ways", async () => {
  for (const [ca, cb] of [[{ vlan: { id: 5 } }, { vlan: { id: 6 } }], [{ vlan: { id: 5 } }, {}], [{}, { vlan: { id: 7 } }]] as [StackConfigInput, StackConfigInput][]) {
    const { clock, a, b } = pair(ca, cb);
    await assert.rejects(settle(clock, a.ping("10.0.0.2", { timeout: 1000 })));
    assert.ok((b.stats().drops["vlanMismatch"] ?? 0) >= 1, JSON.stringify(b.stats().drops));
    assert.ok((a.stats().drops["vlanMismatch"] ?? 0) >= 1, JSON.stringify(a.stats().drops));
    assert.equal(a.arpTable().filter((e) => e.mac !== undefined).length, 0);
  }
  assert.throws(() => pair({ vlan: { id: 4095 } }, {}), /1\.\.4094/);
  assert.throws(() => pair({ vlan: { id: 1, pcp: 8 } }, {}), /0\.\.7/);
});
