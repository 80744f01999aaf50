/**
 * Tiny expressions over earlier fields, used for lengths and conditions in declarations:
 * `"ihl * 4 - 20"`, `"kind > 1"`, `"flags & 0x8"`. They are checked when a protocol is defined
 * (only arithmetic, comparison and logic on earlier fields and integer literals) and compiled, on
 * first use, into a plain function, so evaluating one costs a property read and some arithmetic.
 */

/** A record of field values as expressions and field callbacks see them. */
export type FieldValues = { readonly [field: string]: unknown };

/** A compiled expression: reads fields from a layer. */
export type Expression = (layer: FieldValues) => number;

/** The JavaScript of each compiled expression, over a layer named `l`, for code generators to inline. */
export const expressionSource = new WeakMap<Function, string>();

/** One token after optional white space: a number, a name, an operator, or (group 4) the end. */
const TOKEN = /\s*(?:(0x[0-9a-fA-F]+|0b[01]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(>>>|===|!==|<=|>=|==|!=|&&|\|\||<<|>>|[-+*/%()<>!&|^~?:])|($))/y;

const BINARY = new Set([">>>", "===", "!==", "<=", ">=", "==", "!=", "&&", "||", "<<", ">>", "-", "+", "*", "/", "%", "<", ">", "&", "|", "^"]);
const UNARY = new Set(["!", "~", "-", "+"]);

/**
 * Check that `tokens` (operators as strings, operands as "n") form an expression: operands joined by
 * binary operators, unary prefixes, parentheses and `?:`. This is the JavaScript grammar of these
 * tokens, so what it accepts compiles, and it needs no `new Function` at definition time.
 */
function wellFormed(tokens: readonly string[]): boolean {
  let i = 0;
  const conditional = (): boolean => {
    if (!binary()) return false;
    if (tokens[i] !== "?") return true;
    i++;
    if (!conditional() || tokens[i] !== ":") return false;
    i++;
    return conditional();
  };
  const binary = (): boolean => {
    if (!unary()) return false;
    while (i < tokens.length && BINARY.has(tokens[i]!)) {
      i++;
      if (!unary()) return false;
    }
    return true;
  };
  const unary = (): boolean => {
    while (i < tokens.length && UNARY.has(tokens[i]!)) i++;
    const t = tokens[i++];
    if (t === "n") return true;
    if (t !== "(" || !conditional() || tokens[i] !== ")") return false;
    i++;
    return true;
  };
  return conditional() && i === tokens.length;
}

/**
 * Compile `source` into a function of a layer. `known` lists the field names it may use;
 * anything else (or any other syntax) is rejected here, with a message naming the problem. The
 * JavaScript is made on the first call (defining the bundled protocols compiles about 80
 * expressions, a tenth of the import time when made at once); `install`, when given, receives the
 * compiled function then, so that a field can hold it instead of this first one.
 */
export function compileExpression(source: string, known: readonly string[], install?: (fn: Expression) => void): Expression {
  let js = "";
  let pos = 0;
  const tokens: string[] = [];
  for (;;) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) throw new Error(`cannot read expression "${source}" at "${source.slice(pos)}"`);
    pos = TOKEN.lastIndex;
    if (m[4] !== undefined) break;
    if (m[1] !== undefined) {
      js += ` ${Number(m[1])}`;
      tokens.push("n");
    } else if (m[2] !== undefined) {
      if (!known.includes(m[2])) {
        throw new Error(`expression "${source}" uses "${m[2]}", which is not an earlier field (known: ${known.join(", ") || "none"})`);
      }
      js += ` Number(l.${m[2]})`;
      tokens.push("n");
    } else {
      const op = m[3]!;
      js += op === "==" ? " ===" : op === "!=" ? " !==" : ` ${op}`;
      tokens.push(op);
    }
  }
  if (js.trim() === "") throw new Error("empty expression");
  if (!wellFormed(tokens)) throw new Error(`expression "${source}" is not well formed`);
  let compiled: Expression | undefined;
  const first: Expression = (l) => {
    if (compiled === undefined) {
      compiled = new Function("l", `"use strict"; return +(${js});`) as Expression;
      expressionSource.set(compiled, js);
      install?.(compiled);
    }
    return compiled(l);
  };
  expressionSource.set(first, js);
  return first;
}
