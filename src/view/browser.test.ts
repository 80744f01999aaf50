// The viewer in a real headless Chromium (Debian's, driven by playwright-core): list, tree, bytes,
// filter, keyboard, tabs and TCP graphs, for a static page and a served one, and a large capture.
// Screenshots go to test-artifacts/view/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { encodePcap, readPcapSync } from "../capture/pcap.js";
import { fieldSpans } from "../diagram/spans.js";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import type { LayerBase } from "../schema/layer.js";
import { loadProtocols } from "../cli/registry.js";
import { ROOT, wirecraft } from "../cli/testing.js";
import { viewHtml } from "./html.js";
import { loadView, type ViewData } from "./model.js";
import { serveView } from "./server.js";

const CHROMIUM = "/usr/bin/chromium";
const STREAMS = `${ROOT}test/fixtures/streams.pcap`;
const ARTIFACTS = `${ROOT}test-artifacts/view`;

async function skipReason(): Promise<string | undefined> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
  try {
    await import("playwright-core");
  } catch {
    return "playwright-core is not installed (npm ci installs the devDependencies)";
  }
  return undefined;
}
const SKIP = await skipReason();
if (SKIP !== undefined) process.stderr.write(`\n*** browser tests of wirecraft view SKIPPED: ${SKIP} ***\n\n`);

