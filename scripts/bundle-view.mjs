// Bundle the viewer's page script (src/view/page/main.ts with the engine, the filter compiler and
// uPlot) into one IIFE, and its CSS (uPlot's and the page's) into one file, beside the compiled
// view module: `node scripts/bundle-view.mjs build/src/view` (tests) or `dist/view` (the package).
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/bundle-view.mjs OUTDIR");
  process.exit(2);
}
const r = await build({
  entryPoints: [join(root, "src/view/page/main.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "inline",
  write: false,
  logLevel: "warning",
});
const require = createRequire(import.meta.url);
const uplotCss = readFileSync(join(dirname(require.resolve("uplot")), "uPlot.min.css"), "utf8");
const pageCss = readFileSync(join(root, "src/view/page/style.css"), "utf8");
const dir = resolve(root, out);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "page.js"), r.outputFiles[0].text);
writeFileSync(join(dir, "page.css"), uplotCss + "\n" + pageCss);
console.log(`view page: ${(r.outputFiles[0].text.length / 1024).toFixed(0)} KiB of script written to ${join(dir, "page.js")}`);
