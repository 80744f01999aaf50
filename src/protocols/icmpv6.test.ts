/**
 * ICMPv6 on real traffic (echo, packet too big and time exceeded quoting packets, port
 * unreachable), Neighbor Discovery and MLD from the kernel and from Scapy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet, type Packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { IPv6 } from "./ipv6.js";
import { IPv6HopByHop } from "./ipv6-options.js";
import { IPv6Fragment } from "./ipv6-fragment.js";
import { UDP } from "./udp.js";
import { ICMPv6, ICMPv6DestinationUnreachable, ICMPv6Echo, ICMPv6PacketTooBig, ICMPv6TimeExceeded, Icmpv6Type } from "./icmpv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation, NDPRedirect, NDPRouterAdvertisement, NDPRouterSolicitation } from "./ndp.js";
import { MLD, MLDv2Query, MLDv2Report } from "./mld.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const eth = networkFrames("network-eth").map((f) => dissect(f.data, Ethernet));
const scapy = networkFrames("network-scapy").map((f) => dissect(f.data, Ethernet));
const find = (ps: Packet[], type: number) => ps.find((p) => p.layer(ICMPv6)?.type === type)!;
const E = { dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" };

test("real echo: id, seq, checksum over the pseudo-header", () => {
  const p = find(eth, Icmpv6Type.echoRequest);
  assert.equal(p.layer(ICMPv6Echo)!.seq, 1);
  assert.ok(p.verifyChecksums().every((c) => c.ok));
});

test("packet too big: mtu, and the quoted first fragment dissected", () => {
  const p = find(eth, Icmpv6Type.packetTooBig);
  assert.equal(p.layer(ICMPv6PacketTooBig)!.mtu, 1300);
  assert.equal(p.layers(IPv6).length, 2);
  assert.ok(p.layer(IPv6Fragment));
  assert.equal(p.truncated, true);
  assert.equal(p.error, undefined);
});

test("time exceeded and port unreachable quote the packet", () => {
  assert.ok(find(eth, Icmpv6Type.timeExceeded).layer(ICMPv6TimeExceeded));
  const u = find(eth, Icmpv6Type.destinationUnreachable);
  assert.ok(u.layer(ICMPv6DestinationUnreachable));
  assert.equal(u.layer(UDP)!.dstPort, 33434);
});

test("real neighbor solicitation and advertisement with link-layer address options", () => {
  const ns = find(eth, Icmpv6Type.neighborSolicitation).layer(NDPNeighborSolicitation)!;
  assert.equal(ns.target, "fd91:1::fe");
  assert.deepEqual(ns.options.map((o) => o.toJSON()), [{ type: 1, length: 1, address: "02:00:00:00:0a:01" }]);
  const na = find(eth, Icmpv6Type.neighborAdvertisement).layer(NDPNeighborAdvertisement)!;
  assert.deepEqual([na.router, na.solicited, na.override, na.target], [1, 1, 1, "fd91:1::fe"]);
  assert.equal(na.options[0]!.address, "02:00:00:00:0a:fe");
});

test("a real router solicitation from rdisc6", () => {
  const rs = eth.map((p) => p.layer(NDPRouterSolicitation)).filter((x) => x !== undefined);
  assert.ok(rs.length >= 1);
});

test("router advertisement: flags, timers, prefix, MTU, RDNSS options; built again byte for byte", () => {
  const ra = scapy[27]!.layer(NDPRouterAdvertisement)!;
  assert.deepEqual([ra.currentHopLimit, ra.managed, ra.other, ra.preference, ra.routerLifetime, ra.reachableTime, ra.retransTimer], [64, 1, 0, 1, 1800, 30000, 1000]);
  const [lla, mtu, prefix, rdnss] = ra.options;
  assert.equal(lla!.address, "02:00:00:00:0a:fe");
  assert.equal(mtu!.mtu, 1400);
  assert.deepEqual([prefix!.prefixLength, prefix!.prefixFlags, prefix!.validLifetime, prefix!.preferredLifetime, prefix!.prefix], [64, 0xc0, 86400, 14400, "fd91:1::"]);
  assert.deepEqual([rdnss!.lifetime, rdnss!.addresses!.map((a) => a.address)], [600, ["fd91:1::53", "fd91:1::54"]]);
  const b = packet(Ethernet({ src: "02:00:00:00:0a:fe", dst: "33:33:00:00:00:01" }), IPv6({ src: "fe80::fe", dst: "ff02::1", hopLimit: 255 }), ICMPv6(),
    NDPRouterAdvertisement({ managed: 1, preference: 1, reachableTime: 30000, retransTimer: 1000, options: [
      { type: "sourceLinkLayerAddress", address: "02:00:00:00:0a:fe" }, { type: "mtu", mtu: 1400 },
      { type: "prefixInformation", prefixFlags: "LA", validLifetime: 86400, preferredLifetime: 14400, prefix: "fd91:1::" },
      { type: "recursiveDnsServer", lifetime: 600, addresses: [{ address: "fd91:1::53" }, { address: "fd91:1::54" }] },
    ] })).bytes();
  assert.equal(toHex(b), toHex(scapy[27]!.bytes()));
});

test("redirect: target, destination and the redirected header kept as bytes", () => {
  const r = scapy[31]!.layer(NDPRedirect)!;
  assert.deepEqual([r.target, r.destination], ["fe80::fd", "fd91:2::1"]);
  const red = r.options[1]!;
  assert.equal(red.type, 4);
  assert.equal(dissect(red.data!, IPv6).layer(UDP)!.dstPort, 10);
});

test("MLDv1 query, report, done and MLDv2 query and report (Scapy) with their hop-by-hop router alert", () => {
  assert.equal(scapy[32]!.layer(MLD)!.maxResponseDelay, 10000);
  assert.equal(scapy[33]!.layer(MLD)!.multicastAddress, "ff15::1234");
  assert.equal(scapy[34]!.layer(ICMPv6)!.type, Icmpv6Type.multicastListenerDone);
  const q = scapy[35]!.layer(MLDv2Query)!;
  assert.deepEqual([q.maxResponseCode, q.multicastAddress, q.suppress, q.qrv, q.qqic, q.numSources], [1000, "ff15::1234", 1, 2, 60, 2]);
  assert.deepEqual(q.sources.map((s) => s.address), ["fd91:1::7", "fd91:1::8"]);
  const r = scapy[36]!.layer(MLDv2Report)!;
  assert.deepEqual(r.records.map((x) => [x.recordType, x.multicastAddress, x.sources.map((s) => s.address)]), [[1, "ff15::1234", ["fd91:1::7"]], [4, "ff15::1235", []]]);
  for (const i of [32, 33, 34, 35, 36]) assert.ok(scapy[i]!.verifyChecksums().every((c) => c.ok), `frame ${i + 1}`);
});

test("MLDv2 report built from values (counts and checksum through the hop-by-hop header) equals Scapy's", () => {
  const b = packet(Ethernet(E), IPv6({ src: "fe80::1", dst: "ff02::16", hopLimit: 1 }),
    IPv6HopByHop({ options: [{ type: "routerAlert", value: 0 }, { type: "PadN", data: new Uint8Array(0) }] }), ICMPv6(),
    MLDv2Report({ records: [{ recordType: "modeIsInclude", multicastAddress: "ff15::1234", sources: [{ address: "fd91:1::7" }] }, { multicastAddress: "ff15::1235" }] })).bytes();
  assert.equal(toHex(b), toHex(scapy[36]!.bytes()));
});

test("real MLDv2 reports from the kernel", () => {
  const reports = eth.map((p) => p.layer(MLDv2Report)).filter((x) => x !== undefined);
  assert.ok(reports.length >= 2);
  assert.ok(reports.some((r) => r.records.some((x) => x.multicastAddress === "ff15::1234")));
});

test("route information option (RFC 4191): built from values to the RFC's bytes, dissected back", () => {
  const ra = packet(NDPRouterAdvertisement({ routerLifetime: 0, options: [
    { type: "routeInformation", prefixLength: 48, routePreference: 0x08, lifetime: 100, routePrefix: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0]) },
    { type: "routeInformation", prefixLength: 0, routePreference: 0x18, lifetime: 0xffffffff, routePrefix: new Uint8Array(0) },
  ] })).bytes();
  assert.equal(toHex(ra.subarray(12)), "1802300800000064" + "20010db800990000" + "18010018ffffffff");
  const back = dissect(ra, NDPRouterAdvertisement).layer(NDPRouterAdvertisement)!.options;
  assert.deepEqual(back.map((o) => [o.type, o.length, o.prefixLength, o.routePreference, o.lifetime, toHex(o.routePrefix!)]), [
    [24, 2, 48, 0x08, 100, "20010db800990000"], [24, 1, 0, 0x18, 0xffffffff, ""],
  ]);
});
