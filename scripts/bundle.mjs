// Bundle the compiled package (dist/) so that `import "wirecraft"` and the `wirecraft` command load
// a few files instead of about a hundred modules: module resolution and loading were most of the
// import time (measured: our own code's evaluation was an eighth of it). dist/index.js and
// dist/cli/main.js are replaced by bundles that share chunks in dist/chunks/ (one copy of the API
// for the command and the modules it loads with --load); the command's subcommands stay lazy
// chunks. The unbundled modules stay in dist/ beside them for their .d.ts files; the tests run the
// unbundled build/.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
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
});
// The command runs as a file (its #! line passes Node its flags), as npm's bin link runs it.
chmodSync(join(dist, "cli", "main.js"), 0o755);
