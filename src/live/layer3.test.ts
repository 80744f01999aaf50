/**
 * Layer-3 live traffic against the Linux kernel: packets that start with IPv4/IPv6, sent with no
 * interface, go through a raw IP socket routed by the kernel's table, and `sr` reads the replies
 * from a cooked packet socket. A namespace of our own (wcl3ns) sits behind a veth pair whose
 * root-namespace end has an address, so the kernel's route to 10.213.0.0/24 and fd13::/64 is
 * that veth. Needs root and the native addon; skips loudly otherwise. Only addresses in wcl3ns.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { packet } from "../packet/packet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMP, ICMPEcho, IcmpType } from "../protocols/icmp.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { UDP } from "../protocols/udp.js";
import { answers } from "./answers.js";
import { send, sr, sr1 } from "./verbs.js";
import { kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wcl3ns";
const VA = "wcl3a", VB = "wcl3b";
const ROOT = { ip: "10.213.0.1", ip6: "fd13::1" };
const PEER = { ip: "10.213.0.2", ip6: "fd13::2" };

const why = kernelSkipReason("CAP_NET_ADMIN and CAP_NET_RAW");
if (why) console.warn(`\n*** layer-3 live tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 30_000 };

const inNs = (cmd: string): string => sh(`ip netns exec ${NS} ${cmd}`);

let listener: ChildProcess | undefined;

function cleanup(): void {
  listener?.kill();
  listener = undefined;
  try { sh(`ip link del ${VA} 2>/dev/null; ip netns del ${NS} 2>/dev/null; true`); } catch { /* gone */ }
}

/** Resolve when `child` prints a line that `want` accepts; reject after `ms`. */
function lineFrom(child: ChildProcess, want: (line: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      const hit = lines.find(want);
      if (hit === undefined) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve(hit);
    };
    const timer = setTimeout(() => {
      child.stdout!.off("data", onData);
      reject(new Error(`no matching line within ${ms} ms`));
    }, ms);
    child.stdout!.on("data", onData);
  });
}

before(() => {
  if (why) return;
  cleanup();
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  sh(`ip link add ${VA} type veth peer name ${VB} && ip link set ${VB} netns ${NS}`);
  sh(`ip addr add ${ROOT.ip}/24 dev ${VA} && ip -6 addr add ${ROOT.ip6}/64 dev ${VA} nodad && ip link set ${VA} up`);
  inNs(`sh -c 'ip addr add ${PEER.ip}/24 dev ${VB} && ip -6 addr add ${PEER.ip6}/64 dev ${VB} nodad && ip link set ${VB} up'`);
  // Checksums computed by the card would be missing on the wire a packet socket reads.
  try { sh(`ethtool -K ${VA} tx off tso off gso off gro off >/dev/null 2>&1; ip netns exec ${NS} ethtool -K ${VB} tx off tso off gso off gro off >/dev/null 2>&1; true`); } catch { /* offloads stay */ }
  // ICMP errors are rate-limited per destination; keep our few port-unreachables flowing.
  inNs(`sysctl -qw net.ipv4.icmp_ratelimit=0`);
});

after(() => {
  if (!why) cleanup();
});

test("sr1 with no interface: an IPv4 echo routed by the kernel's table is answered", opts, async () => {
  const request = packet(IPv4({ dst: PEER.ip }), ICMP(), ICMPEcho({ id: 0x1301, seq: 1 }), "layer three");
  const reply = await sr1(request, { timeout: 2000, retry: 2 });
  assert.ok(reply, "no echo reply through the raw socket");
  assert.equal(reply.layer(IPv4)!.src, PEER.ip);
  assert.equal(reply.layer(IPv4)!.dst, ROOT.ip, "the kernel's route chose the veth's address as the source");
  assert.equal(reply.layer(ICMP)!.type, IcmpType.echoReply);
  assert.deepEqual([reply.layer(ICMPEcho)!.id, reply.layer(ICMPEcho)!.seq], [0x1301, 1]);
  assert.ok(reply.verifyChecksums().every((c) => c.ok), reply.show());
  // The request is left as the caller built it.
  assert.equal(request.layer(IPv4)!.isSet("src"), false);
});

