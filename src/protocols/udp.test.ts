/**
 * UDP: checksums against tcpdump/tshark's, the 0 -> 0xFFFF rule, lengths, hostile headers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, internetChecksum, IPv4, IPv6, MalformedError, packet, Padding, parseHex, Raw, toHex, UDP } from "../index.js";

// tcpdump -i lo -w udp.pcap; python3: socket.sendto(b"wirecraft", ("127.0.0.1", 5555)); tcpdump -r -X -vv
// 22:14:06.426832 IP (tos 0x0, ttl 64, id 29923, offset 0, flags [DF], proto UDP (17), length 37)
//     127.0.0.1.57456 > 127.0.0.1.5555: [bad udp cksum 0xfe24 -> 0xe8fd!] UDP, length 9
// 	0x0000:  4500 0025 74e3 4000 4011 c7e2 7f00 0001  E..%t.@.@.......
// 	0x0010:  7f00 0001 e070 15b3 0011 fe24 7769 7265  .....p.....$wire
// 	0x0020:  6372 6166 74                             craft
const captured = parseHex(`
  4500 0025 74e3 4000 4011 c7e2 7f00 0001
  7f00 0001 e070 15b3 0011 fe24 7769 7265
  6372 6166 74`)!;

test("dissect the captured UDP header", () => {
  const p = dissect(captured, IPv4);
  const u = p.layer(UDP)!;
  assert.deepEqual(u.toObject(), { srcPort: 57456, dstPort: 5555, length: 17, checksum: 0xfe24 });
  assert.deepEqual(u.span(), { start: 20, headerEnd: 28, end: 37 });
  assert.equal(new TextDecoder().decode(p.layer(Raw)!.data), "wirecraft");
  assert.equal(p.summary(), "IPv4 127.0.0.1 > 127.0.0.1 / UDP 57456 > 5555 / Raw 9 byte(s) 7769726563726166…");
});

test("the offloaded checksum is reported bad; the right one is tshark's 0xe8fd", () => {
  const checks = dissect(captured, IPv4).verifyChecksums();
  assert.deepEqual(checks.map((c) => [c.layer, c.ok]), [["IPv4", true], ["UDP", false]]);
  assert.equal(checks[1]!.expected, 0xe8fd);
  const b = packet(IPv4({ id: 0x74e3, flags: "DF" }), UDP({ srcPort: 57456, dstPort: 5555 }), "wirecraft").bytes();
  assert.equal(toHex(b.subarray(26, 28)), "e8fd");
  assert.equal(toHex(dissect(captured, IPv4).bytes({ recompute: true })), toHex(b));
});

test("a computed checksum of 0 is sent as 0xFFFF (IPv4)", () => {
  // Source port 60379 from 10.0.0.1 to 10.0.0.2 port 0 with no payload sums to 0xffff: checksum 0.
  const b = packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ srcPort: 60379, dstPort: 0 })).bytes();
  assert.equal(toHex(b.subarray(20)), "ebdb00000008ffff");
  // the raw ones'-complement checksum really is 0 for these bytes
  const pseudo = parseHex("0a0000010a000002" + "0011" + "0008")!;
  const seg = new Uint8Array([...pseudo, ...b.subarray(20, 26), 0, 0]);
  assert.equal(internetChecksum(seg), 0);
  const c = dissect(b, IPv4).verifyChecksums()[1]!;
  assert.equal(c.ok, true);
  assert.equal(c.actual, 0xffff);
});

test("a computed checksum of 0 is sent as 0xFFFF (IPv6)", () => {
  // Find the payload word that makes the sum 0 and check the rule holds.
  const base = packet(IPv6({ src: "2001:db8::1", dst: "2001:db8::2" }), UDP({ srcPort: 1, dstPort: 2 }), new Uint8Array(2)).bytes();
  const sum = (base[46]! << 8) | base[47]!; // the checksum with a zero payload word
  // Adding x to the data changes the complemented sum; choose x so that the new checksum is 0.
  const x = sum; // ~(S + x) = 0  <=>  S + x = 0xffff, and ~S = sum
  const payload = new Uint8Array([x >> 8, x & 0xff]);
  const b = packet(IPv6({ src: "2001:db8::1", dst: "2001:db8::2" }), UDP({ srcPort: 1, dstPort: 2 }), payload).bytes();
  assert.equal(toHex(b.subarray(46, 48)), "ffff");
  assert.equal(dissect(b, IPv6).verifyChecksums()[0]!.ok, true);
});

test("the checksum covers an odd-length payload", () => {
  const b = packet(IPv4({ src: "192.0.2.1", dst: "192.0.2.2" }), UDP({ srcPort: 7, dstPort: 7 }), "abc").bytes();
  const pseudo = parseHex("c0000201c0000202" + "0011" + "000b")!;
  const seg = new Uint8Array([...pseudo, ...b.subarray(20)]);
  assert.equal(internetChecksum(seg), 0, "the checksum over pseudo-header and datagram verifies");
});

test("the checksum of UDP over IPv6 with a length above 65535 (jumbo) folds the length", () => {
  const big = new Uint8Array(70000 - 8);
  const b = packet(IPv6({ payloadLength: 0 }), UDP({ length: 0 }), big).bytes();
  const l = dissect(b, IPv6);
  assert.doesNotThrow(() => l.verifyChecksums());
});

test("length below 8 is malformed, naming UDP.length", () => {
  const b = captured.slice();
  b[25] = 7;
  const p = dissect(b, IPv4);
  assert.ok(p.error instanceof MalformedError);
  assert.equal(p.error.layer, "UDP");
  assert.equal(p.error.field, "length");
  assert.equal(p.error.offset, 24);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["IPv4", "Raw"]);
});

test("length shorter than the IP payload: the rest is Padding", () => {
  const b = captured.slice();
  b[25] = 10;
  const p = dissect(b, IPv4);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["IPv4", "UDP", "Raw", "Padding"]);
  assert.equal(toHex(p.layer(Raw)!.data), "7769");
  assert.equal(p.layer(Padding)!.data.length, 7);
});

test("length longer than the IP payload is truncated", () => {
  const b = captured.slice();
  b[25] = 40;
  const p = dissect(b, IPv4);
  assert.equal(p.truncated, true);
  assert.equal(p.error, undefined);
  assert.equal(p.layer(Raw)!.data.length, 9);
});

test("a UDP header alone, and ports as numbers", () => {
  const b = packet(UDP({ srcPort: 0xffff, dstPort: 0 })).bytes();
  assert.equal(toHex(b), "ffff00000008fff7", "no IP below: checksum over the datagram alone, ~(ffff+0008)");
  assert.throws(() => UDP({ srcPort: 65536 }), /UDP\.srcPort/);
});
