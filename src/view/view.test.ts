// The viewer's data (rows, chunks, streams), its HTML and the --serve endpoints, checked in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPcapSync } from "../capture/pcap.js";
import { compileFilter } from "../filter/index.js";
import { dissect } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { loadProtocols } from "../cli/registry.js";
import { ROOT, wirecraft } from "../cli/testing.js";
import { viewHtml } from "./html.js";
import { CHUNK_SIZE, loadView, type Chunk } from "./model.js";
import { serveView } from "./server.js";
import { packetTree, type TreeNode } from "./tree.js";

const STREAMS = `${ROOT}test/fixtures/streams.pcap`;

function readLines(args: string[]): string[] {
  const r = wirecraft(["read", STREAMS, "--no-progress", ...args]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split("\n").filter((l) => l !== "");
}

/** Rebuild `wirecraft read`'s line from a row, as the page shows it. */
function lineOf(number: number, row: readonly [number, number, string, string, string, string, number]): string {
  const [us, length, protocol, source, destination, info] = row;
  const time = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`;
  const addr = source || destination ? `${source.padStart(15)} → ${destination.padEnd(15)}` : " ".repeat(33);
  return `${String(number).padStart(5)} ${time.padStart(11)} ${addr} ${protocol} ${length}${info ? " " + info : ""}`;
}

test("view: rows carry the columns wirecraft read prints, and chunks carry the frames' bytes", async () => {
  const data = await loadView(STREAMS);
  const lines = readLines([]);
  assert.equal(data.count, 91);
  assert.equal(lines.length, 91);
  data.rows.forEach((r, i) => assert.equal(lineOf(i + 1, r), lines[i]));
  const records = [...readPcapSync(readFileSync(STREAMS))];
  const c: Chunk = data.chunk(10, 20);
  assert.equal(c.first, 10);
  assert.equal(c.rows.length, 10);
  const bytes = Buffer.from(c.bytes, "base64");
  for (let j = 0; j < 10; j++) assert.deepEqual(new Uint8Array(bytes.subarray(c.offsets[j], c.offsets[j + 1])), new Uint8Array(records[10 + j]!.data));
  assert.equal(data.chunk(90, 500).rows.length, 1);
  assert.equal(data.chunk(500, 600).rows.length, 0);
});

test("view: TCP streams hold every segment, with sequence numbers relative to the first", async () => {
  const data = await loadView(STREAMS);
  const protocols = await loadProtocols();
  const tcp = compileFilter("tcp", protocols);
  const records = [...readPcapSync(readFileSync(STREAMS))];
  const tcpFrames = records.map((r, i) => (tcp(dissect(r.data, Ethernet)) ? i : -1)).filter((i) => i >= 0);
  const all = data.streams.flatMap((s) => s.frame).sort((a, b) => a - b);
  assert.deepEqual(all, tcpFrames);
  // Each row names its stream.
  data.streams.forEach((s) => s.frame.forEach((f) => assert.equal(data.rows[f]![6], s.index)));
  assert.equal(data.rows.filter((r) => r[6] >= 0).length, tcpFrames.length);
  const s0 = data.streams[0]!;
  assert.deepEqual([s0.a, s0.b], ["10.78.0.1:41970", "10.78.0.2:8080"]);
  assert.equal(s0.frame.length, readLines(["-Y", "tcp.srcPort == 41970 || tcp.dstPort == 41970"]).length);
  // The SYN is 0, the request's first byte 1; the server's bytes add up to its last sequence number.
  assert.equal(s0.seq[0], 0);
  assert.equal(s0.seq[s0.dir.indexOf(0, 1) + 1], 1);
  const server = s0.dir.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  const sent = server.reduce((n, i) => n + s0.len[i]!, 0);
  const fin = server.at(-2)!; // the FIN, before the last ACK
  assert.equal(s0.seq[fin], sent + 1);
  assert.ok(s0.ack.every((a) => a >= -1));
});

test("view: the page is self-contained, with every chunk and the engine inlined", async () => {
  const data = await loadView(STREAMS);
  const html = viewHtml(data, false);
  assert.doesNotMatch(html, /\b(src|href)=["']?(https?:)?\/\//i, "no external URL");
  assert.doesNotMatch(html, /<link\b/i);
  const chunks = [...html.matchAll(/<script type="application\/json" id="wc-chunk-(\d+)">/g)];
  assert.equal(chunks.length, Math.ceil(data.count / CHUNK_SIZE));
  const meta = JSON.parse(/<script type="application\/json" id="wc-meta">(.*?)<\/script>/s.exec(html)![1]!);
  assert.equal(meta.count, 91);
  assert.equal(meta.served, false);
  assert.ok(meta.conversations.TCP.length >= 3);
  assert.equal(viewHtml(data, true).includes('id="wc-chunk-0"'), false, "a served page fetches its frames");
});

test("view: the page's engine imports every protocol module the command knows", () => {
  // The page bundles src/view/page/engine.ts; a protocol file it misses would filter and dissect
  // differently in the page than in `wirecraft read`.
  const engine = readFileSync(`${ROOT}src/view/page/engine.ts`, "utf8");
  const helpers = new Set(["all-link-network.ts", "dns-data.ts", "dns-name.ts"]);
  const modules = readdirSync(`${ROOT}src/protocols`).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !helpers.has(f));
  for (const m of modules) assert.ok(engine.includes(`"../../protocols/${m.replace(/\.ts$/, ".js")}"`), `engine.ts does not import ${m}`);
});

test("view: a frame's tree gives each field its bytes", () => {
  const records = [...readPcapSync(readFileSync(STREAMS))];
  const p = dissect(records[6]!.data, Ethernet);
  const tree = packetTree(p, { number: 7, length: 153, captured: 153, time: "0.618881" });
  assert.deepEqual(tree.map((n) => n.label), ["Frame 7: 153 bytes on wire, 153 bytes captured", "Ethernet 22:2e:5a:ee:d1:c7 > de:69:ac:20:e3:9e", "IPv4 10.78.0.1 > 10.78.0.2", "TCP 41970 > 8080 PA", "Raw 87 byte(s) 474554202f706167…"]);
  const ip = tree[2]!;
  const find = (n: TreeNode, label: string): TreeNode => n.children!.find((c) => c.label.endsWith(label))!;
  assert.deepEqual([ip.start, ip.end], [14, 34]);
  const ttl = find(ip, "ttl: 64");
  assert.deepEqual([ttl.start, ttl.end], [22, 23]);
  assert.equal(p.layer(IPv4)!.ttl, records[6]!.data[22]);
  const frag = find(ip, "fragmentOffset: 0");
  assert.deepEqual([frag.start, frag.end, frag.bitStart, frag.bits], [20, 22, 20 * 8 + 3, 13]);
  assert.match(frag.label, /^\.\.\.x xxxx xxxx xxxx fragmentOffset: 0$/);
  const tcp = tree[3]!;
  const opts = find(tcp, "options: 3 item(s)");
  assert.equal(opts.children!.length, 3);
  assert.deepEqual([opts.start, opts.end], [54, 66]);
});

test("view --serve: chunks, trees, filters and streams as JSON", async () => {
  const data = await loadView(STREAMS);
  const protocols = await loadProtocols();
  const { server, url } = await serveView(data, protocols, 0);
  try {
    const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> => {
      const r = await fetch(url + path);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> & unknown[] };
    };
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /"served":true/);
    const c = (await get("api/chunk?start=0&end=1000")).body as unknown as Chunk;
    assert.equal(c.rows.length, 91);
    assert.deepEqual(c.rows, data.rows);
    const expr = "tcp && ip.dst == 10.78.0.2";
    const f = await get(`api/filter?expr=${encodeURIComponent(expr)}`);
    const want = readLines(["-Y", expr]).map((l) => Number(/^\s*(\d+)/.exec(l)![1]) - 1);
    assert.deepEqual(f.body.indices, want);
    const bad = await get(`api/filter?expr=${encodeURIComponent("tcp.nope == 1")}`);
    assert.match(String(bad.body.message), /nope/);
    assert.equal(bad.body.column, 5);
    const tree = (await get("api/tree?frame=6")).body as unknown as TreeNode[];
    assert.equal(tree[2]!.label, "IPv4 10.78.0.1 > 10.78.0.2");
    const s = await get("api/stream?index=0");
    assert.deepEqual(s.body.frame, data.streams[0]!.frame);
    assert.equal((await get("api/tree?frame=91")).status, 404);
    assert.equal((await get("api/stream?index=99")).status, 404);
    assert.equal((await get("api/chunk?start=0&end=20001")).status, 400);
    assert.equal((await fetch(url + "nothing")).status, 404);
  } finally {
    server.close();
  }
});

test("view: the command writes a page, refuses bad usage, and reports an unreadable file", () => {
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-view-"));
  const out = join(dir, "streams.html");
  const ok = wirecraft(["view", STREAMS, "-o", out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /91 frames/);
  assert.match(readFileSync(out, "utf8"), /^<!doctype html>/);
  assert.equal(wirecraft(["view"]).status, 2);
  assert.equal(wirecraft(["view", STREAMS, "--port", "80"]).status, 2);
  assert.equal(wirecraft(["view", STREAMS, "--serve", "--port", "x"]).status, 2);
  const missing = wirecraft(["view", `${ROOT}no-such.pcap`, "-o", out]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no-such\.pcap/);
  assert.match(wirecraft(["help", "view"]).stdout, /--serve/);
  rmSync(dir, { recursive: true, force: true });
});

test("view --serve --load: the server filters and dissects with the user's protocols (ESCP)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-view-escp-"));
  const module = new URL("../../examples/escp.js", import.meta.url);
  const { writeEscpPcap } = (await import(module.href)) as { writeEscpPcap(path: string): Promise<number> };
  const pcap = join(dir, "escp.pcap");
  await writeEscpPcap(pcap);
  const protocols = await loadProtocols([module.href]);
  const data = await loadView(pcap);
  assert.deepEqual(data.rows.map((r) => r[2]), ["ESCP", "ESCP", "ESCP"]);
  const { server, url } = await serveView(data, protocols, 0);
  try {
    const f = (await (await fetch(`${url}api/filter?expr=${encodeURIComponent("escp.cmd == 1")}`)).json()) as { indices: number[] };
    assert.deepEqual(f.indices, [1]);
    const tree = (await (await fetch(`${url}api/tree?frame=2`)).json()) as TreeNode[];
    const escp = tree.find((n) => n.label.startsWith("ESCP"))!;
    assert.equal(escp.label, "ESCP cmd=2");
    // The bit fields share the first two bytes after IPv6 (40) and UDP (8).
    const cmd = escp.children!.find((c) => c.label.endsWith("cmd: 2"))!;
    assert.deepEqual([cmd.start, cmd.end, cmd.bitStart, cmd.bits], [49, 50, 48 * 8 + 11, 5]);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
