// Bundle the compiled package (dist/) so that `import "wirecraft"` and the `wirecraft` command load
// a few files instead of about a hundred modules: module resolution and loading were most of the
// import time (measured: our own code's evaluation was an eighth of it). dist/index.js and
// dist/cli/main.js are replaced by bundles that share chunks in dist/chunks/ (one copy of the API
// for the command and the modules it loads with --load); the command's subcommands stay lazy
// chunks. The unbundled modules stay in dist/ beside them for their .d.ts files; the tests run the
// unbundled build/.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
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
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: "builtin" }));
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
  plugins: [builtins],
});
// The command runs as a file (its #! line passes Node its flags), as npm's bin link runs it.
chmodSync(join(dist, "cli", "main.js"), 0o755);
