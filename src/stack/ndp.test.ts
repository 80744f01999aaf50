/**
 * Neighbour discovery on a memory link with a virtual clock, the test playing the neighbour:
 * every reachability state at its exact time, unanswered resolution and probing, the bounded
 * queue flushed in order, the override rules, answers to solicitations, and redirects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ethernet } from "../protocols/ethernet.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { IPv6 } from "../protocols/ipv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation, NDPOption, NdpOptionType, NDPRedirect } from "../protocols/ndp.js";
import { flush } from "./testing.js";
import { frame6, icmpv6Of, lone6, neighbourAdvertisement, neighbourSolicitation, PEER_MAC, routerAdvertisement } from "./testing6.js";

const LL = "fe80::ff:fe00:1";
const PEER = "fe80::fe";
// Exact times: no random delays, ReachableTime exactly its base, no router solicitations.
const EXACT = { maxRtrSolicitationDelay: 0, minRandomFactor: 1, maxRandomFactor: 1, routerSolicitation: false };

function ready(extra: object = {}) {
  const l = lone6({ config: { ipv6: { ...EXACT, ...extra } } });
  l.clock.advance(1000); // the link-local is preferred at 1000
  l.sent.length = 0;
  return l;
}

const state = (l: ReturnType<typeof lone6>, a = PEER) => l.stack.neighbours().find((n) => n.address === a)?.state;

test("states at their exact times: INCOMPLETE, REACHABLE, STALE after ReachableTime, DELAY on use, PROBE 5 s later, REACHABLE again on an answer", async () => {
  const l = ready();
  const { clock, link, sent } = l;
  void l.stack.ping(PEER).catch(() => undefined);
  assert.equal(state(l), "INCOMPLETE");
  const ns = icmpv6Of(sent, Icmpv6Type.neighborSolicitation)[0]!;
  const ip = ns.packet.layer(IPv6)!;
  assert.deepEqual([ip.src, ip.dst, ns.packet.layer(Ethernet)!.dst], [LL, "ff02::1:ff00:fe", "33:33:ff:00:00:fe"]);
  assert.deepEqual(ns.packet.layer(NDPNeighborSolicitation)!.options.map((o) => o.address), ["02:00:00:00:00:01"]);
  link.inject(neighbourAdvertisement(PEER, LL));
  clock.advance(0);
  assert.equal(state(l), "REACHABLE");
  const echo = icmpv6Of(sent, Icmpv6Type.echoRequest);
  assert.equal(echo.length, 1, "the queued echo went out on resolution");
  assert.equal(echo[0]!.packet.layer(Ethernet)!.dst, PEER_MAC);
  clock.advance(29_999);
  assert.equal(state(l), "REACHABLE");
  clock.advance(1);
  assert.equal(state(l), "STALE", "ReachableTime (30 s) after the confirmation");
  void l.stack.ping(PEER).catch(() => undefined);
  assert.equal(state(l), "DELAY");
  assert.equal(icmpv6Of(sent, Icmpv6Type.echoRequest).length, 2, "sent at once with the stale MAC");
  const t = clock.now();
  clock.advance(4999);
  assert.equal(state(l), "DELAY");
  clock.advance(1);
  assert.equal(state(l), "PROBE");
  const probe = icmpv6Of(sent, Icmpv6Type.neighborSolicitation).at(-1)!;
  assert.equal(probe.time, t + 5000);
  assert.deepEqual([probe.packet.layer(IPv6)!.dst, probe.packet.layer(Ethernet)!.dst], [PEER, PEER_MAC], "a unicast probe");
  link.inject(neighbourAdvertisement(PEER, LL));
  clock.advance(0);
  assert.equal(state(l), "REACHABLE");
  await flush();
});

test("PROBE unanswered: MAX_UNICAST_SOLICIT probes RetransTimer apart, then the entry is removed", () => {
  const l = ready();
  const { clock, link, sent } = l;
  link.inject(neighbourSolicitation(LL, PEER, LL)); // learned STALE from the solicitation; our answer moves it to DELAY
  clock.advance(0);
  assert.equal(state(l), "DELAY");
  const na = icmpv6Of(sent, Icmpv6Type.neighborAdvertisement)[0]!.packet.layer(NDPNeighborAdvertisement)!;
  assert.deepEqual([na.solicited, na.override, na.router, na.target, na.options[0]!.address], [1, 1, 0, LL, "02:00:00:00:00:01"]);
  const t = clock.now();
  clock.advance(5000 + 2999);
  assert.deepEqual(icmpv6Of(sent, Icmpv6Type.neighborSolicitation).map((f) => f.time - t), [5000, 6000, 7000]);
  assert.equal(state(l), "PROBE");
  clock.advance(1);
  assert.equal(state(l), undefined);
  assert.equal(l.stack.stats().counters["ndp.probeFailed"], 1);
});

test("INCOMPLETE unanswered: three multicast solicitations 1 s apart; the bounded queue's senders learn EHOSTUNREACH at 3 s", async () => {
  const l = ready({ pendingLimit: 2 });
  const { clock, sent } = l;
  const t = clock.now();
  const results: string[] = [];
  for (let i = 0; i < 4; i++) l.stack.ping(PEER, { timeout: 10_000 }).then(() => results.push("reply"), (e: { code: string }) => results.push(`${e.code}@${clock.now() - t}`));
  assert.equal(l.stack.neighbours()[0]!.pending, 2);
  assert.equal(l.stack.stats().drops.ndpPendingOverflow, 2);
  clock.advance(2999);
  assert.deepEqual(icmpv6Of(sent, Icmpv6Type.neighborSolicitation).map((f) => f.time - t), [0, 1000, 2000]);
  clock.advance(1);
  await flush();
  assert.deepEqual(results, ["EHOSTUNREACH@3000", "EHOSTUNREACH@3000"], "address unreachable for what was queued");
  assert.equal(state(l), undefined);
  clock.advance(7000);
  await flush();
  assert.deepEqual(results.slice(2), ["ETIMEDOUT@10000", "ETIMEDOUT@10000"], "the two pushed out of the queue were lost");
});

test("a queue is flushed in order on resolution; override rules of RFC 4861 7.2.5", async () => {
  const l = ready();
  const { clock, link, sent } = l;
  for (let i = 0; i < 3; i++) void l.stack.ping(PEER).catch(() => undefined);
  link.inject(neighbourAdvertisement(PEER, LL, { solicited: false }));
  clock.advance(0);
  assert.equal(state(l), "STALE", "an unsolicited advertisement resolves to STALE");
  assert.deepEqual(icmpv6Of(sent, Icmpv6Type.echoRequest).map((f) => f.packet.layer(ICMPv6Echo)!.seq), [0, 1, 2]);
  link.inject(neighbourAdvertisement(PEER, LL));
  clock.advance(0);
  assert.equal(state(l), "REACHABLE");
  link.inject(neighbourAdvertisement(PEER, LL, { override: false, mac: "02:00:00:00:00:99" }));
  clock.advance(0);
  const e = l.stack.neighbours().find((n) => n.address === PEER)!;
  assert.deepEqual([e.state, e.mac], ["STALE", PEER_MAC], "no override, another MAC: STALE, the MAC kept");
  link.inject(neighbourAdvertisement(PEER, LL, { override: true, solicited: false, mac: "02:00:00:00:00:99" }));
  clock.advance(0);
  const f = l.stack.neighbours().find((n) => n.address === PEER)!;
  assert.deepEqual([f.state, f.mac], ["STALE", "02:00:00:00:00:99"], "override: the new MAC");
  await flush();
});

test("solicitations: from :: (DAD of our address) answered to all-nodes; invalid ones (hop limit, multicast target) dropped", () => {
  const l = ready();
  const { clock, link, sent } = l;
  link.inject(neighbourSolicitation(LL, "::", "ff02::1:ff00:1"));
  clock.advance(0);
  const na = icmpv6Of(sent, Icmpv6Type.neighborAdvertisement)[0]!;
  assert.equal(na.packet.layer(IPv6)!.dst, "ff02::1");
  assert.equal(na.packet.layer(NDPNeighborAdvertisement)!.solicited, 0);
  link.inject(frame6({ src: PEER, dst: LL, hopLimit: 64 }, ICMPv6({ type: Icmpv6Type.neighborSolicitation }), NDPNeighborSolicitation({ target: LL })));
  link.inject(neighbourSolicitation("ff02::1", PEER, LL));
  clock.advance(0);
  assert.equal(l.stack.stats().drops.ndpInvalid, 2);
  assert.equal(icmpv6Of(sent, Icmpv6Type.neighborAdvertisement).length, 1);
});

test("redirect: the first-hop router sends a destination to a better router; later datagrams go there; a redirect from elsewhere is ignored", async () => {
  const l = ready();
  const { clock, link, sent, stack } = l;
  link.inject(routerAdvertisement({ router: "fe80::1", prefixes: [{ prefix: "2001:db8:6::", valid: 600, preferred: 600 }] }));
  clock.advance(1000);
  const dst = "2001:db8:5::9";
  const lastEcho = () => icmpv6Of(sent, Icmpv6Type.echoRequest).at(-1)!.packet.layer(Ethernet)!.dst;
  void stack.ping(dst).catch(() => undefined);
  assert.equal(lastEcho(), PEER_MAC, "through the default router");
  const redirect = (from: string) => frame6({ src: from, dst: "2001:db8:6::ff:fe00:1", hopLimit: 255 }, ICMPv6({ type: Icmpv6Type.redirect }),
    NDPRedirect({ target: "fe80::2", destination: dst, options: [NDPOption({ type: NdpOptionType.targetLinkLayerAddress, address: "02:00:00:00:00:77" })] }));
  link.inject(redirect("fe80::3"));
  clock.advance(0);
  assert.equal(stack.stats().drops.ndpInvalid, 1, "not from the current first hop");
  link.inject(redirect("fe80::1"));
  clock.advance(0);
  void stack.ping(dst).catch(() => undefined);
  assert.equal(lastEcho(), "02:00:00:00:00:77");
  assert.deepEqual(stack.neighbours().find((n) => n.address === "fe80::2") && [stack.neighbours().find((n) => n.address === "fe80::2")!.state, stack.neighbours().find((n) => n.address === "fe80::2")!.router], ["DELAY", true]);
  clock.advance(2000);
  await flush();
});

test("default router selection: the highest RFC 4191 preference; among equals one probably reachable; a router lifetime of 0 withdraws it", async () => {
  const l = ready();
  const { clock, link, sent, stack } = l;
  const prefixes = [{ prefix: "2001:db8:7::", valid: 600, preferred: 600 }];
  // fe80::3 first, without its MAC (reachability unknown), then fe80::1 with it (STALE: probably reachable).
  link.inject(routerAdvertisement({ router: "fe80::3", mac: null, prefixes }));
  link.inject(routerAdvertisement({ router: "fe80::1", prefixes }));
  clock.advance(1000);
  const lastEcho = () => icmpv6Of(sent, Icmpv6Type.echoRequest).at(-1)?.packet.layer(Ethernet)!.dst;
  void stack.ping("2001:db8:99::1").catch(() => undefined);
  assert.equal(lastEcho(), PEER_MAC, "fe80::1, known, rather than fe80::3");
  link.inject(routerAdvertisement({ router: "fe80::2", mac: "02:00:00:00:00:22", preference: 1 }));
  clock.advance(0);
  void stack.ping("2001:db8:99::1").catch(() => undefined);
  assert.equal(lastEcho(), "02:00:00:00:00:22", "high preference wins");
  link.inject(routerAdvertisement({ router: "fe80::2", mac: "02:00:00:00:00:22", preference: 1, routerLifetime: 0 }));
  clock.advance(0);
  void stack.ping("2001:db8:99::1").catch(() => undefined);
  assert.equal(lastEcho(), PEER_MAC, "withdrawn");
  assert.deepEqual(stack.routes().filter((r) => r.kind === "default").map((r) => r.gateway).sort(), ["fe80::1", "fe80::3"]);
  clock.advance(5000);
  await flush();
});
