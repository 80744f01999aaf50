/**
 * IPv6: the captured loopback datagram field by field and built again; the UDP checksum over the
 * IPv6 pseudo-header; hostile headers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, Ethernet, EtherType, IPv4, IPv6, IpProtocol, MalformedError, packet, parseHex, toHex, UDP } from "../index.js";

// tcpdump -i lo -w udp.pcap; python3: socket(AF_INET6, SOCK_DGRAM).sendto(b"hello v6", ("::1", 5555)); tcpdump -r -XX -vv
// 22:14:06.427332 00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv6 (0x86dd), length 70: (flowlabel 0x8052c, hlim 64,
//   next-header UDP (17) payload length: 16) ::1.41863 > ::1.5555: [bad udp cksum 0x0023 -> 0x8c69!] UDP, length 8
// 	0x0000:  0000 0000 0000 0000 0000 0000 86dd 6008  ..............`.
// 	0x0010:  052c 0010 1140 0000 0000 0000 0000 0000  .,...@..........
// 	0x0020:  0000 0000 0001 0000 0000 0000 0000 0000  ................
// 	0x0030:  0000 0000 0001 a387 15b3 0010 0023 6865  .............#he
// 	0x0040:  6c6c 6f20 7636                           llo.v6
const captured = parseHex(`
  0000 0000 0000 0000 0000 0000 86dd 6008
  052c 0010 1140 0000 0000 0000 0000 0000
  0000 0000 0001 0000 0000 0000 0000 0000
  0000 0000 0001 a387 15b3 0010 0023 6865
  6c6c 6f20 7636`)!;

// Scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IPv6(src="2001:db8::1", dst="2001:db8::2",
//        fl=0x12345, tc=0xb8)/UDP(sport=5353, dport=5353)/b"hi there"
const scapyFrame = parseHex(
  "02000000000202000000000186dd6b8123450010114020010db8000000000000000000000001" +
  "20010db800000000000000000000000214e914e9001016df6869207468657265",
)!;

test("dissect every field of the captured header", () => {
  const p = dissect(captured, Ethernet);
  assert.equal(p.layer(Ethernet)!.type, EtherType.IPv6);
  const ip = p.layer(IPv6)!;
  assert.deepEqual(ip.toObject(), {
    version: 6, trafficClass: 0, flowLabel: 0x8052c, payloadLength: 16, nextHeader: IpProtocol.UDP, hopLimit: 64,
    src: "::1", dst: "::1",
  });
  assert.deepEqual(ip.span(), { start: 14, headerEnd: 54, end: 70 });
  const u = p.layer(UDP)!;
  assert.deepEqual(u.toObject(), { srcPort: 41863, dstPort: 5555, length: 16, checksum: 0x0023 });
  assert.match(p.show(), /flowLabel += 0x8052c/);
});

test("build the captured frame from values, byte for byte", () => {
  const b = packet(
    Ethernet({ dst: "00:00:00:00:00:00", src: "00:00:00:00:00:00" }),
    IPv6({ flowLabel: 0x8052c }),
    UDP({ srcPort: 41863, dstPort: 5555, checksum: 0x0023 }),
    "hello v6",
  ).bytes();
  assert.equal(toHex(b), toHex(captured));
});

test("the UDP checksum over the IPv6 pseudo-header is what tcpdump and tshark compute (0x8c69)", () => {
  const checks = dissect(captured, Ethernet).verifyChecksums();
  assert.deepEqual(checks.map((c) => [c.layer, c.actual, c.expected, c.ok]), [["UDP", 0x0023, 0x8c69, false]]);
  const fixed = dissect(captured, Ethernet).bytes({ recompute: true });
  assert.equal(toHex(fixed.subarray(60, 62)), "8c69");
});

test("build the Scapy frame from values, byte for byte", () => {
  const b = packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
    IPv6({ src: "2001:db8::1", dst: "2001:db8::2", flowLabel: 0x12345, trafficClass: 0xb8 }),
    UDP({ srcPort: 5353, dstPort: 5353 }),
    "hi there",
  ).bytes();
  assert.equal(toHex(b), toHex(scapyFrame));
  assert.ok(dissect(scapyFrame, Ethernet).verifyChecksums().every((c) => c.ok));
});

test("binds: nextHeader and EtherType filled; IPv4 in IPv6", () => {
  const b = packet(Ethernet(), IPv6(), IPv4(), UDP()).bytes();
  assert.equal(toHex(b.subarray(12, 14)), "86dd");
  assert.equal(b[14 + 6], IpProtocol.IPv4);
  assert.deepEqual(dissect(b, Ethernet).layers().map((l) => l.proto.name), ["Ethernet", "IPv6", "IPv4", "UDP"]);
  assert.equal(packet(IPv6()).bytes()[6], IpProtocol.IPv6NoNxt, "nothing above: no next header");
});

test("payload length: padding after it; past the end is truncated", () => {
  const padded = new Uint8Array(captured.length + 6);
  padded.set(captured);
  const p = dissect(padded, Ethernet);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["Ethernet", "IPv6", "UDP", "Raw", "Padding"]);
  assert.equal(p.truncated, false);
  const long = captured.slice();
  long[14 + 5] = 0x40;
  const q = dissect(long, Ethernet);
  assert.equal(q.truncated, true);
  assert.equal(q.error, undefined);
});

test("version 4 in an IPv6 header is malformed", () => {
  const b = captured.slice(14);
  b[0] = 0x40;
  const p = dissect(b, IPv6);
  assert.ok(p.error instanceof MalformedError);
  assert.equal(p.error.layer, "IPv6");
  assert.match(p.error.message, /version is 4/);
});

test("every prefix never throws and is marked", () => {
  for (let n = 0; n < captured.length; n++) {
    const p = dissect(captured.subarray(0, n), Ethernet);
    assert.doesNotThrow(() => { p.show(); p.summary(); p.toJSON(); p.verifyChecksums(); p.bytes({ recompute: true }); });
    if (n !== 14) assert.ok(p.truncated || p.malformed, `prefix ${n}`);
  }
});
