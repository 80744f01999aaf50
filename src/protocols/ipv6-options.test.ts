/**
 * IPv6 extension headers: hop-by-hop, destination options, routing (types 0, 2, 4), fragment; the
 * next-header chain both ways, and upper checksums over the IPv6 pseudo-header through them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { IPv6 } from "./ipv6.js";
import { IPv6DestinationOptions, IPv6HopByHop } from "./ipv6-options.js";
import { IPv6Routing } from "./ipv6-routing.js";
import { IPv6Fragment } from "./ipv6-fragment.js";
import { ICMPv6, ICMPv6Echo } from "./icmpv6.js";
import { UDP } from "./udp.js";
import { Raw } from "./raw.js";
import { IpProtocol } from "./ipv4.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const scapy = networkFrames("network-scapy");
const E = { dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" };
const v6 = { src: "fd91:1::1", dst: "fd91:2::1" };

test("hop-by-hop: router alert and PadN, then UDP", () => {
  const p = dissect(scapy[20]!.data, Ethernet);
  const h = p.layer(IPv6HopByHop)!;
  assert.equal(h.nextHeader, IpProtocol.UDP);
  assert.equal(h.length, 0);
  assert.deepEqual(h.options.map((o) => o.toJSON()), [{ type: 5, length: 2, value: 0 }, { type: 1, length: 0, data: "" }]);
  assert.equal(p.layer(UDP)!.dstPort, 8);
  assert.ok(p.verifyChecksums().every((c) => c.ok));
});

test("destination options: Pad1, PadN and an unknown option kept raw; built again byte for byte", () => {
  const d = dissect(scapy[22]!.data, Ethernet).layer(IPv6DestinationOptions)!;
  assert.deepEqual(d.options.map((o) => [o.type, o.length, o.data && toHex(o.data)]), [[1, 2, "0000"], [0x1e, 4, "deadbeef"], [1, 2, "0000"]]);
  const b = packet(Ethernet(E), IPv6(v6), IPv6DestinationOptions({ options: [{ type: "Pad1" }, { type: "PadN", data: new Uint8Array(3) }] }),
    ICMPv6(), ICMPv6Echo({ id: 1, seq: 1 })).bytes();
  assert.equal(toHex(b), toHex(scapy[21]!.data));
});

test("building fills every nextHeader along the chain and IPv6's payload length", () => {
  const b = packet(Ethernet(E), IPv6(v6), IPv6HopByHop({ options: [{ type: "PadN", data: new Uint8Array(4) }] }),
    IPv6Routing({ routingType: 2, segmentsLeft: 1, addresses: [{ address: "fd91:6::1" }] }),
    IPv6Fragment({ moreFragments: 1, id: 0x1234 }), UDP({ srcPort: 7, dstPort: 8 }), "frag").bytes();
  assert.equal(toHex(b), toHex(scapy[25]!.data));
  const p = dissect(b, Ethernet);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["Ethernet", "IPv6", "IPv6HopByHop", "IPv6Routing", "IPv6Fragment", "UDP", "Raw"]);
});

test("routing type 0 and segment routing: addresses, and the UDP checksum uses the final destination", () => {
  const r0 = dissect(scapy[23]!.data, Ethernet);
  assert.deepEqual(r0.layer(IPv6Routing)!.addresses!.map((a) => a.address), ["fd91:3::1", "fd91:2::1"]);
  const srh = dissect(scapy[24]!.data, Ethernet);
  const r = srh.layer(IPv6Routing)!;
  assert.deepEqual([r.routingType, r.segmentsLeft, r.lastEntry, r.flags, r.tag], [4, 1, 1, 0, 0]);
  assert.deepEqual(r.addresses!.map((a) => a.address), ["fd91:4::1", "fd91:5::1"]);
  assert.ok(srh.verifyChecksums().every((c) => c.ok));
  const built = packet(Ethernet(E), IPv6(v6), IPv6Routing({ routingType: 4, segmentsLeft: 1, lastEntry: 1, addresses: [{ address: "fd91:4::1" }, { address: "fd91:5::1" }] }),
    UDP({ srcPort: 7, dstPort: 8 })).bytes();
  assert.equal(toHex(built), toHex(scapy[24]!.data));
});

test("a later fragment's payload stays Raw", () => {
  const p = dissect(scapy[26]!.data, Ethernet);
  const f = p.layer(IPv6Fragment)!;
  assert.deepEqual([f.nextHeader, f.fragmentOffset, f.moreFragments, f.id], [17, 185, 0, 0x1234]);
  assert.equal(p.layer(UDP), undefined);
  assert.equal(new TextDecoder().decode(p.layer(Raw)!.data), "tail of the datagram");
});

test("real fragments of a large ping6 from the namespaces", () => {
  const frags = networkFrames("network-eth").map((f) => dissect(f.data, Ethernet)).filter((p) => p.layers()[2]?.proto === IPv6Fragment);
  assert.ok(frags.length >= 2);
  const first = frags.find((p) => p.layer(IPv6Fragment)!.fragmentOffset === 0)!;
  assert.equal(first.layer(ICMPv6Echo)!.seq, 1);
  for (const p of frags) assert.equal(p.layer(IPv6Fragment)!.id, first.layer(IPv6Fragment)!.id);
});

test("a hop-by-hop length past the end is truncated, not thrown", () => {
  const b = scapy[20]!.data.slice(0, 14 + 40 + 6);
  const p = dissect(b, Ethernet);
  assert.ok(p.error);
  assert.equal(p.truncated, true);
});

test("padding is a PadN (or Pad1) option, as Scapy's autopad makes it", () => {
  // Scapy: IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"")]) — the PadN is what autopad adds.
  const mld = dissect(scapy[33]!.data, Ethernet);
  const b = packet(Ethernet(E), IPv6({ src: "fe80::1", dst: "ff15::1234", hopLimit: 1 }), IPv6HopByHop({ options: [{ type: "routerAlert", value: 0 }] }),
    ...mld.layers().slice(3)).bytes({ recompute: true });
  assert.equal(toHex(b), toHex(scapy[33]!.data));
  const padN = packet(IPv6(), IPv6HopByHop()).bytes();
  assert.equal(toHex(padN.subarray(40)), "3b00010400000000");
  const pad1 = packet(IPv6(), IPv6HopByHop({ options: [{ type: "PadN", data: new Uint8Array(3) }] })).bytes();
  assert.equal(toHex(pad1.subarray(40)), "3b00010300000000");
  assert.deepEqual(dissect(pad1, IPv6).layer(IPv6HopByHop)!.options.map((o) => o.type), [1, 0]);
});
