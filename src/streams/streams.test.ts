import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readPcapSync } from "../capture/pcap.js";
import { LinkType, type CaptureRecord } from "../capture/record.js";
import { dissect, IPv4, IPv6, packet } from "../index.js";
import { TCP } from "../protocols/tcp.js";
import { internetChecksum } from "../packet/checksum.js";
import { dissectFrames, httpExchanges, httpMessages, IpDefragmenter, streamBytes, tcpStreams, type TcpStream } from "./index.js";
import { execFileSync } from "node:child_process";

const ROOT = fileURLToPath(new URL(import.meta.url.includes("/build/") ? "../../../" : "../../", import.meta.url));
const STREAMS = `${ROOT}test/fixtures/streams.pcap`;
const records = () => [...readPcapSync(readFileSync(STREAMS))];
let TSHARK = true;
try { execFileSync("tshark", ["-v"], { stdio: "ignore" }); } catch { TSHARK = false; }

async function collect(rs: Iterable<CaptureRecord>): Promise<TcpStream[]> {
  const out: TcpStream[] = [];
  for await (const s of tcpStreams(rs)) out.push(s);
  return out.sort((a, b) => a.index - b.index);
}

test("defragment the fixture's pings: where and how long, as tshark says", { skip: !TSHARK && "tshark is not installed" }, async () => {
  const ours: string[] = [];
  for await (const f of dissectFrames(records())) {
    if (f.reassembledFrom === undefined) continue;
    const p = f.packet;
    const ip = p.layers()[0]!;
    const len = ip.proto === IPv4 ? (ip as unknown as IPv4).totalLength : (ip as unknown as IPv6).payloadLength;
    ours.push(`${ip.proto.name} ${f.number} ${len}`);
    // The reassembled ICMP message's checksum holds (IPv4; ICMPv6 needs the pseudo-header).
    if (ip.proto === IPv4) assert.equal(internetChecksum(p.bytes(), 20, p.bytes().length), 0);
  }
  const run = (fields: string[], filter: string) => execFileSync("tshark", ["-n", "-r", STREAMS, "-Y", filter, "-T", "fields", ...fields.flatMap((f) => ["-e", f])], { encoding: "utf8" }).trim().split("\n");
  const v4 = run(["frame.number", "ip.len"], "ip.reassembled.length").map((l) => l.split("\t")).map(([n]) => `IPv4 ${n} 3028`);
  const v6 = run(["frame.number", "ipv6.reassembled.length"], "ipv6.reassembled.length").map((l) => l.split("\t")).map(([n, len]) => `IPv6 ${n} ${Number(len) + 0}`);
  assert.deepEqual(ours.filter((x) => x.startsWith("IPv4")), v4);
  // tshark gives the reassembled upper-layer length; ours is the IPv6 payload length (the same: no extension headers left).
  assert.deepEqual(ours.filter((x) => x.startsWith("IPv6")), v6);
  assert.equal(ours.length, 8);
});

const frag4 = (id: number, offset8: number, more: boolean, data: Uint8Array) =>
  packet(IPv4({ src: "192.0.2.1", dst: "192.0.2.2", id, protocol: 17, flags: more ? "MF" : 0, fragmentOffset: offset8 }), data).bytes();

test("IPv4 fragments: out of order, duplicates, overlaps keep the first bytes", () => {
  const d = new IpDefragmenter();
  const a = new Uint8Array(16).fill(0xaa);
  const b = new Uint8Array(16).fill(0xbb);
  const c = new Uint8Array(8).fill(0xcc);
  assert.equal(d.push(frag4(7, 2, true, b), 0n, 1).kind, "held");
  assert.equal(d.push(frag4(7, 4, false, c), 0n, 2).kind, "held");
  // Overlaps the second fragment with different bytes: the 0xbb bytes stay.
  assert.equal(d.push(frag4(7, 1, true, new Uint8Array(16).fill(0xdd)), 0n, 3).kind, "held");
  const r = d.push(frag4(7, 0, true, a), 0n, 4);
  assert.equal(r.kind, "reassembled");
  if (r.kind !== "reassembled") return;
  const p = dissect(r.datagram, IPv4);
  const ip = p.layer(IPv4)!;
  assert.equal(ip.totalLength, 20 + 40);
  assert.equal(ip.fragmentOffset, 0);
  assert.equal(ip.flags, 0);
  assert.ok(p.verifyChecksums().filter((x) => x.layer === "IPv4").every((x) => x.ok));
  const payload = r.datagram.subarray(20);
  assert.deepEqual([...payload.subarray(0, 8)], Array(8).fill(0xaa));
  assert.deepEqual([...payload.subarray(8, 16)], Array(8).fill(0xdd)); // received before the 0xaa fragment
  assert.deepEqual([...payload.subarray(16, 32)], Array(16).fill(0xbb));
  assert.deepEqual([...payload.subarray(32, 40)], Array(8).fill(0xcc));
  assert.deepEqual(r.frames, [1, 2, 3, 4]);
  assert.equal(d.stats.overlaps >= 1, true);
  assert.equal(d.stats.conflicts >= 1, true);
  assert.equal(d.inProgress, 0);
});

