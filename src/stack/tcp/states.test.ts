/**
 * The state machine driven segment by segment from a hand-made peer (RawPeer): every state
 * reached, RST in every state, RFC 5961 challenge ACKs and their limit, TIME-WAIT expiry, PAWS,
 * window scaling only when both offer it, SACK blocks for out-of-order data, delayed ACKs,
 * Nagle, zero-window probes, keep-alive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RawPeer } from "./testing.js";
import type { TcpSocket } from "./socket.js";
import type { StackConfigInput } from "../config.js";

const PEER_ISN = 1000;

/** Open a connection from the peer to the stack's server on port 80; return the server socket and the stack's ISN. */
async function established(config: StackConfigInput = {}, syn: Parameters<RawPeer["send"]>[0]["options"] = { mss: 1460 }, allowHalfOpen = true): Promise<{ peer: RawPeer; socket: TcpSocket; iss: number; errors: Error[] }> {
  const peer = new RawPeer(config);
  let socket: TcpSocket | undefined;
  const errors: Error[] = [];
  peer.stack.createServer({ allowHalfOpen }, (s) => { socket = s; s.on("error", (e) => errors.push(e)); }).listen(80);
  await peer.run(1);
  peer.send({ seq: PEER_ISN, flags: "S", options: syn });
  await peer.run(5);
  const synAck = peer.take().find((s) => s.flags === "SA");
  assert.ok(synAck, "SYN-ACK");
  assert.equal(synAck.ack, PEER_ISN + 1);
  assert.equal(peer.connection().state, "SYN-RECEIVED");
  peer.send({ seq: PEER_ISN + 1, ack: synAck.seq + 1, flags: "A" });
  await peer.run(5);
  assert.ok(socket, "connection event");
  assert.equal(peer.connection().state, "ESTABLISHED");
  return { peer, socket, iss: synAck.seq, errors };
}

test("passive open, data, FIN from the peer: ESTABLISHED → CLOSE-WAIT → LAST-ACK → CLOSED", async () => {
  const { peer, socket, iss } = await established();
  const got: Buffer[] = [];
  socket.on("data", (d: Buffer) => got.push(d));
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1, flags: "PA", data: "hello" });
  peer.send({ seq: PEER_ISN + 6, ack: iss + 1, flags: "FA" });
  await peer.run(5);
  assert.equal(Buffer.concat(got).toString(), "hello");
  assert.equal(peer.connection().state, "CLOSE-WAIT");
  socket.end("bye");
  await peer.run(5);
  const out = peer.take();
  assert.ok(out.some((s) => s.flags.includes("F")));
  assert.equal(Buffer.concat(out.map((s) => s.data)).toString(), "bye");
  assert.equal(peer.connection().state, "LAST-ACK");
  peer.send({ seq: PEER_ISN + 7, ack: iss + 1 + 3 + 1, flags: "A" });
  await peer.run(5);
  assert.equal(peer.stack.tcp.connections.size, 0);
});

test("active close: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT, which lasts exactly config.tcp.timeWait", async () => {
  const { peer, socket, iss } = await established({ tcp: { timeWait: 5000 } });
  socket.end();
  await peer.run(3);
  const fin = peer.take().find((s) => s.flags.includes("F"));
  assert.ok(fin);
  assert.equal(fin.seq, iss + 1);
  assert.equal(peer.connection().state, "FIN-WAIT-1");
  peer.send({ seq: PEER_ISN + 1, ack: iss + 2, flags: "A" });
  await peer.run(3);
  assert.equal(peer.connection().state, "FIN-WAIT-2");
  peer.send({ seq: PEER_ISN + 1, ack: iss + 2, flags: "FA" });
  await peer.run(1);
  const enteredAt = peer.clock.now();
  assert.equal(peer.connection().state, "TIME-WAIT");
  // A retransmitted FIN in TIME-WAIT is ACKed again (and restarts the time).
  await peer.run(4998 - (peer.clock.now() - enteredAt));
  assert.equal(peer.connection().state, "TIME-WAIT");
  await peer.run(5);
  assert.equal(peer.stack.tcp.connections.size, 0, "gone after 5000 ms");
  const ack = peer.take().find((s) => s.flags === "A" && s.ack === PEER_ISN + 2);
  assert.ok(ack, "the FIN was acknowledged");
});

