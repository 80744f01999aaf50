/**
 * TCP over two stacks on a memory link, virtual clock: handshake, data both ways, orderly close.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { stackPair, settle, flush } from "../testing.js";
import type { TcpSocket } from "./socket.js";

test("connect, exchange data both ways, close in order", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  const received: Buffer[] = [];
  let serverSocket: TcpSocket | undefined;
  const server = b.createServer((s) => {
    serverSocket = s;
    s.on("data", (d: Buffer) => { received.push(d); s.write(d.toString().toUpperCase()); });
    s.on("end", () => s.end());
  });
  server.listen(7);
  await flush();
  const client = await settle(clock, a.connect({ host: "10.0.0.2", port: 7 }));
  assert.equal(client.remoteAddress, "10.0.0.2");
  assert.equal(client.remotePort, 7);
  assert.equal(client.localAddress, "10.0.0.1");
  assert.equal(client.remoteFamily, "IPv4");
  const echoed: Buffer[] = [];
  client.on("data", (d: Buffer) => echoed.push(d));
  const closed = new Promise<void>((r) => client.on("close", () => r()));
  client.write("hello tcp");
  await settle(clock, new Promise<void>((r) => { const t = setInterval(() => { if (Buffer.concat(echoed).length >= 9) { clearInterval(t); r(); } }, 1); }));
  assert.equal(Buffer.concat(echoed).toString(), "HELLO TCP");
  assert.equal(Buffer.concat(received).toString(), "hello tcp");
  const info = client.tcpInfo()!;
  assert.equal(info.state, "ESTABLISHED");
  assert.equal(info.sack, true);
  assert.equal(info.timestamps, true);
  assert.equal(info.mss, 1460);
  assert.ok(info.srtt !== undefined);
  client.end();
  await settle(clock, closed);
  assert.equal(client.tcpInfo()!.state, "TIME-WAIT");
  assert.ok(serverSocket !== undefined);
  assert.equal(client.bytesWritten, 9);
  assert.equal(client.bytesRead, 9);
});
