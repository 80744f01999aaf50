/**
 * The FrameLink offload fields (LINK-OFFLOAD.md) without a kernel: a link with `gsoMax` gets a
 * large TCP datagram whole with its segment size, one without has it fragmented; IPv4's hand-written
 * header (`send({ data })`) equals the generic builder's; a checksum the link vouches for is not
 * checked again by TCP and UDP, and a bad one is still dropped when nobody vouches.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import { Raw } from "../protocols/raw.js";
import { VirtualClock } from "./clock.js";
import type { FrameLink, FrameMeta } from "./link.js";
import { Stack } from "./stack.js";
import { stackPair } from "./testing.js";
import { ipv4ToNumber } from "./address.js";

/** A link that records what the stack sends, with or without segmentation offload. */
function recordingLink(gsoMax: number | undefined): FrameLink & { sent: { frame: Uint8Array; meta: FrameMeta | undefined }[] } {
  const sent: { frame: Uint8Array; meta: FrameMeta | undefined }[] = [];
  return {
    mtu: 1500,
    ...(gsoMax === undefined ? {} : { gsoMax }),
    sent,
    send: (frame, meta) => { sent.push({ frame, meta }); },
    setReceiver: () => undefined,
    close: () => undefined,
  };
}

const BROADCAST = ipv4ToNumber("10.0.0.255")!;

test("a large TCP datagram with a segment size goes whole to a link with gsoMax, and is fragmented without", () => {
  const clock = new VirtualClock();
  const big = recordingLink(65535);
  const s = new Stack({ link: big, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", announce: false });
  const data = new Uint8Array(20_000).fill(7);
  assert.equal(s.ipv4.send({ dst: BROADCAST, protocol: 6, payload: [], data, segmentSize: 1448, dontFragment: true }), undefined);
  assert.equal(big.sent.length, 1);
  assert.equal(big.sent[0]!.frame.length, 14 + 20 + 20_000);
  assert.deepEqual(big.sent[0]!.meta, { segmentSize: 1448 });
  assert.equal(s.stats().counters["ipv4.offloaded"], 1);
  // Beyond gsoMax, or without a segment size: the old rules (DF: refused; else fragmented).
  assert.equal(s.ipv4.send({ dst: BROADCAST, protocol: 6, payload: [], data: new Uint8Array(70_000), segmentSize: 1448, dontFragment: true }), "EMSGSIZE");
  assert.equal(s.ipv4.send({ dst: BROADCAST, protocol: 6, payload: [], data, dontFragment: true }), "EMSGSIZE");
  const plain = recordingLink(undefined);
  const p = new Stack({ link: plain, clock, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2/24", announce: false });
  assert.equal(p.ipv4.send({ dst: BROADCAST, protocol: 6, payload: [], data, segmentSize: 1448 }), undefined);
  assert.equal(plain.sent.length, 14, "fragmented to the MTU");
  assert.ok(plain.sent.every((x) => x.frame.length <= 1514 && x.meta === undefined));
});

test("IPv4's hand-written header (send({ data })) is the generic builder's, byte for byte", () => {
  const clock = new VirtualClock();
  const link = recordingLink(undefined);
  const s = new Stack({ link, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", announce: false });
  const data = Uint8Array.from({ length: 333 }, (_, i) => i & 0xff);
  for (const o of [{}, { ttl: 3, tos: 0x10 }, { dontFragment: true }] as const) {
    s.ipv4.send({ dst: BROADCAST, protocol: 17, payload: [], data, ...o });
    s.ipv4.send({ dst: BROADCAST, protocol: 17, payload: [Raw({ data })], ...o });
    const [fast, generic] = link.sent.splice(0, 2).map((x) => Buffer.from(x.frame));
    // The identifiers differ by one; the rest (header checksum apart) is the same.
    assert.equal(generic!.readUInt16BE(18), (fast!.readUInt16BE(18) + 1) & 0xffff);
    const expected = Buffer.from(packet(Ethernet({ dst: "ff:ff:ff:ff:ff:ff", src: "02:00:00:00:00:01", type: 0x0800 }),
      IPv4({ src: "10.0.0.1", dst: "10.0.0.255", protocol: 17, id: fast!.readUInt16BE(18), ttl: "ttl" in o ? o.ttl : 64, tos: "tos" in o ? o.tos : 0, flags: "dontFragment" in o ? 2 : 0 }),
      Raw({ data })).bytes());
    assert.deepEqual(fast, expected);
  }
});

test("a checksum the link vouches for is not checked again (TCP, UDP); a bad one is dropped otherwise", () => {
  const { clock, a, b, linkB } = stackPair();
  const server = b.createServer(() => undefined).listen(7);
  const echo = b.createSocket("udp4");
  const got: string[] = [];
  echo.on("message", (m) => got.push(m.toString()));
  echo.bind(9);
  const sent: Uint8Array[] = [];
  linkB.tap((f) => sent.push(f));
  const syn = packet(Ethernet({ dst: b.mac, src: a.mac }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), TCP({ srcPort: 40000, dstPort: 7, flags: 2, seq: 1000, window: 65535 })).bytes();
  const udp = packet(Ethernet({ dst: b.mac, src: a.mac }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), UDP({ srcPort: 40000, dstPort: 9 }), Raw({ data: new TextEncoder().encode("vouched") })).bytes();
  syn[14 + 20 + 16]! ^= 0xff; // a wrong TCP checksum
  udp[14 + 20 + 6]! ^= 0xff; // a wrong UDP checksum
  b.iface.receive(syn);
  b.iface.receive(udp);
  clock.advance(10);
  assert.equal(b.stats().drops.tcpBadChecksum, 1);
  assert.equal(b.stats().drops.udpBadChecksum, 1);
  assert.deepEqual(got, []);
  b.iface.receive(syn, { checksumVerified: true });
  b.iface.receive(udp, { checksumVerified: true });
  clock.advance(10);
  assert.equal(b.stats().drops.tcpBadChecksum, 1, "not checked again");
  assert.deepEqual(got, ["vouched"]);
  const synAck = sent.find((f) => f.length >= 54 && f[23] === 6 && (f[47]! & 0x12) === 0x12);
  assert.ok(synAck !== undefined, "the SYN was taken: a SYN-ACK went out");
  server.close();
  echo.close();
});
