/**
 * Tiny expressions over earlier fields, used for lengths and conditions in declarations:
 * `"ihl * 4 - 20"`, `"kind > 1"`, `"flags & 0x8"`. They are checked when a protocol is defined
 * (only arithmetic, comparison and logic on earlier fields and integer literals) and compiled once
 * into a plain function, so evaluating one costs a property read and some arithmetic.
 */

/** A record of field values as expressions and field callbacks see them. */
export type FieldValues = { readonly [field: string]: unknown };

/** A compiled expression: reads fields from a layer. */
export type Expression = (layer: FieldValues) => number;

/** The JavaScript of each compiled expression, over a layer named `l`, for code generators to inline. */
export const expressionSource = new WeakMap<Function, string>();

const TOKEN = /\s*(?:(0x[0-9a-fA-F]+|0b[01]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(>>>|===|!==|<=|>=|==|!=|&&|\|\||<<|>>|[-+*/%()<>!&|^~?:]))/y;

/**
 * Compile `source` into a function of a layer. `known` lists the field names it may use;
 * anything else (or any other syntax) is rejected with a message naming the problem.
 */
export function compileExpression(source: string, known: readonly string[]): Expression {
  let js = "";
  let pos = 0;
  const used: string[] = [];
  TOKEN.lastIndex = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) throw new Error(`cannot read expression "${source}" at "${source.slice(pos)}"`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) js += ` ${Number(m[1])}`;
    else if (m[2] !== undefined) {
      if (!known.includes(m[2])) {
        throw new Error(`expression "${source}" uses "${m[2]}", which is not an earlier field (known: ${known.join(", ") || "none"})`);
      }
      used.push(m[2]);
      js += ` Number(l.${m[2]})`;
    } else {
      const op = m[3]!;
      js += op === "==" ? " ===" : op === "!=" ? " !==" : ` ${op}`;
    }
  }
  if (js.trim() === "") throw new Error("empty expression");
  let fn: Expression;
  try {
    fn = new Function("l", `"use strict"; return +(${js});`) as Expression;
    expressionSource.set(fn, js);
  } catch {
    throw new Error(`expression "${source}" is not well formed`);
  }
  return fn;
}
