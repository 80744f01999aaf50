/**
 * `wirecraft shell`: a Node REPL with the whole API and every protocol in scope, completing
 * protocol names, layer fields (`pkt.layer(IPv4).<TAB>`, through Node's own completion) and the
 * field names inside a layer's values (`IPv4({ t<TAB>` → tos, totalLength, ttl).
 */
import repl from "node:repl";
import * as api from "../index.js";
import * as streams from "../streams/index.js";
import * as filter from "../filter/index.js";
import type { AnyProtocol } from "../schema/protocol.js";
import { parseCommand } from "./args.js";
import { loadProtocols } from "./registry.js";

export const SHELL_HELP = `Usage: wirecraft shell [options]

An interactive Node REPL with the wirecraft API in scope (packet, dissect, readPcap, bind,
defineProtocol, tcpStreams, compileFilter…) and every protocol (IPv4, UDP, TCP, DNS…).
TAB completes protocol names, a layer's fields (p.layer(IPv4).<TAB>) and field names
inside a layer's values (IPv4({ t<TAB> gives tos, totalLength, ttl)). Top-level await works.

Options:
  -l, --load MODULE      import a compiled ES module defining protocols (repeatable)
  -h, --help             this help

Examples:
  wirecraft shell
  wirecraft> p = packet(IPv4({ dst: "192.0.2.1" }), UDP({ dstPort: 53 }))
  wirecraft> dissect(p.bytes(), IPv4).show()
  wirecraft> for await (const r of readPcap("test/fixtures/loopback-ping.pcap")) console.log(r.time)
`;

/**
 * Complete a field name inside a protocol call's values: for `IPv4({ ttl: 3, t` return the
 * fields of IPv4 starting with "t" and the text being completed; undefined when the line is not
 * inside such a call.
 */
export function completeFieldName(line: string, protocols: ReadonlyMap<string, AnyProtocol>): [string[], string] | undefined {
  const m = /([A-Za-z_][A-Za-z0-9_]*)\(\s*\{([^{}()]*)$/.exec(line);
  if (m === null) return undefined;
  const proto = protocols.get(m[1]!);
  if (proto === undefined) return undefined;
  const inside = m[2]!;
  const word = /(?:^|[,{\s])([A-Za-z_][A-Za-z0-9_]*)$/.exec(inside);
  if (word === null && !/(^|,)\s*$/.test(inside)) return undefined;
  const prefix = word?.[1] ?? "";
  const used = new Set([...inside.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*:/g)].map((x) => x[1]));
  const names = proto.fields.map((f) => f.name).filter((n) => n.startsWith(prefix) && !used.has(n));
  return [names, prefix];
}

/** Run the shell command. */
export async function runShell(args: string[]): Promise<number> {
  const parsed = parseCommand("shell", args, { load: { type: "string", short: "l", multiple: true } } as const, SHELL_HELP);
  if (typeof parsed === "number") return parsed;
  const protocols = await loadProtocols(parsed.values.load ?? []);
  const byName = new Map(protocols.map((p) => [p.name, p] as const));
  if (process.stdin.isTTY) process.stdout.write(`wirecraft shell — ${protocols.length} protocols in scope; .help for REPL commands, TAB to complete\n`);
  const server = repl.start({ prompt: process.stdin.isTTY ? "wirecraft> " : "", useGlobal: false, ignoreUndefined: true });
  Object.assign(server.context, api, streams, filter);
  for (const p of protocols) server.context[p.name] = p;
  const original = server.completer.bind(server);
  const completer = (line: string, cb: (err: Error | null, result?: [string[], string]) => void): void => {
    const hit = completeFieldName(line, byName);
    if (hit !== undefined && hit[0].length > 0) { cb(null, hit); return; }
    (original as (l: string, c: typeof cb) => void)(line, cb);
  };
  Object.defineProperty(server, "completer", { value: completer, configurable: true, writable: true });
  await new Promise<void>((resolve) => server.on("exit", () => resolve()));
  return 0;
}
