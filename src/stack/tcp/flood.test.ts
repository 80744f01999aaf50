/**
 * A SYN flood: 100,000 SYNs from random sources and ports keep the tables bounded (the SYN queue
 * at its bound, SYN cookies beyond it) and a legitimate client still connects, through a cookie.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../../packet/packet.js";
import { Ethernet } from "../../protocols/ethernet.js";
import { IPv4 } from "../../protocols/ipv4.js";
import { TCP } from "../../protocols/tcp.js";
import { seededRandom } from "../../packet/fuzz.js";
import { settle, stackPair } from "../testing.js";
import { until } from "./testing.js";
import v8 from "node:v8";
import vm from "node:vm";

/** A full garbage collection, so that heap figures count what is kept, not what awaits collection. */
function collectGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

test("100,000 SYNs from random sources keep memory bounded; a real client still connects (SYN cookie)", async () => {
  const { clock, a, b, linkB } = stackPair({ delay: 1 }, { config: { tcp: { synQueue: 64 } } });
  let accepted = 0;
  b.createServer((s) => { accepted++; s.on("data", (d: Buffer) => s.end(d)); }).listen(80);
  clock.advance(1);
  const random = seededRandom(42);
  // Frames from addresses off the subnet, routed nowhere: the SYN-ACKs cannot even leave (no gateway).
  const template = (i: number): Uint8Array => packet(
    Ethernet({ dst: "02:00:00:00:00:02", src: "02:00:00:00:00:77", type: 0x0800 }),
    IPv4({ src: `172.${16 + Math.floor(random() * 16)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`, dst: "10.0.0.2", protocol: 6, ttl: 64, id: i & 0xffff }),
    TCP({ srcPort: 1024 + Math.floor(random() * 60000), dstPort: 80, seq: Math.floor(random() * 2 ** 32), flags: 0x002, window: 65535 }),
  ).bytes();
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let maxTable = 0;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 100_000; i++) frames.push(template(i));
  const wall = performance.now();
  for (let i = 0; i < 100_000; i++) {
    linkB.inject(frames[i]!);
    if (i % 1000 === 999) {
      clock.advance(1);
      maxTable = Math.max(maxTable, b.tcp.connections.size);
    }
  }
  clock.advance(1);
  const floodMs = performance.now() - wall;
  const stats = b.stats().counters;
  assert.equal(stats["tcp.synReceived"], 100_000);
  assert.ok(maxTable <= 64, `connection table peaked at ${maxTable}`);
  assert.equal(stats["tcp.synCookieSent"], 100_000 - 64);
  // A legitimate client, while the SYN queue is still full of half-open entries.
  assert.equal([...b.tcp.listeners.values()][0]!.synQueue.size, 64);
  const client = await settle(clock, a.connect({ host: "10.0.0.2", port: 80 }), 5_000, 1);
  const got: Buffer[] = [];
  client.on("data", (d: Buffer) => got.push(d));
  client.end("through the flood");
  await until(clock, () => Buffer.concat(got).toString() === "through the flood", 5_000);
  assert.equal(accepted, 1);
  assert.equal(b.stats().counters["tcp.synCookieAccepted"], 1);
  const info = client.tcpInfo();
  assert.equal(info.mss, 1460, "the cookie carried the MSS");
  collectGarbage();
  const growth = process.memoryUsage().heapUsed - heapBefore;
  console.log(`# flood: ${floodMs.toFixed(0)} ms wall for 100,000 SYNs; table peak ${maxTable}; heap growth ${(growth / 1048576).toFixed(1)} MiB`);
  assert.ok(growth < 16 * 1024 * 1024, `heap grew ${growth} bytes`);
  // The half-open entries time out (SYN-ACK retries) and the table empties.
  await until(clock, () => [...b.tcp.connections.values()].every((c) => c.state !== "SYN-RECEIVED"), 200_000, 1000);
});
