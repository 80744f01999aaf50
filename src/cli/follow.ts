/** `wirecraft follow FILE N`: print TCP stream N like Wireshark's "Follow TCP Stream". */
import { TcpReassembler, type TcpStream } from "../streams/tcp.js";
import { dissectFrames } from "../streams/frames.js";
import { httpExchanges } from "../streams/http.js";
import { parseCommand, usage } from "./args.js";
import { openCapture } from "./frames.js";
import { loadProtocols } from "./registry.js";

export const FOLLOW_HELP = `Usage: wirecraft follow FILE|- N [options]

Reassemble TCP stream N (0-based, numbered in order of first segment like Wireshark's
tcp.stream) and print both directions' bytes in the order they were delivered, like
"Follow TCP Stream" (tshark -z follow,tcp,ascii,N). Lines from the server are marked with a tab
before the byte count. Retransmissions, out-of-order segments, overlaps and gaps are handled
and reported on stderr.

Options:
      --raw              print each chunk as hex instead of text (tshark -z follow,tcp,raw,N)
      --json             print the stream as JSON: endpoints, counters, gaps, chunks and HTTP exchanges
  -l, --load MODULE      import a compiled ES module defining protocols (repeatable)
  -h, --help             this help

Examples:
  wirecraft follow capture.pcap 0
  wirecraft follow capture.pcap 3 --raw
  wirecraft follow capture.pcap 0 --json | jq '.http[0].request'
`;

const OPTIONS = {
  raw: { type: "boolean" },
  json: { type: "boolean" },
  load: { type: "string", short: "l", multiple: true },
} as const;

const RULE = "===================================================================";

function endpoint(e: { address: string; port: number }): string {
  return e.address.includes(":") ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Return a stream as tshark's follow output prints it, `ascii` or `raw`. */
export function followText(s: TcpStream, mode: "ascii" | "raw"): string {
  let out = `\n${RULE}\nFollow: tcp,${mode}\nFilter: tcp.stream eq ${s.index}\nNode 0: ${endpoint(s.client)}\nNode 1: ${endpoint(s.server)}\n`;
  for (const c of s.chunks) {
    const tab = c.direction === 1 ? "\t" : "";
    if (mode === "raw") {
      out += `${tab}${Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).toString("hex")}\n`;
      continue;
    }
    let text = "";
    for (const b of c.data) text += b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : ".";
    out += `${tab}${c.data.length}\n${text}\n`;
  }
  return out + RULE + "\n";
}

/** Run the follow command. */
export async function runFollow(args: string[]): Promise<number> {
  const parsed = parseCommand("follow", args, OPTIONS, FOLLOW_HELP);
  if (typeof parsed === "number") return parsed;
  const { values: o, positionals } = parsed;
  if (positionals.length !== 2 || !/^\d+$/.test(positionals[1]!)) return usage("follow", "give a capture file and a stream number", FOLLOW_HELP);
  const [path, nText] = positionals as [string, string];
  const wanted = Number(nText);
  await loadProtocols(o.load ?? []);
  const { records, bar } = await openCapture(path, process.stderr);
  const tcp = new TcpReassembler();
  let found: TcpStream | undefined;
  let total = 0;
  let code = 0;
  try {
    for await (const f of dissectFrames(records)) {
      if (bar !== undefined) { bar.frames = f.number; bar.tick(); }
      if (f.fragment !== undefined) continue;
      const r = tcp.push(f.packet, f.number, f.record.time);
      if (r === undefined) continue;
      found = r.ended.find((s) => s.index === wanted);
      if (found !== undefined) break;
    }
  } catch (e) {
    if (!(e instanceof Error) || !("code" in e)) throw e;
    process.stderr.write(`wirecraft follow: ${path}: ${e.message}\n`);
    code = 1;
  } finally {
    bar?.finish();
  }
  if (found === undefined) {
    const rest = tcp.flush();
    found = rest.find((s) => s.index === wanted);
    total = Math.max(total, ...rest.map((s) => s.index + 1), 0);
  }
  if (found === undefined) {
    process.stderr.write(`wirecraft follow: ${path} has no TCP stream ${wanted}\n`);
    return 1;
  }
  const s = found;
  if (o.json) {
    const hex = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("hex");
    const text = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("latin1");
    process.stdout.write(JSON.stringify({
      index: s.index, client: s.client, server: s.server, firstFrame: s.firstFrame, lastFrame: s.lastFrame,
      synSeen: s.synSeen, fin: s.fin, reset: s.reset, retransmissions: s.retransmissions, outOfOrder: s.outOfOrder,
      overlaps: s.overlaps, conflicts: s.conflicts, gaps: s.gaps,
      chunks: s.chunks.map((c) => ({ direction: c.direction, offset: c.offset, frame: c.frame, data: hex(c.data) })),
      http: httpExchanges(s).map((x) => ({
        request: { method: x.request.method, target: x.request.target, version: x.request.version, headers: x.request.headers, body: text(x.request.body) },
        response: x.response && { status: x.response.status, reason: x.response.reason, version: x.response.version, headers: x.response.headers, body: text(x.response.body), complete: x.response.complete },
      })),
    }) + "\n");
  } else {
    process.stdout.write(followText(s, o.raw ? "raw" : "ascii"));
  }
  const notes: string[] = [];
  if (s.retransmissions) notes.push(`${s.retransmissions} retransmission(s)`);
  if (s.outOfOrder) notes.push(`${s.outOfOrder} out-of-order segment(s)`);
  if (s.overlaps) notes.push(`${s.overlaps} overlap(s)${s.conflicts ? `, ${s.conflicts} with different bytes (first kept)` : ""}`);
  for (const g of s.gaps) notes.push(`gap of ${g.length} byte(s) at offset ${g.offset} from node ${g.direction}`);
  if (notes.length) process.stderr.write(`wirecraft follow: stream ${s.index}: ${notes.join("; ")}\n`);
  return code;
}
