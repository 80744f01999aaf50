// Engine benchmark: build and parse+access of Ethernet/IPv4/UDP frames, beside dpkt and Scapy
// (Debian python3-dpkt, python3-scapy) on the same frames in the same run. Prints packets/s and
// ratios. Run with `npm run bench`; not part of CI.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packet, dissect, createDissector, Ethernet, IPv4, UDP } from "../dist/index.js";

const N = Number(process.env.BENCH_N ?? 100_000);
const payload = new Uint8Array(64).fill(0x61);

function timeIt(fn, reps = 5) {
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

// Build: N packets with varying ports, both checksums filled.
const frames = new Array(N);
const build = timeIt(() => {
  for (let i = 0; i < N; i++) {
    frames[i] = packet(
      Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:01" }),
      IPv4({ src: "10.0.0.1", dst: "10.0.0.2", id: i & 0xffff }),
      UDP({ srcPort: 1024 + (i % 60000), dstPort: 53 }),
      payload,
    ).bytes();
  }
});

let check = 0;
const access = (p) => {
  const e = p.layer(Ethernet);
  const ip = p.layer(IPv4);
  const u = p.layer(UDP);
  check += e.type + ip.src.length + ip.dst.length + u.srcPort + u.dstPort;
};
const parse = timeIt(() => { check = 0; for (let i = 0; i < N; i++) access(dissect(frames[i], Ethernet)); });
const d = createDissector(Ethernet);
const parseReuse = timeIt(() => { check = 0; for (let i = 0; i < N; i++) access(d.dissect(frames[i])); });

// Peers: the same frames through dpkt and Scapy, in one Python process each.
const dir = mkdtempSync(join(tmpdir(), "wirecraft-bench-"));
const file = join(dir, "frames.bin");
const total = frames.reduce((s, f) => s + f.length + 2, 0);
const blob = new Uint8Array(total);
let off = 0;
for (const f of frames) { blob[off] = f.length >> 8; blob[off + 1] = f.length & 0xff; blob.set(f, off + 2); off += f.length + 2; }
writeFileSync(file, blob);
const py = `
import sys, time
data = open(sys.argv[1], "rb").read()
frames = []
i = 0
while i < len(data):
    n = (data[i] << 8) | data[i+1]; frames.append(data[i+2:i+2+n]); i += 2 + n
which = sys.argv[2]
limit = int(sys.argv[3])
frames = frames[:limit]
if which == "dpkt":
    import dpkt, socket
    def run():
        c = 0
        for f in frames:
            e = dpkt.ethernet.Ethernet(f); ip = e.data; u = ip.data
            c += e.type + len(socket.inet_ntoa(ip.src)) + len(socket.inet_ntoa(ip.dst)) + u.sport + u.dport
    def build():
        for k in range(len(frames)):
            u = dpkt.udp.UDP(sport=1024 + k % 60000, dport=53, data=b"a" * 64); u.ulen = len(u)
            ip = dpkt.ip.IP(src=b"\\x0a\\x00\\x00\\x01", dst=b"\\x0a\\x00\\x00\\x02", p=17, id=k & 0xffff, data=u); ip.len = len(ip)
            e = dpkt.ethernet.Ethernet(dst=b"\\x02\\x00\\x00\\x00\\x00\\x02", src=b"\\x02\\x00\\x00\\x00\\x00\\x01", data=ip)
            bytes(e)
else:
    import logging; logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.all import Ether, IP, UDP
    def run():
        c = 0
        for f in frames:
            e = Ether(f); ip = e[IP]; u = e[UDP]
            c += e.type + len(ip.src) + len(ip.dst) + u.sport + u.dport
    def build():
        for k in range(len(frames)):
            bytes(Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="10.0.0.1", dst="10.0.0.2", id=k & 0xffff)/UDP(sport=1024 + k % 60000, dport=53)/(b"a" * 64))
t = time.perf_counter(); run(); p = time.perf_counter() - t
t = time.perf_counter(); build(); b = time.perf_counter() - t
print(len(frames) / p, len(frames) / b)
`;
function peer(name, limit) {
  const r = spawnSync("/usr/bin/python3", ["-c", py, file, name, String(limit)], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const [p, b] = r.stdout.trim().split(/\s+/).map(Number);
  return { parse: p, build: b };
}
const dpkt = peer("dpkt", N);
const scapy = peer("scapy", Math.min(N, 10_000));
rmSync(dir, { recursive: true, force: true });

const rate = (t) => N / t.median;
const rows = [
  ["build Eth/IPv4/UDP+64B (checksums)", rate(build), dpkt?.build, scapy?.build],
  ["parse+access (dissect)", rate(parse), dpkt?.parse, scapy?.parse],
  ["parse+access (createDissector)", rate(parseReuse), dpkt?.parse, scapy?.parse],
];
const fmt = (x) => (x === undefined ? "n/a" : x >= 1e6 ? (x / 1e6).toFixed(2) + " M/s" : (x / 1e3).toFixed(1) + " k/s");
const ratio = (a, b) => (b === undefined ? "n/a" : (a / b).toFixed(1) + "x");
console.log(`wirecraft engine benchmark, ${N} frames, median of 5 (Node ${process.version})`);
console.log("| measurement | wirecraft | dpkt | Scapy | vs dpkt | vs Scapy |");
console.log("|---|---|---|---|---|---|");
for (const [name, w, dp, sc] of rows) console.log(`| ${name} | ${fmt(w)} | ${fmt(dp)} | ${fmt(sc)} | ${ratio(w, dp)} | ${ratio(w, sc)} |`);
console.log(`spread (min..max s): build ${build.min.toFixed(3)}..${build.max.toFixed(3)}, parse ${parse.min.toFixed(3)}..${parse.max.toFixed(3)}, reuse ${parseReuse.min.toFixed(3)}..${parseReuse.max.toFixed(3)}; check ${check}`);
