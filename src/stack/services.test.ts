/**
 * The stack's services on a memory link with the virtual clock: TCP echo, discard, daytime and
 * chargen (RFC 864 pattern, back-pressure when the client stops reading), UDP chargen, and the
 * HTTP service through Node's own `http.request` with a `createConnection` from the other stack.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request, Agent, type IncomingMessage } from "node:http";
import { createHash } from "node:crypto";
import { seededRandom } from "../packet/fuzz.js";
import { stackPair, settle } from "./testing.js";
import { startServices } from "./services.js";
import { chargenCycle, CHARGEN_LINE } from "./tcp-services.js";
import { MAX_HTTP_BYTES, patternBytes } from "./http-service.js";
import type { Stack } from "./stack.js";
import type { VirtualClock } from "./clock.js";

const FIXED = new Date(Date.UTC(2026, 10, 23, 1, 2, 3));

/** Collect everything a socket sends until it ends. */
function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("end", () => resolve(Buffer.concat(parts)));
    s.on("error", reject);
  });
}

/** Run the virtual clock for `ms`, letting stream callbacks run between steps. */
async function run(clock: VirtualClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await new Promise<void>((r) => setImmediate(r));
  }
}

function randomBytes(n: number, seed: number): Buffer {
  const r = seededRandom(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function services(b: Stack, names: Parameters<typeof startServices>[1]) {
  const lines: string[] = [];
  return { lines, s: startServices(b, names, (l) => lines.push(l), () => FIXED) };
}

test("TCP echo sends back every byte (200 KB, byte-exact), then closes after the client's FIN", async () => {
  const { clock, a, b } = stackPair();
  const { s, lines } = services(b, ["echo"]);
  assert.deepEqual(s.running, ["echo/udp", "echo/tcp"]);
  const data = randomBytes(200_000, 7);
  const sock = await settle(clock, a.connect({ host: "10.0.0.2", port: 7 }));
  const back = readAll(sock);
  sock.end(data);
  const got = await settle(clock, back);
  assert.equal(got.length, data.length);
  assert.ok(got.equals(data));
  assert.equal(s.tcp.echo.bytesIn, data.length);
  assert.equal(s.tcp.echo.connections, 1);
  assert.ok(lines.some((l) => /^echo\/tcp: connection from 10\.0\.0\.1:\d+$/.test(l)), lines.join("\n"));
  s.close();
});

test("TCP discard counts and drops; daytime sends the date and closes", async () => {
  const { clock, a, b } = stackPair();
  const { s } = services(b, ["discard", "daytime"]);
  const d = await settle(clock, a.connect({ host: "10.0.0.2", port: 9 }));
  const nothing = readAll(d);
  d.end(randomBytes(100_000, 9));
  assert.equal((await settle(clock, nothing)).length, 0);
  assert.equal(s.tcp.discard.bytesIn, 100_000);
  const t = await settle(clock, a.connect({ host: "10.0.0.2", port: 13 }));
  const text = await settle(clock, readAll(t));
  assert.equal(text.toString(), "Mon, 23 Nov 2026 01:02:03 GMT\r\n");
  s.close();
});

test("chargen: RFC 864's rotating 72-character lines; a client that stops reading stops the writer", async () => {
  const { clock, a, b } = stackPair({ delay: 1 }); // chargen never stops: a link without delay would carry it forever in no time
  const { s } = services(b, ["chargen"]);
  const c = chargenCycle();
  assert.equal(c.length, 95 * 74);
  assert.equal(c.subarray(0, 74).toString(), `${Array.from({ length: 72 }, (_, j) => String.fromCharCode(32 + j)).join("")}\r\n`);
  assert.equal(c.subarray(74, 74 + 72).toString()[0], "!");
  const sock = await settle(clock, a.connect({ host: "10.0.0.2", port: 19 }));
  const parts: Buffer[] = [];
  let got = 0;
  let paused = false;
  await settle(clock, new Promise<void>((resolve) => {
    sock.on("data", (d: Buffer) => { parts.push(d); got += d.length; if (got >= 30_000 && !paused) { paused = true; sock.pause(); resolve(); } });
  }));
  const text = Buffer.concat(parts).toString("latin1");
  const lines = text.split("\r\n").slice(0, -1);
  assert.ok(lines.length > 300);
  for (const [i, line] of lines.entries()) {
    assert.equal(line.length, CHARGEN_LINE, `line ${i}`);
    assert.equal(line.charCodeAt(0), 32 + (i % 95), `line ${i} starts one character later`);
  }
  // Paused: the server may only fill the buffers between us, not write forever.
  await run(clock, 2000);
  const sentWhilePaused = s.tcp.chargen.bytesOut;
  await run(clock, 5000, 100);
  assert.equal(s.tcp.chargen.bytesOut, sentWhilePaused, "no writes while the client does not read");
  assert.ok(sentWhilePaused < got + 4 * 1024 * 1024, `bounded: ${sentWhilePaused}`);
  sock.resume();
  await run(clock, 20, 1);
  assert.ok(s.tcp.chargen.bytesOut > sentWhilePaused, "resumes when the client reads");
  sock.destroy();
  await run(clock, 100);
  const after = s.tcp.chargen.bytesOut;
  await run(clock, 500, 50);
  assert.equal(s.tcp.chargen.bytesOut, after, "stops when the client goes");
  s.close();
});

test("UDP chargen answers a datagram with 512 characters of the pattern", async () => {
  const { clock, a, b } = stackPair();
  const { s } = services(b, ["chargen"]);
  const u = a.createSocket("udp4");
  const reply = new Promise<Buffer>((resolve) => u.on("message", (m) => resolve(m)));
  u.send("", 19, "10.0.0.2");
  const m = await settle(clock, reply);
  assert.equal(m.length, 512);
  assert.ok(m.equals(chargenCycle().subarray(0, 512)));
  assert.equal(s.handled.chargen, 1);
  u.close();
  s.close();
});

/** One HTTP request through Node's http client over stack `a`; resolves with the response and body. */
function get(clock: VirtualClock, a: Stack, path: string, options: { method?: string; agent?: Agent } = {}): Promise<{ res: IncomingMessage; body: Buffer }> {
  const p = new Promise<{ res: IncomingMessage; body: Buffer }>((resolve, reject) => {
    const req = request({
      host: "10.0.0.2", port: 80, path, method: options.method ?? "GET",
      ...(options.agent ? { agent: options.agent } : { createConnection: () => a.createConnection({ host: "10.0.0.2", port: 80 }) }),
    }, (res) => { readAll(res).then((body) => resolve({ res, body }), reject); });
    req.on("error", reject);
    req.end();
  });
  return settle(clock, p);
}

test("HTTP over the stack with Node's http client: the page, /bytes/N byte-exact, HEAD, 404, 400, 405", async () => {
  const { clock, a, b } = stackPair();
  const { s, lines } = services(b, ["http"]);
  assert.deepEqual(s.running, ["http/tcp"]);
  const page = await get(clock, a, "/");
  assert.equal(page.res.statusCode, 200);
  assert.match(String(page.res.headers["content-type"]), /^text\/html/);
  assert.equal(Number(page.res.headers["content-length"]), page.body.length);
  assert.match(page.body.toString(), /<h1>wirecraft stack b<\/h1>/);
  assert.match(page.body.toString(), /10\.0\.0\.2\/24/);
  const n = 300_007;
  const bytes = await get(clock, a, `/bytes/${n}`);
  assert.equal(bytes.res.statusCode, 200);
  assert.equal(Number(bytes.res.headers["content-length"]), n);
  assert.equal(createHash("sha256").update(bytes.body).digest("hex"), createHash("sha256").update(patternBytes(n)).digest("hex"));
  const head = await get(clock, a, "/bytes/5000", { method: "HEAD" });
  assert.equal(head.res.statusCode, 200);
  assert.equal(head.res.headers["content-length"], "5000");
  assert.equal(head.body.length, 0);
  assert.equal((await get(clock, a, "/nothing")).res.statusCode, 404);
  assert.equal((await get(clock, a, `/bytes/${MAX_HTTP_BYTES + 1}`)).res.statusCode, 400);
  assert.equal((await get(clock, a, "/", { method: "POST" })).res.statusCode, 405);
  assert.ok(lines.some((l) => /^http: GET \/bytes\/300007 from 10\.0\.0\.1:\d+: 200, 300007 bytes$/.test(l)), lines.join("\n"));
  s.close();
});

test("HTTP keep-alive: several requests over one stack connection (an Agent whose createConnection is the stack's)", async () => {
  const { clock, a, b } = stackPair();
  const { s } = services(b, ["http"]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  (agent as unknown as { createConnection: typeof a.createConnection }).createConnection = (o: { host?: string; port?: number }) =>
    a.createConnection({ host: o.host ?? "10.0.0.2", port: o.port ?? 80 });
  for (let i = 0; i < 5; i++) {
    const r = await get(clock, a, `/bytes/${1000 * (i + 1)}`, { agent });
    assert.equal(r.body.length, 1000 * (i + 1));
  }
  assert.equal(s.tcp.http.connections, 1, "one connection carried all five");
  agent.destroy();
  s.close();
});
