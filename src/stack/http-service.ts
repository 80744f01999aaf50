/**
 * A small HTTP/1.1 server for a stack, like PyTCP's examples: Node's own `http.Server`, fed with the
 * stack's TCP connections (`server.emit("connection", socket)`), so that everything above TCP —
 * parsing, keep-alive, chunking, HEAD — is Node's. It serves an HTML page at `/` and `/bytes/N`:
 * N bytes (at most 1 GiB) of a fixed pattern (`patternBytes`), with Content-Length, streamed with
 * back-pressure.
 *
 *   const http = startHttpService(stack, { port: 80, log: console.log });
 *   // curl http://ADDRESS/bytes/1000000 | sha256sum
 *   http.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { seededRandom } from "../packet/fuzz.js";
import type { Stack } from "./stack.js";

/** The largest N of `/bytes/N` (1 GiB). */
export const MAX_HTTP_BYTES = 1 << 30;

/** Bodies up to this size go with the response head in one write. */
const SMALL_BODY = 16 * 1024;

/** The period of the `/bytes/N` pattern: a prime, so that no power-of-two shift maps it onto itself. */
export const PATTERN_PERIOD = 65521;

let pattern: Buffer | undefined;

/** Return the pattern block that `/bytes/N` repeats (PATTERN_PERIOD seeded random bytes, seed 80). */
export function patternBlock(): Buffer {
  if (pattern === undefined) {
    const random = seededRandom(80);
    pattern = Buffer.alloc(PATTERN_PERIOD);
    for (let i = 0; i < PATTERN_PERIOD; i++) pattern[i] = Math.floor(random() * 256);
  }
  return pattern;
}

/** Return the first `n` bytes `/bytes/N` serves (for checking a download; keep `n` moderate). */
export function patternBytes(n: number): Buffer {
  const block = patternBlock();
  const out = Buffer.alloc(n);
  for (let at = 0; at < n; at += PATTERN_PERIOD) block.copy(out, at, 0, Math.min(PATTERN_PERIOD, n - at));
  return out;
}

/** The part of a TCP socket the service uses (the stack's `TcpSocket` has it). */
export interface ServiceSocket extends Duplex {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  setNoDelay(noDelay?: boolean): unknown;
}

