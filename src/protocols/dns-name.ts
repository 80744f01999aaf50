/**
 * DNS names (RFC 1035 §3.1, §4.1.4): labels, and compression pointers read with loop protection
 * and written when building.
 *
 * A name reads as its labels joined by dots, without the final dot ("www.example.com"); the root
 * reads as ".". A dot or backslash inside a label is escaped with a backslash. Labels are latin1,
 * so any bytes survive a round trip.
 *
 * Reading, a pointer must point strictly before the labels that hold it (so a chain of pointers
 * always moves backwards and ends), into the message, and a name may not exceed 255 bytes.
 */
import { field } from "../schema/protocol.js";
import type { CustomReadContext, CustomWriteContext } from "../schema/custom.js";

/** The longest name on the wire, in bytes (RFC 1035 §2.3.4). */
export const MAX_NAME_LENGTH = 255;

/** Key of the per-build map of name suffixes already written (lower-cased suffix -> offset). */
const WRITTEN = Symbol("dns names written");

/** The text of the name the last successful `walk` with `text` read. */
let walkedName = ".";
/** Why the last `walk` that returned -1 stopped. */
let walkError = "";

/**
 * Walk a name at `off`: return its span there, or -1 when it is malformed (`walkError` says why);
 * with `text`, its text is left in `walkedName` (labels joined by dots, escaped; "." for the root).
 * Nothing is allocated unless text is asked for or the name is malformed: layouts measure every
 * name of a message with it. Asked for text, the walk gathers the name's labels uncompressed
 * (`wireName`) and hashes them, and the text comes from the name cache (`nameText`).
 */
function walk(b: Uint8Array, off: number, end: number, base: number, text: boolean): number {
  let pos = off;
  let segStart = off;
  let limit = end;
  let span = -1;
  let wire = 1;
  let h = 0x811c9dc5;
  for (;;) {
    if (pos >= limit) { walkError = `name runs past the end at offset ${pos}`; return -1; }
    const len = b[pos]!;
    if (len === 0) {
      if (text) walkedName = nameText(wire - 1, h);
      return span < 0 ? pos + 1 - off : span;
    }
    const top = len & 0xc0;
    if (top === 0xc0) {
      if (pos + 2 > limit) { walkError = `compression pointer runs past the end at offset ${pos}`; return -1; }
      const target = base + (((len & 0x3f) << 8) | b[pos + 1]!);
      if (span < 0) span = pos + 2 - off;
      if (target >= segStart) { walkError = `compression pointer at offset ${pos} does not point backwards (to ${target - base})`; return -1; }
      segStart = target;
      pos = target;
      // A pointer moves backwards, so the labels it reaches end before the labels that hold it.
      limit = b.length;
      continue;
    }
    if (top !== 0) { walkError = `label type 0x${top.toString(16)} at offset ${pos} is not supported`; return -1; }
    if (pos + 1 + len > limit) { walkError = `label of ${len} byte(s) runs past the end at offset ${pos}`; return -1; }
    if (wire + len + 1 > MAX_NAME_LENGTH) { walkError = `name is longer than ${MAX_NAME_LENGTH} bytes`; return -1; }
    if (text) {
      // The length byte and the label, after those before: the name without compression.
      for (let i = 0, w = wire - 1; i <= len; i++, w++) {
        const c = b[pos + i]!;
        wireName[w] = c;
        h = Math.imul(h ^ c, 0x01000193);
      }
    }
    wire += len + 1;
    pos += 1 + len;
  }
}

/** The labels of the name being walked for text, uncompressed (length bytes and labels, no root). */
const wireName = new Uint8Array(MAX_NAME_LENGTH);

// Name text is interned in a direct-mapped cache: traffic repeats its names, and a hit costs a
// compare of the name's bytes where making the text costs a label look-up and two concatenations
// per label. Each slot keeps the uncompressed bytes of its name beside the text.
const NAME_SLOTS = 1024;
const nameCache: string[] = new Array<string>(NAME_SLOTS).fill(".");
const nameKey = new Uint8Array(NAME_SLOTS * 256);
const nameLength = new Uint16Array(NAME_SLOTS); // 0: the root, whose text "." every slot starts with

/** The text of the `n` bytes in `wireName` (hashed to `h`): labels joined by dots, "." for none. */
function nameText(n: number, h: number): string {
  const slot = h >>> 22;
  const key = slot << 8;
  if (nameLength[slot] === n) {
    let i = 0;
    while (i < n && nameKey[key + i] === wireName[i]) i++;
    if (i === n) return nameCache[slot]!;
  }
  let name = "";
  for (let p = 0; p < n; p += 1 + wireName[p]!) {
    if (p > 0) name += ".";
    name += labelText(wireName, p + 1, p + 1 + wireName[p]!);
  }
  if (n === 0) name = ".";
  nameCache[slot] = name;
  nameLength[slot] = n;
  nameKey.set(wireName.subarray(0, n), key);
  return name;
}

/** One-character strings of the latin1 code points, and their escaped forms for `.` and `\`. */
const CHAR: string[] = Array.from({ length: 256 }, (_, c) => (c === 0x2e || c === 0x5c ? "\\" : "") + String.fromCharCode(c));

