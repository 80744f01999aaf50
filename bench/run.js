// The benchmark suite of issue 9: builds the corpus, runs every measurement (each Node one in
// BENCH_PROCS processes, 5 by default; Python peers once, Scapy on a subset), checks that every
// library computed the same checksum, prints the table and writes RESULTS.md.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { CORPUS, DIR, median } from "./lib.js";

const here = new URL(".", import.meta.url).pathname;
const PROCS = Number(process.env.BENCH_PROCS ?? 5);
const SCAPY_N = Number(process.env.BENCH_SCAPY_N ?? 10_000);
const BUILD_N = 100_000;

function run(cmd, args, env = {}) {
  const p = spawnSync(cmd, args, { cwd: here, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${p.status}):\n${p.stderr}`);
  return p.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

const results = new Map(); // "lib kind" -> { rate, spread, check, ... }
const problems = [];
function record(lines) {
  const by = new Map();
  for (const o of lines) by.set(`${o.lib} ${o.kind}`, [...(by.get(`${o.lib} ${o.kind}`) ?? []), o]);
  for (const [key, os] of by) {
    const rates = os.map((o) => o.count / o.seconds);
    const checks = new Set(os.map((o) => o.check));
    if (checks.size > 1) problems.push(`${key}: processes disagree on the checksum (${[...checks].join(", ")})`);
    const m = median(rates);
    const spread = os.length > 1 ? (Math.max(...rates) - Math.min(...rates)) / m : os[0].max !== undefined ? (os[0].max - os[0].min) / os[0].seconds : undefined;
    results.set(key, { ...os[0], rate: m, rates, seconds: median(os.map((o) => o.seconds)), spread, procs: os.length });
    console.error(`  ${key}: ${fmtRate(m)}${spread === undefined ? "" : ` ±${(spread * 50).toFixed(0)}%`} check ${os[0].check ?? ""}`);
  }
}
// wirecraft's and node_pcap's processes of one measurement alternate (and wirecraft's pcap and
// pcapng ones, which are compared with each other), and dpkt's run sits in the middle of them, so
// that a drift in the machine's speed over the run (the two vCPUs here are shared) falls on all
// alike.
const NODE_PCAP_KINDS = new Set(["access", "full", "pcap"]);
const nodeProcs = (...kinds) => {
  const lines = [];
  for (let i = 0; i < PROCS; i++) {
    for (const kind of kinds) {
      lines.push(...run("node", ["node-wirecraft.js", kind]));
      if (NODE_PCAP_KINDS.has(kind)) lines.push(...run("node", ["node-pcap.js", kind]));
      if (i === PROCS >> 1) record(run("/usr/bin/python3", ["peers.py", "dpkt", kind, String(kind === "build" ? BUILD_N : 200000)]));
    }
  }
  record(lines);
};

const t0 = Date.now();
if (!existsSync(CORPUS) || !process.env.BENCH_REUSE) {
  console.error("building the corpus…");
  run("node", ["corpus.js", DIR]);
}
console.error(`measuring (${PROCS} processes per Node figure)…`);
nodeProcs("access");
nodeProcs("full");
nodeProcs("build");
nodeProcs("pcap", "pcapng");
for (const kind of ["access", "full"]) record(run("/usr/bin/python3", ["peers.py", "scapy", kind, String(SCAPY_N)]));
record(run("/usr/bin/python3", ["peers.py", "scapy", "build", String(SCAPY_N / 2)]));
// wirecraft's checksums over Scapy's subsets, to compare.
const sub = {
  access: run("node", ["node-wirecraft.js", "access"], { BENCH_LIMIT: String(SCAPY_N) })[0].check,
  full: run("node", ["node-wirecraft.js", "full"], { BENCH_LIMIT: String(SCAPY_N) })[0].check,
  build: run("node", ["node-wirecraft.js", "build"], { BENCH_BUILD_N: String(SCAPY_N / 2) })[0].check,
};
record(run("node", ["processes.js", "read"]));
record(run("node", ["processes.js", "startup"]));
record(run("node", ["processes.js", "memory"]));

// Checksums: every library did the same work.
const get = (k) => results.get(k);
for (const kind of ["access", "full", "build"]) {
  const ours = get(`wirecraft ${kind}`).check;
  for (const lib of ["node_pcap", "dpkt"]) {
    const r = get(`${lib} ${kind}`);
    if (r !== undefined && r.check !== ours) problems.push(`${lib} ${kind}: checksum ${r.check}, wirecraft ${ours}`);
  }
  if (get(`scapy ${kind}`).check !== sub[kind]) problems.push(`scapy ${kind}: checksum ${get(`scapy ${kind}`).check}, wirecraft ${sub[kind]}`);
}
for (const k of ["wirecraft pcap", "wirecraft pcapng", "wirecraft pcap-batches", "wirecraft pcapng-batches", "node_pcap pcap", "dpkt pcap", "dpkt pcapng"]) {
  if (get(k).check !== get("wirecraft pcap-sync").check) problems.push(`${k}: ${get(k).check} bytes read`);
}

// The table.
function fmtRate(x) {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(1)} /s`;
}
const noise = (r) => (r.spread === undefined ? "" : ` ±${(r.spread * 50).toFixed(0)}%`);
const cell = (k) => (get(k) ? fmtRate(get(k).rate) + noise(get(k)) : "n/a");
// Two figures whose processes alternated (the same count, run side by side): the median of the
// ratios of neighbouring processes, which a drift between them does not reach; else the ratio of
// the medians.
const ratio = (a, b) => {
  const A = get(a), B = get(b);
  if (A === undefined || B === undefined) return undefined;
  if (A.procs > 1 && A.procs === B.procs) return median(A.rates.map((r, i) => r / B.rates[i]));
  return A.rate / B.rate;
};
const x = (v) => (v === undefined ? "n/a" : `${v.toFixed(v < 10 ? 2 : 1)}x`);
const rows = [
  ["parse+access (frames/s)", "wirecraft access", ["node_pcap access", "dpkt access", "scapy access"]],
  ["full dissect (frames/s)", "wirecraft full", ["node_pcap full", "dpkt full", "scapy full"]],
  ["build Eth/IPv4/TCP+64 B (packets/s)", "wirecraft build", ["dpkt build", "scapy build"]],
  ["pcap iteration, streaming readPcap (records/s)", "wirecraft pcap", ["node_pcap pcap", "dpkt pcap", "scapy pcap"]],
  ["pcap iteration, streaming readPcap().batches()", "wirecraft pcap-batches", ["node_pcap pcap", "dpkt pcap"]],
  ["pcap iteration, readPcapSync in memory", "wirecraft pcap-sync", ["node_pcap pcap", "dpkt pcap"]],
  ["pcapng iteration, streaming readPcap", "wirecraft pcapng", ["dpkt pcapng"]],
  ["pcapng iteration, streaming readPcap().batches()", "wirecraft pcapng-batches", ["dpkt pcapng"]],
  ["pcapng iteration, readPcapngSync in memory", "wirecraft pcapng-sync", ["dpkt pcapng"]],
  ["`read` pcap as a process (frames/s)", "wirecraft read-pcap", ["tcpdump read-pcap", "tshark read-pcap"]],
  ["`read` pcapng as a process (frames/s)", "wirecraft read-pcapng", ["tcpdump read-pcapng", "tshark read-pcapng"]],
];
const lines = ["| measurement | wirecraft | peers | wirecraft's ratio |", "|---|---|---|---|"];
for (const [name, ours, peers] of rows) {
  const ps = peers.filter(get);
  lines.push(`| ${name} | ${cell(ours)} | ${ps.map((p) => `${p.split(" ")[0]} ${cell(p)}`).join("; ")} | ${ps.map((p) => `${x(ratio(ours, p))} ${p.split(" ")[0]}`).join("; ")} |`);
}
const ms = (k) => (get(k) ? `${(get(k).seconds * 1000).toFixed(0)} ms (median ${(get(k).median * 1000).toFixed(0)}, slowest ${(get(k).max * 1000).toFixed(0)})` : "n/a");
lines.push(`| start-up: import (in process) | ${ms("wirecraft import")} | | |`);
lines.push(`| start-up: \`wirecraft --version\` process | ${ms("wirecraft version")} | \`node -e 0\` ${ms("node version")}; \`python3 -c 'import scapy.all'\` ${ms("scapy version")}; \`import dpkt\` ${ms("dpkt version")} | ${x(get("scapy version").seconds / get("wirecraft version").seconds)} faster than Scapy |`);
const rss = (k) => `${get(k).mb.toFixed(0)} MB`;
for (const size of ["-quarter", ""]) {
  const big = get(`wirecraft rss-readPcap${size}`);
  lines.push(`| peak RSS streaming a ${(big.fileMB / 1024).toFixed(2)} GB pcap (${(big.count / 1e6).toFixed(1)} M frames) | readPcap ${rss(`wirecraft rss-readPcap${size}`)}; \`wirecraft read\` ${rss(`wirecraft rss-read${size}`)} | tcpdump ${rss(`tcpdump rss-read${size}`)} | |`);
}
const target = (name, ok, value) => `| ${name} | ${value} | ${ok ? "met" : "**not met**"} |`;
const targets = [
  "| target | measured | |", "|---|---|---|",
  target("parse+access >= 3x node_pcap", ratio("wirecraft access", "node_pcap access") >= 3, x(ratio("wirecraft access", "node_pcap access"))),
  target("parse+access >= 30x dpkt", ratio("wirecraft access", "dpkt access") >= 30, x(ratio("wirecraft access", "dpkt access"))),
  target("full dissect >= 1.5x node_pcap", ratio("wirecraft full", "node_pcap full") >= 1.5, x(ratio("wirecraft full", "node_pcap full"))),
  target("build >= 20x dpkt", ratio("wirecraft build", "dpkt build") >= 20, x(ratio("wirecraft build", "dpkt build"))),
  target("pcap iteration >= node_pcap (libpcap), streaming by batches", ratio("wirecraft pcap-batches", "node_pcap pcap") >= 1, x(ratio("wirecraft pcap-batches", "node_pcap pcap"))),
  target("pcap iteration >= node_pcap (libpcap), streaming a record per await", ratio("wirecraft pcap", "node_pcap pcap") >= 1, x(ratio("wirecraft pcap", "node_pcap pcap"))),
  target("pcapng >= 80% of pcap", ratio("wirecraft pcapng-batches", "wirecraft pcap-batches") >= 0.8, `${(100 * ratio("wirecraft pcapng-batches", "wirecraft pcap-batches")).toFixed(0)}%`),
  target("`wirecraft read` faster than `tcpdump -n -r`", ratio("wirecraft read-pcap", "tcpdump read-pcap") > 1, x(ratio("wirecraft read-pcap", "tcpdump read-pcap"))),
  target("streaming RSS < 100 MB (readPcap)", get("wirecraft rss-readPcap").mb < 100, rss("wirecraft rss-readPcap")),
  target("streaming RSS < 100 MB (`wirecraft read`)", get("wirecraft rss-read").mb < 100, rss("wirecraft rss-read")),
  target("import < 50 ms", get("wirecraft import").seconds < 0.05, ms("wirecraft import")),
  target("`wirecraft --version` < 150 ms", get("wirecraft version").seconds < 0.15, ms("wirecraft version")),
];

const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? cpus()[0]?.model;
const header = [
  "# wirecraft benchmark results",
  "",
  `${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs (${cpu}), Node ${process.version}, ` +
    `${PROCS} processes per Node figure (each its fastest timed pass; the median over processes; ± is half the spread between processes, or between runs for processes), ` +
    `dpkt and node_pcap on all 200,000 frames, Scapy on the first ${SCAPY_N} (build: ${SCAPY_N / 2}). ` +
    `Reproduce with \`npm run bench\` (about ${Math.round((Date.now() - t0) / 60000)} minutes here).`,
  "",
  "Corpus: 200,000 frames from a fixed seed (bench/corpus.js): 60% Ethernet/IPv4/TCP, 15% IPv4/UDP/DNS, 10% IPv6/TCP+UDP, " +
    "5% ARP, 5% ICMP echo, 5% 802.1Q/IPv4/UDP. Every library computed the same checksum of the values it read " +
    (problems.length ? "— EXCEPT: " + problems.join("; ") : "(verified in this run)") + ".",
  "",
];
// Frames per second through a TAP device both ways (issue 5): needs root and the native addon.
let tap = ["## TAP device (issue 5)", ""];
if (process.getuid?.() === 0) {
  const r = spawnSync(process.execPath, [new URL("tap.js", import.meta.url).pathname, "3"], { encoding: "utf8", timeout: 60_000 });
  tap.push(r.status === 0 ? r.stdout.trim().split("\n").map((l) => `- ${l}`).join("\n") : `- not measured: ${(r.stderr || "tap.js failed").trim().split("\n")[0]}`);
} else tap.push("- not measured: needs root (CAP_NET_ADMIN) for a TAP device");
const out = [...header, ...lines, "", "## Targets (issue 9)", "", ...targets, "", ...tap, ""].join("\n");
console.log(out);
writeFileSync(new URL("RESULTS.md", import.meta.url), out);
if (problems.length) { console.error(problems.join("\n")); process.exitCode = 1; }
