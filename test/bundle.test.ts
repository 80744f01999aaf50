// The published bundle (dist/, made by `npm run build`: scripts/bundle.mjs) exports what the
// unbundled build does, and its import leaves Node's heavier built-in modules unloaded until a
// function that needs one is called (their loading was half of the import time); those functions
// work through the bundle's lazy built-ins and give what the unbundled build gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Script } from "node:vm";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as api from "../src/index.js";
import { has } from "./helpers/host.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dist = `${root}dist/index.js`;
const fixture = `${root}test/fixtures/loopback-ping.pcap`;
const skip = existsSync(dist) ? false : "dist/index.js is not built (run `npm run build`)";
const stableInput = { prefix: "2001:db8:1:2::", netIface: "02:00:00:00:00:01", dadCounter: 0, secret: "bundle" };
const program = [{ code: 6, jt: 0, jf: 0, k: 262144 }];

/**
 * Import the bundle in a fresh process: the built-ins its import loaded, its exports, and calls
 * through it. `nodeArgs` go to Node (a V8 flag makes V8 refuse the code cache); `prelude` runs first.
 */
function throughBundle(nodeArgs: readonly string[] = [], prelude = ""): {
  loaded: string[]; exports: string[]; stable: number[]; packed: number[]; records: number; compiled?: unknown;
} {
  const script = `${prelude}
    const before = new Set(process.moduleLoadList);
    const w = await import(${JSON.stringify(pathToFileURL(dist).href)});
    const loaded = process.moduleLoadList.filter((m) => !before.has(m));
    let records = 0;
    for await (const r of w.readPcap(${JSON.stringify(fixture)})) records += r.data.length;
    const out = {
      loaded, exports: Object.keys(w).sort(),
      stable: [...w.stableInterfaceId(${JSON.stringify(stableInput)})],
      packed: [...w.packBpf(${JSON.stringify(program)})],
      records,
      compiled: ${has("tcpdump") ? `w.compileBpf("udp port 53")` : "undefined"},
    };
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...nodeArgs, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return JSON.parse(r.stdout) as ReturnType<typeof throughBundle>;
}

test("the bundle: same exports, heavy built-ins loaded only when used, lazy built-ins work", { skip }, async () => {
  const b = throughBundle();
  assert.deepEqual(b.exports, Object.keys(api).sort());
  for (const m of ["http", "crypto", "child_process", "dgram", "fs/promises", "os", "module"]) {
    assert.ok(!b.loaded.includes(`NativeModule ${m}`), `importing the bundle loaded node:${m}`);
  }
  assert.deepEqual(b.stable, [...api.stableInterfaceId(stableInput)]);
  assert.deepEqual(b.packed, [...api.packBpf(program)]);
  let records = 0;
  for await (const r of api.readPcap(fixture)) records += r.data.length;
  assert.ok(records > 0);
  assert.equal(b.records, records);
  if (has("tcpdump")) assert.deepEqual(b.compiled, api.compileBpf("udp port 53"));
});

test("the bundle's API chunk runs from a script with a code cache that this Node takes", { skip }, () => {
  const chunks = `${root}dist/chunks/`;
  const body = readdirSync(chunks).find((f) => f.endsWith(".body.js"));
  assert.ok(body !== undefined, "no API script in dist/chunks");
  const base = body.slice(0, -".body.js".length);
  const loader = readFileSync(`${chunks}${base}.js`, "utf8");
  assert.match(loader, /new Script\(/);
  const madeBy = /Cache made by Node (v\d+\.\d+\.\d+)/.exec(loader)?.[1];
  const script = new Script(readFileSync(`${chunks}${body}`, "utf8"), { filename: `${chunks}${body}`, cachedData: readFileSync(`${chunks}${base}.cache`) });
  // V8 takes a cache made by the same version with the same flags only.
  if (madeBy === process.version && process.execArgv.length === 0 && !process.env.NODE_OPTIONS) assert.equal(script.cachedDataRejected, false);
  else assert.equal(typeof script.cachedDataRejected, "boolean");
  // The command's cache, made with the flag of its #! line, is taken with that flag.
  const flag = /node (--[\w-]+=\d+)/.exec(readFileSync(`${root}dist/cli/main.js`, "utf8").split("\n")[0]!)?.[1];
  if (flag !== undefined && madeBy === process.version && !process.env.NODE_OPTIONS) {
    const check = `const fs = require("node:fs"), vm = require("node:vm"); const f = ${JSON.stringify(`${chunks}${body}`)};
      const s = new vm.Script(fs.readFileSync(f, "utf8"), { filename: f, cachedData: fs.readFileSync(${JSON.stringify(`${chunks}${base}.cli.cache`)}) });
      console.log(s.cachedDataRejected);`;
    const r = spawnSync(process.execPath, [flag, "-e", check], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.stdout.trim(), "false", r.stderr);
  }
});

test("the bundle works where the code cache is refused (another V8 flag) and where Node has no process.getBuiltinModule (before 20.16)", { skip }, () => {
  for (const b of [throughBundle(["--max-semi-space-size=4"]), throughBundle([], "delete process.getBuiltinModule;")]) {
    assert.deepEqual(b.exports, Object.keys(api).sort());
    assert.deepEqual(b.stable, [...api.stableInterfaceId(stableInput)]);
    assert.deepEqual(b.packed, [...api.packBpf(program)]);
    assert.ok(b.records > 0);
  }
});
