// wirecraft's measurements, one per process: node node-wirecraft.js access|full|build|pcap|pcapng
// Prints one JSON line: { lib, kind, count, seconds, check }.
import { readFileSync } from "node:fs";
import {
  createDissector, packet, readPcap, readPcapSync, readPcapngSync,
  Ethernet, Dot1Q, IPv4, IPv6, TCP, UDP, DNS, ARP, ICMP, Raw,
} from "../dist/index.js";
import { CORPUS, CORPUS_NG, loadFrames, asUint8, timed, timedAsync, report } from "./lib.js";

const kind = process.argv[2];
const d = createDissector(Ethernet);

/** parse+access: the checksum every library computes (see README.md). */
function access(frames) {
  let c = 0;
  for (let i = 0; i < frames.length; i++) {
    const p = d.dissect(frames[i]);
    let type = p.layer(Ethernet).type;
    if (type === 0x8100) type = p.layer(Dot1Q).type;
    c += type;
    const ip = type === 0x0800 ? p.layer(IPv4) : type === 0x86dd ? p.layer(IPv6) : undefined;
    if (ip === undefined) continue;
    c += ip.src.length + ip.dst.length;
    const next = type === 0x0800 ? ip.protocol : ip.nextHeader; // ask only for a layer that is there
    if (next === 6) { const tcp = p.layer(TCP); c += tcp.srcPort + tcp.dstPort + (tcp.flags & 0xff); }
    else if (next === 17) { const udp = p.layer(UDP); c += udp.srcPort + udp.dstPort; }
  }
  return c;
}

/**
 * full dissect: every field of every layer (and list item) decoded into plain objects by
 * `toObject()`, payload bytes viewed, not copied (as node_pcap); the fuller checksum is read from
 * those objects, as node_pcap's is read from the objects it decoded into.
 */
function full(frames) {
  let c = 0;
  for (let i = 0; i < frames.length; i++) {
    const p = d.dissect(frames[i]);
    let eth, vlan, arp, ip, tcp, udp, dns, icmp;
    for (const l of p.layers()) {
      const proto = l.proto;
      if (proto === Raw) { l.data; continue; }
      const o = l.toObject();
      if (proto === Ethernet) eth = o;
      else if (proto === Dot1Q) vlan = o;
      else if (proto === IPv4 || proto === IPv6) ip = o;
      else if (proto === TCP) tcp = o;
      else if (proto === UDP) udp = o;
      else if (proto === DNS) dns = o;
      else if (proto === ICMP) icmp = o;
      else if (proto === ARP) arp = o;
    }
    const type = eth.type === 0x8100 ? vlan.type : eth.type;
    c += type;
    if (type === 0x0806) { c += arp.opcode; continue; }
    c += ip.src.length + ip.dst.length;
    if (tcp !== undefined) {
      c += tcp.srcPort + tcp.dstPort + (tcp.flags & 0xff);
      for (const o of tcp.options) c += o.kind === 2 ? o.mss : o.kind === 3 ? o.shift : o.kind === 4 ? 1 : o.kind === 8 ? o.tsValue & 0xffff : 0;
    } else if (udp !== undefined) {
      c += udp.srcPort + udp.dstPort;
      if (dns === undefined) continue;
      c += dns.questions.length + dns.answers.length;
      for (const q of dns.questions) c += q.name.length + q.type;
      for (const a of dns.answers) c += a.name.length + a.type;
    } else if (icmp !== undefined) c += icmp.type;
  }
  return c;
}

const payload = new Uint8Array(64).fill(0x61);
function build(n) {
  let c = 0;
  for (let i = 0; i < n; i++) {
    const b = packet(
      Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
      IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: i & 0xffff, ttl: 64 }),
      TCP({ srcPort: 1024 + (i % 60000), dstPort: 80, seq: (i * 7919) >>> 0, flags: 0x018, window: 8192 }),
      payload,
    ).bytes();
    c += b.length + ((b[24] << 8) | b[25]) + ((b[50] << 8) | b[51]); // IPv4 and TCP checksums
  }
  return c;
}

async function iterate(path) {
  let n = 0, bytes = 0;
  for await (const r of readPcap(path)) { n++; bytes += r.data.length; }
  return n + bytes;
}
async function iterateBatches(path) {
  let n = 0, bytes = 0;
  for await (const batch of readPcap(path).batches()) {
    for (let i = 0; i < batch.length; i++) { n++; bytes += batch[i].data.length; }
  }
  return n + bytes;
}
function iterateSync(bytes, read) {
  let n = 0, len = 0;
  for (const r of read(bytes)) { n++; len += r.data.length; }
  return n + len;
}

if (kind === "access" || kind === "full") {
  const frames = asUint8(loadFrames());
  const { seconds, result } = timed(() => (kind === "access" ? access(frames) : full(frames)));
  report({ lib: "wirecraft", kind, count: frames.length, seconds, check: result });
} else if (kind === "build") {
  const n = Number(process.env.BENCH_BUILD_N ?? 100_000);
  const { seconds, result } = timed(() => build(n));
  report({ lib: "wirecraft", kind, count: n, seconds, check: result });
} else if (kind === "pcap" || kind === "pcapng") {
  const path = kind === "pcap" ? CORPUS : CORPUS_NG;
  const { seconds, result } = await timedAsync(() => iterate(path));
  const count = loadFrames().length;
  report({ lib: "wirecraft", kind, count, seconds, check: result - count });
  const batches = await timedAsync(() => iterateBatches(path));
  report({ lib: "wirecraft", kind: `${kind}-batches`, count, seconds: batches.seconds, check: batches.result - count });
  const bytes = new Uint8Array(readFileSync(path));
  const sync = timed(() => iterateSync(bytes, kind === "pcap" ? readPcapSync : readPcapngSync));
  report({ lib: "wirecraft", kind: `${kind}-sync`, count, seconds: sync.seconds, check: sync.result - count });
} else {
  throw new Error(`unknown measurement ${kind}`);
}
