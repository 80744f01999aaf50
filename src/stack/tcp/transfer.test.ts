/**
 * Bulk transfers over an impaired memory link (loss, reordering, duplication, corruption), each
 * direction, checked byte for byte by sha256, in a bounded virtual time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { stackPair } from "../testing.js";
import type { TcpSocket } from "./socket.js";
import { collect, randomData, sha256, until, writeAll } from "./testing.js";

// 50 MB each way: about 24 s of wall time for both on this machine (WIRECRAFT_TCP_TRANSFER_MB sets
// another size).
const SIZE = Number(process.env.WIRECRAFT_TCP_TRANSFER_MB ?? 50) * 1024 * 1024;
const IMPAIRED = { seed: 7, delay: 5, jitter: 1, loss: 0.05, reorder: 0.02, reorderDelay: 3, duplicate: 0.01, corrupt: 0.01 };

async function transfer(direction: "client-to-server" | "server-to-client", congestion: "cubic" | "newreno"): Promise<void> {
  const { clock, a, b } = stackPair(IMPAIRED, { config: { tcp: { congestion, receiveBuffer: 1024 * 1024, sendBuffer: 1024 * 1024 } } });
  const data = randomData(SIZE, direction === "client-to-server" ? 1 : 2);
  let serverSide: TcpSocket | undefined;
  const server = b.createServer((s) => { serverSide = s; });
  server.listen(5001);
  const client = b === undefined ? undefined : a.createConnection({ host: "10.0.0.2", port: 5001 });
  assert.ok(client);
  client.on("error", (e) => assert.fail(e));
  await until(clock, () => serverSide !== undefined && !client.connecting, 20_000);
  const [sender, receiver] = direction === "client-to-server" ? [client, serverSide!] : [serverSide!, client];
  const got = collect(receiver);
  const wall = performance.now();
  void writeAll(sender, data);
  const virtual = await until(clock, () => got.ended, 1_500_000, 20);
  const ms = performance.now() - wall;
  const info = sender.tcpInfo();
  console.log(`# ${direction} ${congestion}: ${SIZE / 1048576} MB in ${virtual} ms virtual, ${ms.toFixed(0)} ms wall; retransmits ${info?.retransmits}, timeouts ${info?.timeouts}`);
  assert.equal(got.bytes, data.length);
  assert.equal(got.digest(), sha256(data));
  // Bound: 5% loss each way (ACKs too) at a 10 ms RTT; measured well under this.
  assert.ok(virtual < (SIZE / 1048576) * 5000, `took ${virtual} ms of virtual time`);
}

test("a bulk transfer client to server under loss, reordering, duplication and corruption arrives byte-exact", async () => {
  await transfer("client-to-server", "cubic");
});

test("a bulk transfer server to client (NewReno) under the same impairments arrives byte-exact", async () => {
  await transfer("server-to-client", "newreno");
});