// Label text is interned in a direct-mapped cache: names repeat their labels ("www", "com"), and a
// hit costs a hash and a compare where building the text costs a concatenation per character.
// Each slot keeps its label's bytes (at most 63) beside the text, so a hit compares bytes with
// bytes and touches the string only to return it.
const LABEL_SLOTS = 2048;
const labelCache: string[] = new Array<string>(LABEL_SLOTS).fill("");
const labelKey = new Uint8Array(LABEL_SLOTS * 64);
const labelLength = new Uint8Array(LABEL_SLOTS);

/** The text of one label's bytes (latin1, with `.` and `\\` escaped). */
function labelText(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  let h = n;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x2e || c === 0x5c) return escapedText(b, start, end);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = h >>> 21;
  const key = slot << 6;
  if (labelLength[slot] === n) {
    let same = true;
    for (let i = 0; i < n; i++) if (labelKey[key + i] !== b[start + i]) { same = false; break; }
    if (same) return labelCache[slot]!;
  }
  let text = "";
  for (let i = start; i < end; i++) text += CHAR[b[i]!]!;
  labelCache[slot] = text;
  labelLength[slot] = n;
  for (let i = 0; i < n; i++) labelKey[key + i] = b[start + i]!;
  return text;
}

function escapedText(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += CHAR[b[i]!]!;
  return s;
}

/** The span of the name at `off` (its labels checked as when reading). Throws on malformed names. */
export function nameSpan(b: Uint8Array, off: number, end: number, base: number): number {
  const n = walk(b, off, end, base, false);
  if (n < 0) throw new Error(walkError);
  return n;
}

/** The span of the name at `off`, or -1 when it is malformed (`nameSpan` says why); allocates nothing. */
export function measureName(b: Uint8Array, off: number, end: number, base: number): number {
  return walk(b, off, end, base, false);
}

/** The span and text of the name at `off`. Throws on malformed names. */
export function nameAt(b: Uint8Array, off: number, end: number, base: number): { span: number; name: string } {
  const n = walk(b, off, end, base, true);
  if (n < 0) throw new Error(walkError);
  return { span: n, name: walkedName };
}

/** Split a name as written by users ("www.example.com", "www.example.com.", ".") into raw labels. */
export function splitName(name: string): string[] {
  if (name === "" || name === ".") return [];
  const labels: string[] = [];
  let cur = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === "\\" && i + 1 < name.length) { cur += name[++i]; continue; }
    if (c === ".") {
      if (cur === "") throw new Error(`name "${name}" has an empty label`);
      labels.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  if (cur !== "") labels.push(cur);
  return labels;
}

/** Return the canonical text of a name (no final dot; "." for the root). */
export function normalizeName(value: unknown): string {
  if (typeof value !== "string") throw new Error("expects a domain name string");
  const labels = splitName(value);
  let wire = 1;
  for (const l of labels) {
    if (/[^\u0000-\u00ff]/.test(l)) throw new Error(`label "${l}" has characters outside latin1 (use punycode)`);
    if (l.length > 63) throw new Error(`label "${l.slice(0, 20)}…" is longer than 63 bytes`);
    wire += l.length + 1;
  }
  if (wire > MAX_NAME_LENGTH) throw new Error(`name is longer than ${MAX_NAME_LENGTH} bytes`);
  return joinLabels(labels.map((l) => l.replace(/[.\\]/g, (c) => "\\" + c)));
}

function joinLabels(escaped: readonly string[]): string {
  return escaped.length === 0 ? "." : escaped.join(".");
}

/**
 * Encode `name` at `ctx.position`. With `compress`, a suffix already written in this build is
 * replaced by a pointer to it; suffixes written here are remembered either way (when `remember`).
 */
export function encodeName(name: string, ctx: CustomWriteContext, compress = true, remember = true): Uint8Array {
  const labels = splitName(name);
  let written = ctx.scratch.get(WRITTEN) as Map<string, number> | undefined;
  if (written === undefined) { written = new Map(); ctx.scratch.set(WRITTEN, written); }
  const out: number[] = [];
  let pointer = -1;
  let i = 0;
  for (; i < labels.length; i++) {
    const key = labels.slice(i).join(".").toLowerCase();
    const at = written.get(key);
    if (compress && at !== undefined) { pointer = at; break; }
    if (remember && ctx.position + out.length < 0x4000) written.set(key, ctx.position + out.length);
    const l = labels[i]!;
    out.push(l.length);
    for (let k = 0; k < l.length; k++) out.push(l.charCodeAt(k));
  }
  if (pointer >= 0) out.push(0xc0 | (pointer >> 8), pointer & 0xff);
  else out.push(0);
  return Uint8Array.from(out);
}

/** Read a name at `ctx.offset`. */
export function readName(ctx: CustomReadContext): string {
  if (walk(ctx.bytes, ctx.offset, ctx.end, ctx.base, true) < 0) throw new Error(walkError);
  return walkedName;
}

/** A DNS name field: read with loop protection, written with compression. */
export function dnsNameField(doc: string) {
  return field.custom<string>({
    kind: "dnsName",
    default: ".",
    doc,
    span: (ctx) => nameSpan(ctx.bytes, ctx.offset, ctx.end, ctx.base),
    measure: measureName,
    read: readName,
    normalize: normalizeName,
    encode: (v, ctx) => encodeName(v, ctx),
    format: (v) => JSON.stringify(v),
  });
}