test("CLOSING: our FIN and the peer's cross", async () => {
  const { peer, socket, iss } = await established();
  socket.end();
  await peer.run(3);
  // The peer sends its FIN without acknowledging ours.
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1, flags: "FA" });
  await peer.run(3);
  assert.equal(peer.connection().state, "CLOSING");
  peer.send({ seq: PEER_ISN + 2, ack: iss + 2, flags: "A" });
  await peer.run(3);
  assert.equal(peer.connection().state, "TIME-WAIT");
});

/** Put the stack's connection into `state`; return what the RST test needs. */
async function inState(state: string): Promise<{ peer: RawPeer; socket: TcpSocket; errors: Error[]; rcvNxt: number }> {
  const e = await established();
  const { peer, socket, iss } = e;
  let rcvNxt = PEER_ISN + 1;
  switch (state) {
    case "ESTABLISHED": break;
    case "FIN-WAIT-1": socket.end(); break;
    case "FIN-WAIT-2": socket.end(); await peer.run(3); peer.send({ seq: rcvNxt, ack: iss + 2, flags: "A" }); break;
    case "CLOSE-WAIT": peer.send({ seq: rcvNxt, ack: iss + 1, flags: "FA" }); rcvNxt++; break;
    case "CLOSING": socket.end(); await peer.run(3); peer.send({ seq: rcvNxt, ack: iss + 1, flags: "FA" }); rcvNxt++; break;
    case "LAST-ACK": peer.send({ seq: rcvNxt, ack: iss + 1, flags: "FA" }); rcvNxt++; await peer.run(3); socket.end(); break;
    case "TIME-WAIT": socket.end(); await peer.run(3); peer.send({ seq: rcvNxt, ack: iss + 2, flags: "FA" }); rcvNxt++; break;
    default: throw new Error(state);
  }
  await peer.run(3);
  assert.equal(peer.connection().state, state);
  peer.take();
  return { peer, socket, errors: e.errors, rcvNxt };
}

for (const state of ["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"]) {
  test(`RST in ${state}: in the window but not at RCV.NXT draws a challenge ACK; at RCV.NXT it closes`, async () => {
    const { peer, errors, rcvNxt } = await inState(state);
    peer.send({ seq: rcvNxt + 100, flags: "R" });
    await peer.run(3);
    const challenge = peer.take();
    assert.equal(challenge.length, 1, "one challenge ACK");
    assert.equal(challenge[0]!.flags, "A");
    assert.equal(challenge[0]!.ack, rcvNxt);
    assert.equal(peer.connection().state, state, "still there");
    peer.send({ seq: rcvNxt + 10_000_000, flags: "R" }); // outside the window: ignored
    await peer.run(3);
    assert.equal(peer.take().length, 0);
    peer.send({ seq: rcvNxt, flags: "R" });
    await peer.run(3);
    assert.equal(peer.stack.tcp.connections.size, 0);
    const expectError = ["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT"].includes(state);
    assert.equal(errors.map((e) => (e as { code?: string }).code).join(), expectError ? "ECONNRESET" : "");
  });
}

