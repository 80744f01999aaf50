/** The filter language: `tcp && ip.dst == 10.0.0.2`, compiled once into a predicate over packets. */
import { defOf, type AnyProtocol } from "../schema/protocol.js";

export { FilterError, FILTER_ERROR } from "./errors.js";
export { compileFilter, protocolIndex, PROTOCOL_ALIASES, type FilterPredicate, type FrameInfo } from "./compile.js";
export { parseFilter, tokenize, type Node as FilterNode, type CompareOp, type Literal, type Ref } from "./parse.js";

/** Return the protocols exported by modules (such as `await import("wirecraft")`), without repeats. */
export function protocolsIn(...modules: object[]): AnyProtocol[] {
  const out = new Set<AnyProtocol>();
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (typeof v !== "function") continue;
      try {
        defOf(v);
      } catch {
        continue;
      }
      out.add(v as unknown as AnyProtocol);
    }
  }
  return [...out];
}
