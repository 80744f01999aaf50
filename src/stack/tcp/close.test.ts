/**
 * Two stacks: simultaneous open, simultaneous close, half-close, destroy with unread data (RST),
 * connection refused, EADDRINUSE, back-pressure, idle time-out.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { settle, stackPair } from "../testing.js";
import type { TcpSocket } from "./socket.js";
import { until } from "./testing.js";

test("simultaneous open: both SYNs cross, both sides pass SYN-RECEIVED and connect", async () => {
  const { clock, a, b } = stackPair({ delay: 5 });
  const sa = a.createConnection({ host: "10.0.0.2", port: 6000, localPort: 5000 });
  const sb = b.createConnection({ host: "10.0.0.1", port: 5000, localPort: 6000 });
  let connected = 0;
  sa.on("connect", () => connected++);
  sb.on("connect", () => connected++);
  await until(clock, () => connected === 2, 5_000);
  assert.equal(a.stats().counters["tcp.state.SYN-RECEIVED"], 1);
  assert.equal(b.stats().counters["tcp.state.SYN-RECEIVED"], 1);
  const got: Buffer[] = [];
  sb.on("data", (d: Buffer) => got.push(d));
  sa.write("crossed");
  await until(clock, () => Buffer.concat(got).toString() === "crossed", 1_000);
  // Simultaneous close: both FINs cross: FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides.
  sa.end();
  sb.end();
  // (A socket's tcpInfo() is its last view once it is destroyed; the tables have the TCBs.)
  const states = (): string[] => [...a.tcp.connections.values(), ...b.tcp.connections.values()].map((c) => c.state);
  await until(clock, () => states().join() === "TIME-WAIT,TIME-WAIT", 5_000);
  assert.equal(a.stats().counters["tcp.state.CLOSING"], 1);
  assert.equal(b.stats().counters["tcp.state.CLOSING"], 1);
});

test("half-close: the side that ended still reads what the other sends after", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  b.createServer({ allowHalfOpen: true }, (s) => {
    const parts: Buffer[] = [];
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("end", () => { s.write(`got ${Buffer.concat(parts).length} bytes`); s.end(); });
  }).listen(9);
  const c = await settle(clock, a.connect({ host: "10.0.0.2", port: 9, allowHalfOpen: true }));
  const reply: Buffer[] = [];
  c.on("data", (d: Buffer) => reply.push(d));
  let ended = false;
  c.on("end", () => { ended = true; });
  c.end("x".repeat(10_000));
  await until(clock, () => ended, 5_000);
  assert.equal(Buffer.concat(reply).toString(), "got 10000 bytes");
});

test("destroy with unread data sends RST (the peer sees ECONNRESET); without, FIN", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  let server: TcpSocket | undefined;
  b.createServer((s) => { server = s; s.pause(); }).listen(9);
  const c = await settle(clock, a.connect({ host: "10.0.0.2", port: 9 }));
  const errors: string[] = [];
  c.on("error", (e: Error & { code?: string }) => errors.push(e.code ?? ""));
  c.write("unread");
  await until(clock, () => server !== undefined && server.readableLength === 6, 1_000);
  server!.destroy();
  await until(clock, () => errors.length === 1, 1_000);
  assert.deepEqual(errors, ["ECONNRESET"]);
  assert.equal(b.stats().counters["tcp.rstSent"], 1);
});

test("connection refused, EADDRINUSE, bad address", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  await assert.rejects(settle(clock, a.connect({ host: "10.0.0.2", port: 1 })), { code: "ECONNREFUSED" });
  const s1 = b.createServer().listen(80);
  const s2 = b.createServer();
  const err = new Promise<Error>((r) => s2.on("error", r));
  s2.listen(80);
  assert.equal(((await err) as { code?: string }).code, "EADDRINUSE");
  assert.deepEqual(s1.address(), { address: "0.0.0.0", family: "IPv4", port: 80 });
  await assert.rejects(settle(clock, a.connect({ host: "10.0.0.2", port: 0 })), { code: "ERR_SOCKET_BAD_PORT" });
});

test("write() applies back-pressure at the send buffer and 'drain' follows as the peer reads", async () => {
  const { clock, a, b } = stackPair({ delay: 1 }, { config: { tcp: { sendBuffer: 64 * 1024, receiveBuffer: 64 * 1024 } } });
  let server: TcpSocket | undefined;
  b.createServer((s) => { server = s; s.pause(); }).listen(9);
  const c = await settle(clock, a.connect({ host: "10.0.0.2", port: 9 }));
  let drained = 0;
  c.on("drain", () => { drained++; });
  let accepted = 0;
  for (let i = 0; i < 16; i++) if (c.write(Buffer.alloc(16 * 1024, i))) accepted++;
  assert.ok(accepted < 4, `write() said false after ${accepted} writes`);
  // The window closes to less than a segment (sender SWS avoidance holds back the rest).
  await until(clock, () => server !== undefined && c.tcpInfo().sendWindow < 1460 && c.tcpInfo().bytesInFlight === 0, 5_000);
  await until(clock, () => false, 500).catch(() => undefined);
  assert.equal(drained, 0, "the receiver's buffer is full: nothing drains");
  assert.ok(c.writableLength > 64 * 1024, "the rest waits in the stream");
  let got = 0;
  server!.on("data", (d: Buffer) => { got += d.length; });
  server!.resume();
  await until(clock, () => got === 256 * 1024, 10_000);
  assert.ok(drained >= 1);
});

test("setTimeout emits 'timeout' after idle time and leaves the socket open", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  b.createServer(() => undefined).listen(9);
  const c = await settle(clock, a.connect({ host: "10.0.0.2", port: 9 }));
  const start = clock.now();
  let at = -1;
  c.setTimeout(3000, () => { at = clock.now() - start; });
  await until(clock, () => at >= 0, 5_000);
  assert.ok(at >= 3000 && at <= 3002, `timeout after ${at}`);
  assert.equal(c.tcpInfo().state, "ESTABLISHED");
});

test("a peer ARP never resolves: the SYNs' host-unreachable errors end the connect with EHOSTUNREACH after the SYN retries", async () => {
  const { clock, a } = stackPair({ delay: 1 }, { config: { tcp: { synRetries: 2 } } });
  const start = clock.now();
  await assert.rejects(settle(clock, a.connect({ host: "10.0.0.77", port: 80 }), 20_000), { code: "EHOSTUNREACH" });
  const took = clock.now() - start;
  // SYN at 0, 1 s, 3 s (RTO 1 s doubled); the failure one RTO (4 s) after the last: 7 s.
  assert.ok(took >= 7000 && took <= 7100, `failed after ${took} ms`);
  assert.ok((a.stats().counters["tcp.icmpError"] ?? 0) >= 1);
});

test("maxConnections: a connection beyond it is reset and reported as 'drop'", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  const server = b.createServer(() => undefined);
  server.maxConnections = 1;
  const dropped: number[] = [];
  server.on("drop", (d) => dropped.push(d.remotePort));
  server.listen(80);
  const first = await settle(clock, a.connect({ host: "10.0.0.2", port: 80 }));
  const second = a.createConnection({ host: "10.0.0.2", port: 80 });
  const errors: string[] = [];
  second.on("error", (e: Error & { code?: string }) => errors.push(e.code ?? ""));
  await until(clock, () => errors.length === 1, 1_000);
  assert.deepEqual(errors, ["ECONNRESET"]);
  assert.deepEqual(dropped, [second.localPort]);
  assert.equal(first.tcpInfo().state, "ESTABLISHED");
  const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
  assert.equal(count, 1);
});

test("a buffer reused by the writer after its write completed does not change what is sent", async () => {
  const { clock, a, b } = stackPair({ delay: 5 });
  const got: Buffer[] = [];
  b.createServer((s) => s.on("data", (d: Buffer) => got.push(d))).listen(9);
  const c = await settle(clock, a.connect({ host: "10.0.0.2", port: 9 }));
  const buffer = Buffer.from("aaaa");
  c.write(buffer);
  const second = Buffer.from("bbbb");
  // Nagle holds the second write while the first is unacknowledged; its callback runs at once.
  await new Promise<void>((r) => c.write(second, () => r()));
  second.fill("c");
  await until(clock, () => Buffer.concat(got).length === 8, 1_000);
  assert.equal(Buffer.concat(got).toString(), "aaaabbbb");
});