test("RST in SYN-RECEIVED drops the half-open connection; RST in SYN-SENT (with our ACK) is ECONNREFUSED", async () => {
  const peer = new RawPeer();
  peer.stack.createServer(() => assert.fail("no connection")).listen(80);
  await peer.run(1);
  peer.send({ seq: PEER_ISN, flags: "S" });
  await peer.run(3);
  assert.equal(peer.connection().state, "SYN-RECEIVED");
  peer.send({ seq: PEER_ISN + 1, flags: "R" });
  await peer.run(3);
  assert.equal(peer.stack.tcp.connections.size, 0);
  peer.take();
  const socket = peer.stack.createConnection({ host: RawPeer.ip, port: 4000 });
  const error = new Promise<Error>((r) => socket.on("error", r));
  await peer.run(3);
  const syn = peer.take().find((s) => s.flags === "S")!;
  assert.equal(peer.connection().state, "SYN-SENT");
  peer.send({ srcPort: 4000, dstPort: socket.localPort, seq: 0, ack: syn.seq + 5, flags: "RA" }); // wrong ACK: ignored
  await peer.run(3);
  assert.equal(peer.connection().state, "SYN-SENT");
  peer.send({ srcPort: 4000, dstPort: socket.localPort, seq: 0, ack: syn.seq + 1, flags: "RA" });
  await peer.run(3);
  assert.equal(((await error) as { code?: string }).code, "ECONNREFUSED");
  assert.equal(peer.stack.tcp.connections.size, 0);
});

test("a SYN in ESTABLISHED draws a challenge ACK (RFC 5961 4); challenge ACKs are rate limited", async () => {
  const { peer, iss } = await established({ tcp: { challengeAckLimit: 5 } });
  peer.send({ seq: 99_999, flags: "S" });
  await peer.run(3);
  const got = peer.take();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.flags, "A");
  assert.equal(got[0]!.ack, PEER_ISN + 1);
  assert.equal(got[0]!.seq, iss + 1);
  assert.equal(peer.connection().state, "ESTABLISHED");
  for (let i = 0; i < 20; i++) peer.send({ seq: PEER_ISN + 50 + i, flags: "R" });
  await peer.run(3);
  assert.equal(peer.take().length, 4, "the bucket (5 per second) had 4 left");
  assert.equal(peer.stack.stats().counters["tcp.challengeAckLimited"], 16);
  await peer.run(1000);
  peer.send({ seq: PEER_ISN + 50, flags: "R" });
  await peer.run(3);
  assert.equal(peer.take().length, 1, "refilled after a second");
});

test("PAWS drops a segment whose timestamp is older than TS.Recent, and ACKs", async () => {
  const { peer, socket, iss } = await established({}, { mss: 1460, sackPermitted: true, timestamps: { value: 100, echoReply: 0 } });
  const got: Buffer[] = [];
  socket.on("data", (d: Buffer) => got.push(d));
  assert.equal(socket.tcpInfo().timestamps, true);
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1, flags: "PA", data: "new", options: { timestamps: { value: 1000, echoReply: 0 } } });
  await peer.run(50);
  peer.take();
  peer.send({ seq: PEER_ISN + 4, ack: iss + 1, flags: "PA", data: "old", options: { timestamps: { value: 500, echoReply: 0 } } });
  await peer.run(3);
  assert.equal(Buffer.concat(got).toString(), "new");
  assert.equal(peer.stack.stats().drops.tcpPaws, 1);
  const ack = peer.take();
  assert.equal(ack.length, 1);
  assert.equal(ack[0]!.ack, PEER_ISN + 4);
  assert.equal(ack[0]!.options.tsEchoReply, 1000);
});

test("window scaling is used only when both sides offer it", async () => {
  const without = await established({ tcp: { receiveBuffer: 1 << 20 } }, { mss: 1460 });
  const info = without.socket.tcpInfo();
  assert.equal(info.sendWindowScale, undefined);
  assert.equal(info.receiveWindowScale, undefined);
  const p = new RawPeer({ tcp: { receiveBuffer: 1 << 20 } });
  p.stack.createServer(() => undefined).listen(80);
  await p.run(1);
  p.send({ seq: PEER_ISN, flags: "S", options: { mss: 1460 } });
  await p.run(5);
  const synAck = p.take()[0]!;
  assert.equal(synAck.options.windowScale, undefined, "no window scale in the SYN-ACK to a SYN without it");
  assert.equal(synAck.window, 65535);
  const p2 = new RawPeer({ tcp: { receiveBuffer: 1 << 20 } });
  p2.stack.createServer(() => undefined).listen(80);
  await p2.run(1);
  p2.send({ seq: PEER_ISN, flags: "S", options: { mss: 1460, windowScale: 7 } });
  await p2.run(5);
  const synAck2 = p2.take()[0]!;
  assert.equal(synAck2.options.windowScale, 5, "1 MiB needs a shift of 5");
  p2.send({ seq: PEER_ISN + 1, ack: synAck2.seq + 1, flags: "A", window: 100 });
  await p2.run(3);
  const c = p2.connection();
  assert.equal(c.sndWnd, 100 << 7, "the peer's window is scaled by its shift");
  assert.equal(c.info().receiveWindowScale, 5);
});