/** The part of a TCP server the services use (the stack's `TcpServer` has it). */
export interface ServiceServer {
  listen(port: number, host?: string): unknown;
  close(): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** A stack with TCP servers (`Stack` once TCP is wired in). */
export interface TcpServing {
  createServer(onConnection: (socket: ServiceSocket) => void): ServiceServer;
}

/** Return the stack as one that serves TCP, or undefined when it has no TCP. */
export function tcpServing(stack: Stack): TcpServing | undefined {
  const s = stack as unknown as Partial<TcpServing>;
  return typeof s.createServer === "function" ? (stack as unknown as TcpServing) : undefined;
}

/** Options of `startHttpService()`. */
export interface HttpServiceOptions {
  /** The port (default 80). */
  readonly port?: number;
  /** One line per request and per connection error. */
  readonly log?: ((line: string) => void) | undefined;
  /** The page's title (default: "wirecraft stack NAME"). */
  readonly title?: string;
}

/** A running HTTP service. */
export interface HttpService {
  /** Node's server (add listeners or routes through its `request` event before any arrive). */
  readonly server: Server;
  /** Requests answered, connections taken, body bytes sent. */
  readonly counters: { requests: number; connections: number; bytes: number };
  close(): void;
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function page(stack: Stack, title: string): string {
  const addrs = stack.addresses().map((a) => `<li><code>${escape(a)}</code></li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
<h1>${escape(title)}</h1>
<p>This page came over wirecraft's userspace TCP/IP stack (MAC <code>${escape(stack.mac)}</code>), served by Node's <code>http</code> module.</p>
<ul>${addrs}</ul>
<p>Data: <a href="/bytes/1000">/bytes/1000</a>, <a href="/bytes/1000000">/bytes/1000000</a>, <a href="/bytes/100000000">/bytes/100000000</a> (N bytes, N &le; ${MAX_HTTP_BYTES}).</p>
</body></html>
`;
}

/** Stream `n` pattern bytes into `res`, waiting for 'drain' when its buffer is full. */
function streamBytes(res: ServerResponse, n: number, sent: (k: number) => void, done: () => void): void {
  const block = patternBlock();
  let at = 0;
  const pump = (): void => {
    while (at < n) {
      const offset = at % PATTERN_PERIOD;
      const k = Math.min(PATTERN_PERIOD - offset, n - at);
      at += k;
      sent(k);
      if (!res.write(block.subarray(offset, offset + k))) { res.once("drain", pump); return; }
    }
    res.end();
    done();
  };
  res.on("close", () => res.off("drain", pump));
  pump();
}

/** Serve HTTP on `stack`'s TCP port (80 by default). Throws when the stack has no TCP. */
export function startHttpService(stack: Stack, options: HttpServiceOptions = {}): HttpService {
  const tcp = tcpServing(stack);
  if (tcp === undefined) throw new TypeError("this stack has no TCP: the HTTP service needs stack.createServer()");
  const port = options.port ?? 80;
  const log = options.log;
  const title = options.title ?? `wirecraft stack ${stack.name}`;
  const counters = { requests: 0, connections: 0, bytes: 0 };
  const server = createServer({ keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    const who = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const url = req.url ?? "/";
    // Small bodies go as strings: Node then writes head and body with one write (one segment).
    const answer = (status: number, type: string, body: string, encoding: "utf8" | "latin1" = "utf8"): void => {
      const length = Buffer.byteLength(body, encoding);
      res.writeHead(status, { "Content-Type": type, "Content-Length": length });
      if (req.method === "HEAD") res.end();
      else res.end(body, encoding);
      if (req.method !== "HEAD") counters.bytes += length;
      log?.(`http: ${req.method} ${url} from ${who}: ${status}, ${length} bytes`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      answer(405, "text/plain", "only GET and HEAD\n");
      return;
    }
    if (url === "/" || url === "/index.html") { answer(200, "text/html; charset=utf-8", page(stack, title)); return; }
    const m = /^\/bytes\/(\d{1,10})$/.exec(url);
    if (m === null) { answer(404, "text/plain", `no ${url} here: try / or /bytes/N\n`); return; }
    const n = Number(m[1]);
    if (n > MAX_HTTP_BYTES) { answer(400, "text/plain", `N is at most ${MAX_HTTP_BYTES}\n`); return; }
    if (n <= SMALL_BODY) { answer(200, "application/octet-stream", patternBlock().toString("latin1", 0, n), "latin1"); return; }
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": n });
    if (req.method === "HEAD" || n === 0) { res.end(); log?.(`http: ${req.method} ${url} from ${who}: 200, ${req.method === "HEAD" ? 0 : n} bytes`); return; }
    streamBytes(res, n, (k) => { counters.bytes += k; }, () => log?.(`http: GET ${url} from ${who}: 200, ${n} bytes`));
  });
  server.on("clientError", (e: Error, socket: Duplex) => {
    log?.(`http: client error: ${e.message}`);
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  const listener = tcp.createServer((socket) => {
    counters.connections++;
    // As net.Server does for http.createServer (noDelay: true): Node writes a response's head and
    // body separately, and Nagle would hold the body for the client's delayed ACK (40 ms on Linux).
    socket.setNoDelay(true);
    socket.on("error", (e: Error) => log?.(`http: connection from ${socket.remoteAddress ?? "?"}: ${e.message}`));
    server.emit("connection", socket);
  });
  listener.on("error", (e) => log?.(`http: ${e.message}`));
  listener.listen(port);
  return {
    server,
    counters,
    close: () => {
      listener.close();
      server.close();
      server.closeAllConnections();
    },
  };
}
