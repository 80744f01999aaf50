import { test } from "node:test";
import assert from "node:assert/strict";
import { stackPair, flush } from "./testing.js";
import type { RemoteInfo, SocketError } from "./udp.js";

test("UDP datagrams both ways through dgram-shaped sockets", async () => {
  const { clock, a, b } = stackPair();
  const server = b.createSocket("udp4");
  const got: [string, RemoteInfo][] = [];
  server.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
    got.push([msg.toString(), rinfo]);
    server.send(msg.toString().toUpperCase(), rinfo.port, rinfo.address);
  });
  let listening = false;
  server.bind(7, () => { listening = true; });
  await flush();
  assert.equal(listening, true);
  assert.deepEqual(server.address(), { address: "0.0.0.0", family: "IPv4", port: 7 });
  const client = a.createSocket("udp4");
  const replies: string[] = [];
  client.on("message", (msg: Buffer) => replies.push(msg.toString()));
  let sentBytes = -1;
  client.send("hello", 7, "10.0.0.2", (err, n) => { assert.equal(err, null); sentBytes = n!; });
  client.send(Buffer.from("xxworldxx"), 2, 5, 7, "10.0.0.2");
  clock.advance(10);
  await flush();
  assert.equal(sentBytes, 5);
  assert.deepEqual(got.map(([m]) => m), ["hello", "world"]);
  const port = client.address().port;
  assert.ok(port >= 49152, `ephemeral port ${port}`);
  assert.deepEqual(got[0]![1], { address: "10.0.0.1", family: "IPv4", port, size: 5 });
  assert.deepEqual(replies, ["HELLO", "WORLD"]);
  assert.equal(a.stats().dropped, 0, JSON.stringify(a.stats().drops));
  assert.equal(b.stats().dropped, 0, JSON.stringify(b.stats().drops));
  client.close();
  server.close();
});

test("a connected socket sends without a destination and ignores other senders", async () => {
  const { clock, a, b } = stackPair();
  const server = b.createSocket();
  server.bind(5000);
  const got: string[] = [];
  server.on("message", (m: Buffer) => got.push(m.toString()));
  const client = a.createSocket();
  let connected = false;
  client.connect(5000, "10.0.0.2", () => { connected = true; });
  await flush();
  assert.equal(connected, true);
  assert.deepEqual(client.remoteAddress(), { address: "10.0.0.2", family: "IPv4", port: 5000 });
  client.send("one");
  clock.advance(10);
  assert.deepEqual(got, ["one"]);
  // A datagram from another port of b does not reach the connected client.
  const heard: string[] = [];
  client.on("message", (m: Buffer) => heard.push(m.toString()));
  const other = b.createSocket();
  other.send("stranger", client.address().port, "10.0.0.1");
  server.send("friend", client.address().port, "10.0.0.1");
  clock.advance(10);
  assert.deepEqual(heard, ["friend"]);
});

test("a closed port answers with ICMP port unreachable, delivered as ECONNREFUSED to the sender", async () => {
  const { clock, a, b } = stackPair();
  const client = a.createSocket();
  const errors: SocketError[] = [];
  client.on("error", (e: SocketError) => errors.push(e));
  client.send("anyone?", 9999, "10.0.0.2");
  clock.advance(10);
  await flush();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, "ECONNREFUSED");
  assert.equal(errors[0]!.address, "10.0.0.2");
  assert.equal(errors[0]!.port, 9999);
  assert.equal(b.stats().drops.udpPortClosed, 1);
  assert.equal(b.stats().counters["icmp.errorSent"], 1);
});

test("port unreachable is rate limited (token bucket on the clock)", async () => {
  const { clock, a, b } = stackPair({}, { config: { icmp: { errorBurst: 3, errorsPerSecond: 2 } } });
  const client = a.createSocket();
  let errors = 0;
  client.on("error", () => errors++);
  for (let i = 0; i < 10; i++) client.send("x", 9999, "10.0.0.2");
  clock.advance(10);
  await flush();
  assert.equal(errors, 3);
  assert.equal(b.stats().drops.icmpRateLimited, 7);
  clock.advance(1000); // two more tokens
  for (let i = 0; i < 5; i++) client.send("x", 9999, "10.0.0.2");
  clock.advance(10);
  await flush();
  assert.equal(errors, 5);
});

test("socket errors: port in use, broadcast without setBroadcast, bad port", async () => {
  const { clock, a, b } = stackPair();
  const s1 = a.createSocket().bind(4000);
  const s2 = a.createSocket();
  const errs: string[] = [];
  s2.on("error", (e: SocketError) => errs.push(e.code));
  s2.bind(4000);
  await flush();
  assert.deepEqual(errs, ["EADDRINUSE"]);
  const s3 = a.createSocket();
  const codes: string[] = [];
  s3.send("x", 9, "10.0.0.255", (e) => codes.push((e as SocketError).code));
  s3.send("x", 0, "10.0.0.2", (e) => codes.push((e as SocketError).code));
  await flush();
  assert.deepEqual(codes, ["EACCES", "ERR_SOCKET_BAD_PORT"]);
  // With setBroadcast, a subnet broadcast reaches b.
  const server = b.createSocket().bind(9);
  const got: string[] = [];
  server.on("message", (m: Buffer) => got.push(m.toString()));
  s3.setBroadcast(true);
  s3.send("all", 9, "10.0.0.255");
  s3.send("everyone", 9, "255.255.255.255");
  clock.advance(10);
  assert.deepEqual(got, ["all", "everyone"]);
  s1.close();
});