test("out-of-order data is SACKed at once, latest block first; the gap filled delivers all", async () => {
  const { peer, socket, iss } = await established({}, { mss: 1460, sackPermitted: true });
  const got: Buffer[] = [];
  socket.on("data", (d: Buffer) => got.push(d));
  const a = PEER_ISN + 1;
  peer.send({ seq: a + 100, ack: iss + 1, flags: "A", data: "B".repeat(100) });
  await peer.run(3);
  let acks = peer.take();
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.ack, a);
  assert.deepEqual(acks[0]!.options.sack, [[a + 100, a + 200]]);
  peer.send({ seq: a + 300, ack: iss + 1, flags: "A", data: "D".repeat(100) });
  await peer.run(3);
  acks = peer.take();
  assert.deepEqual(acks[0]!.options.sack, [[a + 300, a + 400], [a + 100, a + 200]]);
  peer.send({ seq: a, ack: iss + 1, flags: "A", data: "A".repeat(100) });
  await peer.run(3);
  acks = peer.take();
  assert.equal(acks[0]!.ack, a + 200);
  assert.deepEqual(acks[0]!.options.sack, [[a + 300, a + 400]]);
  peer.send({ seq: a + 200, ack: iss + 1, flags: "A", data: "C".repeat(100) });
  await peer.run(3);
  acks = peer.take();
  assert.equal(acks[0]!.ack, a + 400);
  assert.equal(acks[0]!.options.sack, undefined);
  assert.equal(Buffer.concat(got).toString(), "A".repeat(100) + "B".repeat(100) + "C".repeat(100) + "D".repeat(100));
});

test("delayed ACK: one segment is ACKed after config.tcp.delayedAck ms; every second full segment at once", async () => {
  const { peer, iss } = await established({ tcp: { delayedAck: 40 } });
  peer.take();
  const start = peer.clock.now();
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1, flags: "PA", data: "x" });
  await peer.run(60);
  const acks = peer.take();
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.ack, PEER_ISN + 2);
  // Sent at start + 1 (link delay) + 40; seen one more ms later.
  assert.equal(acks[0]!.at - start, 1 + 40 + 1);
  const full = "y".repeat(1460);
  peer.send({ seq: PEER_ISN + 2, ack: iss + 1, flags: "A", data: full });
  peer.send({ seq: PEER_ISN + 2 + 1460, ack: iss + 1, flags: "A", data: full });
  const t = peer.clock.now();
  await peer.run(5);
  const two = peer.take();
  assert.equal(two.length, 1);
  assert.equal(two[0]!.ack, PEER_ISN + 2 + 2920);
  assert.ok(two[0]!.at - t <= 3, "ACKed without delay");
});

test("Nagle holds a small segment while data is unacknowledged; setNoDelay sends at once", async () => {
  const { peer, socket, iss } = await established();
  socket.write("a");
  await peer.run(1);
  socket.write("b");
  socket.write("c");
  await peer.run(3);
  let segs = peer.take().filter((s) => s.data.length > 0);
  assert.deepEqual(segs.map((s) => s.data.toString()), ["a"], "b and c wait for the ACK");
  peer.send({ seq: PEER_ISN + 1, ack: iss + 2, flags: "A" });
  await peer.run(3);
  segs = peer.take().filter((s) => s.data.length > 0);
  assert.deepEqual(segs.map((s) => s.data.toString()), ["bc"]);
  socket.setNoDelay(true);
  socket.write("d");
  await peer.run(1);
  socket.write("e");
  await peer.run(3);
  segs = peer.take().filter((s) => s.data.length > 0);
  assert.deepEqual(segs.map((s) => s.data.toString()), ["d", "e"]);
});

