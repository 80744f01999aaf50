// Every example in docs/filters.md runs: the filter lines against the streams fixture (frame
// counts), the error lines (column and reason), and the TypeScript example (its printed output).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { readPcapSync } from "../capture/pcap.js";
import { loadProtocols } from "../cli/registry.js";
import { dissectFrames } from "../streams/frames.js";
import { compileFilter, FilterError } from "./index.js";

const ROOT = fileURLToPath(new URL(import.meta.url.includes("/build/") ? "../../../" : "../../", import.meta.url));
const DOC = readFileSync(join(ROOT, "docs/filters.md"), "utf8");
const block = (lang: string) => new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(DOC)![1]!.trim().split("\n");

test("docs/filters.md: every example filter matches the frames the doc says", async () => {
  const protocols = await loadProtocols();
  const records = [...readPcapSync(readFileSync(join(ROOT, "test/fixtures/streams.pcap")))];
  const lines = block("filter");
  assert.ok(lines.length >= 15);
  for (const line of lines) {
    const [expr, count] = line.split("#").map((x) => x.trim()) as [string, string];
    const f = compileFilter(expr, protocols);
    let n = 0;
    for await (const fr of dissectFrames(records, { defragment: false })) if (f(fr.packet, { number: fr.number, length: fr.record.originalLength, capturedLength: fr.record.data.length })) n++;
    assert.equal(n, Number(count), expr);
  }
});

test("docs/filters.md: every error example fails at the column and for the reason the doc says", async () => {
  const protocols = await loadProtocols();
  for (const line of block("filter-errors")) {
    const [expr, rest] = line.split("#").map((x) => x.trim()) as [string, string];
    const m = /^(\d+) (.*)$/.exec(rest)!;
    assert.throws(() => compileFilter(expr, protocols), (e: unknown) => {
      assert.ok(e instanceof FilterError);
      assert.equal(e.column, Number(m[1]), expr);
      assert.ok(e.reason.startsWith(m[2]!), `${expr}: ${e.reason}`);
      return true;
    });
  }
});

test("docs/filters.md: the TypeScript example prints what the doc says", () => {
  const m = /```ts\n([\s\S]*?)```\s*\n```text\n([\s\S]*?)```/.exec(DOC)!;
  // "wirecraft" is the public API plus the filter module (until src/index.ts exports it).
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-filters-doc-"));
  try {
    const api = join(dir, "api.mjs");
    writeFileSync(api, `export * from ${JSON.stringify(pathToFileURL(join(ROOT, "build/src/index.js")).href)};\nexport * from ${JSON.stringify(pathToFileURL(join(ROOT, "build/src/filter/index.js")).href)};\n`);
    const js = ts.transpileModule(m[1]!.replaceAll('from "wirecraft"', `from ${JSON.stringify(pathToFileURL(api).href)}`), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const path = join(dir, "example.mjs");
    writeFileSync(path, js);
    const r = spawnSync(process.execPath, [path], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, m[2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
