// Bundle the compiled package (dist/) so that `import "wirecraft"` and the `wirecraft` command load
// a few files instead of about a hundred modules: module resolution and loading were most of the
// import time (measured: our own code's evaluation was an eighth of it). dist/index.js and
// dist/cli/main.js are replaced by bundles that share chunks in dist/chunks/ (one copy of the API
// for the command and the modules it loads with --load); the command's subcommands stay lazy
// chunks. The unbundled modules stay in dist/ beside them for their .d.ts files; the tests run the
// unbundled build/.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

// Node's built-in modules, reached without their ESM facades: `import { x } from "node:fs"` builds a
// module of every export of fs, which reads its lazy getters (fs.promises loads the streams and
// readline), and node:http, node:crypto, node:child_process, node:dgram load a few dozen internal
// modules each; with the live, stack and capture code in the bundle that was about half of the
// import time (measured: see the commit). Each builtin becomes a small module that takes it from
// process.getBuiltinModule (Node >= 20.16; older: a require made by the API chunk); those in LAZY are loaded on the
// first call of an imported function. LAZY modules may be imported only by lower-case function
// names (no default, no classes, no values): anything else fails the build ("No matching export").
const LAZY = new Set(["node:http", "node:crypto", "node:child_process", "node:dgram", "node:fs/promises", "node:os", "node:module"]);
const nodeRequire = createRequire(import.meta.url);
const LOADER = "wirecraft-builtin-loader";
const builtins = {
  name: "builtins",
  setup(b) {
    // The command's entry (--version, --help) keeps the plain import of node:fs.
    b.onResolve({ filter: /^node:/ }, (a) => (a.importer === join(dist, "cli", "main.js") ? { path: a.path, external: true } : { path: a.path, namespace: "builtin" }));
    b.onResolve({ filter: new RegExp(`^${LOADER}$`) }, (a) => ({ path: a.path, namespace: "builtin-loader" }));
    b.onLoad({ filter: /.*/, namespace: "builtin-loader" }, () => ({
      contents: [
        // __wirecraftRequire: a parameter of the API's script (see below), for Node before 20.16.
        `export const builtin = process.getBuiltinModule ?? __wirecraftRequire;`,
      ].join("\n"),
    }));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (a) => {
      const id = a.path;
      const real = nodeRequire(id);
      const lines = [`import { builtin } from "${LOADER}";`];
      if (LAZY.has(id)) {
        lines.push(`let m; const load = () => m ??= builtin(${JSON.stringify(id)});`);
        for (const [k, v] of Object.entries(real)) {
          if (typeof v === "function" && /^[a-z]/.test(k)) lines.push(`export function ${k}(...a) { return load().${k}(...a); }`);
        }
      } else {
        lines.push(`const m = builtin(${JSON.stringify(id)});`, `export default m;`);
        for (const k of Object.keys(real)) if (/^[A-Za-z_$][\w$]*$/.test(k) && k !== "default") lines.push(`export const ${k} = /* @__PURE__ */ (() => m.${k})();`);
      }
      return { contents: lines.join("\n") };
    });
  },
};
// One chunk for the whole API: esbuild splits shared code by the set of entries (index, the command
// and each module the command imports lazily) that reach it, which made `import "wirecraft"` read
// ten files and link hundreds of names between them. Every module under cli/ and view/ and every
// lazily imported module (the stack command's live/tap.js, stack/dhcp.js) imports index.js first
// (most did already, through the protocol registry), so all the API's modules have one set of
// entries and land in one chunk: the import reads index.js and that chunk. (For the two that index
// imports itself, the added import closes a cycle through the entry, which leaves the order in
// which the bundle runs modules as it was.)
const lazyTargets = new Set();
for (const d of ["cli", "view"]) {
  for (const f of readdirSync(join(dist, d))) {
    if (!f.endsWith(".js")) continue;
    lazyTargets.add(join(dist, d, f));
    for (const m of readFileSync(join(dist, d, f), "utf8").matchAll(/import\("(\.[^"]+)"\)/g)) lazyTargets.add(join(dist, d, m[1]));
  }
}
lazyTargets.delete(join(dist, "cli", "main.js"));
const oneChunk = {
  name: "one-chunk",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (a) => {
      if (!lazyTargets.has(a.path)) return undefined;
      return { contents: `import ${JSON.stringify(join(dist, "index.js"))};\n${readFileSync(a.path, "utf8")}`, loader: "js" };
    });
  },
};
rmSync(join(dist, "chunks"), { recursive: true, force: true });
await build({
  entryPoints: { index: join(dist, "index.js"), "cli/main": join(dist, "cli/main.js") },
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  // The command's protocol registry scans dist/protocols/ only when unbundled (the bundle has them all).
  define: { __WIRECRAFT_BUNDLE__: "true" },
  legalComments: "none",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  plugins: [builtins, oneChunk],
});
await withCodeCache();
// The command runs as a file (its #! line passes Node its flags), as npm's bin link runs it.
chmodSync(join(dist, "cli", "main.js"), 0o755);

/**
 * The API chunk with V8's code cache. Compiling the chunk (about 420 kB) was the largest part of
 * the import, and Node 20 takes a code cache for scripts only (vm.Script's cachedData), not for ES
 * modules. So the chunk's code becomes a script, chunk-X.body.js: one function of
 * (import.meta.url, a require) that runs the code and returns what the chunk exported; chunk-X.js
 * becomes a small module that compiles that script with chunk-X.cache and exports the same names,
 * so index.js and the command's chunks import it as before. The cache is made here, by running
 * the script once in a fresh Node (so it holds the functions that run at import too). V8 takes it
 * only from the same V8 version and flags, so the command (whose #! line sets a flag) has a cache
 * of its own, chosen by process.execArgv; with another Node or other flags the script compiles as
 * usual: same behaviour, only slower. When the chunk does not fit the rewrite (see the checks),
 * it stays as esbuild wrote it and the build says why.
 */
