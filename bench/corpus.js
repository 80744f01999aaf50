// The benchmark corpus: 200,000 frames from a fixed seed, built with wirecraft's own builders, written
// as pcap and as pcapng. Mix (issue 9): 60% Ethernet/IPv4/TCP (SYNs with MSS, SACK-OK, timestamps and
// window scale; data segments with 0..1400 bytes), 15% IPv4/UDP/DNS (queries, and responses with
// CNAME chains and compressed names), 10% IPv6/TCP and IPv6/UDP, 5% ARP, 5% ICMP echo, 5%
// 802.1Q/IPv4/UDP.
//
//   node corpus.js DIR [COUNT]      writes DIR/corpus.pcap and DIR/corpus.pcapng
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  packet, seededRandom, encodePcap, encodePcapng, LinkType,
  Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP, DNS, ARP, ICMP, ICMPEcho,
} from "../dist/index.js";

export const SEED = 0x5eed9;

const rnd = seededRandom(SEED);
const int = (n) => Math.floor(rnd() * n);
const pick = (xs) => xs[int(xs.length)];
const noise = new Uint8Array(4096).map(() => int(256));
const payload = (n) => { const at = int(4096 - n); return noise.subarray(at, at + n); };
const mac = () => "02:" + Array.from({ length: 5 }, () => int(256).toString(16).padStart(2, "0")).join(":");
const macs = Array.from({ length: 64 }, mac);
const v4 = () => `10.${int(256)}.${int(256)}.${1 + int(254)}`;
const hosts4 = Array.from({ length: 512 }, v4);
const hosts6 = Array.from({ length: 256 }, () => pick(["2001:db8::", "fd00:1::", "2001:db8:0:1::"]) + (1 + int(0xfffe)).toString(16));
const names = Array.from({ length: 200 }, (_, i) => `${pick(["www", "api", "cdn", "mail", "img"])}${i}.${pick(["example", "test", "corp"])}${int(9)}.${pick(["com", "net", "org"])}`);
const eth = (type) => Ethernet({ dst: pick(macs), src: pick(macs), ...(type ? { type } : {}) });
const port = () => 1024 + int(64000);

function tcpSegment() {
  const syn = rnd() < 0.2;
  const options = syn
    ? [{ kind: "mss", mss: pick([1460, 1440, 536]) }, { kind: "sackPermitted" },
       { kind: "timestamps", tsValue: int(2 ** 32), tsEchoReply: 0 }, { kind: "nop" }, { kind: "windowScale", shift: int(15) }]
    : [{ kind: "nop" }, { kind: "nop" }, { kind: "timestamps", tsValue: int(2 ** 32), tsEchoReply: int(2 ** 32) }];
  const flags = syn ? pick([0x002, 0x012]) : pick([0x010, 0x018, 0x018, 0x011, 0x004]);
  const len = syn || flags === 0x004 ? 0 : int(1401);
  return [
    TCP({ srcPort: port(), dstPort: pick([80, 443, 8080, port()]), seq: int(2 ** 32), ack: syn ? 0 : int(2 ** 32), flags, window: int(65536), options }),
    ...(len ? [payload(len)] : []),
  ];
}

function dnsMessage() {
  const id = int(65536);
  const name = pick(names);
  if (rnd() < 0.5) return DNS({ id, questions: [{ name, type: pick(["A", "AAAA"]) }] });
  const target = pick(names);
  const answers = [
    { name, type: "CNAME", ttl: int(3600), data: target },
    ...Array.from({ length: 1 + int(3) }, () => ({ name: target, type: "A", ttl: int(3600), data: pick(hosts4) })),
  ];
  return DNS({ id, qr: 1, ra: 1, questions: [{ name, type: "A" }], answers });
}

function frame(i) {
  const r = rnd();
  if (r < 0.60) return packet(eth(), IPv4({ src: pick(hosts4), dst: pick(hosts4), id: i & 0xffff, ttl: 64 }), ...tcpSegment());
  if (r < 0.75) {
    const query = rnd() < 0.5;
    const client = [pick(hosts4), port()], server = ["10.0.0.53", 53];
    const [s, d] = query ? [client, server] : [server, client];
    return packet(eth(), IPv4({ src: s[0], dst: d[0], id: i & 0xffff }), UDP({ srcPort: s[1], dstPort: d[1] }), dnsMessage());
  }
  if (r < 0.85) {
    const ip = IPv6({ src: pick(hosts6), dst: pick(hosts6), hopLimit: 64 });
    return rnd() < 0.5 ? packet(eth(), ip, ...tcpSegment()) : packet(eth(), ip, UDP({ srcPort: port(), dstPort: pick([443, 5201, port()]) }), payload(int(1200)));
  }
  if (r < 0.90) {
    const reply = rnd() < 0.5;
    return packet(eth(), ARP({ opcode: reply ? 2 : 1, senderMac: pick(macs), senderIp: pick(hosts4), targetMac: reply ? pick(macs) : "00:00:00:00:00:00", targetIp: pick(hosts4) }));
  }
  if (r < 0.95) {
    return packet(eth(), IPv4({ src: pick(hosts4), dst: pick(hosts4), id: i & 0xffff }), ICMP({ type: pick([0, 8]) }), ICMPEcho({ id: int(65536), seq: i & 0xffff }), payload(56));
  }
  return packet(eth(), Dot1Q({ vid: 1 + int(4094), pcp: int(8) }), IPv4({ src: pick(hosts4), dst: pick(hosts4), id: i & 0xffff }), UDP({ srcPort: port(), dstPort: pick([514, 161, 4242, port()]) }), payload(int(512)));
}

/** The corpus frames, in order; the same bytes on every run. */
export function makeFrames(count = 200_000) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = frame(i).bytes().slice();
  return out;
}

/** Records 1 ms apart from a fixed start time. */
export function records(frames, start = 1_700_000_000_000_000_000n) {
  return frames.map((data, i) => ({ time: start + BigInt(i) * 1_000_000n, data }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? "/tmp/wirecraft-bench";
  const count = Number(process.argv[3] ?? 200_000);
  mkdirSync(dir, { recursive: true });
  const frames = makeFrames(count);
  writeFileSync(join(dir, "corpus.pcap"), encodePcap(records(frames), { linkType: LinkType.ETHERNET }));
  writeFileSync(join(dir, "corpus.pcapng"), encodePcapng(records(frames), { linkType: LinkType.ETHERNET }));
  console.log(`corpus: ${count} frames, seed ${SEED}, ${frames.reduce((s, f) => s + f.length, 0)} bytes of frames, in ${dir}`);
}
