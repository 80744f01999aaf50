/**
 * Live traffic against the Linux kernel: a namespace of our own (wclns5) with a TAP device
 * moved into it (our process is a host on that link) and a veth pair (for packet sockets).
 * Needs root and the native addon; skips loudly otherwise. Only addresses inside wclns5.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { packet, type Packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP, ArpOpcode } from "../protocols/arp.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMP, ICMPEcho, IcmpType } from "../protocols/icmp.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import { DNS, DNSQuestion, DnsType } from "../protocols/dns.js";
import { Tap } from "./tap.js";
import { PacketSocket } from "./packet-socket.js";
import { compileBpf } from "./bpf.js";
import { send, sniff, sr, sr1 } from "./verbs.js";
import { sweep, template } from "./template.js";
import { has, kernelSkipReason, sh } from "../../test/helpers/host.js";

const NS = "wclns5";
const TAP = "wcltap5";
const VA = "wclv5a", VB = "wclv5b";
const ME = { mac: "02:00:00:00:05:02", ip: "10.205.0.2", ip6: "fd05::2" };
const KERNEL = { ip: "10.205.0.1", ip6: "fd05::1" };
const VETH_ME = { mac: "02:00:00:00:06:02", ip: "10.206.0.2" };
const VETH_KERNEL = { ip: "10.206.0.1" };

const why = kernelSkipReason("CAP_NET_ADMIN and CAP_NET_RAW");
if (why) console.warn(`\n*** live tests SKIPPED: ${why} ***\n`);
const opts = { skip: why ?? false, timeout: 30_000 };

const inNs = (cmd: string): string => sh(`ip netns exec ${NS} ${cmd}`);
const macOf = (iface: string): string => inNs(`cat /sys/class/net/${iface}/address`).trim();

let tap: Tap | undefined;
let server: ChildProcess | undefined;
let dns: ChildProcess | undefined;
let kernelMac = "", vethKernelMac = "";

function cleanup(): void {
  tap?.close();
  server?.kill();
  dns?.kill();
  try { sh(`ip link del ${VA} 2>/dev/null; ip netns del ${NS} 2>/dev/null; true`); } catch { /* gone */ }
}

