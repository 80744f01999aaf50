/**
 * HTTP/1.0 and HTTP/1.1 messages over a reassembled TCP stream (RFC 9112): request and status
 * lines, headers, and bodies framed by Content-Length, chunked transfer coding, or (responses)
 * the end of the connection. Responses to HEAD and 1xx/204/304 responses have no body.
 */
import type { TcpStream } from "./tcp.js";
import { streamBytes } from "./tcp.js";

/** What requests and responses share. */
interface HttpBase {
  readonly version: string;
  /** Header fields in order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body, de-chunked. */
  body: Uint8Array;
  /** Offset of the message's first byte in its direction's stream. */
  readonly offset: number;
  /** False when the stream ended before the message did. */
  complete: boolean;
}

/** An HTTP request. */
export interface HttpRequest extends HttpBase {
  readonly kind: "request";
  readonly method: string;
  readonly target: string;
}

/** An HTTP response. */
export interface HttpResponse extends HttpBase {
  readonly kind: "response";
  readonly status: number;
  readonly reason: string;
}

/** A request or a response. */
export type HttpMessage = HttpRequest | HttpResponse;

/** A request and its response (undefined when none came). */
export interface HttpExchange {
  readonly request: HttpRequest;
  readonly response: HttpResponse | undefined;
}

const MAX_HEAD = 64 * 1024;
const latin1 = new TextDecoder("latin1");
const REQUEST_LINE = /^([A-Z][A-Z0-9_-]*) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

type Body = { mode: "none" } | { mode: "length"; left: number } | { mode: "chunked"; left: number; trailer: boolean } | { mode: "close" };

/** Return a header's value (case-insensitive name), the last one if repeated. */
export function header(m: HttpMessage, name: string): string | undefined {
  const n = name.toLowerCase();
  let v: string | undefined;
  for (const [k, x] of m.headers) if (k.toLowerCase() === n) v = x;
  return v;
}

/** Parses one direction of HTTP/1 traffic incrementally. */
export class HttpParser {
  private buf = new Uint8Array(0);
  private pos = 0;
  private base = 0;
  private current: HttpMessage | undefined;
  private body: Body = { mode: "none" };
  private parts: Uint8Array[] = [];
  /** Set when the bytes are not HTTP; the parser ignores the rest. */
  error: string | undefined = undefined;
  /** Responses: methods of the requests answered, in order (HEAD responses have no body). */
  readonly methods: string[] = [];

  /** Parse requests (`"request"`) or responses (`"response"`). */
  constructor(readonly kind: "request" | "response") {}

  /** Feed bytes; return the messages they complete. */
  push(bytes: Uint8Array): HttpMessage[] {
    if (this.error !== undefined) return [];
    const rest = this.buf.subarray(this.pos);
    const joined = new Uint8Array(rest.length + bytes.length);
    joined.set(rest);
    joined.set(bytes, rest.length);
    this.base += this.pos;
    this.buf = joined;
    this.pos = 0;
    const out: HttpMessage[] = [];
    for (;;) {
      if (this.current === undefined) {
        if (!this.head()) break;
      }
      if (!this.readBody()) break;
      out.push(this.done());
    }
    return out;
  }

  /** The stream ended: return a message cut short or delimited by the close. */
  end(): HttpMessage[] {
    if (this.current === undefined || this.error !== undefined) return [];
    const m = this.current;
    m.complete = this.body.mode === "close";
    return [this.done()];
  }

  private done(): HttpMessage {
    const m = this.current!;
    m.body = concat(this.parts);
    this.parts = [];
    this.current = undefined;
    return m;
  }

