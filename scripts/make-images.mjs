// Make the README's pictures with the code itself, from the compiled tree (npm test's pretest, or
// `npx tsc -p tsconfig.json && node scripts/bundle-view.mjs build/src/view`):
//   docs/images/ipv4.svg         diagram(IPv4, { format: "svg" })
//   docs/images/tcp-packet.svg   diagram() of a crafted Ethernet/IPv4/TCP packet, bytes coloured by field
//   docs/images/viewer.png       wirecraft view of test/fixtures/streams.pcap in Chromium, frame 7 selected
//   docs/images/viewer-diagram.png  the same frame in the diagram pane
//   docs/images/tcp-graphs.png   the same page's TCP graphs tab
// Usage: node scripts/make-images.mjs [CHROMIUM]   (default /usr/bin/chromium)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lib = (p) => import(pathToFileURL(join(root, "build/src", p)).href);
const { diagram, IPv4, Ethernet, TCP, packet } = await lib("index.js");
const { loadView } = await lib("view/model.js");
const { viewHtml } = await lib("view/html.js");
const out = join(root, "docs/images");
mkdirSync(out, { recursive: true });

writeFileSync(join(out, "ipv4.svg"), diagram(IPv4, { format: "svg" }));
const syn = packet(Ethernet({ src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02" }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }),
  TCP({ srcPort: 40000, dstPort: 80, seq: 1000, flags: "S", options: [{ kind: "mss", mss: 1460 }] }));
writeFileSync(join(out, "tcp-packet.svg"), diagram(syn, { format: "svg" }));

const tmp = mkdtempSync(join(tmpdir(), "wirecraft-images-"));
try {
  const data = await loadView(join(root, "test/fixtures/streams.pcap"), "streams.pcap");
  const page = join(tmp, "streams.html");
  writeFileSync(page, viewHtml(data, false));
  const { chromium } = await import("playwright-core");
  const context = await chromium.launchPersistentContext(join(tmp, "profile"), {
    executablePath: process.argv[2] ?? "/usr/bin/chromium", headless: true, viewport: { width: 1280, height: 760 }, colorScheme: "light",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const p = await context.newPage();
  await p.goto(pathToFileURL(page).href);
  await p.waitForSelector("body[data-ready]");
  await p.fill("#filter", "tcp.srcPort == 41970 || tcp.dstPort == 41970");
  await p.press("#filter", "Enter");
  await p.waitForSelector('body[data-filter="done"]');
  await p.click('#list .row[data-index="6"]');
  await p.waitForSelector('body[data-selected="6"]');
  // Fold Ethernet and IPv4 so that TCP and its options are in sight, then pick a field.
  for (const layer of ["Ethernet", "IPv4"]) await p.click(`#tree > ul > li > .node:has-text("${layer} ") .twisty`);
  await p.click("#tree .node:text-is('dstPort: 8080')");
  await p.screenshot({ path: join(out, "viewer.png") });
  await p.click('.pane-tabs button[data-pane="diagram"]');
  await p.waitForSelector('#diagram[data-frame="6"] svg');
  await p.click('#diagram g[data-layer="TCP"] rect.field[data-field="dstPort"]');
  await p.screenshot({ path: join(out, "viewer-diagram.png") });
  await p.click('nav button[data-tab="graphs"]');
  await p.waitForSelector("#graph-throughput canvas");
  await p.screenshot({ path: join(out, "tcp-graphs.png") });
  await context.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`images written to ${out}`);
