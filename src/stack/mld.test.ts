/**
 * MLD on a memory link with a virtual clock, the test playing the querier: MLDv2 reports on join
 * and leave with their retransmission, answers to general and group-specific queries within the
 * maximum response delay, and MLDv1 compatibility (v1 reports, suppression, the older-version
 * querier time).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { IPv6HopByHop, IPv6Option } from "../protocols/ipv6-options.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { MLD, MLDv2Query, MLDv2Report } from "../protocols/mld.js";
import type { AnyLayer } from "../schema/protocol.js";
import { frame6, icmpv6Of, lone6, type SentFrame } from "./testing6.js";
import { maxResponseDelay } from "./mld.js";

const LL = "fe80::ff:fe00:1";
const SOLICITED = "ff02::1:ff00:1";
const GROUP = "ff05::1:3";

function ready() {
  const l = lone6({ config: { ipv6: { maxRtrSolicitationDelay: 0, routerSolicitation: false } } });
  l.clock.advance(2000); // the solicited-node group's two reports are over
  l.sent.length = 0;
  return l;
}

const v2 = (frames: readonly SentFrame[]) => icmpv6Of(frames, Icmpv6Type.multicastListenerReportV2);
const records = (f: SentFrame) => f.packet.layer(MLDv2Report)!.records.map((r) => [r.recordType, r.multicastAddress] as const);
const query = (dst: string, ...body: AnyLayer[]) => frame6({ src: "fe80::1", dst, hopLimit: 1 }, IPv6HopByHop({ options: [IPv6Option({ type: 5, value: 0 })] }), ICMPv6({ type: Icmpv6Type.multicastListenerQuery }), ...body);

test("join: an MLDv2 CHANGE_TO_EXCLUDE report at once and once more within 1 s, hop limit 1 with a router alert; leave: CHANGE_TO_INCLUDE", () => {
  const l = ready();
  const t = l.clock.now();
  l.stack.joinGroup(GROUP);
  l.clock.advance(1000);
  const joins = v2(l.sent);
  assert.equal(joins.length, 2);
  assert.equal(joins[0]!.time, t);
  assert.ok(joins[1]!.time > t && joins[1]!.time <= t + 1000, `retransmission at ${joins[1]!.time - t}`);
  for (const j of joins) {
    const ip = j.packet.layer(IPv6)!;
    assert.deepEqual([ip.src, ip.dst, ip.hopLimit, j.packet.layer(Ethernet)!.dst], [LL, "ff02::16", 1, "33:33:00:00:00:16"]);
    assert.equal(j.packet.layer(IPv6HopByHop)!.options[0]!.type, 5, "router alert");
    assert.deepEqual(records(j), [[4, GROUP]]);
  }
  // The group's datagrams are accepted: an echo to it is answered (echoMulticast).
  l.link.inject(frame6({ src: "fe80::fe", dst: GROUP }, ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 1, seq: 4 })));
  l.clock.advance(3000);
  assert.ok(l.sent.some((f) => f.packet.layer(ICMPv6)?.type === Icmpv6Type.neighborSolicitation), "the reply resolves the sender");
  l.sent.length = 0;
  l.stack.leaveGroup(GROUP);
  l.clock.advance(1000);
  assert.deepEqual(v2(l.sent).map(records), [[[3, GROUP]], [[3, GROUP]]]);
  l.link.inject(frame6({ src: "fe80::fe", dst: GROUP }, ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 1, seq: 5 })));
  l.clock.advance(0);
  assert.ok((l.stack.stats().drops.notForUs ?? 0) >= 1, "the group's MAC is no longer accepted");
});

test("queries: a general query is answered with every group but ff02::1 within the maximum response delay; a group-specific one with that group", () => {
  const l = ready();
  l.stack.joinGroup(GROUP);
  l.clock.advance(2000);
  l.sent.length = 0;
  const t = l.clock.now();
  l.link.inject(query("ff02::1", MLDv2Query({ maxResponseCode: 5000, multicastAddress: "::" })));
  l.clock.advance(5000);
  const general = v2(l.sent);
  assert.equal(general.length, 1);
  assert.ok(general[0]!.time >= t && general[0]!.time < t + 5000);
  assert.deepEqual(records(general[0]!).sort(), [[2, GROUP], [2, SOLICITED]].sort());
  l.sent.length = 0;
  l.link.inject(query(GROUP, MLDv2Query({ maxResponseCode: 1000, multicastAddress: GROUP })));
  l.clock.advance(1000);
  assert.deepEqual(v2(l.sent).map(records), [[[2, GROUP]]]);
  l.link.inject(frame6({ src: "fe80::1", dst: "ff02::1", hopLimit: 64 }, ICMPv6({ type: Icmpv6Type.multicastListenerQuery }), MLDv2Query({})));
  l.clock.advance(0);
  assert.equal(l.stack.stats().drops.mldInvalid, 1, "hop limit not 1");
  assert.equal(maxResponseDelay(0x8000 | (1 << 12) | 0x10), (0x1010) << 4, "the exponential form of RFC 3810 5.1.3");
});

test("MLDv1 fallback: after a v1 query, v1 reports to the group (a v1 report heard suppresses ours) until the older-version-querier time is over", () => {
  const l = ready();
  l.stack.joinGroup(GROUP);
  l.clock.advance(2000);
  l.sent.length = 0;
  const t = l.clock.now();
  l.link.inject(query("ff02::1", MLD({ maxResponseDelay: 10_000, multicastAddress: "::" })));
  l.clock.advance(0);
  // Another host answers for GROUP first: our answer for it is suppressed (RFC 2710).
  l.link.inject(frame6({ src: "fe80::77", dst: GROUP, hopLimit: 1 }, ICMPv6({ type: Icmpv6Type.multicastListenerReport }), MLD({ multicastAddress: GROUP })));
  l.clock.advance(10_000);
  const v1 = icmpv6Of(l.sent, Icmpv6Type.multicastListenerReport);
  assert.deepEqual(v1.map((f) => [f.packet.layer(IPv6)!.dst, f.packet.layer(MLD)!.multicastAddress]), [[SOLICITED, SOLICITED]]);
  assert.ok(v1[0]!.time < t + 10_000);
  assert.equal(l.stack.stats().counters["mld.suppressed"], 1);
  assert.equal(v2(l.sent).length, 0);
  l.sent.length = 0;
  l.stack.joinGroup("ff05::1:4");
  l.stack.leaveGroup(GROUP);
  l.clock.advance(1000);
  assert.deepEqual(icmpv6Of(l.sent, Icmpv6Type.multicastListenerReport).map((f) => f.packet.layer(IPv6)!.dst), ["ff05::1:4", "ff05::1:4"]);
  assert.deepEqual(icmpv6Of(l.sent, Icmpv6Type.multicastListenerDone).map((f) => [f.packet.layer(IPv6)!.dst, f.packet.layer(MLD)!.multicastAddress]), [["ff02::2", GROUP]]);
  // 2 × 125 s + 10 s after the v1 query, MLDv2 again.
  l.clock.advance(t + 260_000 - 1 - l.clock.now());
  assert.equal(l.stack.inet6.mld.version, 1);
  l.clock.advance(1);
  assert.equal(l.stack.inet6.mld.version, 2);
  l.sent.length = 0;
  l.stack.joinGroup("ff05::1:5");
  l.clock.advance(0);
  assert.deepEqual(v2(l.sent).map(records), [[[4, "ff05::1:5"]]]);
});
