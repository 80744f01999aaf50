/**
 * The viewer's HTML: one self-contained page (no external URL) with the bundled script and CSS
 * inlined, the meta data, and, for a static file, every chunk of frames and the TCP streams as
 * JSON script elements that the page parses only when it needs them.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ViewData } from "./model.js";

/**
 * The page script and CSS made by `scripts/bundle-view.mjs` beside this module (or, in the bundled
 * package, in dist/view/ beside the chunk holding this code).
 */
export function pageAssets(): { script: string; css: string } {
  const here = new URL("./page.js", import.meta.url);
  const base = existsSync(here) ? "./" : "../view/";
  const at = (name: string): URL => new URL(`${base}${name}`, import.meta.url);
  try {
    return { script: readFileSync(at("page.js"), "utf8"), css: readFileSync(at("page.css"), "utf8") };
  } catch (e) {
    throw new Error(`the viewer's page script is missing beside ${at("").pathname} (run: node scripts/bundle-view.mjs ${at("").pathname}): ${(e as Error).message}`);
  }
}

/** JSON safe inside a script element. */
export function scriptJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Return the viewer page for `data`: served (frames fetched from the server) or with every frame inside. */
export function viewHtml(data: ViewData, served: boolean): string {
  const { script, css } = pageAssets();
  const meta = data.meta(served);
  const blobs: string[] = [];
  if (!served) {
    for (let k = 0; k * meta.chunkSize < data.count; k++) {
      blobs.push(`<script type="application/json" id="wc-chunk-${k}">${scriptJSON(data.chunk(k * meta.chunkSize, (k + 1) * meta.chunkSize))}</script>`);
    }
    blobs.push(`<script type="application/json" id="wc-streams">${scriptJSON(data.streams)}</script>`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(meta.file)} — wirecraft view</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>wirecraft view</h1><span class="file" title="${esc(meta.file)}">${esc(meta.file)}</span>
<form id="filter-form" autocomplete="off"><input id="filter" placeholder="Filter, as wirecraft read --filter: tcp &amp;&amp; ip.dst == 10.0.0.2" spellcheck="false"><button type="submit">Apply</button><span id="filter-error"></span></form>
<span id="status"></span>
</header>
<nav><button data-tab="packets" class="active">Packets</button><button data-tab="conversations">Conversations</button><button data-tab="hierarchy">Protocol hierarchy</button><button data-tab="graphs">TCP graphs</button></nav>
<main>
<section id="tab-packets">
<div class="cols"><span>No.</span><span>Time</span><span>Source</span><span>Destination</span><span>Protocol</span><span>Length</span><span>Info</span></div>
<div id="list" tabindex="0"></div>
<div id="panes"><div id="tree" tabindex="0"></div><div id="right"><div class="pane-tabs"><button data-pane="bytes" class="active">Bytes</button><button data-pane="diagram">Diagram</button></div><div id="bytes"></div><div id="diagram" hidden></div></div></div>
</section>
<section id="tab-conversations" hidden><div id="conversations"></div></section>
<section id="tab-hierarchy" hidden><div id="hierarchy"></div></section>
<section id="tab-graphs" hidden>
<div class="controls"><label>Stream <select id="stream-select"></select></label><label>Direction <select id="dir-select"></select></label></div>
<div id="graph-stevens"></div>
<div id="graph-throughput"></div>
</section>
</main>
<script type="application/json" id="wc-meta">${scriptJSON(meta)}</script>
${blobs.join("\n")}
<script>${script.replace(/<\/script/gi, "<\\/script")}</script>
</body>
</html>
`;
}
