// Every TypeScript example in docs/*.md and README.md runs; where an example is followed by a
// ```text block, its output must match that block exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../..", import.meta.url));
const api = pathToFileURL(join(root, "build/src/index.js")).href;

interface Example { file: string; line: number; code: string; expected: string | undefined }

function examples(file: string): Example[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: Example[] = [];
  const re = /```ts\n([\s\S]*?)```(?:\s*\n```text\n([\s\S]*?)```)?/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (!m[1]!.includes('from "wirecraft"')) continue;
    out.push({ file, line: text.slice(0, m.index).split("\n").length, code: m[1]!, expected: m[2] });
  }
  return out;
}

const files = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const dir = mkdtempSync(join(tmpdir(), "wirecraft-docs-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

for (const file of files) {
  for (const ex of examples(file)) {
    test(`${ex.file}:${ex.line} runs${ex.expected !== undefined ? " and prints what the doc says" : ""}`, () => {
      const js = ts.transpileModule(ex.code.replaceAll('from "wirecraft"', `from ${JSON.stringify(api)}`), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const path = join(dir, `ex-${ex.line}-${file.replace(/\W/g, "_")}.mjs`);
      writeFileSync(path, js);
      const r = spawnSync(process.execPath, [path], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 0, `example failed:\n${r.stderr}`);
      if (ex.expected !== undefined) assert.equal(r.stdout, ex.expected);
    });
  }
}
