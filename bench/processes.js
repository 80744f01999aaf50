// Whole-process measurements: `wirecraft read` against `tcpdump -n -r` and `tshark -r` on the corpus,
// start-up times, and peak RSS streaming a large generated capture. Each prints JSON lines like the
// other scripts (with `seconds` as the fastest wall time of `runs` processes, the commands compared alternating, and the spread).
//   node processes.js read|startup|memory
import { spawnSync } from "node:child_process";
import { openSync, writeSync, closeSync, readFileSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CORPUS, CORPUS_NG, DIR, median, report } from "./lib.js";

// Run as users run the `wirecraft` command: the file itself, through its #! line (which gives
// Node the command's flags: a small young generation keeps `read`'s RSS flat).
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const INDEX = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/**
 * Wall seconds of `runs` runs of each command, the commands alternating (so that a drift in the
 * machine's speed falls on all alike; output to /dev/null); for each, the fastest run as
 * `seconds` (noise only ever adds time, as in lib.js's timed), and the slowest.
 */
function walls(commands, runs) {
  const times = commands.map(() => []);
  for (let r = 0; r < runs; r++) {
    commands.forEach(([cmd, args], i) => {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 });
      if (p.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${p.stderr}`);
      times[i].push(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  }
  return times.map((ts) => ({ seconds: Math.min(...ts), min: Math.min(...ts), max: Math.max(...ts), median: median(ts), runs }));
}

/** Peak RSS in MB of one run, from GNU time. */
function peakRss(cmd, args) {
  const p = spawnSync("/usr/bin/time", ["-f", "%M %e", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  const [kb, secs] = p.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { mb: kb / 1024, seconds: secs };
}

const kind = process.argv[2];
const count = 200_000;

if (kind === "read") {
  for (const [name, path] of [["pcap", CORPUS], ["pcapng", CORPUS_NG]]) {
    const [ours, tcpdump, tshark] = walls([[CLI, ["read", path]], ["tcpdump", ["-n", "-r", path]], ["tshark", ["-r", path]]], 3);
    report({ lib: "wirecraft", kind: `read-${name}`, count, ...ours });
    report({ lib: "tcpdump", kind: `read-${name}`, count, ...tcpdump });
    report({ lib: "tshark", kind: `read-${name}`, count, ...tshark });
  }
} else if (kind === "startup") {
  const imp = `const t=performance.now();await import(${JSON.stringify(INDEX)});console.log(performance.now()-t)`;
  const ms = [];
  for (let r = 0; r < 7; r++) ms.push(Number(spawnSync("node", ["--input-type=module", "-e", imp], { encoding: "utf8" }).stdout));
  report({ lib: "wirecraft", kind: "import", count: 1, seconds: Math.min(...ms) / 1000, min: Math.min(...ms) / 1000, max: Math.max(...ms) / 1000, median: median(ms) / 1000, runs: 7 });
  const [ours, node, scapy, dpkt] = walls([[CLI, ["--version"]], ["node", ["-e", "0"]], ["/usr/bin/python3", ["-c", "import scapy.all"]], ["/usr/bin/python3", ["-c", "import dpkt"]]], 7);
  report({ lib: "wirecraft", kind: "version", count: 1, ...ours });
  report({ lib: "node", kind: "version", count: 1, ...node });
  report({ lib: "scapy", kind: "version", count: 1, ...scapy });
  report({ lib: "dpkt", kind: "version", count: 1, ...dpkt });
} else if (kind === "memory") {
  // Copies of the corpus's records with shifted timestamps: a quarter of BENCH_BIG_MB, then all of it
  // (default 2048 MB, as issue 9 asks), to show whether peak RSS grows with the file.
  const full = Number(process.env.BENCH_BIG_MB ?? 2048);
  memoryAt(full / 4, "-quarter");
  memoryAt(full, "");
} else {
  throw new Error(`unknown measurement ${kind}`);
}

function memoryAt(targetMB, suffix) {
  const big = `${DIR}/big.pcap`;
  const src = readFileSync(CORPUS);
  const copies = Math.max(1, Math.round((targetMB * 2 ** 20) / src.length));
  const fd = openSync(big, "w");
  try {
    writeSync(fd, src.subarray(0, 24));
    const body = Buffer.from(src.subarray(24));
    for (let c = 0; c < copies; c++) {
      for (let pos = 0; pos < body.length;) {
        body.writeUInt32LE(src.readUInt32LE(24 + pos) + c * 200, pos);
        pos += 16 + body.readUInt32LE(pos + 8);
      }
      writeSync(fd, body);
    }
  } finally { closeSync(fd); }
  const frames = copies * count;
  const mb = statSync(big).size / 2 ** 20;
  try {
    const stream = `import {readPcap} from ${JSON.stringify(INDEX)}; let n=0; for await (const r of readPcap(${JSON.stringify(big)})) n+=r.data.length>0; if(n!==${frames}) throw new Error("read "+n)`;
    report({ lib: "wirecraft", kind: `rss-readPcap${suffix}`, count: frames, fileMB: mb, ...peakRss("node", ["--input-type=module", "-e", stream]) });
    report({ lib: "wirecraft", kind: `rss-read${suffix}`, count: frames, fileMB: mb, ...peakRss(CLI, ["read", big]) });
    report({ lib: "tcpdump", kind: `rss-read${suffix}`, count: frames, fileMB: mb, ...peakRss("tcpdump", ["-n", "-r", big]) });
  } finally {
    rmSync(big, { force: true });
  }
}
