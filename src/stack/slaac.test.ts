/**
 * Duplicate address detection, router solicitation and SLAAC on a memory link with a virtual
 * clock, the test playing the router or the duplicate: exact times of solicitations, states and
 * lifetimes (tentative, preferred, deprecated, removed), conflicts, RFC 7217 identifiers, and
 * what router advertisements set.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ICMPv6, Icmpv6Type, ICMPv6Echo } from "../protocols/icmpv6.js";
import { IPv6 } from "../protocols/ipv6.js";
import { NDPNeighborSolicitation, NDPRouterSolicitation } from "../protocols/ndp.js";
import { MLDv2Report } from "../protocols/mld.js";
import { IPv6Fragment } from "../protocols/ipv6-fragment.js";
import { Raw } from "../protocols/raw.js";
import { icmpv6Of, lone6, neighbourAdvertisement, neighbourSolicitation, pair6, frame6, routerAdvertisement } from "./testing6.js";
import { stableInterfaceId, withInterfaceId } from "./address6.js";
import type { AddressConflict } from "./conflict.js";

const LL = "fe80::ff:fe00:1";
const EXACT = { maxRtrSolicitationDelay: 0 };

test("DAD: the solicited-node group is reported, one solicitation from :: after the random delay, the address preferred 1 s later", () => {
  const { clock, stack, sent } = lone6();
  const ready: [string, number][] = [];
  stack.on("addressReady", (a) => ready.push([a, clock.now()]));
  clock.advance(0);
  assert.equal(stack.addresses6()[0]!.state, "tentative");
  assert.deepEqual(stack.addresses(), [], "tentative addresses are not listed as in use");
  const report = icmpv6Of(sent, Icmpv6Type.multicastListenerReportV2)[0]!;
  assert.equal(report.time, 0);
  assert.equal(report.packet.layer(IPv6)!.src, "::", "before any address: from ::");
  assert.deepEqual(report.packet.layer(MLDv2Report)!.records.map((r) => [r.recordType, r.multicastAddress]), [[4, "ff02::1:ff00:1"]]);
  clock.advance(1000);
  const ns = icmpv6Of(sent, Icmpv6Type.neighborSolicitation);
  assert.equal(ns.length, 1);
  const t0 = ns[0]!.time;
  assert.ok(t0 >= 0 && t0 < 1000, `random delay ${t0}`);
  const ip = ns[0]!.packet.layer(IPv6)!;
  assert.deepEqual([ip.src, ip.dst, ip.hopLimit], ["::", "ff02::1:ff00:1", 255]);
  const body = ns[0]!.packet.layer(NDPNeighborSolicitation)!;
  assert.equal(body.target, LL);
  assert.equal(body.options.length, 0, "no source link-layer option from ::");
  clock.advance(t0 + 999 - clock.now());
  assert.equal(stack.addresses6()[0]!.state, "tentative");
  clock.advance(1);
  assert.equal(stack.addresses6()[0]!.state, "preferred");
  assert.deepEqual(ready, [[`${LL}/64`, t0 + 1000]]);
  assert.deepEqual(stack.addresses(), [`${LL}/64`]);
});

test("DAD: datagrams to a tentative address are dropped; DupAddrDetectTransmits 3 sends three solicitations RetransTimer apart", () => {
  const { clock, stack, link, sent } = lone6({ config: { ipv6: { ...EXACT, dadTransmits: 3, retransTimer: 700 } } });
  link.inject(frame6({ src: "fe80::fe", dst: LL }, ICMPv6({ type: Icmpv6Type.echoRequest }), ICMPv6Echo({ id: 1, seq: 1 })));
  clock.advance(0);
  assert.equal(stack.stats().drops.ipv6NotForUs, 1);
  clock.advance(2099);
  assert.deepEqual(icmpv6Of(sent, Icmpv6Type.neighborSolicitation).map((f) => f.time), [0, 700, 1400]);
  assert.equal(stack.addresses6()[0]!.state, "tentative");
  clock.advance(1);
  assert.equal(stack.addresses6()[0]!.state, "preferred");
});

for (const kind of ["advertisement", "solicitation"] as const) {
  test(`DAD conflict: a neighbour ${kind} for our tentative address abandons it (no router solicitation follows)`, () => {
    const { clock, stack, link, sent } = lone6({ config: { ipv6: EXACT } });
    const conflicts: AddressConflict[] = [];
    stack.on("addressConflict", (c) => conflicts.push(c));
    clock.advance(500);
    link.inject(kind === "advertisement" ? neighbourAdvertisement(LL, "ff02::1", { solicited: false }) : neighbourSolicitation(LL, "::", "ff02::1:ff00:1"));
    clock.advance(0);
    assert.deepEqual(conflicts, [{ address: LL, mac: kind === "advertisement" ? "02:00:00:00:00:fe" : "", state: "tentative", action: "abandoned" }]);
    assert.deepEqual(stack.addresses6(), []);
    clock.advance(20_000);
    assert.equal(icmpv6Of(sent, Icmpv6Type.routerSolicitation).length, 0);
    const leave = icmpv6Of(sent, Icmpv6Type.multicastListenerReportV2).at(-1)!.packet.layer(MLDv2Report)!.records[0]!;
    assert.deepEqual([leave.recordType, leave.multicastAddress], [3, "ff02::1:ff00:1"], "the group is left");
  });
}

test("DAD against another stack: the second stack to claim a static address gives it up, the first keeps it", () => {
  const { clock, a, b } = pair6();
  a.addAddress("2001:db8::7/64");
  clock.advance(3000);
  const conflicts: AddressConflict[] = [];
  b.on("addressConflict", (c) => conflicts.push(c));
  a.on("addressConflict", (c) => conflicts.push(c));
  b.addAddress("2001:db8::7/64");
  clock.advance(3000);
  assert.deepEqual(conflicts, [{ address: "2001:db8::7", mac: "02:00:00:00:00:01", state: "tentative", action: "abandoned" }]);
  assert.ok(a.addresses().includes("2001:db8::7/64"));
  assert.ok(!b.addresses6().some((x) => x.address === "2001:db8::7"));
});

test("router solicitation: after the link-local is ready, three solicitations 4 s apart from it with our MAC; an advertisement stops them", () => {
  const { clock, sent } = lone6({ config: { ipv6: EXACT } });
  clock.advance(20_000);
  const rs = icmpv6Of(sent, Icmpv6Type.routerSolicitation);
  assert.deepEqual(rs.map((f) => f.time), [1000, 5000, 9000]);
  const ip = rs[0]!.packet.layer(IPv6)!;
  assert.deepEqual([ip.src, ip.dst, ip.hopLimit], [LL, "ff02::2", 255]);
  assert.equal(rs[0]!.packet.layer(NDPRouterSolicitation)!.options[0]!.address, "02:00:00:00:00:01");
  const second = lone6({ config: { ipv6: EXACT } });
  second.clock.advance(1000);
  second.link.inject(routerAdvertisement());
  second.clock.advance(20_000);
  assert.deepEqual(icmpv6Of(second.sent, Icmpv6Type.routerSolicitation).map((f) => f.time), [1000]);
});

test("SLAAC: a global address from the prefix, preferred then deprecated then removed at the exact lifetimes; on-link route and default router expire", () => {
  const { clock, stack, link } = lone6({ config: { ipv6: EXACT } });
  clock.advance(2000);
  link.inject(routerAdvertisement({ routerLifetime: 90, prefixes: [{ prefix: "2001:db8:1::", valid: 120, preferred: 60 }] }));
  clock.advance(0);
  const global = "2001:db8:1::ff:fe00:1";
  const state = (): string | undefined => stack.addresses6().find((a) => a.address === global)?.state;
  assert.equal(state(), "tentative");
  clock.advance(1000);
  assert.equal(state(), "preferred");
  const routes = stack.routes();
  assert.ok(routes.some((r) => r.destination === "2001:db8:1::/64" && r.kind === "connected" && r.gateway === undefined), JSON.stringify(routes));
  assert.ok(routes.some((r) => r.destination === "::/0" && r.kind === "default" && r.gateway === "fe80::1"));
  assert.equal(stack.neighbours().find((n) => n.address === "fe80::1")?.router, true, "the router's MAC learned, STALE");
  clock.advance(62_000 - 1 - clock.now());
  assert.equal(state(), "preferred");
  clock.advance(1);
  assert.equal(state(), "deprecated");
  assert.equal(stack.addresses6().find((a) => a.address === global)!.validFor, 60_000);
  clock.advance(92_000 - 1 - clock.now());
  assert.ok(stack.routes().some((r) => r.kind === "default"));
  clock.advance(1);
  assert.ok(!stack.routes().some((r) => r.kind === "default"), "router lifetime over");
  clock.advance(122_000 - 1 - clock.now());
  assert.equal(state(), "deprecated");
  clock.advance(1);
  assert.equal(state(), undefined, "removed at the valid lifetime");
  assert.ok(!stack.routes().some((r) => r.destination === "2001:db8:1::/64"));
});

test("SLAAC: RFC 4862 5.5.3 (e), the two-hour rule; a preferred lifetime renewed brings a deprecated address back", () => {
  const { clock, stack, link } = lone6({ config: { ipv6: EXACT } });
  const H = 3600;
  const valid = (): number => stack.addresses6().find((a) => a.origin === "slaac")!.validFor;
  const ra = (v: number, p: number): void => { link.inject(routerAdvertisement({ prefixes: [{ prefix: "2001:db8:2::", valid: v, preferred: p }] })); clock.advance(0); };
  clock.advance(2000);
  ra(5 * H, 0);
  clock.advance(1000);
  assert.equal(stack.addresses6().find((a) => a.origin === "slaac")!.state, "deprecated", "preferred lifetime 0");
  ra(60, 0);
  assert.equal(valid(), 2 * H * 1000, "a short lifetime is raised to two hours when more than two were left");
  ra(30, 0);
  assert.equal(valid(), 2 * H * 1000 - 0, "ignored when two hours or less are left");
  ra(3 * H, 3 * H);
  assert.equal(valid(), 3 * H * 1000, "more than two hours is taken");
  assert.equal(stack.addresses6().find((a) => a.origin === "slaac")!.state, "preferred");
  ra(3 * H, 3 * H + 1);
  assert.equal(stack.addresses6().find((a) => a.origin === "slaac")!.preferredFor, 3 * H * 1000, "preferred > valid: the option is ignored");
});

test("router advertisement: hop limit, MTU option (later sends fragment), route information option (RFC 4191); invalid ones ignored", () => {
  const { clock, stack, link, sent } = lone6({ config: { ipv6: EXACT } });
  clock.advance(2000);
  // Hop limit 64 from a global source, or 254: not from a router on this link.
  link.inject(frame6({ src: "2001:db8::1", dst: "ff02::1", hopLimit: 255 }, ICMPv6({ type: Icmpv6Type.routerAdvertisement }), Raw({ data: new Uint8Array(12) })));
  clock.advance(0);
  assert.equal(stack.stats().drops.ndpInvalid, 1);
  const routes = [{ prefix: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0]), length: 48, preference: 0x08, lifetime: 100 }];
  link.inject(routerAdvertisement({ currentHopLimit: 17, mtu: 1400, prefixes: [{ prefix: "2001:db8:3::", valid: 600, preferred: 600 }], routes }));
  clock.advance(1000);
  const r = stack.routes().find((x) => x.destination === "2001:db8:99::/48");
  assert.deepEqual(r && [r.gateway, r.kind], ["fe80::1", "static"]);
  // Ping the router's on-link prefix: hop limit 17, 1450 bytes fragmented to the 1400 MTU.
  link.inject(neighbourAdvertisement("2001:db8:3::1", "2001:db8:3::ff:fe00:1", { solicited: false }));
  void stack.ping("2001:db8:3::1", { size: 1450 }).catch(() => undefined);
  clock.advance(10);
  const out = sent.filter((f) => f.packet.layer(IPv6)?.dst === "2001:db8:3::1");
  assert.ok(out.length >= 2, `fragments ${out.length}`);
  assert.ok(out.every((f) => f.packet.layer(IPv6)!.hopLimit === 17 && f.bytes.length - 14 <= 1400));
  assert.ok(out.every((f) => f.packet.layer(IPv6Fragment) !== undefined));
  clock.advance(100_000);
  assert.ok(!stack.routes().some((x) => x.destination === "2001:db8:99::/48"), "route lifetime 100 s over");
});

test("RFC 7217 stable privacy identifiers: the same secret gives the same address; a duplicate moves to the next DAD counter", () => {
  const secret = "test secret";
  const make = () => lone6({ config: { ipv6: { ...EXACT, stablePrivacySecret: secret } } });
  const one = make();
  const two = make();
  for (const x of [one, two]) {
    x.clock.advance(2000);
    x.link.inject(routerAdvertisement({ prefixes: [{ prefix: "2001:db8:4::", valid: 600, preferred: 600 }] }));
    x.clock.advance(0);
  }
  const expected = withInterfaceId("2001:db8:4::", stableInterfaceId({ prefix: "2001:db8:4::", netIface: "02:00:00:00:00:01", dadCounter: 0, secret }));
  const g1 = one.stack.addresses6().find((a) => a.origin === "slaac")!.address;
  assert.equal(g1, expected);
  assert.equal(two.stack.addresses6().find((a) => a.origin === "slaac")!.address, g1);
  assert.notEqual(g1, "2001:db8:4::ff:fe00:1");
  assert.notEqual(one.stack.addresses6()[0]!.address, LL, "the link-local is stable-private too");
  one.link.inject(neighbourAdvertisement(g1, "ff02::1", { solicited: false }));
  one.clock.advance(2000);
  const next = withInterfaceId("2001:db8:4::", stableInterfaceId({ prefix: "2001:db8:4::", netIface: "02:00:00:00:00:01", dadCounter: 1, secret }));
  const now = one.stack.addresses6().filter((a) => a.origin === "slaac");
  assert.deepEqual(now.map((a) => [a.address, a.state]), [[next, "preferred"]]);
});
