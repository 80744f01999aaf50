/**
 * The filter language's syntax: tokens and a recursive-descent parser into a small tree.
 *
 *   expr    := or
 *   or      := and (("||" | "or") and)*
 *   and     := not (("&&" | "and") not)*
 *   not     := ("!" | "not") not | "(" expr ")" | test
 *   test    := ref [op value | "in" "{" value ("," value)* "}" | "contains" value | "&" value]
 *   ref     := name ("." name)*          protocol, then field path
 *   op      := "==" | "!=" | "<" | "<=" | ">" | ">=" (also "eq" "ne" "lt" "le" "gt" "ge")
 *   value   := "quoted string" | bare word (number, address, CIDR prefix, enum or flag name, hex bytes)
 */
import { FilterError } from "./errors.js";

/** A comparison operator. */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A literal as written: a quoted string or a bare word, with its column. */
export interface Literal {
  readonly text: string;
  readonly quoted: boolean;
  readonly column: number;
}

/** A reference to a protocol and an optional field path, with its column. */
export interface Ref {
  readonly protocol: string;
  readonly path: readonly string[];
  readonly column: number;
}

/** The parsed form of a filter. */
export type Node =
  | { readonly kind: "or" | "and"; readonly left: Node; readonly right: Node }
  | { readonly kind: "not"; readonly operand: Node }
  | { readonly kind: "exists"; readonly ref: Ref }
  | { readonly kind: "compare"; readonly ref: Ref; readonly op: CompareOp; readonly value: Literal }
  | { readonly kind: "in"; readonly ref: Ref; readonly values: readonly Literal[] }
  | { readonly kind: "contains"; readonly ref: Ref; readonly value: Literal }
  | { readonly kind: "mask"; readonly ref: Ref; readonly value: Literal };

interface Token {
  /** "word", "string", or the punctuation itself. */
  readonly type: string;
  readonly text: string;
  /** 1-based column of the token's first character. */
  readonly column: number;
}

const PUNCT = ["&&", "||", "==", "!=", "<=", ">=", "!", "<", ">", "(", ")", "{", "}", ",", "&"];
const WORD = /[A-Za-z0-9_.:\-/]/;
const KEYWORD_OPS: Record<string, CompareOp> = { eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };

/** Split a filter into tokens; throw FilterError at the first character that cannot start one. */
export function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") { i++; continue; }
    const col = i + 1;
    if (c === '"' || c === "'") {
      let text = "";
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new FilterError(source, col, "unterminated string");
        const d = source[j]!;
        if (d === c) break;
        if (d === "\\" && j + 1 < source.length) {
          const e = source[j + 1]!;
          text += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "0" ? "\0" : e;
          j += 2;
          continue;
        }
        text += d;
        j++;
      }
      out.push({ type: "string", text, column: col });
      i = j + 1;
      continue;
    }
    if (c === "=" && source[i + 1] !== "=") throw new FilterError(source, col, `"=" is not an operator; use "=="`);
    const p = PUNCT.find((x) => source.startsWith(x, i));
    if (p !== undefined) {
      out.push({ type: p, text: p, column: col });
      i += p.length;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < source.length && WORD.test(source[j]!)) j++;
      out.push({ type: "word", text: source.slice(i, j), column: col });
      i = j;
      continue;
    }
    throw new FilterError(source, col, `unexpected character ${JSON.stringify(c)}`);
  }
  return out;
}

const REF = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** Parse a filter into its tree; throw FilterError naming the column of the first problem. */
export function parseFilter(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;
  const endColumn = source.length + 1;
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (t: Token | undefined, w: string): boolean => t !== undefined && t.type === "word" && t.text.toLowerCase() === w;
  const fail = (t: Token | undefined, what: string): never => {
    throw new FilterError(source, t?.column ?? endColumn, t === undefined ? `${what}, found the end of the filter` : `${what}, found ${JSON.stringify(t.text)}`);
  };

  const parseOr = (): Node => {
    let left = parseAnd();
    for (let t = peek(); t !== undefined && (t.type === "||" || isWord(t, "or")); t = peek()) {
      pos++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseNot();
    for (let t = peek(); t !== undefined && (t.type === "&&" || isWord(t, "and")); t = peek()) {
      pos++;
      left = { kind: "and", left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Node => {
    const t = peek();
    if (t !== undefined && (t.type === "!" || isWord(t, "not"))) {
      pos++;
      return { kind: "not", operand: parseNot() };
    }
    if (t !== undefined && t.type === "(") {
      pos++;
      const inner = parseOr();
      const close = peek();
      if (close === undefined || close.type !== ")") fail(close, `expected ")" to close the "(" at column ${t.column}`);
      pos++;
      return inner;
    }
    return parseTest();
  };
  const parseValue = (): Literal => {
    const t = peek();
    if (t === undefined || (t.type !== "word" && t.type !== "string")) return fail(t, "expected a value");
    pos++;
    return { text: t.text, quoted: t.type === "string", column: t.column };
  };
  const parseTest = (): Node => {
    const t = peek();
    if (t === undefined || t.type !== "word") return fail(t, "expected a protocol or field name");
    if (!REF.test(t.text)) fail(t, "expected a protocol or field name (like tcp or ip.dst)");
    pos++;
    const [protocol, ...path] = t.text.split(".");
    const ref: Ref = { protocol: protocol!, path, column: t.column };
    const o = peek();
    if (o === undefined) return { kind: "exists", ref };
    if (["==", "!=", "<", "<=", ">", ">="].includes(o.type)) {
      pos++;
      return { kind: "compare", ref, op: o.type as CompareOp, value: parseValue() };
    }
    if (o.type === "word" && KEYWORD_OPS[o.text.toLowerCase()] !== undefined) {
      pos++;
      return { kind: "compare", ref, op: KEYWORD_OPS[o.text.toLowerCase()]!, value: parseValue() };
    }
    if (o.type === "&") {
      pos++;
      return { kind: "mask", ref, value: parseValue() };
    }
    if (isWord(o, "contains")) {
      pos++;
      return { kind: "contains", ref, value: parseValue() };
    }
    if (isWord(o, "in")) {
      pos++;
      const open = peek();
      if (open === undefined || open.type !== "{") fail(open, `expected "{" after "in"`);
      pos++;
      const values = [parseValue()];
      for (;;) {
        const n = peek();
        if (n !== undefined && n.type === ",") { pos++; values.push(parseValue()); continue; }
        if (n !== undefined && (n.type === "word" || n.type === "string")) { values.push(parseValue()); continue; }
        if (n === undefined || n.type !== "}") fail(n, `expected "," or "}" in the set`);
        pos++;
        break;
      }
      return { kind: "in", ref, values };
    }
    return { kind: "exists", ref };
  };

  if (tokens.length === 0) throw new FilterError(source, 1, "the filter is empty");
  const tree = parseOr();
  const rest = peek();
  if (rest !== undefined) fail(rest, `expected "&&", "||" or the end of the filter`);
  return tree;
}
