/** Live-traffic pieces that need no root: reply matching, templates, BPF programs, errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { packet, dissect } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP, ArpOpcode } from "../protocols/arp.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMP, ICMPEcho, ICMPDestinationUnreachable, IcmpType } from "../protocols/icmp.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPNeighborSolicitation, NDPNeighborAdvertisement } from "../protocols/ndp.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import { DNS, DNSQuestion, DnsType } from "../protocols/dns.js";
import { DHCP, BootpOp } from "../protocols/dhcp.js";
import { LinkError } from "../errors.js";
import { answers } from "./answers.js";
import { cidr, range, sweep, sweepSize, template } from "./template.js";
import { packBpf, parseBpf } from "./bpf.js";
import { linkError, loadNative, nativeAvailable } from "./native.js";

const A = "10.1.0.1", B = "10.1.0.2";
const wire = (...l: Parameters<typeof packet>) => dissect(packet(...l).bytes(), IPv4);

test("ICMP echo: answered by the reply with the same id and seq only", () => {
  const q = packet(IPv4({ src: A, dst: B }), ICMP(), ICMPEcho({ id: 5, seq: 1 }));
  assert.ok(answers(q, wire(IPv4({ src: B, dst: A }), ICMP({ type: IcmpType.echoReply }), ICMPEcho({ id: 5, seq: 1 }))));
  assert.ok(!answers(q, wire(IPv4({ src: B, dst: A }), ICMP({ type: IcmpType.echoReply }), ICMPEcho({ id: 5, seq: 2 }))));
  assert.ok(!answers(q, wire(IPv4({ src: "10.1.0.3", dst: A }), ICMP({ type: IcmpType.echoReply }), ICMPEcho({ id: 5, seq: 1 }))));
  assert.ok(!answers(q, dissect(q.bytes(), IPv4)), "a request does not answer itself");
});

test("ICMP errors answer the datagram they quote", () => {
  const q = packet(IPv4({ src: A, dst: B }), UDP({ srcPort: 1234, dstPort: 9 }), "hi");
  const quote = q.bytes();
  const err = (bytes: Uint8Array) => wire(IPv4({ src: B, dst: A }), ICMP({ type: IcmpType.destinationUnreachable, code: 3 }), ICMPDestinationUnreachable(), bytes);
  assert.ok(answers(q, err(quote)));
  const other = packet(IPv4({ src: A, dst: B }), UDP({ srcPort: 1235, dstPort: 9 }), "hi").bytes();
  assert.ok(!answers(q, err(other)));
});

test("TCP: SYN answered by SYN/ACK acking seq+1 or RST/ACK; ports must be swapped", () => {
  const q = packet(IPv4({ src: A, dst: B }), TCP({ srcPort: 4000, dstPort: 80, seq: 100, flags: "S" }));
  const r = (tcp: Parameters<typeof TCP>[0]) => wire(IPv4({ src: B, dst: A }), TCP(tcp));
  assert.ok(answers(q, r({ srcPort: 80, dstPort: 4000, flags: "SA", seq: 9, ack: 101 })));
  assert.ok(answers(q, r({ srcPort: 80, dstPort: 4000, flags: "RA", ack: 101 })));
  assert.ok(!answers(q, r({ srcPort: 80, dstPort: 4000, flags: "SA", ack: 100 })));
  assert.ok(!answers(q, r({ srcPort: 81, dstPort: 4000, flags: "SA", ack: 101 })));
});

test("UDP/DNS by ports, id and question; DHCP by xid; ARP by addresses", () => {
  const q = packet(IPv4({ src: A, dst: B }), UDP({ srcPort: 5000, dstPort: 53 }), DNS({ id: 7, questions: [DNSQuestion({ name: "a.test" })] }));
  const r = (id: number, name: string) => wire(IPv4({ src: B, dst: A }), UDP({ srcPort: 53, dstPort: 5000 }),
    DNS({ id, qr: 1, questions: [DNSQuestion({ name, type: DnsType.A })] }));
  assert.ok(answers(q, r(7, "A.test")));
  assert.ok(!answers(q, r(8, "a.test")));
  assert.ok(!answers(q, r(7, "b.test")));
  const discover = packet(IPv4({ src: "0.0.0.0", dst: "255.255.255.255" }), UDP({ srcPort: 68, dstPort: 67 }), DHCP({ xid: 0xabc }));
  const offer = (xid: number) => wire(IPv4({ src: B, dst: "255.255.255.255" }), UDP({ srcPort: 67, dstPort: 68 }), DHCP({ op: BootpOp.reply, xid }));
  assert.ok(answers(discover, offer(0xabc)));
  assert.ok(!answers(discover, offer(0xabd)));
  const who = packet(Ethernet({ src: "02:00:00:00:00:01" }), ARP({ senderMac: "02:00:00:00:00:01", senderIp: A, targetIp: B }));
  const isAt = (ip: string) => dissect(packet(Ethernet({ dst: "02:00:00:00:00:01", src: "02:00:00:00:00:02" }),
    ARP({ opcode: ArpOpcode.reply, senderMac: "02:00:00:00:00:02", senderIp: ip, targetMac: "02:00:00:00:00:01", targetIp: A })).bytes(), Ethernet);
  assert.ok(answers(who, isAt(B)));
  assert.ok(!answers(who, isAt("10.1.0.9")));
});

test("ICMPv6 echo and NDP solicitation/advertisement", () => {
  const w6 = (...l: Parameters<typeof packet>) => dissect(packet(...l).bytes(), IPv6);
  const q = packet(IPv6({ src: "fd00::1", dst: "fd00::2" }), ICMPv6(), ICMPv6Echo({ id: 1, seq: 2 }));
  assert.ok(answers(q, w6(IPv6({ src: "fd00::2", dst: "fd00::1" }), ICMPv6({ type: Icmpv6Type.echoReply }), ICMPv6Echo({ id: 1, seq: 2 }))));
  const ns = packet(IPv6({ src: "fd00::1", dst: "ff02::1:ff00:2", hopLimit: 255 }), ICMPv6({ type: Icmpv6Type.neighborSolicitation }),
    NDPNeighborSolicitation({ target: "fd00::2" }));
  const na = (target: string) => w6(IPv6({ src: "fd00::2", dst: "fd00::1", hopLimit: 255 }), ICMPv6({ type: Icmpv6Type.neighborAdvertisement }),
    NDPNeighborAdvertisement({ solicited: 1, target }));
  assert.ok(answers(ns, na("fd00::2")));
  assert.ok(!answers(ns, na("fd00::3")));
});

test("templates: every combination, last layer fastest; CIDR blocks and ranges", () => {
  const t = [IPv4({ src: A }), template(TCP, { dstPort: [22, 80, 443], flags: "S" })] as const;
  const tcpAndIp = [template(IPv4, { src: A, dst: "10.0.0.0/30" }), ...t.slice(1)];
  assert.equal(sweepSize(...tcpAndIp), 12);
  const all = [...sweep(...tcpAndIp)].map((p) => dissect(p.bytes(), IPv4));
  assert.equal(all.length, 12);
  assert.deepEqual(all.slice(0, 4).map((p) => [p.layer(IPv4)!.dst, p.layer(TCP)!.dstPort]),
    [["10.0.0.0", 22], ["10.0.0.0", 80], ["10.0.0.0", 443], ["10.0.0.1", 22]]);
  assert.ok(all.every((p) => p.verifyChecksums().every((c) => c.ok) && p.layer(IPv4)!.src === A));
  assert.deepEqual(cidr("192.168.1.5/31"), ["192.168.1.4", "192.168.1.5"]);
  assert.deepEqual(cidr("fd00::/126"), ["fd00::", "fd00::1", "fd00::2", "fd00::3"]);
  assert.deepEqual(range(3, 5), [3, 4, 5]);
  assert.throws(() => cidr("10.0.0.0/8"), RangeError);
});

test("BPF: tcpdump -ddd output parsed and packed in host order", { skip: hasTcpdump() ? false : "tcpdump not installed" }, () => {
  const text = execFileSync("tcpdump", ["-ddd", "-y", "EN10MB", "arp"], { encoding: "utf8" });
  const prog = parseBpf(text);
  assert.equal(prog.length, Number(text.split("\n")[0]));
  assert.deepEqual(prog[0], { code: 0x28, jt: 0, jf: 0, k: 12 });
  const packed = packBpf(prog);
  assert.equal(packed.length, prog.length * 8);
  assert.throws(() => parseBpf("3\n1 2 3 4\n"), LinkError);
});

test("permission errors become LinkErrors naming the capability and the way out", () => {
  const e = linkError(Object.assign(new Error("socket AF_PACKET: Operation not permitted (EPERM)"), { code: "EPERM" }), "open packet socket on eth0", "CAP_NET_RAW");
  assert.ok(e instanceof LinkError);
  assert.equal(e.code, "ERR_LINK");
  assert.match(e.message, /CAP_NET_RAW/);
  assert.match(e.message, /setcap/);
  const t = linkError(Object.assign(new Error("ioctl TUNSETIFF: Operation not permitted (EPERM)"), { code: "EPERM" }), "open TAP tap0", "CAP_NET_ADMIN");
  assert.match(t.message, /ip tuntap add dev NAME mode tap user \$USER/);
});

function hasTcpdump(): boolean {
  try {
    execFileSync("tcpdump", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("the addon's handle functions reject what is not a handle with a typed error, closed or open", { skip: nativeAvailable() ? false : "the native addon is not built (npm run build:native)" }, () => {
  const n = loadNative() as unknown as Record<string, (h: unknown) => unknown>;
  for (const f of ["stop", "close", "fd", "writerStats", "write"]) {
    assert.throws(() => n[f]!({}), (e: unknown) => (e as { code?: string }).code === "ERR_INVALID_ARG_TYPE", f);
  }
});
