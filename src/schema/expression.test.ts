/**
 * Expressions are checked when defined, without compiling them: the check accepts exactly what
 * JavaScript accepts (compared on random token sequences), the JavaScript is made on the first
 * call, and a field then holds the compiled function.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileExpression, expressionSource } from "./expression.js";
import { defineProtocol, field, packet, dissect, DefinitionError } from "../index.js";
import { seededRandom } from "../packet/fuzz.js";

const TOKENS = ["a", "b", "0", "7", "0x10", "(", ")", "?", ":", "!", "~", "-", "+", "*", "/", "%", "<", ">", "<=", ">=",
  "==", "!=", "===", "!==", "&&", "||", "&", "|", "^", "<<", ">>", ">>>"];

/**
 * Whether JavaScript compiles the tokens, translated as compileExpression translates them, as an
 * expression of their own: parentheses that close the wrapper's, calls (an operand or ")" followed
 * by "(") and regular expressions (a "/" where an operand belongs), which the check rejects on
 * purpose, do not count.
 */
function jsCompiles(tokens: readonly string[]): boolean {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    depth += tokens[i] === "(" ? 1 : tokens[i] === ")" ? -1 : 0;
    if (depth < 0) return false;
    const afterOperand = i > 0 && /^[\w)]/.test(tokens[i - 1]!);
    if ((tokens[i] === "(" && afterOperand) || (tokens[i] === "/" && !afterOperand)) return false;
  }
  const js = tokens.map((t) => (t === "a" || t === "b" ? `Number(l.${t})` : t === "==" ? "===" : t === "!=" ? "!==" : t)).join(" ");
  try {
    new Function("l", `"use strict"; return +(${js});`);
    return true;
  } catch {
    return false;
  }
}

test("the definition-time check accepts what JavaScript compiles and nothing else (6000 random token sequences)", () => {
  const random = seededRandom(9);
  let accepted = 0;
  for (let k = 0; k < 6000; k++) {
    // Short sequences, biased to operands so that a good share are well formed.
    const n = 1 + Math.floor(random() * 7);
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) tokens.push(random() < 0.5 ? (["a", "b", "7"] as const)[Math.floor(random() * 3)]! : TOKENS[Math.floor(random() * TOKENS.length)]!);
    const source = tokens.join(" ");
    const js = jsCompiles(tokens);
    let ours: boolean;
    try {
      compileExpression(source, ["a", "b"]);
      ours = true;
    } catch (e) {
      assert.match((e as Error).message, /not well formed/, source);
      ours = false;
    }
    assert.equal(ours, js, `"${source}": JavaScript ${js ? "compiles" : "rejects"} it`);
    if (ours) accepted++;
  }
  assert.ok(accepted > 300, `only ${accepted} well-formed sequences: the comparison says little`);
});

test("the JavaScript is made on the first call; install gets it once; both functions carry the source", () => {
  const installed: Function[] = [];
  const first = compileExpression("a * 4 - (b == 2 ? 1 : 0)", ["a", "b"], (fn) => installed.push(fn));
  assert.equal(installed.length, 0);
  assert.equal(expressionSource.get(first), " Number(l.a) * 4 - ( Number(l.b) === 2 ? 1 : 0 )");
  assert.equal(first({ a: 5, b: 2 }), 19);
  assert.equal(installed.length, 1);
  assert.equal(first({ a: 5, b: 3 }), 20);
  assert.equal(installed.length, 1);
  const compiled = installed[0] as (l: object) => number;
  assert.notEqual(compiled, first);
  assert.equal(compiled({ a: 1, b: 0 }), 4);
  assert.equal(expressionSource.get(compiled), expressionSource.get(first));
});

test("a protocol's fields hold their compiled expressions after the first use, and still work", () => {
  const shape = {
    kind: field.uint8(),
    size: field.uint8({ lengthOf: "data" }),
    extra: field.uint16({ when: "kind > 1" }),
    data: field.bytes({ length: "size" }),
  };
  const P = defineProtocol("ExprLazy", shape);
  const when0 = shape.extra.when;
  const length0 = (shape.data as unknown as { length: unknown }).length;
  const bytes = packet(P({ kind: 2, extra: 0x1234, data: new Uint8Array([9, 8, 7]) })).bytes();
  assert.deepEqual([...bytes], [2, 3, 0x12, 0x34, 9, 8, 7]);
  const layer = dissect(bytes, P).layer(P)!;
  assert.equal(layer.extra, 0x1234);
  assert.deepEqual([...layer.data], [9, 8, 7]);
  const short = dissect(new Uint8Array([1, 2, 5, 6]), P).layer(P)!;
  assert.equal(short.extra, undefined);
  assert.deepEqual([...short.data], [5, 6]);
  // Dissecting and building inline conditions (from expressionSource); the length is called.
  assert.notEqual((shape.data as unknown as { length: unknown }).length, length0);
  assert.equal(shape.extra.when, when0);
  assert.equal(shape.extra.when!({ kind: 3 }), 1);
  assert.notEqual(shape.extra.when, when0);
  assert.ok(expressionSource.has(shape.extra.when!));
  assert.equal(shape.extra.when!({ kind: 1 }), 0);
});

test("bad expressions still fail at definition time, with DefinitionError", () => {
  for (const [expr, part] of [["1 +", "not well formed"], ["(kind", "not well formed"], ["kind kind", "not well formed"], ["kind ** 2", "not well formed"],
    ["kind = 2", "cannot read expression"], ["other > 1", "not an earlier field"], ["", "empty"]] as const) {
    assert.throws(() => defineProtocol("ExprBad", { kind: field.uint8(), x: field.uint8({ when: expr }) }), (e: unknown) => {
      assert.ok(e instanceof DefinitionError, String(e));
      assert.ok(e.message.includes(part), `${expr}: ${e.message}`);
      return true;
    });
  }
});
