/**
 * Node's own http module over the stack (memory link, virtual clock): an http.Server fed with the
 * stack server's connections, and http.request with a createConnection that uses the stack.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { Duplex } from "node:stream";
import { stackPair } from "../testing.js";
import { until } from "./testing.js";

test("Node's http.Server and http.request run over the stack", async () => {
  const { clock, a, b } = stackPair({ delay: 1 });
  const web = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => { body += d.toString(); });
    req.on("end", () => {
      const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("n") ?? 0);
      res.setHeader("content-type", "text/plain");
      res.end(`${req.method} ${req.url} ${body.length}\n${"x".repeat(n)}`);
    });
  });
  const server = b.createServer((socket) => web.emit("connection", socket));
  server.listen(80);
  const results: { status: number; body: string }[] = [];
  // An Agent whose connections are the stack's (an agent ignores a request's createConnection).
  class StackAgent extends http.Agent {
    override createConnection(options: http.ClientRequestArgs): Duplex {
      return a.createConnection({ host: options.host ?? "", port: Number(options.port ?? 80) });
    }
  }
  const agent = new StackAgent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, method = "GET", payload?: string): void => {
    const req = http.request({
      host: "10.0.0.2", port: 80, path, method, agent,
    }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => { body += d.toString(); });
      res.on("end", () => results.push({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", (e) => assert.fail(e));
    req.end(payload);
  };
  get("/?n=5");
  await until(clock, () => results.length === 1, 10_000);
  get("/upload", "POST", "p".repeat(100_000));
  await until(clock, () => results.length === 2, 10_000);
  get("/?n=300000");
  await until(clock, () => results.length === 3, 30_000);
  // Without an agent (the option left out: `agent: false` would make a real one that ignores
  // createConnection): the request's own createConnection, as with net.createConnection.
  const direct = http.request({ host: "10.0.0.2", port: 80, path: "/?n=3", createConnection: () => a.createConnection({ host: "10.0.0.2", port: 80 }) as never }, (res) => {
    let body = "";
    res.on("data", (d: Buffer) => { body += d.toString(); });
    res.on("end", () => results.push({ status: res.statusCode ?? 0, body }));
  });
  direct.end();
  await until(clock, () => results.length === 4, 10_000);
  assert.equal(results[3]!.body, "GET /?n=3 0\nxxx");
  assert.deepEqual(results[0], { status: 200, body: "GET /?n=5 0\nxxxxx" });
  assert.equal(results[1]!.body, "POST /upload 100000\n");
  assert.equal(results[2]!.body.length, "GET /?n=300000 0\n".length + 300_000);
  // Keep-alive: one connection carried the three requests.
  assert.equal(b.stats().counters["tcp.synReceived"], 2, "one for the agent's three requests, one for the direct one");
  agent.destroy();
  web.close();
  await until(clock, () => a.tcp.connections.size === 0 || [...a.tcp.connections.values()].every((c) => c.state === "TIME-WAIT"), 10_000);
});
