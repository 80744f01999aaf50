/**
 * IPv4: the captured loopback datagram field by field, built again from values; options (IHL 6)
 * against Scapy; fragments; hostile headers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, IPv4, IpProtocol, MalformedError, packet, parseHex, Raw, toHex, TruncatedError, UDP } from "../index.js";

// tcpdump -i lo -w udp.pcap; python3: socket.sendto(b"wirecraft", ("127.0.0.1", 5555)); tcpdump -r udp.pcap -X -vv
// 22:14:06.426832 IP (tos 0x0, ttl 64, id 29923, offset 0, flags [DF], proto UDP (17), length 37)
//     127.0.0.1.57456 > 127.0.0.1.5555: [bad udp cksum 0xfe24 -> 0xe8fd!] UDP, length 9
// 	0x0000:  4500 0025 74e3 4000 4011 c7e2 7f00 0001  E..%t.@.@.......
// 	0x0010:  7f00 0001 e070 15b3 0011 fe24 7769 7265  .....p.....$wire
// 	0x0020:  6372 6166 74                             craft
const captured = parseHex(`
  4500 0025 74e3 4000 4011 c7e2 7f00 0001
  7f00 0001 e070 15b3 0011 fe24 7769 7265
  6372 6166 74`)!;

// Scapy: IP(src="192.0.2.1", dst="224.0.0.22", ttl=1, id=7, tos=0xc0,
//           options=[IPOption_Router_Alert()])/UDP(sport=1234, dport=4321)/b"opt"
// tcpdump -vv: IP (tos 0xc0, ttl 1, id 7, offset 0, flags [none], proto UDP (17), length 35, options (RA))
//     192.0.2.1.1234 > 224.0.0.22.4321: [udp sum ok] UDP, length 3
// 	0x0000:  46c0 0023 0007 0000 0111 81e7 c000 0201
// 	0x0010:  e000 0016 9404 0000 04d2 10e1 000b 649c
// 	0x0020:  6f70 74
const withOptions = parseHex(`
  46c0 0023 0007 0000 0111 81e7 c000 0201
  e000 0016 9404 0000 04d2 10e1 000b 649c
  6f70 74`)!;

test("dissect every field of the captured header", () => {
  const p = dissect(captured, IPv4);
  const ip = p.layer(IPv4)!;
  assert.deepEqual(ip.toObject(), {
    version: 4, ihl: 5, tos: 0, totalLength: 37, id: 0x74e3, flags: 2, fragmentOffset: 0, ttl: 64,
    protocol: IpProtocol.UDP, checksum: 0xc7e2, src: "127.0.0.1", dst: "127.0.0.1", options: [], padding: new Uint8Array(0),
  });
  assert.deepEqual(ip.span(), { start: 0, headerEnd: 20, end: 37 });
  assert.equal(p.error, undefined);
  assert.equal(p.verifyChecksums()[0]!.ok, true);
  const s = p.show();
  assert.match(s, /flags += DF \(2\)/);
  assert.match(s, /protocol += UDP \(17\)/);
  assert.match(s, /checksum += 0xc7e2/);
});

test("build the captured datagram from values, byte for byte", () => {
  // The loopback UDP checksum is the partial one left by checksum offload; set it as captured.
  const b = packet(
    IPv4({ id: 0x74e3, flags: "DF", src: "127.0.0.1", dst: "127.0.0.1" }),
    UDP({ srcPort: 57456, dstPort: 5555, checksum: 0xfe24 }),
    "wirecraft",
  ).bytes();
  assert.equal(toHex(b), toHex(captured));
});

test("options: IHL 6, dissected and built byte for byte as Scapy builds them", () => {
  const p = dissect(withOptions, IPv4);
  const ip = p.layer(IPv4)!;
  assert.equal(ip.ihl, 6);
  assert.deepEqual(ip.options.map((o) => o.toJSON()), [{ type: 148, length: 4, value: 0 }]);
  assert.equal(ip.tos, 0xc0);
  assert.equal(ip.totalLength, 35);
  assert.deepEqual(ip.span(), { start: 0, headerEnd: 24, end: 35 });
  assert.equal(p.layer(UDP)!.dstPort, 4321);
  assert.ok(p.verifyChecksums().every((c) => c.ok));
  const b = packet(
    IPv4({ src: "192.0.2.1", dst: "224.0.0.22", ttl: 1, id: 7, tos: 0xc0, options: [{ type: "routerAlert" }] }),
    UDP({ srcPort: 1234, dstPort: 4321 }),
    "opt",
  ).bytes();
  assert.equal(toHex(b), toHex(withOptions));
});

test("options not a multiple of 4 bytes are padded with zeros (EOL) to a computed IHL", () => {
  const b = packet(IPv4({ options: [{ type: "NOP" }, { type: "NOP" }] })).bytes();
  assert.equal(b[0], 0x46);
  assert.equal(toHex(b.subarray(20, 24)), "01010000");
  const opts = dissect(b, IPv4).layer(IPv4)!.options;
  assert.deepEqual(opts.map((o) => o.type), [1, 1, 0, 0]);
});

test("IHL below 5 is malformed, naming IPv4.ihl", () => {
  for (const ihl of [0, 1, 4]) {
    const b = captured.slice();
    b[0] = 0x40 | ihl;
    const p = dissect(b, IPv4);
    assert.ok(p.error instanceof MalformedError, `ihl ${ihl}`);
    assert.equal(p.error.layer, "IPv4");
    assert.equal(p.error.field, "ihl");
    assert.equal(p.error.offset, 0);
    assert.match(p.error.message, /^IPv4\.ihl/);
    assert.deepEqual(p.layers().map((l) => l.proto.name), ["Raw"]);
    assert.throws(() => IPv4.parse(b), (e: unknown) => e instanceof MalformedError && e.field === "ihl");
  }
});

test("IHL past the end is truncated", () => {
  const b = captured.slice(0, 24);
  b[0] = 0x4f; // 60-byte header
  const p = dissect(b, IPv4);
  assert.ok(p.error instanceof TruncatedError);
  // The option list runs into the missing bytes: the error names the option that is cut short.
  assert.match(`${p.error.layer}.${p.error.field}`, /^IPv4(\.options|Option\.data)$/);
  assert.equal(p.truncated, true);
});

test("version 6 in an IPv4 header is malformed", () => {
  const b = captured.slice();
  b[0] = 0x65;
  const p = dissect(b, IPv4);
  assert.ok(p.error instanceof MalformedError);
  assert.equal(p.error.layer, "IPv4");
  assert.match(p.error.message, /version is 6/);
  assert.throws(() => IPv4.parse(b), MalformedError);
});

test("a total length below the header is malformed; past the end is truncated", () => {
  const low = captured.slice();
  low[3] = 19;
  const p = dissect(low, IPv4);
  assert.ok(p.error instanceof MalformedError);
  assert.equal(p.error.field, "totalLength");
  const high = captured.slice();
  high[3] = 60;
  const q = dissect(high, IPv4);
  assert.equal(q.error, undefined);
  assert.equal(q.truncated, true);
  assert.equal(q.layer(UDP)!.srcPort, 57456, "what is there is still dissected");
});

test("a later fragment carries no UDP header", () => {
  const b = captured.slice();
  b[6] = 0x20; b[7] = 0x10; // MF, offset 16 (128 bytes)
  const p = dissect(b, IPv4);
  assert.equal(p.layer(IPv4)!.fragmentOffset, 16);
  assert.equal(p.layer(IPv4)!.flags, 1);
  assert.deepEqual(p.layers().map((l) => l.proto.name), ["IPv4", "Raw"]);
  assert.equal(toHex(p.layer(Raw)!.data), toHex(captured.subarray(20)));
});

test("IPv4 in IPv4: layers(IPv4) gives both", () => {
  const b = packet(IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ dstPort: 7 })).bytes();
  assert.equal(b[9], IpProtocol.IPv4);
  const p = dissect(b, IPv4);
  assert.deepEqual(p.layers(IPv4).map((l) => l.dst), ["2.2.2.2", "10.0.0.2"]);
  assert.equal(p.layers(IPv4)[0]!.totalLength, 48);
  assert.equal(p.layers(IPv4)[1]!.totalLength, 28);
  assert.ok(p.verifyChecksums().every((c) => c.ok));
});

test("every prefix never throws and is marked", () => {
  for (let n = 0; n < withOptions.length; n++) {
    const p = dissect(withOptions.subarray(0, n), IPv4);
    assert.doesNotThrow(() => { p.show(); p.summary(); p.toJSON(); p.verifyChecksums(); p.bytes({ recompute: true }); });
    assert.ok(p.truncated || p.malformed, `prefix ${n}`);
  }
});
