/** `wirecraft read FILE|-`: summary lines, trees, hex dumps or JSON Lines; filter; write kept frames. */
import { PcapWriter } from "../capture/pcap.js";
import { PcapngWriter } from "../capture/pcapng-writer.js";
import type { CaptureRecord } from "../capture/record.js";
import { compileFilter, FilterError, type FilterPredicate } from "../filter/index.js";
import type { Packet } from "../packet/packet.js";
import { hexdump } from "../packet/display.js";
import { formatTime } from "../capture/record.js";
import { intOption, parseCommand, usage } from "./args.js";
import { columnsOf, FrameDissector, openCapture, summaryLine, writeSummaryLine } from "./frames.js";
import { frameJSON, stringifyFrame } from "./json.js";
import { LineOut } from "./out.js";
import { loadProtocols } from "./registry.js";
import { Reassembly } from "./reassemble.js";

export const READ_HELP = `Usage: wirecraft read FILE|- [options]

Print the frames of a pcap or pcapng file ("-" reads stdin): one numbered line per frame with
the time since the first frame, source, destination, protocol, length and a summary.

Options:
  -V, --verbose          print each frame's full field tree
  -x, --hex              print a hex dump of each frame
  -c, --count N          stop after N printed (kept) frames
  -Y, --filter EXPR      keep frames matching EXPR (see docs/filters.md)
  -w, --write OUT        write the kept frames to OUT (pcapng if it ends in .pcapng, else pcap)
      --json             print JSON Lines: one object per frame with every layer's fields
      --reassemble       defragment IP and reassemble TCP: DNS over TCP and HTTP/1 across segments
  -l, --load MODULE      import a compiled ES module defining protocols (repeatable)
      --no-progress      never draw the progress bar (it is drawn only when stderr is a terminal)
  -h, --help             this help

Examples:
  wirecraft read capture.pcap
  wirecraft read capture.pcap -Y 'udp.dstPort in {53, 5353}' -c 10
  wirecraft read capture.pcap -Y 'tcp && ip.dst == 10.0.0.2' -w web.pcapng
  tcpdump -i lo -w - | wirecraft read - --json
  wirecraft read escp_test.pcap --load build/examples/escp.js -V
`;

const OPTIONS = {
  verbose: { type: "boolean", short: "V" },
  hex: { type: "boolean", short: "x" },
  count: { type: "string", short: "c" },
  filter: { type: "string", short: "Y" },
  write: { type: "string", short: "w" },
  json: { type: "boolean" },
  reassemble: { type: "boolean" },
  load: { type: "string", short: "l", multiple: true },
  "no-progress": { type: "boolean" },
} as const;

interface Writer {
  write(r: CaptureRecord): Promise<void>;
  close(): Promise<void>;
}

/** Run the read command. */
export async function runRead(args: string[]): Promise<number> {
  const parsed = parseCommand("read", args, OPTIONS, READ_HELP);
  if (typeof parsed === "number") return parsed;
  const { values: o, positionals } = parsed;
  if (positionals.length !== 1) return usage("read", positionals.length ? "give one capture file" : "name a capture file (or - for stdin)", READ_HELP);
  const path = positionals[0]!;
  const limit = intOption(o.count);
  if (limit !== undefined && Number.isNaN(limit)) return usage("read", `-c wants a whole number, got ${JSON.stringify(o.count)}`, READ_HELP);

  let protocols;
  try {
    protocols = await loadProtocols(o.load ?? []);
  } catch (e) {
    process.stderr.write(`wirecraft read: cannot load a module: ${(e as Error).message}\n`);
    return 2;
  }
  let filter: FilterPredicate | undefined;
  if (o.filter !== undefined) {
    try {
      filter = compileFilter(o.filter, protocols);
    } catch (e) {
      if (e instanceof FilterError) {
        process.stderr.write(`wirecraft read: ${e.message}\n${e.pointer()}\n`);
        return 2;
      }
      throw e;
    }
  }

  let writer: Writer | undefined;
  if (o.write !== undefined) {
    writer = /\.pcapng$/i.test(o.write) ? new PcapngWriter(o.write) : new PcapWriter(o.write, { nanosecond: true });
  }
  const out = new LineOut();
  const { records, bar } = await openCapture(path, o["no-progress"] ? undefined : process.stderr);
  const frames = new FrameDissector();
  const reassembly = o.reassemble ? new Reassembly(protocols) : undefined;
  let number = 0;
  let kept = 0;
  let t0: bigint | undefined;
  let code = 0;
  let done = false;
  try {
    // A chunk's records at a time: output waits for the stream (and the next chunk is read) once
    // per batch, not once per frame.
    for await (const batch of records.batches()) {
      for (let k = 0; k < batch.length; k++) {
        const r = batch[k]!;
        number++;
        t0 ??= r.time;
        if (bar !== undefined) { bar.frames = number; bar.tick(); }
        let p: Packet = frames.dissect(r);
        const extra = reassembly?.push(r, p, number);
        if (extra?.packet !== undefined) p = extra.packet;
        if (filter !== undefined && !filter(p, { number, length: r.originalLength, capturedLength: r.data.length })) continue;
        kept++;
        if (writer !== undefined) await writer.write(r);
        else if (o.json) {
          const j = frameJSON(number, r, p);
          if (extra !== undefined) for (const l of extra.layers) j.layers.push(l);
          out.line(stringifyFrame(j));
        } else if (extra === undefined && !o.verbose && !o.hex) {
          writeSummaryLine(out, number, r.time - t0, r.originalLength, columnsOf(p));
        } else {
          const c = columnsOf(p);
          const top = extra?.layers.at(-1);
          const cols = top !== undefined && extra!.info !== undefined ? { ...c, protocol: top.name, info: extra!.info } : c;
          let text = summaryLine(number, r.time - t0, r.originalLength, cols);
          if (extra?.note) text += ` ${extra.note}`;
          if (o.verbose) {
            text = `Frame ${number}: ${r.originalLength} bytes on wire, ${r.data.length} bytes captured, time ${formatTime(r.time)}\n` + p.show();
            if (extra !== undefined) for (const l of extra.layers) text += `###[ ${l.name} (reassembled) ]###\n` + Object.entries(l.fields).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`).join("\n") + "\n";
          }
          if (o.hex) text += "\n" + hexdump(r.data) + "\n";
          out.line(text);
        }
        if (limit !== undefined && kept >= limit) { done = true; break; }
      }
      if (out.full) await out.flush();
      if (done) break;
    }
  } catch (e) {
    if (!(e instanceof Error) || !("code" in e)) throw e;
    await out.flush();
    process.stderr.write(`wirecraft read: ${path}: ${e.message}\n`);
    code = 1;
  } finally {
    bar?.finish();
    await out.flush();
    await writer?.close();
  }
  if (o.write !== undefined) process.stderr.write(`${kept} frame(s) written to ${o.write}\n`);
  return code;
}