before(async () => {
  if (why) return;
  cleanup();
  sh(`ip netns add ${NS} && ip -n ${NS} link set lo up`);
  tap = Tap.open(TAP);
  assert.equal(tap.name, TAP);
  sh(`ip link set ${TAP} netns ${NS}`);
  inNs(`sh -c 'ip addr add ${KERNEL.ip}/24 dev ${TAP} && ip -6 addr add ${KERNEL.ip6}/64 dev ${TAP} nodad && ip link set ${TAP} up'`);
  inNs(`sh -c 'ip neigh replace ${ME.ip} lladdr ${ME.mac} dev ${TAP} && ip -6 neigh replace ${ME.ip6} lladdr ${ME.mac} dev ${TAP}'`);
  kernelMac = macOf(TAP);
  sh(`ip link add ${VA} type veth peer name ${VB} && ip link set ${VB} netns ${NS} && sysctl -qw net.ipv6.conf.${VA}.disable_ipv6=1 && ip link set ${VA} up`);
  inNs(`sh -c 'ip addr add ${VETH_KERNEL.ip}/24 dev ${VB} && ip link set ${VB} up && ip neigh replace ${VETH_ME.ip} lladdr ${VETH_ME.mac} dev ${VB}'`);
  try { sh(`ethtool -K ${VA} tx off tso off gso off gro off >/dev/null 2>&1; ip netns exec ${NS} ethtool -K ${VB} tx off tso off gso off gro off >/dev/null 2>&1; true`); } catch { /* offloads stay */ }
  vethKernelMac = macOf(VB);
  // A TCP listener on port 8080 inside the namespace.
  server = spawn("ip", ["netns", "exec", NS, process.execPath, "-e",
    `require("net").createServer((s)=>s.destroy()).listen(8080,"${KERNEL.ip}",()=>console.log("ready"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("listener did not start")), 10_000);
    server!.stdout!.once("data", () => { clearTimeout(t); resolve(); });
  });
  if (has("dnsmasq")) {
    dns = spawn("ip", ["netns", "exec", NS, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", `--listen-address=${KERNEL.ip}`,
      "--bind-interfaces", "--port=53", "--address=/wirecraft.test/10.205.0.99", "--pid-file=", "--user=root"], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
});

after(() => {
  if (!why) cleanup();
});

const eth = (): ReturnType<typeof Ethernet> => Ethernet({ dst: kernelMac, src: ME.mac });

test("ARP: the kernel's side of the TAP answers who-has with its MAC", opts, async () => {
  const request = packet(Ethernet({ src: ME.mac }), ARP({ opcode: ArpOpcode.request, senderMac: ME.mac, senderIp: ME.ip, targetIp: KERNEL.ip }));
  const reply = await sr1(request, { link: tap!, timeout: 3000, retry: 2 });
  assert.ok(reply, "no ARP reply");
  const arp = reply.layer(ARP)!;
  assert.equal(arp.opcode, ArpOpcode.reply);
  assert.equal(arp.senderIp, KERNEL.ip);
  assert.equal(arp.senderMac, kernelMac);
});

test("sr1 pings over the TAP: IPv4 and IPv6 echo replies matched by id and seq", opts, async () => {
  const v4 = await sr1(packet(eth(), IPv4({ src: ME.ip, dst: KERNEL.ip }), ICMP(), ICMPEcho({ id: 0x4242, seq: 7 }), "wirecraft"),
    { link: tap!, timeout: 3000, retry: 1 });
  assert.ok(v4, "no ICMP echo reply");
  assert.equal(v4.layer(ICMP)!.type, IcmpType.echoReply);
  assert.deepEqual([v4.layer(ICMPEcho)!.id, v4.layer(ICMPEcho)!.seq], [0x4242, 7]);
  assert.ok(v4.verifyChecksums().every((c) => c.ok));
  const v6 = await sr1(packet(eth(), IPv6({ src: ME.ip6, dst: KERNEL.ip6 }), ICMPv6(), ICMPv6Echo({ id: 0x4243, seq: 9 }), "wirecraft"),
    { link: tap!, timeout: 3000, retry: 1 });
  assert.ok(v6, "no ICMPv6 echo reply");
  assert.equal(v6.layer(ICMPv6)!.type, Icmpv6Type.echoReply);
  assert.deepEqual([v6.layer(ICMPv6Echo)!.id, v6.layer(ICMPv6Echo)!.seq], [0x4243, 9]);
  // A wrong seq is not an answer: the request stays unanswered.
  const r = await sr(packet(eth(), IPv4({ src: ME.ip, dst: "10.205.0.77" }), ICMP(), ICMPEcho({ id: 1, seq: 1 })), { link: tap!, timeout: 300 });
  assert.equal(r.answered.length, 0);
  assert.equal(r.unanswered.length, 1);
});

test("SYN scan from a template: SYN/ACK from the listening port, RST from the closed ones", opts, async () => {
  const probes = [...sweep(eth(), IPv4({ src: ME.ip, dst: KERNEL.ip }), template(TCP, { srcPort: 40_001, dstPort: [8080, 8081, 8082], seq: 1000, flags: "S" }))];
  assert.equal(probes.length, 3);
  const { answered, unanswered } = await sr(probes, { link: tap!, timeout: 3000, retry: 1 });
  assert.equal(unanswered.length, 0);
  const byPort = new Map(answered.map((a) => [a.request.layer(TCP)!.dstPort, a.reply.layer(TCP)!]));
  const open = byPort.get(8080)!;
  assert.equal(Number(open.flags) & 0x12, 0x12, "8080 answers SYN/ACK");
  assert.equal(open.ack, 1001);
  for (const port of [8081, 8082]) assert.equal(Number(byPort.get(port)!.flags) & 0x04, 0x04, `${port} answers RST`);
});

test("DNS: a query to dnsmasq in the namespace is matched by id and question", { ...opts, skip: opts.skip || (has("dnsmasq") ? false : "dnsmasq not installed") }, async () => {
  const query = packet(eth(), IPv4({ src: ME.ip, dst: KERNEL.ip }), UDP({ srcPort: 40_053, dstPort: 53 }),
    DNS({ id: 0x1234, questions: [DNSQuestion({ name: "wirecraft.test", type: DnsType.A })] }));
  const reply = await sr1(query, { link: tap!, timeout: 2000, retry: 3 });
  assert.ok(reply, "no DNS answer");
  const d = reply.layer(DNS)!;
  assert.equal(d.id, 0x1234);
  assert.equal(d.answers[0]!.data, "10.205.0.99");
});

test("sniff with a kernel filter on a veth: only UDP arrives while ICMP runs too", opts, async () => {
  const udp = (n: number): Packet => packet(Ethernet({ dst: vethKernelMac, src: VETH_ME.mac }), IPv4({ src: VETH_ME.ip, dst: VETH_KERNEL.ip }),
    UDP({ srcPort: 41_000 + n, dstPort: 9 }), "x");
  const ping = (n: number): Packet => packet(Ethernet({ dst: vethKernelMac, src: VETH_ME.mac }), IPv4({ src: VETH_ME.ip, dst: VETH_KERNEL.ip }),
    ICMP(), ICMPEcho({ id: 0x600, seq: n }));
  const got: Packet[] = [];
  const stamps: bigint[] = [];
  const reading = (async () => {
    for await (const s of sniff({ iface: VA, filter: "udp", count: 5, timeout: 8000 })) {
      got.push(s.packet);
      stamps.push(s.timestamp);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const echo = await sr1(ping(1), { iface: VA, timeout: 2000, retry: 1 });
  assert.ok(echo, "the namespace answers a ping through the packet socket");
  for (let n = 0; n < 5; n++) {
    await send(ping(n + 10), { iface: VA });
    await send(udp(n), { iface: VA });
  }
  await reading;
  assert.equal(got.length, 5);
  for (const p of got) assert.ok(p.layer(UDP), p.summary());
  assert.deepEqual(got.map((p) => p.layer(UDP)!.srcPort), [41_000, 41_001, 41_002, 41_003, 41_004]);
  const now = BigInt(Date.now()) * 1_000_000n;
  for (const t of stamps) assert.ok(now - t < 60_000_000_000n && t <= now + 1_000_000_000n, `timestamp ${t}`);
});

test("a packet socket with BPF instructions for one EtherType sees only ARP", opts, async () => {
  const sock = PacketSocket.open(VA, { filter: compileBpf("arp") });
  try {
    const frames = sock.frames();
    await send(packet(Ethernet({ dst: vethKernelMac, src: VETH_ME.mac }), IPv4({ src: VETH_ME.ip, dst: VETH_KERNEL.ip }), UDP({ dstPort: 9 }), "y"), { iface: VA });
    await send(packet(Ethernet({ src: VETH_ME.mac }), ARP({ senderMac: VETH_ME.mac, senderIp: VETH_ME.ip, targetIp: VETH_KERNEL.ip })), { iface: VA });
    const first = await Promise.race([frames.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no frame")), 3000))]);
    assert.equal(first.done, false);
    assert.equal(new DataView(first.value!.data.buffer, first.value!.data.byteOffset).getUint16(12), 0x0806);
    await frames.return!();
  } finally {
    sock.close();
  }
});
