/**
 * `read --reassemble`: IP fragments are reassembled (the datagram is shown at the frame that
 * completes it), TCP streams are reassembled, and DNS over TCP (RFC 7766 length-prefixed
 * messages) and HTTP/1 messages are shown at the frame that completes them, even across segments.
 */
import type { CaptureRecord } from "../capture/record.js";
import { dissect, type Packet } from "../packet/packet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import type { AnyProtocol } from "../schema/protocol.js";
import { IpDefragmenter } from "../streams/defrag.js";
import { ipBytes } from "../streams/frames.js";
import { HttpParser, type HttpMessage } from "../streams/http.js";
import { TcpReassembler, type TcpChunk } from "../streams/tcp.js";

/** What reassembly adds to a frame. */
export interface Reassembled {
  /** The reassembled IP datagram, when this frame completed one. */
  packet?: Packet;
  /** Application layers completed by this frame (DNS messages, HTTP messages). */
  layers: { name: string; fields: Record<string, unknown> }[];
  /** The info column for the last of them. */
  info?: string;
  /** A note after the summary (fragments). */
  note?: string;
}

const HTTP_PORTS = new Set([80, 8000, 8008, 8080, 3128]);

interface AppState {
  kind: "dns" | "http" | "none";
  dns: [Uint8Array, Uint8Array];
  http: [HttpParser, HttpParser] | undefined;
}

/** Defragments IP and reassembles TCP while frames are read. */
export class Reassembly {
  private readonly defrag = new IpDefragmenter();
  private readonly tcp = new TcpReassembler();
  private readonly apps = new Map<number, AppState>();
  private readonly dns: AnyProtocol | undefined;

  /** Use the DNS protocol among `protocols`, if there is one. */
  constructor(protocols: readonly AnyProtocol[]) {
    this.dns = protocols.find((p) => p.name === "DNS");
  }

  /** Feed one frame; return what reassembly adds to it. */
  push(r: CaptureRecord, p: Packet, n: number): Reassembled | undefined {
    const out: Reassembled = { layers: [] };
    let packet = p;
    const ip = ipBytes(p);
    if (ip !== undefined) {
      const d = this.defrag.push(ip, r.time, n);
      if (d.kind === "held") out.note = "[IP fragment]";
      else if (d.kind === "dropped") out.note = `[IP fragment dropped: ${d.reason}]`;
      else if (d.kind === "reassembled") {
        packet = dissect(d.datagram, d.version === 4 ? IPv4 : IPv6);
        out.packet = packet;
        out.note = `[reassembled from frames ${d.frames.join(", ")}]`;
      }
      if (d.kind === "held" || d.kind === "dropped") return out;
    }
    const t = this.tcp.push(packet, n, r.time);
    if (t !== undefined && t.delivered.length > 0) {
      const s = t.connection.stream;
      let app = this.apps.get(s.index);
      if (app === undefined) {
        const ports = [s.client.port, s.server.port];
        const kind = ports.includes(53) ? "dns" : ports.some((x) => HTTP_PORTS.has(x)) || looksHttp(t.delivered[0]!) ? "http" : "none";
        app = { kind, dns: [new Uint8Array(0), new Uint8Array(0)], http: kind === "http" ? [new HttpParser("request"), new HttpParser("response")] : undefined };
        this.apps.set(s.index, app);
      }
      for (const c of t.delivered) this.app(app, c, out);
    }
    for (const s of t?.ended ?? []) this.apps.delete(s.index);
    return out.layers.length || out.packet !== undefined || out.note !== undefined ? out : undefined;
  }

  private app(app: AppState, c: TcpChunk, out: Reassembled): void {
    if (app.kind === "dns") {
      let buf = concat(app.dns[c.direction], c.data);
      while (buf.length >= 2) {
        const len = (buf[0]! << 8) | buf[1]!;
        if (buf.length < 2 + len) break;
        const msg = buf.slice(2, 2 + len);
        buf = buf.subarray(2 + len);
        if (this.dns === undefined) {
          out.layers.push({ name: "DNS", fields: { length: len } });
          out.info = `DNS message of ${len} byte(s)`;
          continue;
        }
        const q = dissect(msg, this.dns);
        const j = q.toJSON();
        out.layers.push(...j.layers);
        const first = q.layers()[0];
        if (first !== undefined) out.info = first.summary().replace(/^DNS\s*/, "");
      }
      app.dns[c.direction] = buf.slice();
    } else if (app.kind === "http" && app.http !== undefined) {
      const [req, res] = app.http;
      const done = c.direction === 0 ? req.push(c.data) : res.push(c.data);
      for (const m of done) {
        if (m.kind === "request") res.methods.push(m.method);
        out.layers.push({ name: "HTTP", fields: httpFields(m) });
        out.info = m.kind === "request" ? `${m.method} ${m.target} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
      }
    }
  }
}

function httpFields(m: HttpMessage): Record<string, unknown> {
  const head = m.kind === "request" ? { method: m.method, target: m.target, version: m.version } : { version: m.version, status: m.status, reason: m.reason };
  return { ...head, headers: m.headers.map(([k, v]) => [k, v]), bodyLength: m.body.length };
}

function looksHttp(c: TcpChunk): boolean {
  const head = Buffer.from(c.data.subarray(0, 8)).toString("latin1");
  return /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|HTTP\/1)/.test(head);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
