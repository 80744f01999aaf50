/**
 * Ethernet II: a frame captured on the loopback interface, built again from values; minimum-size
 * padding; every prefix of the frame.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, Ethernet, EtherType, IPv4, packet, Padding, parseHex, Raw, toHex, TruncatedError, UDP } from "../index.js";

// tcpdump -i lo -w udp.pcap; python3: socket.sendto(b"wirecraft", ("127.0.0.1", 5555))
// 22:14:06.426832 00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv4 (0x0800), length 51: 127.0.0.1.57456 > 127.0.0.1.5555: UDP, length 9
// 	0x0000:  0000 0000 0000 0000 0000 0000 0800 4500  ..............E.
// 	0x0010:  0025 74e3 4000 4011 c7e2 7f00 0001 7f00  .%t.@.@.........
// 	0x0020:  0001 e070 15b3 0011 fe24 7769 7265 6372  ...p.....$wirecr
// 	0x0030:  6166 74                                  aft
const loopback = parseHex(`
  0000 0000 0000 0000 0000 0000 0800 4500
  0025 74e3 4000 4011 c7e2 7f00 0001 7f00
  0001 e070 15b3 0011 fe24 7769 7265 6372
  6166 74`)!;

// Scapy: Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="10.0.0.1", dst="10.0.0.2",
//        id=0x1234, flags="DF")/UDP(sport=40000, dport=9)/b"hello"
const scapyFrame = parseHex(
  "020000000002020000000001080045000021123440004011" +
  "14960a0000010a0000029c400009000d0bb668656c6c6f",
)!;

test("dissect the captured frame's Ethernet header", () => {
  const p = dissect(loopback, Ethernet);
  const e = p.layer(Ethernet)!;
  assert.equal(e.dst, "00:00:00:00:00:00");
  assert.equal(e.src, "00:00:00:00:00:00");
  assert.equal(e.type, EtherType.IPv4);
  assert.deepEqual(e.span(), { start: 0, headerEnd: 14, end: 51 });
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["Ethernet", "IPv4", "UDP", "Raw"]);
  assert.match(p.show(), /type = IPv4 \(0x0800\)/);
});

test("build the Scapy frame from values, byte for byte", () => {
  const b = packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
    IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: 0x1234, flags: "DF" }),
    UDP({ srcPort: 40000, dstPort: 9 }),
    "hello",
  ).bytes();
  assert.equal(toHex(b), toHex(scapyFrame));
  const s = dissect(scapyFrame, Ethernet).summary();
  assert.equal(s, "Ethernet 02:00:00:00:00:01 > 02:00:00:00:00:02 / IPv4 10.0.0.1 > 10.0.0.2 / UDP 40000 > 9 / Raw 5 byte(s) 68656c6c6f");
});

test("the bind fills the EtherType: IPv4 0x0800", () => {
  const b = packet(Ethernet(), IPv4()).bytes();
  assert.equal(toHex(b.subarray(12, 14)), "0800");
  assert.equal(toHex(packet(Ethernet(), "x").bytes().subarray(12, 14)), "9000", "default: Loopback");
  assert.equal(toHex(packet(Ethernet({ type: "ARP" })).bytes()), "ffffffffffff0000000000000806");
});

test("a frame padded to 60 bytes: Padding layer; IPv4 and UDP lengths respected", () => {
  const frame = new Uint8Array(60);
  frame.set(scapyFrame);
  frame.fill(0xa5, scapyFrame.length);
  const p = dissect(frame, Ethernet);
  assert.equal(p.error, undefined);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["Ethernet", "IPv4", "UDP", "Raw", "Padding"]);
  assert.equal(toHex(p.layer(Raw)!.data), "68656c6c6f");
  assert.equal(toHex(p.layer(Padding)!.data), "a5".repeat(13));
  assert.equal(p.layer(IPv4)!.span()!.end, 47);
  assert.equal(p.layer(UDP)!.span()!.end, 47);
  assert.ok(p.verifyChecksums().every((c) => c.ok), "checksums exclude the padding");
  assert.equal(p.truncated, false);
  assert.equal(p.bytes(), frame);
  assert.deepEqual(p.bytes({ recompute: true }), frame, "recompute keeps the padding out of lengths and checksums");
  // editing keeps the padding, after the payload
  p.layer(UDP)!.dstPort = 54;
  const b = p.bytes({ recompute: true });
  assert.equal(b.length, 60);
  const q = dissect(b, Ethernet);
  assert.equal(q.layer(UDP)!.dstPort, 54);
  assert.ok(q.verifyChecksums().every((c) => c.ok));
  assert.equal(toHex(q.layer(Padding)!.data), "a5".repeat(13));
});

test("crafting with a trailing Padding layer", () => {
  const b = packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
    IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: 0x1234, flags: "DF" }),
    UDP({ srcPort: 40000, dstPort: 9 }),
    "hello",
    Padding({ data: new Uint8Array(13) }),
  ).bytes();
  assert.equal(b.length, 60);
  assert.equal(toHex(b.subarray(0, 47)), toHex(scapyFrame));
});

test("every prefix of the frame dissects without throwing and is marked", () => {
  for (let n = 0; n < loopback.length; n++) {
    const p = dissect(loopback.subarray(0, n), Ethernet);
    assert.doesNotThrow(() => { p.show(); p.summary(); p.toJSON(); p.verifyChecksums(); p.hexdump(); });
    if (n !== 14) assert.ok(p.truncated || p.malformed, `prefix ${n} is marked (${p.summary()})`);
    else assert.deepEqual(p.layers().map((l) => l.proto.name), ["Ethernet"], "a bare header is a whole frame");
    if (n < 14) {
      assert.equal(p.error?.code, "ERR_TRUNCATED");
      assert.equal((p.error as TruncatedError).layer, "Ethernet");
      assert.deepEqual(p.layers().map((l) => l.proto.name), n === 0 ? [] : ["Raw"]);
    }
    assert.deepEqual(p.bytes(), loopback.subarray(0, n));
  }
  assert.equal(dissect(loopback, Ethernet).truncated, false);
});