test("sr1 with no interface: an IPv6 echo to fd13::2 is answered", opts, async () => {
  const request = packet(IPv6({ dst: PEER.ip6 }), ICMPv6(), ICMPv6Echo({ id: 0x1302, seq: 2 }), "layer three");
  const reply = await sr1(request, { timeout: 2000, retry: 2 });
  assert.ok(reply, "no ICMPv6 echo reply through the raw socket");
  assert.equal(reply.layer(IPv6)!.src, PEER.ip6);
  assert.equal(reply.layer(IPv6)!.dst, ROOT.ip6);
  assert.equal(reply.layer(ICMPv6)!.type, Icmpv6Type.echoReply);
  assert.deepEqual([reply.layer(ICMPv6Echo)!.id, reply.layer(ICMPv6Echo)!.seq], [0x1302, 2]);
  // An echo to an address nobody holds finds no answer.
  const none = await sr(packet(IPv6({ dst: "fd13::77" }), ICMPv6(), ICMPv6Echo({ id: 0x1303, seq: 3 })), { timeout: 300 });
  assert.deepEqual([none.answered.length, none.unanswered.length], [0, 1]);
});

test("a layer-3 UDP send reaches a listener in the namespace with its payload", opts, async () => {
  listener = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", [
    `const s = require("dgram").createSocket("udp4");`,
    `s.on("message", (m, r) => console.log("got " + r.address + " " + r.port + " " + m.toString("hex")));`,
    `s.bind(9913, "${PEER.ip}", () => console.log("ready"));`,
    `setTimeout(() => process.exit(0), 20000);`,
  ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await lineFrom(listener, (l) => l === "ready", 10_000);
    const payload = new TextEncoder().encode("wirecraft layer 3 \u00e9");
    const got = lineFrom(listener, (l) => l.startsWith("got "), 5000);
    const n = await send(packet(IPv4({ dst: PEER.ip }), UDP({ srcPort: 41_313, dstPort: 9913 }), payload));
    assert.equal(n, 1);
    // The kernel delivers a UDP datagram only when its checksum holds over the routed source.
    assert.equal(await got, `got ${ROOT.ip} 41313 ${Buffer.from(payload).toString("hex")}`);
  } finally {
    listener.kill();
    listener = undefined;
  }
});

test("sr to a closed UDP port is answered by the port-unreachable that quotes it", opts, async () => {
  const probes = [41_401, 41_402].map((srcPort) => packet(IPv4({ dst: PEER.ip }), UDP({ srcPort, dstPort: 9914 }), "anyone?"));
  const { answered, unanswered, sent } = await sr(probes, { timeout: 2000, retry: 2 });
  assert.equal(unanswered.length, 0, "every probe gets its ICMP error");
  assert.ok(sent >= 2);
  assert.deepEqual(answered.map((a) => a.request), probes);
  for (const { request, reply } of answered) {
    const icmp = reply.layer(ICMP)!;
    assert.equal(icmp.type, IcmpType.destinationUnreachable);
    assert.equal(icmp.code, 3, "port unreachable");
    // The quoted datagram is ours: the right source port, one reply per probe.
    const quoted = reply.layers(UDP) as { srcPort: number; dstPort: number }[];
    assert.equal(quoted.length, 1, reply.show());
    assert.equal(quoted[0]!.srcPort, request.layer(UDP)!.srcPort);
    assert.equal(quoted[0]!.dstPort, 9914);
  }
  // A probe whose source port differs from the quoted one is not answered by it.
  const other = answered[0]!.reply;
  const unrelated = packet(IPv4({ src: ROOT.ip, dst: PEER.ip }), UDP({ srcPort: 41_499, dstPort: 9914 }), "anyone?");
  assert.equal(answers(unrelated, other), false);
  assert.equal(answers(packet(IPv4({ src: ROOT.ip, dst: PEER.ip }), UDP({ srcPort: 41_401, dstPort: 9914 }), "anyone?"), answered.find((a) => a.request === probes[0])!.reply), true);
});
