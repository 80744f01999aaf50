// Frames per second through a TAP device, both ways (needs root and the native addon; not run in CI).
//   npm run build && node bench/tap.js [seconds]
// write: this process writes UDP frames into the TAP; the kernel in the namespace receives them.
// read:  a sender inside the namespace blasts UDP datagrams at our address; we read the frames.
import { execSync, spawn } from "node:child_process";
import { Tap } from "../dist/live/tap.js";
import { packet } from "../dist/packet/packet.js";
import { Ethernet } from "../dist/protocols/ethernet.js";
import { IPv4 } from "../dist/protocols/ipv4.js";
import { UDP } from "../dist/protocols/udp.js";

const seconds = Number(process.argv[2] ?? 3);
const NS = "wclbench", DEV = "wclbtap";
const sh = (c) => execSync(c, { stdio: ["ignore", "pipe", "inherit"] }).toString();
const cleanup = () => { try { sh(`ip netns del ${NS} 2>/dev/null; true`); } catch {} };

cleanup();
sh(`ip netns add ${NS}`);
const tap = Tap.open(DEV);
try {
  sh(`ip link set ${DEV} netns ${NS}`);
  sh(`ip netns exec ${NS} sh -c 'ip addr add 10.208.0.1/24 dev ${DEV} && ip link set ${DEV} up && ip neigh replace 10.208.0.2 lladdr 02:00:00:00:08:02 dev ${DEV}'`);
  const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${DEV}/address`).trim();
  const frame = packet(Ethernet({ dst: kernelMac, src: "02:00:00:00:08:02" }), IPv4({ src: "10.208.0.2", dst: "10.208.0.1" }),
    UDP({ srcPort: 5000, dstPort: 9 }), new Uint8Array(64)).bytes();

  // write
  let written = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1000; i++) if (tap.writeSync(frame) >= 0) written++;
  }
  const writeRate = written / (Number(process.hrtime.bigint() - t0) / 1e9);

  // read
  const sender = spawn("ip", ["netns", "exec", NS, process.execPath, "-e", `
    const s = require("dgram").createSocket("udp4"); const b = Buffer.alloc(64);
    const go = () => { for (let i = 0; i < 200; i++) s.send(b, 9, "10.208.0.2"); setImmediate(go); }; go();`], { stdio: "ignore" });
  let read = 0, batches = 0;
  const stopReading = tap.subscribe((frames) => { read += frames.length; batches++; });
  await new Promise((r) => setTimeout(r, 500));
  read = 0; batches = 0;
  const r0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const readRate = read / (Number(process.hrtime.bigint() - r0) / 1e9);
  stopReading();
  sender.kill();
  console.log(`TAP write: ${Math.round(writeRate).toLocaleString("en")} frames/s (${frame.length}-byte frames, writeSync)`);
  console.log(`TAP read:  ${Math.round(readRate).toLocaleString("en")} frames/s (${(read / Math.max(1, batches)).toFixed(1)} frames per wake-up; limited by the sender in the namespace)`);
} finally {
  tap.close();
  cleanup();
}