const frag6 = (id: number, offset: number, more: boolean, data: Uint8Array) => {
  const fh = new Uint8Array(8 + data.length);
  fh[0] = 17;
  fh[2] = offset >> 8;
  fh[3] = (offset & 0xf8) | (more ? 1 : 0);
  new DataView(fh.buffer).setUint32(4, id);
  fh.set(data, 8);
  return packet(IPv6({ src: "2001:db8::1", dst: "2001:db8::2", nextHeader: 44 }), fh).bytes();
};

test("IPv6 fragments: reassembly, exact duplicates ignored, overlaps drop the datagram (RFC 5722)", () => {
  const d = new IpDefragmenter();
  const x = new Uint8Array(16).fill(1);
  const y = new Uint8Array(8).fill(2);
  assert.equal(d.push(frag6(1, 0, true, x), 0n, 1).kind, "held");
  assert.equal(d.push(frag6(1, 0, true, x), 0n, 2).kind, "held");
  const r = d.push(frag6(1, 16, false, y), 0n, 3);
  assert.equal(r.kind, "reassembled");
  if (r.kind === "reassembled") {
    const ip = dissect(r.datagram, IPv6).layer(IPv6)!;
    assert.equal(ip.nextHeader, 17);
    assert.equal(ip.payloadLength, 24);
    assert.deepEqual([...r.datagram.subarray(40)], [...x, ...y]);
  }
  assert.equal(d.push(frag6(2, 0, true, x), 0n, 4).kind, "held");
  const o = d.push(frag6(2, 8, true, x), 0n, 5);
  assert.equal(o.kind, "dropped");
  assert.equal(d.push(frag6(2, 24, false, y), 0n, 6).kind, "dropped");
  const atomic = d.push(frag6(3, 0, false, y), 0n, 7);
  assert.equal(atomic.kind, "reassembled");
});

test("fragments time out in capture time, and the number in progress is bounded", () => {
  const d = new IpDefragmenter({ timeoutIPv4: 1000, maxDatagrams: 2 });
  d.push(frag4(1, 0, true, new Uint8Array(8)), 0n, 1);
  assert.equal(d.inProgress, 1);
  d.push(frag4(2, 0, true, new Uint8Array(8)), 2_000_000_000n, 2);
  assert.equal(d.stats.timedOut, 1);
  d.push(frag4(3, 0, true, new Uint8Array(8)), 2_000_000_000n, 3);
  d.push(frag4(4, 0, true, new Uint8Array(8)), 2_000_000_000n, 4);
  assert.equal(d.inProgress, 2);
  assert.equal(d.stats.dropped, 2);
  assert.equal(d.push(packet(IPv4(), new Uint8Array(4)).bytes(), 0n, 5).kind, "whole");
});

test("TCP streams of the fixture: endpoints, bytes and HTTP", async () => {
  const streams = await collect(records());
  assert.equal(streams.length, 3);
  const [http4, http6, dns] = streams as [TcpStream, TcpStream, TcpStream];
  assert.deepEqual([http4.client.address, http4.server.port, http6.client.address, dns.server.port], ["10.78.0.1", 8080, "fd78::1", 53]);
  for (const s of streams) {
    assert.deepEqual(s.fin, [true, true]);
    assert.deepEqual([s.retransmissions, s.outOfOrder, s.overlaps, s.gaps.length], [0, 0, 0, 0]);
  }
  let page = "";
  for (let i = 0; i < 120; i++) page += `line ${i} of a page served over TCP by wirecraft's fixture script\n`;
  for (const s of [http4, http6]) {
    const [x] = httpExchanges(s);
    assert.equal(x!.request.method, "GET");
    assert.equal(x!.request.target, "/page.html");
    assert.equal(x!.response!.status, 200);
    assert.equal(Buffer.from(x!.response!.body).toString(), page);
    assert.equal(x!.response!.complete, true);
  }
  // DNS over TCP: a 2-byte length, then the message.
  const q = streamBytes(dns, 0);
  assert.equal((q[0]! << 8) | q[1]!, q.length - 2);
});

