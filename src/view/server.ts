/**
 * `wirecraft view --serve`: the page on localhost, its frames fetched by range. The server holds
 * the capture and answers JSON: `api/chunk?start=&end=` (frames), `api/tree?frame=` (a frame's
 * layer tree), `api/diagram?frame=` (its SVG diagram), `api/filter?expr=` (matching frame indices, filtered here with every protocol the
 * command loaded, `--load` modules included) and `api/stream?index=` (a TCP stream's segments).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { compileFilter, FilterError } from "../filter/index.js";
import { createDissector, type Packet } from "../packet/packet.js";
import { protocolForLinkType } from "../capture/link.js";
import { Raw } from "../protocols/raw.js";
import type { AnyProtocol } from "../schema/protocol.js";
import { viewHtml } from "./html.js";
import type { ViewData } from "./model.js";
import { packetTree } from "./tree.js";
import { diagram } from "../diagram/index.js";

/** Most frames one chunk request may ask for. */
const MAX_RANGE = 10_000;

function formatTime(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${s}.${String(us - s * 1e6).padStart(6, "0")}`;
}

/** Serve the viewer for `data` on `host:port` (port 0: any free port); resolves once listening. */
export async function serveView(data: ViewData, protocols: readonly AnyProtocol[], port: number, host = "127.0.0.1"): Promise<{ server: Server; url: string }> {
  const html = viewHtml(data, true);
  const dissectors = new Map<number, { dissect(bytes: Uint8Array): Packet }>();
  const dissect = (i: number): Packet => {
    const link = data.links[i]!;
    let d = dissectors.get(link);
    if (d === undefined) dissectors.set(link, (d = createDissector(protocolForLinkType(link) ?? Raw)));
    return d.dissect(data.frames[i]!);
  };
  const int = (v: string | null, dflt: number): number => {
    const n = v === null ? dflt : Number(v);
    return Number.isInteger(n) ? n : NaN;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    const q = url.searchParams;
    switch (url.pathname) {
      case "/":
      case "/index.html":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(html);
        return;
      case "/api/chunk": {
        const start = int(q.get("start"), 0);
        const end = int(q.get("end"), start + 1000);
        if (Number.isNaN(start) || Number.isNaN(end) || end < start || end - start > MAX_RANGE) return json(400, { message: `start and end are whole numbers, at most ${MAX_RANGE} apart` });
        return json(200, data.chunk(start, end));
      }
      case "/api/tree": {
        const i = int(q.get("frame"), -1);
        if (!(i >= 0 && i < data.count)) return json(404, { message: `no frame ${q.get("frame")}` });
        const r = data.rows[i]!;
        return json(200, packetTree(dissect(i), { number: i + 1, length: r[1], captured: data.frames[i]!.length, time: formatTime(r[0]) }));
      }
      case "/api/diagram": {
        const i = int(q.get("frame"), -1);
        if (!(i >= 0 && i < data.count)) return json(404, { message: `no frame ${q.get("frame")}` });
        res.writeHead(200, { "content-type": "image/svg+xml; charset=utf-8", "cache-control": "no-store" });
        res.end(diagram(dissect(i), { format: "svg" }));
        return;
      }
      case "/api/filter": {
        const expr = q.get("expr") ?? "";
        let test;
        try {
          test = compileFilter(expr, protocols);
        } catch (e) {
          if (e instanceof FilterError) return json(200, { message: e.message, column: e.column });
          throw e;
        }
        const indices: number[] = [];
        for (let i = 0; i < data.count; i++) {
          if (test(dissect(i), { number: i + 1, length: data.rows[i]![1], capturedLength: data.frames[i]!.length })) indices.push(i);
        }
        return json(200, { indices });
      }
      case "/api/stream": {
        const s = data.streams[int(q.get("index"), -1)];
        if (s === undefined) return json(404, { message: `no TCP stream ${q.get("index")}` });
        return json(200, s);
      }
      default:
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${host}:${a.port}/` };
}