async function withCodeCache() {
  const index = readFileSync(join(dist, "index.js"), "utf8");
  const imported = [...index.matchAll(/from"\.\/chunks\/([^"]+\.js)"/g)].map((m) => m[1]);
  if (imported.length !== 1) throw new Error(`bundle: index.js should import one chunk, not ${imported.length}`);
  const name = imported[0];
  const base = name.slice(0, -3);
  const text = readFileSync(join(dist, "chunks", name), "utf8");
  // What the rewrite relies on: no import statements, no dynamic import or top-level await, one
  // export statement at the end (esbuild's form), import.meta only as import.meta.url.
  const exportAt = text.lastIndexOf("export{");
  const problems = [];
  if (/(^|[;}])import\s*[{*"\w]/.test(text.slice(0, 2000))) problems.push("it imports modules");
  if (/\bimport\s*\(/.test(text)) problems.push("it has a dynamic import()");
  if (exportAt < 0 || !/^export\{[\w$,\s]*(?:\bas\b[\w$,\s]*)*\};?\s*$/.test(text.slice(exportAt))) problems.push("its export statement is not the last");
  if (/import\.meta(?!\.url)/.test(text)) problems.push("it uses import.meta other than import.meta.url");
  for (const f of readdirSync(join(dist, "chunks"))) {
    if (f !== name && readFileSync(join(dist, "chunks", f), "utf8").includes("__wirecraftRequire")) problems.push(`${f} has the built-in loader`);
  }
  if (problems.length) {
    // Left as an ES module: it works, only its import is slower (test/bundle.test.ts fails to say so).
    console.warn(`bundle: the API chunk ${name} stays an ES module, without a code cache: ${problems.join("; ")}`);
    return;
  }
  const pairs = text.slice(exportAt + 7, text.lastIndexOf("}")).split(",").map((e) => e.trim()).filter(Boolean).map((e) => {
    const [local, exported = local] = e.split(/\s+as\s+/);
    return [local, exported];
  });
  const body = text.slice(0, exportAt).replaceAll("import.meta.url", "__wirecraftUrl");
  writeFileSync(join(dist, "chunks", `${base}.body.js`),
    `(function(__wirecraftUrl,__wirecraftRequire){"use strict";${body}\nreturn{${pairs.map(([l, e]) => `${JSON.stringify(e)}:${l}`).join(",")}}})`);
  // The command's #! line gives Node flags, and V8 refuses a cache made without them: it gets its own.
  const shebang = /^#!.*?\bnode\b(.*)$/m.exec(readFileSync(join(dist, "cli", "main.js"), "utf8").split("\n")[0] ?? "");
  const cliFlags = (shebang?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
  const caches = [[[], ""], ...(cliFlags.length ? [[cliFlags, ".cli"]] : [])];
  if (pairs.some(([, e]) => e.startsWith("__wirecraft"))) throw new Error("bundle: an export named __wirecraft… would clash with the loader's names");
  writeFileSync(join(dist, "chunks", name), `// The API, compiled from ${base}.body.js with V8's code cache ${base}.cache when it fits (scripts/bundle.mjs).
// Cache made by Node ${process.version}.
const __wirecraftRequire = process.getBuiltinModule ?? (await import("node:module")).createRequire(import.meta.url);
const __wirecraftApi = (() => {
  const { readFileSync } = __wirecraftRequire("node:fs");
  const { Script } = __wirecraftRequire("node:vm");
  const { fileURLToPath } = __wirecraftRequire("node:url");
  const file = fileURLToPath(new URL("./${base}.body.js", import.meta.url));
  // One cache per set of Node flags it was made with: none, or the command's.
  const flags = process.execArgv.join(" ");
  const cache = ${JSON.stringify(Object.fromEntries(caches.map(([flags, suffix]) => [flags.join(" "), `${base}${suffix}.cache`])))}[flags] ?? "${base}.cache";
  let cachedData;
  try {
    cachedData = readFileSync(fileURLToPath(new URL("./" + cache, import.meta.url)));
  } catch {
    cachedData = undefined; // no cache: compiled as usual
  }
  const script = new Script(readFileSync(file, "utf8"), { filename: file, cachedData });
  return script.runInThisContext()(import.meta.url, __wirecraftRequire);
})();
export const { ${pairs.map(([, e]) => e).join(", ")} } = __wirecraftApi;
`);
  // Make each cache: run the script once in a fresh process with those flags, then serialise what V8 compiled.
  for (const [flags, suffix] of caches) {
    const make = `const { readFileSync, writeFileSync } = require("node:fs"); const { Script } = require("node:vm");
const file = ${JSON.stringify(join(dist, "chunks", `${base}.body.js`))};
const script = new Script(readFileSync(file, "utf8"), { filename: file });
script.runInThisContext()(require("node:url").pathToFileURL(${JSON.stringify(join(dist, "chunks", name))}).href, require);
writeFileSync(${JSON.stringify(join(dist, "chunks", `${base}${suffix}.cache`))}, script.createCachedData());`;
    const r = spawnSync(process.execPath, [...flags, "-e", make], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bundle: making the code cache failed: ${r.stderr}`);
  }
}