test("a zero window is probed with backed-off probes until it opens", async () => {
  const { peer, socket, iss } = await established({ tcp: { minRto: 200 } });
  socket.write("z".repeat(1000));
  await peer.run(3);
  peer.take();
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1001, flags: "A", window: 0 });
  await peer.run(3);
  socket.write("more");
  await peer.run(3000);
  const probes = peer.take();
  assert.ok(probes.length >= 3 && probes.length <= 5, `${probes.length} probes`);
  for (const p of probes) { assert.equal(p.data.length, 0); assert.equal(p.seq, iss + 1000); }
  const gaps = probes.slice(1).map((p, i) => p.at - probes[i]!.at);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]! * 2 - 2, `backed off: ${gaps}`);
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1001, flags: "A", window: 1000 });
  await peer.run(5);
  const data = peer.take().filter((s) => s.data.length > 0);
  assert.equal(data[0]?.data.toString(), "more");
});

test("keep-alive: probes after the idle time at the interval, ETIMEDOUT after the last; an answer keeps it alive", async () => {
  const { peer, socket, iss, errors } = await established({ tcp: { keepAliveInterval: 500, keepAliveProbes: 3 } });
  socket.setKeepAlive(true, 1000);
  const t0 = peer.clock.now();
  await peer.run(1001);
  let probes = peer.take();
  assert.equal(probes.length, 1);
  assert.equal(probes[0]!.seq, iss); // SND.NXT - 1
  assert.ok(Math.abs(probes[0]!.at - t0 - 1001) <= 1);
  peer.send({ seq: PEER_ISN + 1, ack: iss + 1, flags: "A" });
  await peer.run(999);
  assert.equal(peer.take().length, 0, "the answer restarted the idle time");
  await peer.run(1000 + 500 * 3 + 10);
  probes = peer.take();
  assert.equal(probes.length, 3, "keepAliveProbes probes, then the time-out one interval after the last");
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as { code?: string }).code, "ETIMEDOUT");
  assert.equal(peer.stack.tcp.connections.size, 0);
});

test("bounds: out-of-order pieces per connection, and connections per stack", async () => {
  const { peer, socket, iss } = await established({ tcp: { outOfOrderSegments: 4, maxConnections: 2 } });
  const got: Buffer[] = [];
  socket.on("data", (d: Buffer) => got.push(d));
  const a = PEER_ISN + 1;
  // Ten pieces with gaps between them: four are held, six dropped.
  for (let i = 0; i < 10; i++) peer.send({ seq: a + 100 + i * 200, ack: iss + 1, flags: "A", data: Buffer.alloc(100, 65 + i) });
  await peer.run(3);
  const c = peer.connection();
  assert.equal(c.outOfOrder.count, 4);
  assert.equal(c.outOfOrder.bytes, 400);
  assert.equal(peer.stack.stats().drops.tcpOutOfOrderFull, 6);
  // Data beyond the window is never held either.
  peer.send({ seq: a + 10_000_000, ack: iss + 1, flags: "A", data: "far" });
  await peer.run(3);
  assert.equal(c.outOfOrder.count, 4);
  // Filling the first gap delivers the first held piece.
  peer.send({ seq: a, ack: iss + 1, flags: "A", data: Buffer.alloc(100, 48) });
  await peer.run(3);
  assert.equal(Buffer.concat(got).length, 200);
  // One more connection fits (the limit counts every TCB), the next is refused at once.
  peer.stack.createConnection({ host: RawPeer.ip, port: 1 }).on("error", () => undefined);
  const third = peer.stack.createConnection({ host: RawPeer.ip, port: 2 });
  const error = await new Promise<Error & { code?: string }>((r) => third.on("error", r));
  assert.equal(error.code, "ENOBUFS");
});
