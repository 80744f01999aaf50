// node_pcap's measurements (npm `pcap`), one per process: node node-pcap.js access|full|pcap
// Its decoders are pure JS and decode every layer eagerly; `pcap` iterates a file through libpcap
// (the native binding). Prints one JSON line like node-wirecraft.js.
import { createRequire } from "node:module";
import { loadFrames, timed, report, ipv6TextLength, CORPUS } from "./lib.js";

const require = createRequire(import.meta.url);
const { EthernetPacket } = require("pcap/decode/index.js");
const DNS = require("pcap/decode/dns.js");
const kind = process.argv[2];

// node_pcap writes IPv6 addresses long-hand; the checksum wants the RFC 5952 text's length.
const addrLength = (a) => (a.addr.length === 4 ? a.toString().length : ipv6TextLength(a.addr));

function access(frames) {
  let c = 0;
  for (let i = 0; i < frames.length; i++) {
    const e = new EthernetPacket().decode(frames[i], 0);
    const type = e.ethertype; // after any 802.1Q tag
    c += type;
    if (type !== 0x0800 && type !== 0x86dd) continue;
    const ip = e.payload;
    c += addrLength(ip.saddr) + addrLength(ip.daddr);
    const t = ip.payload;
    if (t === undefined || t === null) continue;
    if (t.decoderName === "tcp") {
      const f = t.flags;
      c += t.sport + t.dport + (f.fin | f.syn << 1 | f.rst << 2 | f.psh << 3 | f.ack << 4 | f.urg << 5 | f.ece << 6 | f.cwr << 7);
    } else if (t.decoderName === "udp") c += t.sport + t.dport;
  }
  return c;
}

function full(frames) {
  let c = 0;
  for (let i = 0; i < frames.length; i++) {
    const e = new EthernetPacket().decode(frames[i], 0);
    const type = e.ethertype;
    c += type;
    if (type === 0x0806) { c += e.payload.operation; continue; }
    const ip = e.payload;
    c += addrLength(ip.saddr) + addrLength(ip.daddr);
    const t = ip.payload;
    if (t.decoderName === "tcp") {
      const f = t.flags, o = t.options;
      c += t.sport + t.dport + (f.fin | f.syn << 1 | f.rst << 2 | f.psh << 3 | f.ack << 4 | f.urg << 5 | f.ece << 6 | f.cwr << 7);
      c += (o.mss ?? 0) + (o.window_scale ?? 0) + (o.sack_ok ? 1 : 0) + (o.timestamp === null ? 0 : o.timestamp & 0xffff);
    } else if (t.decoderName === "udp") {
      c += t.sport + t.dport;
      if (t.sport !== 53 && t.dport !== 53) continue;
      const dns = new DNS().decode(t.data, 0);
      c += dns.qdcount + dns.ancount;
      for (const q of dns.question.rrs) c += q.name.length + q.type;
      for (const a of dns.answer.rrs) c += a.name.length + a.type;
    } else c += t.type; // ICMP
  }
  return c;
}

function iterate(path) {
  const pcap = require("pcap");
  return new Promise((resolve) => {
    let n = 0, bytes = 0;
    const t0 = process.hrtime.bigint();
    const s = pcap.createOfflineSession(path);
    s.on("packet", (p) => { n++; bytes += p.header.readUInt32LE(8); });
    s.on("complete", () => resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, n, bytes }));
  });
}

if (kind === "access" || kind === "full") {
  const frames = loadFrames();
  const { seconds, result } = timed(() => (kind === "access" ? access(frames) : full(frames)));
  report({ lib: "node_pcap", kind, count: frames.length, seconds, check: result });
} else if (kind === "pcap") {
  await iterate(CORPUS); // warm-up
  const runs = [];
  for (let r = 0; r < 5; r++) runs.push(await iterate(CORPUS));
  runs.sort((a, b) => a.seconds - b.seconds); // the fastest pass, as lib.js's timed takes
  report({ lib: "node_pcap", kind, count: runs[0].n, seconds: runs[0].seconds, check: runs[0].bytes });
} else {
  throw new Error(`unknown measurement ${kind}`);
}
