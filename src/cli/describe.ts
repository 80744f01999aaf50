/** `wirecraft describe PROTOCOL`: a protocol's fields, kinds, widths and defaults. */
import * as api from "../index.js";
import { describe } from "../packet/display.js";
import type { AnyProtocol } from "../schema/protocol.js";

/** Return the built-in protocols by name. */
export function builtinProtocols(): Map<string, AnyProtocol> {
  const out = new Map<string, AnyProtocol>();
  for (const v of Object.values(api)) {
    if (typeof v === "function" && "fields" in v && "is" in v) out.set((v as AnyProtocol).name, v as AnyProtocol);
  }
  return out;
}

/** Run the describe command. */
export function runDescribe(args: string[]): number {
  const all = builtinProtocols();
  const name = args[0];
  const p = name === undefined ? undefined : all.get(name) ?? [...all.values()].find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (p === undefined) {
    process.stderr.write(`wirecraft describe: ${name === undefined ? "name a protocol" : `no protocol "${name}"`}; known: ${[...all.keys()].sort().join(", ")}\n`);
    return 2;
  }
  process.stdout.write(describe(p) + "\n");
  return 0;
}
