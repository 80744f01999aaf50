// IPv4 options are accepted on input (RFC 1122 3.2.1.8): a ping carrying a router-alert option
// is answered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stackPair, settle, flush } from "./testing.js";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { ICMP, ICMPEcho } from "../protocols/icmp.js";

test("a ping with an IPv4 router-alert option is answered", async () => {
  const { clock, a, linkB } = stackPair({}, { announce: false });
  const replies: number[] = [];
  linkB.tap((frame) => {
    const echo = dissect(frame, Ethernet).layer(ICMPEcho);
    if (echo !== undefined && dissect(frame, Ethernet).layer(ICMP)!.type === 0) replies.push(echo.seq);
  });
  // b must know a's MAC to answer: let a resolve b first with an ordinary ping.
  await settle(clock, a.ping("10.0.0.2"), 10_000, 1);
  const request = packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
    IPv4({ src: "10.0.0.1", dst: "10.0.0.2", options: [{ type: "routerAlert" }] }),
    ICMP(),
    ICMPEcho({ id: 0x4242, seq: 7 }),
    "options",
  ).bytes();
  assert.equal(dissect(request, Ethernet).layer(IPv4)!.ihl, 6, "the request carries 4 bytes of options");
  linkB.inject(request);
  for (let i = 0; i < 20 && !replies.includes(7); i++) {
    clock.advance(10);
    await flush();
  }
  assert.deepEqual(replies.filter((s) => s === 7), [7]);
});