/** Launch Chromium with a fresh profile and nothing talking to the network. */
async function launch(profile: string): Promise<BrowserContext> {
  const { chromium } = await import("playwright-core");
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** `wirecraft read` on the fixture: the frame numbers (1-based) a filter keeps. */
function readNumbers(filter?: string, file = STREAMS): number[] {
  const r = wirecraft(["read", file, "--no-progress", ...(filter === undefined ? [] : ["-Y", filter])]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split("\n").filter((l) => l).map((l) => Number(/^\s*(\d+)/.exec(l)![1]));
}

async function rowsShown(page: Page): Promise<number> {
  return Number(await page.getAttribute("#list", "data-rows"));
}

async function applyFilter(page: Page, expr: string): Promise<void> {
  await page.fill("#filter", expr);
  await page.$eval("body", (b) => b.removeAttribute("data-filter"));
  await page.press("#filter", "Enter");
  await page.waitForSelector('body[data-filter="done"], body[data-filter="error"]', { timeout: 20_000 });
}

async function highlighted(page: Page): Promise<number[]> {
  return page.$$eval("#bytes .hex span.hl", (els) => els.map((e) => Number(e.getAttribute("data-o"))));
}

async function selectFrame(page: Page, index: number): Promise<void> {
  // Rows out of sight do not exist: scroll the row into sight first (rows are 22 px high).
  await page.$eval("#list", (e, top) => { e.scrollTop = top; }, Math.max(0, index * 22 - 44));
  await page.click(`#list .row[data-index="${index}"]`);
  await page.waitForSelector(`body[data-selected="${index}"]`);
}

/** The byte range of a field of a frame, found in Node from the same bytes. */
function fieldBytes(frame: Uint8Array, layerName: string, field: string): number[] {
  const p = dissect(frame, Ethernet);
  const layer = (p.layers() as unknown as LayerBase[]).find((l) => l._d.name === layerName)!;
  const s = fieldSpans(layer).find((x) => x.name === field)!;
  return Array.from({ length: s.byteEnd - s.byteStart }, (_, k) => s.byteStart + k);
}

describe("wirecraft view in Chromium", { skip: SKIP }, () => {
  let context: BrowserContext;
  let dir: string;
  let data: ViewData;
  let pageUrl: string;
  const frames = [...readPcapSync(readFileSync(STREAMS))].map((r) => new Uint8Array(r.data));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wirecraft-view-browser-"));
    mkdirSync(ARTIFACTS, { recursive: true });
    data = await loadView(STREAMS, "streams.pcap");
    const file = join(dir, "streams.html");
    writeFileSync(file, viewHtml(data, false));
    pageUrl = pathToFileURL(file).href;
    context = await launch(join(dir, "profile"));
  });
  after(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the frames as wirecraft read does, and links tree nodes and bytes both ways", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pageUrl);
    await page.waitForSelector("body[data-ready]");
    assert.equal(await rowsShown(page), 91);
    // The rows on screen read like `wirecraft read`'s lines.
    const readLines = wirecraft(["read", STREAMS, "--no-progress"]).stdout.trimEnd().split("\n");
    await page.waitForSelector('#list .row[data-index="0"] span:nth-child(5):not(:empty)');
    const shown = await page.$$eval("#list .row", (rows) => rows.filter((r) => r.getAttribute("style")?.includes("display: none") !== true)
      .map((r) => [...r.children].map((c) => c.textContent ?? "")));
    assert.ok(shown.length >= 10 && shown.length < 91, `${shown.length} rows drawn: only those in sight`);
    for (const [no, time, src, dst, proto, len, info] of shown) {
      const line = readLines[Number(no) - 1]!;
      const addr = src || dst ? `${src!.padStart(15)} → ${dst!.padEnd(15)}` : " ".repeat(33);
      assert.equal(`${no!.padStart(5)} ${time!.padStart(11)} ${addr} ${proto} ${len}${info ? " " + info : ""}`, line);
    }
    // Frame 7: the HTTP request. The tree has its layers; a field's node highlights its bytes.
    await selectFrame(page, 6);
    const layers = await page.$$eval("#tree > ul > li > .node", (els) => els.map((e) => e.textContent!.trim()));
    assert.deepEqual(layers.slice(1, 4), ["Ethernet 22:2e:5a:ee:d1:c7 > de:69:ac:20:e3:9e", "IPv4 10.78.0.1 > 10.78.0.2", "TCP 41970 > 8080 PA"]);
    await page.click("#tree .node:text-is('ttl: 64')");
    assert.deepEqual(await highlighted(page), fieldBytes(frames[6]!, "IPv4", "ttl"));
    assert.deepEqual(await highlighted(page), [22]);
    await page.click("#tree .node:text-is('dstPort: 8080')");
    assert.deepEqual(await highlighted(page), fieldBytes(frames[6]!, "TCP", "dstPort"));
    await page.click("#tree .node:text-is('src: 10.78.0.1')");
    assert.deepEqual(await highlighted(page), [26, 27, 28, 29]);
    const ascii = await page.$$eval("#bytes .ascii span.hl", (els) => els.map((e) => Number(e.getAttribute("data-o"))));
    assert.deepEqual(ascii, [26, 27, 28, 29]);
    // Bytes to tree: byte 23 is the IP protocol field.
    await page.click('#bytes .hex span[data-o="23"]');
    assert.equal((await page.textContent("#tree .node.selected"))!.trim(), "protocol: TCP (6)");
    assert.deepEqual(await highlighted(page), [23]);
    // A bit field selects its whole bytes and shows its bits.
    await page.click("#tree .node:has-text('fragmentOffset')");
    assert.equal((await page.textContent("#tree .node.selected"))!.trim(), "...x xxxx xxxx xxxx fragmentOffset: 0");
    assert.deepEqual(await highlighted(page), [20, 21]);
    await page.screenshot({ path: `${ARTIFACTS}/packets.png` });
    // The diagram pane: the frame's layers drawn by diagram(); a field's box selects its node.
    await page.click('.pane-tabs button[data-pane="diagram"]');
    await page.waitForSelector('#diagram[data-frame="6"] svg');
    const layersDrawn = await page.$$eval("#diagram g.layer", (gs) => gs.map((g) => g.getAttribute("data-layer")));
    assert.deepEqual(layersDrawn, ["Ethernet", "IPv4", "TCP", "Raw"]);
    await page.click('#diagram g[data-layer="IPv4"] rect.field[data-field="ihl"]');
    assert.equal((await page.textContent("#tree .node.selected"))!.trim(), ".... xxxx ihl: 5");
    await page.click('#diagram g[data-layer="IPv4"] rect.field[data-field="ttl"]');
    assert.equal((await page.textContent("#tree .node.selected"))!.trim(), "ttl: 64");
    assert.deepEqual(await highlighted(page), [22]);
    assert.deepEqual(await page.$$eval("#diagram rect.picked", (r) => r.map((x) => x.getAttribute("data-field"))), ["ttl"]);
    // And the other way: a tree node outlines its box.
    await page.click("#tree .node:text-is('dstPort: 8080')");
    assert.deepEqual(await page.$$eval("#diagram rect.picked", (r) => r.map((x) => x.getAttribute("data-bytes"))), ["36-38"]);
    await page.screenshot({ path: `${ARTIFACTS}/diagram-pane.png` });
    await page.click('.pane-tabs button[data-pane="bytes"]');
    // Keyboard: down moves to frame 8, up twice to frame 6.
    await page.focus("#list");
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector('body[data-selected="7"]');
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowUp");
    await page.waitForSelector('body[data-selected="5"]');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("filters with wirecraft read's filter language and shows where a filter is wrong", async () => {
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForSelector("body[data-ready]");
    for (const expr of ["tcp && ip.dst == 10.78.0.2", "ipv6 && tcp", "icmpv6 || frame.length > 1000", "!tcp"]) {
      await applyFilter(page, expr);
      const want = readNumbers(expr);
      assert.equal(await rowsShown(page), want.length, expr);
      assert.match((await page.textContent("#status"))!, new RegExp(`Displayed: ${want.length} of 91`));
      const first = await page.$eval('#list .row[data-pos="0"] span', (e) => e.textContent);
      assert.equal(Number(first), want[0], `${expr}: first row`);
    }
    await page.screenshot({ path: `${ARTIFACTS}/filtered.png` });
    await applyFilter(page, "tcp.nope == 1");
    assert.equal(await page.getAttribute("body", "data-filter"), "error");
    assert.match((await page.textContent("#filter-error"))!, /nope.*column 5/);
    await applyFilter(page, "");
    assert.equal(await rowsShown(page), 91);
    await page.close();
  });

  it("shows conversations, the protocol hierarchy and a TCP stream's graphs", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pageUrl);
    await page.waitForSelector("body[data-ready]");
    await page.click('nav button[data-tab="conversations"]');
    const tcpRows = await page.$$eval('section.conv[data-protocol="TCP"] tbody tr', (rows) => rows.length);
    assert.equal(tcpRows, data.stats.conversations.get("TCP")!.size);
    assert.equal(await page.isVisible("#list"), false);
    await page.screenshot({ path: `${ARTIFACTS}/conversations.png` });
    await page.click('nav button[data-tab="hierarchy"]');
    const first = await page.$$eval("#hierarchy tbody tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent!.trim())));
    assert.deepEqual(first[0], ["Ethernet", "100.0%", "91", "100.0%", String(data.stats.root.bytes)]);
    await page.click('nav button[data-tab="graphs"]');
    await page.waitForSelector("#graph-stevens canvas");
    await page.waitForSelector("#graph-throughput canvas");
    // Stream 0 from the server's side (it sent more): one point per segment 10.78.0.2:8080 sent.
    const server = readNumbers("ip.src == 10.78.0.2 && tcp.srcPort == 8080 && tcp.dstPort == 41970");
    assert.equal(await page.getAttribute("#graph-stevens", "data-dir"), "1");
    assert.equal(Number(await page.getAttribute("#graph-stevens", "data-points")), server.length);
    assert.equal(Number(await page.getAttribute("#graph-throughput", "data-points")), server.length);
    await page.screenshot({ path: `${ARTIFACTS}/graphs.png` });
    // The other direction and another stream.
    await page.selectOption("#dir-select", "0");
    await page.waitForSelector('#graph-stevens[data-dir="0"] canvas');
    const client = readNumbers("ip.src == 10.78.0.1 && tcp.srcPort == 41970");
    assert.equal(Number(await page.getAttribute("#graph-stevens", "data-points")), client.length);
    await page.selectOption("#stream-select", "1");
    await page.waitForSelector('#graph-stevens[data-stream="1"] canvas');
    const s1 = data.streams[1]!;
    const dir = Number(await page.getAttribute("#graph-stevens", "data-dir"));
    assert.equal(Number(await page.getAttribute("#graph-stevens", "data-points")), s1.dir.filter((d) => d === dir).length);
    // The graphs follow the frame selected in the list: a frame of stream 2.
    const s2 = data.streams[2]!;
    await page.click('nav button[data-tab="packets"]');
    await selectFrame(page, s2.frame[0]!);
    await page.click('nav button[data-tab="graphs"]');
    await page.waitForSelector('#graph-stevens[data-stream="2"] canvas');
    assert.equal(await page.inputValue("#stream-select"), "2");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("served: frames by range, the tree and the filter from the server", async () => {
    const { server, url } = await serveView(data, await loadProtocols(), 0);
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector("body[data-ready]");
      assert.equal(await rowsShown(page), 91);
      await page.waitForSelector('#list .row[data-index="0"] span:nth-child(5):not(:empty)');
      await selectFrame(page, 6);
      await page.click("#tree .node:text-is('ttl: 64')");
      assert.deepEqual(await highlighted(page), [22]);
      const expr = "tcp.flags & S";
      const want = readNumbers(expr);
      await applyFilter(page, expr);
      assert.equal(await rowsShown(page), want.length);
      await page.close();
    } finally {
      server.close();
    }
  });

  it("an empty capture opens without errors in every tab", async () => {
    const file = join(dir, "empty.pcap");
    writeFileSync(file, encodePcap([]));
    const html = join(dir, "empty.html");
    writeFileSync(html, viewHtml(await loadView(file, "empty.pcap"), false));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector("body[data-ready]");
    assert.equal(await rowsShown(page), 0);
    for (const t of ["conversations", "hierarchy", "graphs", "packets"]) await page.click(`nav button[data-tab="${t}"]`);
    await page.focus("#list");
    await page.keyboard.press("End");
    await applyFilter(page, "tcp");
    assert.equal(await rowsShown(page), 0);
    assert.equal(await page.getAttribute("body", "data-selected"), null);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("stays responsive on a large capture: only rows in sight are drawn, chunks decoded on demand", async () => {
    const N = 50_000;
    const records = [];
    const base = 1_700_000_000_000_000_000n;
    for (let i = 0; i < N; i++) {
      const l4 = i % 7 === 0 ? TCP({ srcPort: 40000 + (i % 100), dstPort: 80, seq: i, flags: "A" }) : UDP({ srcPort: 1000 + (i % 50), dstPort: 9 });
      const p = packet(Ethernet({ dst: "02:00:00:00:00:02" }), IPv4({ src: `10.9.0.${i % 200}`, dst: "10.9.255.1" }), l4, "payload!");
      records.push({ time: base + BigInt(i) * 1_000_000n, data: p.bytes() });
    }
    const file = join(dir, "large.pcap");
    writeFileSync(file, encodePcap(records));
    let t = performance.now();
    const big = await loadView(file, "large.pcap");
    const loadMs = performance.now() - t;
    const html = join(dir, "large.html");
    writeFileSync(html, viewHtml(big, false));
    const page = await context.newPage();
    t = performance.now();
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector("body[data-ready]");
    await page.waitForSelector('#list .row[data-index="0"] span:nth-child(5):not(:empty)');
    const readyMs = performance.now() - t;
    assert.equal(await rowsShown(page), N);
    const drawn = await page.$$eval("#list .row", (r) => r.length);
    assert.ok(drawn < 80, `${drawn} row elements for ${N} frames`);
    // End: the last chunk is decoded and the last frame shown.
    await page.focus("#list");
    t = performance.now();
    await page.keyboard.press("End");
    await page.waitForSelector(`body[data-selected="${N - 1}"]`);
    await page.waitForSelector(`#list .row[data-index="${N - 1}"] span:nth-child(5):not(:empty)`);
    const endMs = performance.now() - t;
    assert.equal(await page.$eval(`#list .row[data-index="${N - 1}"] span:nth-child(5)`, (e) => e.textContent), "UDP");
    t = performance.now();
    await applyFilter(page, "tcp");
    const filterMs = performance.now() - t;
    assert.equal(await rowsShown(page), Math.ceil(N / 7));
    await page.screenshot({ path: `${ARTIFACTS}/large.png` });
    process.stderr.write(`view, ${N} frames: load ${loadMs.toFixed(0)} ms, page ${(readFileSync(html).length / 1e6).toFixed(1)} MB ready in ${readyMs.toFixed(0)} ms, End in ${endMs.toFixed(0)} ms, filter "tcp" in ${filterMs.toFixed(0)} ms\n`);
    await page.close();
  });
});
