import { test } from "node:test";
import assert from "node:assert/strict";
import { stackPair, settle } from "./testing.js";
import { PingError } from "./icmp.js";

test("two stacks ping each other; the round trip takes the link's delay", async () => {
  const { clock, a, b } = stackPair({ delay: 5 }, { announce: false });
  const r1 = await settle(clock, a.ping("10.0.0.2", { size: 100 }), 10_000, 1);
  assert.equal(r1.address, "10.0.0.2");
  assert.equal(r1.bytes, 100);
  assert.equal(r1.ttl, 64);
  assert.ok(r1.time === 20, `first ping ${r1.time} ms (ARP exchange + echo)`);
  const r2 = await settle(clock, b.ping("10.0.0.1"), 10_000, 1);
  assert.ok(r2.time === 10, `second ping ${r2.time} ms`);
  assert.equal(a.stats().counters["icmp.echoReplySent"], 1);
  assert.equal(b.stats().counters["icmp.echoReplySent"], 1);
});

test("ping times out on the virtual clock when nobody answers", async () => {
  const { clock, a } = stackPair({ loss: 1 });
  await assert.rejects(settle(clock, a.ping("10.0.0.2", { timeout: 500 })), (e: unknown) => e instanceof PingError && e.code === "ETIMEDOUT");
});

test("ping of an address with no route fails at once", async () => {
  const { clock, a } = stackPair();
  await assert.rejects(settle(clock, a.ping("192.168.9.9")), (e: unknown) => e instanceof PingError && e.code === "ENETUNREACH");
});

test("pings larger than the MTU go out fragmented and come back reassembled", async () => {
  const { clock, a, b, linkA } = stackPair();
  let frames = 0;
  linkA.tap(() => frames++);
  const r = await settle(clock, a.ping("10.0.0.2", { size: 3000, timeout: 500 }));
  assert.equal(r.bytes, 3000);
  assert.equal(a.stats().counters["ipv4.fragmentsCreated"], 3);
  assert.ok(frames >= 4, `${frames} frames`);
  assert.equal(b.stats().counters["ipv4.reassembled"], 1);
  assert.equal(a.stats().counters["ipv4.reassembled"], 1);
});

test("a gratuitous announcement completes a pending resolution (RFC 826 merge)", async () => {
  const { clock, a } = stackPair({ delay: 5 });
  // The announcements are still on the wire at t=0; a's request is answered by b's announcement first.
  const r = await settle(clock, a.ping("10.0.0.2"), 10_000, 1);
  assert.equal(r.time, 15);
});

test("a stack pings itself through loopback", async () => {
  const { clock, a } = stackPair();
  const r = await settle(clock, a.ping("10.0.0.1"));
  assert.equal(r.address, "10.0.0.1");
  assert.equal(r.time, 0);
});
