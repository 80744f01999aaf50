// Bundle the compiled package (dist/) so that `import "wirecraft"` and the `wirecraft` command load
// a few files instead of about a hundred modules: module resolution and loading were most of the
// import time (measured: our own code's evaluation was an eighth of it). dist/index.js and
// dist/cli/main.js are replaced by bundles that share chunks in dist/chunks/ (one copy of the API
// for the command and the modules it loads with --load); the command's subcommands stay lazy
// chunks. The unbundled modules stay in dist/ beside them for their .d.ts files; the tests run the
// unbundled build/.
import { build } from "esbuild";
import { chmodSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

// Node's built-in modules, reached without their ESM facades: `import { x } from "node:fs"` builds a
// module of every export of fs, which reads its lazy getters (fs.promises loads the streams and
// readline), and node:http, node:crypto, node:child_process, node:dgram load a few dozen internal
// modules each; with the live, stack and capture code in the bundle that was about half of the
// import time (measured: see the commit). Each builtin becomes a small module that takes it from
// process.getBuiltinModule (Node >= 20.16; older: createRequire); those in LAZY are loaded on the
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
        `export const builtin = process.getBuiltinModule ?? (await import("module")).createRequire(import.meta.url);`,
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
// The command runs as a file (its #! line passes Node its flags), as npm's bin link runs it.
chmodSync(join(dist, "cli", "main.js"), 0o755);
