/**
 * The examples of docs/protocols-link-network.md run. They are fenced as `typescript` (not `ts`)
 * until src/index.ts exports the suite's names; here "wirecraft" resolves to the index plus the
 * suite's protocol modules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const modules = ["index", "protocols/ethernet", "protocols/llc", "protocols/snap", "protocols/dot1q", "protocols/arp", "protocols/sll",
  "protocols/null", "protocols/raw-ip", "protocols/ipv4", "protocols/ipv4-options", "protocols/ipv6", "protocols/ipv6-options",
  "protocols/ipv6-routing", "protocols/ipv6-fragment", "protocols/icmp", "protocols/icmpv6", "protocols/ndp", "protocols/mld", "protocols/igmp"];

test("docs/protocols-link-network.md: every example runs and prints what its comments say", () => {
  const text = readFileSync(join(root, "docs/protocols-link-network.md"), "utf8");
  const blocks = [...text.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 1);
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-ln-docs-"));
  try {
    const api = join(dir, "api.mjs");
    writeFileSync(api, modules.map((m) => `export * from ${JSON.stringify(pathToFileURL(join(root, `build/src/${m}.js`)).href)};`).join("\n"));
    for (const [i, code] of blocks.entries()) {
      const js = ts.transpileModule(code.replaceAll('from "wirecraft"', `from ${JSON.stringify(pathToFileURL(api).href)}`), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const path = join(dir, `ex-${i}.mjs`);
      writeFileSync(path, js);
      const r = spawnSync(process.execPath, [path], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      // Each console.log line's trailing comment starts with what it prints.
      const expected = code.split("\n").filter((l) => l.includes("console.log(")).map((l) => /\/\/\s*(.*?)(\s+—.*)?$/.exec(l)?.[1]);
      const printed = r.stdout.trimEnd().split("\n");
      assert.equal(printed.length, expected.length);
      expected.forEach((e, j) => { if (e !== undefined) assert.equal(printed[j], e); });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
