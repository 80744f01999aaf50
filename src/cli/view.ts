/** `wirecraft view FILE`: the capture as a self-contained HTML page, written to a file or served on localhost. */
import { writeFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { intOption, parseCommand, usage } from "./args.js";
import { loadProtocols } from "./registry.js";

export const VIEW_HELP = `Usage: wirecraft view FILE|- [options]

Make a capture viewer: one self-contained HTML page (no external URL) with the packet list (the
columns of wirecraft read), the filter language of wirecraft read --filter, the selected frame's
layer tree and bytes (a field's bytes highlighted), conversations, the protocol hierarchy, and
TCP time/sequence (Stevens) and throughput graphs. Large captures stay responsive: the list draws
only the rows in sight and frames are decoded a chunk at a time.

Written as a file, the page filters in the browser with the built-in protocols. Served, the page
fetches frames by range and the server filters and dissects, with --load modules too.

Options:
  -o, --output OUT.html  where to write the page (default: FILE's name with .html in the current
                         folder; capture.html for - (stdin))
      --serve            serve the page on http://127.0.0.1:PORT/ instead of writing it (Ctrl-C stops)
      --port N           the port to serve on (default 8080; 0 picks a free one)
  -l, --load MODULE      import a compiled ES module defining protocols (repeatable)
  -h, --help             this help

Examples:
  wirecraft view capture.pcap                  # writes capture.html
  wirecraft view capture.pcapng -o /tmp/v.html
  wirecraft view big.pcap --serve --port 8080
`;

const OPTIONS = {
  output: { type: "string", short: "o" },
  serve: { type: "boolean" },
  port: { type: "string" },
  load: { type: "string", short: "l", multiple: true },
} as const;

/** Run the view command. */
export async function runView(args: string[]): Promise<number> {
  const parsed = parseCommand("view", args, OPTIONS, VIEW_HELP);
  if (typeof parsed === "number") return parsed;
  const { values: o, positionals } = parsed;
  if (positionals.length !== 1) return usage("view", "name one capture file", VIEW_HELP);
  const path = positionals[0]!;
  const port = intOption(o.port) ?? 8080;
  if (Number.isNaN(port) || port > 65535) return usage("view", `--port wants a port number, got ${JSON.stringify(o.port)}`, VIEW_HELP);
  if (o.port !== undefined && !o.serve) return usage("view", "--port goes with --serve", VIEW_HELP);
  if (o.output !== undefined && o.serve) return usage("view", "give either -o or --serve", VIEW_HELP);
  let protocols;
  try {
    protocols = await loadProtocols(o.load ?? []);
  } catch (e) {
    process.stderr.write(`wirecraft view: cannot load a module: ${(e as Error).message}\n`);
    return 2;
  }
  const { loadView } = await import("../view/model.js");
  const { viewHtml } = await import("../view/html.js");
  let data;
  try {
    data = await loadView(path, path === "-" ? "stdin" : basename(path));
  } catch (e) {
    if (!(e instanceof Error) || !("code" in e)) throw e;
    process.stderr.write(`wirecraft view: ${path}: ${e.message}\n`);
    return 1;
  }
  if (o.serve) {
    const { serveView } = await import("../view/server.js");
    let served;
    try {
      served = await serveView(data, protocols, port);
    } catch (e) {
      process.stderr.write(`wirecraft view: cannot listen on port ${port}: ${(e as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`Serving ${data.count} frames of ${path} on ${served.url} (Ctrl-C stops)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        served.server.close();
        served.server.closeAllConnections();
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  }
  if (o.load?.length) process.stderr.write("wirecraft view: the written page filters and dissects with the built-in protocols; serve it (--serve) to use --load modules there too\n");
  const out = o.output ?? (path === "-" ? "capture.html" : `${basename(path, extname(path))}.html`);
  const html = viewHtml(data, false);
  writeFileSync(out, html);
  process.stdout.write(`${out}: ${data.count} frames, ${(html.length / 1024).toFixed(0)} KiB\n`);
  return 0;
}
