/**
 * The protocols the command knows: the public API's, every module under protocols/ (so a protocol
 * file registers its binds and link type even before it is exported), and user modules given with
 * `--load` (a compiled ES module that defines protocols and binds them).
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as api from "../index.js";
import { protocolsIn } from "../filter/index.js";
import type { AnyProtocol } from "../schema/protocol.js";

/** Defined (as true) by the bundler; undeclared in the unbundled modules. */
declare const __WIRECRAFT_BUNDLE__: boolean | undefined;

/** Import every protocol module and each user module; return every protocol they export. */
export async function loadProtocols(userModules: readonly string[] = []): Promise<AnyProtocol[]> {
  const modules: object[] = [api];
  const dir = new URL("../protocols/", import.meta.url);
  let files: string[] = [];
  try {
    // In the bundle (scripts/bundle.mjs) every protocol module is inside already; loading the
    // unbundled files beside it would make second copies of each protocol.
    if (typeof __WIRECRAFT_BUNDLE__ === "undefined") files = readdirSync(dir).filter((f) => f.endsWith(".js") && !f.endsWith(".test.js")).sort();
  } catch {
    // no protocols folder beside us: the API's exports are all there is
  }
  for (const f of files) {
    try {
      modules.push((await import(new URL(f, dir).href)) as object);
    } catch (e) {
      // A protocol module that fails to load is left out; the rest still work.
      if (process.env.WIRECRAFT_DEBUG) process.stderr.write(`wirecraft: skipped protocols/${f}: ${(e as Error).message}\n`);
    }
  }
  for (const m of userModules) {
    const url = /^[a-z]+:/i.test(m) && !/^[a-z]:[\\/]/i.test(m) ? m : pathToFileURL(resolve(m)).href;
    modules.push((await import(url)) as object);
  }
  return protocolsIn(...modules);
}
