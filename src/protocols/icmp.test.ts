/**
 * ICMP on real traffic from the namespaces (echo, fragments, time exceeded and fragmentation
 * needed quoting a datagram cut short, port unreachable) and Scapy frames (redirect, parameter
 * problem).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet, type Packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { UDP } from "./udp.js";
import { Raw } from "./raw.js";
import { ICMP, ICMPDestinationUnreachable, ICMPEcho, ICMPParameterProblem, ICMPRedirect, ICMPTimeExceeded, IcmpType } from "./icmp.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const eth = networkFrames("network-eth").map((f) => dissect(f.data, Ethernet));
const scapy = networkFrames("network-scapy").map((f) => dissect(f.data, Ethernet));
const find = (ps: Packet[], type: number) => ps.find((p) => p.layer(ICMP)?.type === type)!;

test("a real echo request and reply: header, id, seq, checksums", () => {
  const req = find(eth, IcmpType.echoRequest);
  const rep = find(eth, IcmpType.echoReply);
  assert.equal(req.layer(ICMPEcho)!.id, rep.layer(ICMPEcho)!.id);
  assert.equal(req.layer(ICMPEcho)!.seq, 1);
  assert.equal(req.layer(Raw)!.data.length, 56);
  for (const p of [req, rep]) assert.ok(p.verifyChecksums().every((c) => c.ok));
});

test("an echo request built from values equals the captured one", () => {
  const req = find(eth, IcmpType.echoRequest);
  const ip = req.layer(IPv4)!;
  const b = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" }),
    IPv4({ id: ip.id, flags: "DF", src: ip.src, dst: ip.dst }), ICMP(), ICMPEcho({ id: req.layer(ICMPEcho)!.id, seq: 1 }), req.layer(Raw)!.data).bytes();
  assert.equal(toHex(b), toHex(req.bytes()));
});

test("time exceeded quoting a datagram cut short: every layer read, marked truncated, not malformed", () => {
  const p = find(eth, IcmpType.timeExceeded);
  assert.ok(p.layer(ICMPTimeExceeded));
  const [outer, inner] = p.layers(IPv4);
  assert.equal(outer!.src, "10.91.1.254");
  assert.equal(inner!.totalLength, 1028);
  assert.equal(inner!.ttl, 1);
  assert.equal(p.layers(ICMP).length, 2);
  assert.equal(p.layers(ICMPEcho).length, 1);
  assert.equal(p.truncated, true);
  assert.equal(p.error, undefined);
  assert.match(p.summary(), /\[truncated\]$/);
});

test("fragmentation needed carries the next-hop MTU", () => {
  const p = eth.find((x) => x.layer(ICMP)?.type === 3 && x.layer(ICMP)?.code === 4)!;
  assert.equal(p.layer(ICMPDestinationUnreachable)!.nextHopMtu, 1300);
  assert.equal(p.layers(IPv4)[1]!.totalLength, 1428);
});

test("port unreachable quotes the whole UDP datagram", () => {
  const p = eth.find((x) => x.layer(ICMP)?.type === 3 && x.layer(ICMP)?.code === 3)!;
  assert.equal(p.layer(UDP)!.dstPort, 33434);
  assert.equal(new TextDecoder().decode(p.layer(Raw)!.data), "wirecraft");
  assert.equal(p.truncated, false);
});

test("a later fragment of a large ping stays Raw", () => {
  const frag = eth.find((p) => (p.layer(IPv4)?.fragmentOffset ?? 0) > 0)!;
  assert.equal(frag.layer(ICMP), undefined);
  assert.ok(frag.layer(Raw));
});

test("redirect (gateway) and parameter problem (pointer), built again byte for byte", () => {
  // A quoted datagram is copied, not recomputed: its lengths and the UDP checksum are given.
  const r = scapy[13]!;
  assert.equal(r.layer(ICMPRedirect)!.gateway, "10.91.1.253");
  assert.equal(r.layer(UDP)!.length, 1008);
  const pp = scapy[14]!;
  assert.equal(pp.layer(ICMPParameterProblem)!.pointer, 20);
  const b = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" }), IPv4({ src: "10.91.1.254", dst: "10.91.1.1" }),
    ICMP({ type: "redirect", code: 1 }), ICMPRedirect({ gateway: "10.91.1.253" }),
    IPv4({ src: "10.91.1.1", dst: "10.91.2.1", totalLength: 1028, protocol: 17 }), UDP({ srcPort: 4444, dstPort: 5555, length: 1008, checksum: r.layer(UDP)!.checksum })).bytes();
  assert.equal(toHex(b), toHex(r.bytes()));
});

test("binds fill the ICMP type from the body when building", () => {
  const b = packet(IPv4(), ICMP(), ICMPParameterProblem({ pointer: 3 }), IPv4()).bytes();
  assert.equal(dissect(b, IPv4).layer(ICMP)!.type, IcmpType.parameterProblem);
});

test("a quote of only 8 bytes of TCP (RFC 792's minimum): truncated, not malformed, the 8 bytes kept", async () => {
  await import("./tcp.js"); // the TCP bind on IPv4
  const tcpStart = new Uint8Array([0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78]);
  const b = packet(IPv4({ src: "192.0.2.254", dst: "192.0.2.1" }), ICMP({ type: "destinationUnreachable", code: 1 }), ICMPDestinationUnreachable(),
    IPv4({ src: "192.0.2.1", dst: "198.51.100.7", protocol: 6, totalLength: 60 }), tcpStart).bytes();
  const p = dissect(b, IPv4);
  assert.equal(p.layers(IPv4).length, 2);
  assert.equal(p.layers().at(-1)!.proto, Raw);
  assert.equal(toHex(p.layer(Raw)!.data), toHex(tcpStart));
  assert.equal(p.truncated, true);
  assert.equal(p.error, undefined);
  // Outside a quotation the same bytes are an error.
  const bare = dissect(b.subarray(28), IPv4);
  assert.ok(bare.error);
});