  private head(): boolean {
    const b = this.buf;
    let end = -1;
    let sep = 0;
    for (let i = this.pos; i < b.length; i++) {
      if (b[i] === 0x0a) {
        if (b[i + 1] === 0x0a) { end = i; sep = 2; break; }
        if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) { end = i; sep = 3; break; }
      }
    }
    if (end < 0) {
      if (b.length - this.pos > MAX_HEAD) this.error = "header section longer than 64 KiB";
      else if (b.length - this.pos >= 16 && !/^[A-Z]+ |^HTTP\//.test(latin1.decode(b.subarray(this.pos, this.pos + 16)))) this.error = "not HTTP";
      return false;
    }
    const lines = latin1.decode(b.subarray(this.pos, end)).replace(/\r$/, "").split(/\r?\n/);
    const offset = this.base + this.pos;
    this.pos = end + sep;
    const first = lines.shift() ?? "";
    const headers: [string, string][] = [];
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    const get = (n: string) => headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    const chunked = get("transfer-encoding").some((v) => /(^|,)\s*chunked\s*$/i.test(v));
    const lengthText = get("content-length")[0];
    const length = lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
    if (this.kind === "request") {
      const m = REQUEST_LINE.exec(first);
      if (m === null) { this.error = `not an HTTP request line: ${JSON.stringify(first.slice(0, 80))}`; return false; }
      this.current = { kind: "request", method: m[1]!, target: m[2]!, version: m[3]!, headers, body: new Uint8Array(0), offset, complete: true };
      this.body = chunked ? { mode: "chunked", left: -1, trailer: false } : length !== undefined ? { mode: "length", left: length } : { mode: "none" };
    } else {
      const m = STATUS_LINE.exec(first);
      if (m === null) { this.error = `not an HTTP status line: ${JSON.stringify(first.slice(0, 80))}`; return false; }
      const status = Number(m[2]);
      const method = status >= 200 ? this.methods.shift() : undefined;
      this.current = { kind: "response", version: m[1]!, status, reason: m[3] ?? "", headers, body: new Uint8Array(0), offset, complete: true };
      const empty = method === "HEAD" || status < 200 || status === 204 || status === 304;
      this.body = empty ? { mode: "none" } : chunked ? { mode: "chunked", left: -1, trailer: false } : length !== undefined ? { mode: "length", left: length } : { mode: "close" };
    }
    return true;
  }

  /** Consume body bytes; true when the message is complete. */
  private readBody(): boolean {
    const b = this.buf;
    const body = this.body;
    switch (body.mode) {
      case "none":
        return true;
      case "close":
        if (this.pos < b.length) { this.parts.push(b.slice(this.pos)); this.pos = b.length; }
        return false;
      case "length": {
        const take = Math.min(body.left, b.length - this.pos);
        if (take > 0) this.parts.push(b.slice(this.pos, this.pos + take));
        this.pos += take;
        body.left -= take;
        return body.left === 0;
      }
      case "chunked":
        for (;;) {
          if (body.left > 0) {
            const take = Math.min(body.left, b.length - this.pos);
            this.parts.push(b.slice(this.pos, this.pos + take));
            this.pos += take;
            body.left -= take;
            if (body.left > 0) return false;
            body.left = -2; // the CRLF after the chunk data
          }
          const nl = b.indexOf(0x0a, this.pos);
          if (nl < 0) return false;
          const line = latin1.decode(b.subarray(this.pos, nl)).replace(/\r$/, "");
          this.pos = nl + 1;
          if (body.trailer) {
            if (line === "") return true;
            continue;
          }
          if (body.left === -2) { body.left = -1; continue; }
          const size = parseInt(line.split(";")[0]!.trim(), 16);
          if (Number.isNaN(size)) { this.error = `bad chunk size line ${JSON.stringify(line.slice(0, 40))}`; return false; }
          if (size === 0) body.trailer = true;
          else body.left = size;
        }
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Parse all the messages of one direction's bytes (responses need the request methods for HEAD). */
export function httpMessages(bytes: Uint8Array, kind: "request" | "response", methods: readonly string[] = []): HttpMessage[] {
  const p = new HttpParser(kind);
  p.methods.push(...methods);
  return [...p.push(bytes), ...p.end()];
}

/** Pair the requests and responses of a reassembled TCP stream. */
export function httpExchanges(s: TcpStream): HttpExchange[] {
  const requests = httpMessages(streamBytes(s, 0), "request") as HttpRequest[];
  const responses = httpMessages(streamBytes(s, 1), "response", requests.map((r) => r.method)).filter((r) => r.kind === "response" && r.status >= 200) as HttpResponse[];
  return requests.map((request, i) => ({ request, response: responses[i] }));
}