function seg(seq: number, data: string, flags = "PA", from = 0): CaptureRecord {
  const [src, dst, sp, dp] = from === 0 ? ["10.0.0.1", "10.0.0.2", 40000, 80] : ["10.0.0.2", "10.0.0.1", 80, 40000];
  const bytes = packet(IPv4({ src, dst }), TCP({ srcPort: sp, dstPort: dp, seq: seq >>> 0, flags }), data).bytes();
  return { time: 0n, data: bytes, originalLength: bytes.length, linkType: LinkType.IPV4, interface: 0 };
}

test("TCP: out of order, retransmission, overlap with other bytes, sequence wrap", async () => {
  const isn = 0xfffffff0;
  const [s] = await collect([
    seg(isn, "", "S"),
    seg(isn + 1 + 5, "world", "PA"), // ahead of a hole
    seg(isn + 1, "hello", "PA"), // fills it
    seg(isn + 1, "hello", "PA"), // retransmission
    seg(isn + 1 + 8, "LDxx", "PA"), // overlaps "ld" with other bytes, adds "xx"
    seg(isn + 1 + 12, "", "FA"),
    seg(1000, "", "FA", 1),
  ]);
  assert.equal(Buffer.from(streamBytes(s!, 0)).toString(), "helloworldxx");
  assert.deepEqual([s!.outOfOrder, s!.retransmissions, s!.overlaps, s!.conflicts], [1, 1, 1, 1]);
  assert.deepEqual(s!.fin, [true, true]);
});

test("TCP: a hole never filled is a gap; the capture may start mid-connection", async () => {
  const [s] = await collect([seg(5000, "abc"), seg(5010, "xyz"), seg(9000, "reply", "PA", 1)]);
  assert.equal(s!.synSeen, false);
  assert.equal(Buffer.from(streamBytes(s!, 0)).toString(), "abcxyz");
  assert.deepEqual(s!.gaps, [{ direction: 0, offset: 3, length: 7 }]);
  assert.equal(Buffer.from(streamBytes(s!, 1)).toString(), "reply");
});

test("TCP: a new SYN on the ports of a closed connection starts a new stream; late ACKs stay with the old", async () => {
  const streams = await collect([
    seg(100, "", "S"), seg(101, "one", "PA"), seg(104, "", "FA"), seg(500, "", "FA", 1), seg(105, "", "A"),
    seg(9000, "", "S"), seg(9001, "two", "PA"),
  ]);
  assert.deepEqual(streams.map((s) => Buffer.from(streamBytes(s, 0)).toString()), ["one", "two"]);
  assert.deepEqual(streams.map((s) => s.index), [0, 1]);
});

test("HTTP/1: chunked bodies, HEAD and 304 without bodies, pipelined requests, a body until close", () => {
  const reqs = httpMessages(Buffer.from("GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\nPOST /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /d HTTP/1.1\r\n\r\n"), "request");
  assert.deepEqual(reqs.map((r) => r.kind === "request" && r.method), ["GET", "HEAD", "POST", "GET"]);
  assert.equal(Buffer.from(reqs[2]!.body).toString(), "abc");
  const res = httpMessages(Buffer.from(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: z\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" +
    "HTTP/1.1 304 Not Modified\r\n\r\n" +
    "HTTP/1.0 200 OK\r\n\r\nuntil the end"), "response", ["GET", "HEAD", "POST", "GET"]);
  assert.deepEqual(res.map((r) => r.kind === "response" && r.status), [200, 200, 304, 200]);
  assert.equal(Buffer.from(res[0]!.body).toString(), "Wikipedia");
  assert.equal(res[1]!.body.length, 0);
  assert.equal(Buffer.from(res[3]!.body).toString(), "until the end");
  assert.equal(res[3]!.complete, true);
  const cut = httpMessages(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), "response");
  assert.equal(cut[0]!.complete, false);
  assert.deepEqual(httpMessages(Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all"), "request"), []);
});
