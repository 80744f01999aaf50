/**
 * Address text forms: MAC (`02:00:00:00:00:01`), IPv4 dotted quad, IPv6 in RFC 5952 form.
 * Parsers return undefined on bad input so callers can raise an error naming their field.
 */

const HEX = "0123456789abcdef";
const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

const MAC_SLOTS = 1024;
const macKeys = new Int32Array(MAC_SLOTS * 2);
const macText: string[] = new Array<string>(MAC_SLOTS).fill("00:00:00:00:00:00");

/** Format 6 bytes at `off` as `aa:bb:cc:dd:ee:ff` (interned like IPv4 text, below). */
export function formatMac(b: Uint8Array, off: number): string {
  const hi = (b[off]! << 8) | b[off + 1]!;
  const lo = (b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!;
  const slot = Math.imul(lo ^ Math.imul(hi, 0x01000193), 0x9e3779b1) >>> 22;
  if (macKeys[2 * slot] === hi && macKeys[2 * slot + 1] === lo) return macText[slot]!;
  const text = macString(b, off);
  macKeys[2 * slot] = hi;
  macKeys[2 * slot + 1] = lo;
  macText[slot] = text;
  return text;
}

/** Character codes of the hex digits. */
const HEX_CODE = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
const chars = String.fromCharCode;

// New text is made by one `String.fromCharCode` of every character: one flat string, where
// concatenating parts makes a string per step (measured twice as fast for a MAC address).
function macString(b: Uint8Array, off: number): string {
  const x0 = b[off]!, x1 = b[off + 1]!, x2 = b[off + 2]!, x3 = b[off + 3]!, x4 = b[off + 4]!, x5 = b[off + 5]!;
  const h = HEX_CODE;
  return chars(
    h[x0 >> 4]!, h[x0 & 15]!, 58, h[x1 >> 4]!, h[x1 & 15]!, 58, h[x2 >> 4]!, h[x2 & 15]!, 58,
    h[x3 >> 4]!, h[x3 & 15]!, 58, h[x4 >> 4]!, h[x4 & 15]!, 58, h[x5 >> 4]!, h[x5 & 15]!,
  );
}

/** Parse `aa:bb:cc:dd:ee:ff` (also `-` separated or bare 12 hex digits) into `out` at `off`. */
export function parseMac(text: string, out: Uint8Array, off: number): boolean {
  let s = text;
  if (s.length === 17) {
    const sep = s[2];
    if (sep !== ":" && sep !== "-") return false;
    for (let i = 5; i < 17; i += 3) if (s[i] !== sep) return false;
    s = s.split(sep).join("");
  }
  if (s.length !== 12 || !/^[0-9a-fA-F]{12}$/.test(s)) return false;
  for (let i = 0; i < 6; i++) out[off + i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return true;
}

const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));
/** A 16-bit word in hex without leading zeros. */
const hexWord = (w: number): string => (w < 256 ? HEX_SHORT[w]! : HEX_SHORT[w >> 8]! + HEX_BYTE[w & 255]!);
const HEX_SHORT: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));

// Address text is interned in small caches: traffic repeats its addresses, and a hit costs a hash
// and a compare where formatting costs several string concatenations. The IPv4 and IPv6 caches
// are two-way: each hash picks a pair of slots, the newest address in the first, the one it
// displaced in the second, and a hit in the second swaps them. (Direct-mapped, two hot addresses
// whose hashes collide evict each other on every packet: with 513 addresses in 4096 slots, the
// bench corpus missed on 7% of its lookups, 24,000 per pass; two-way, on none after the first.)
// The tables start full of the all-zeros address.
const V4_PAIRS = 2048;
const v4Keys = new Int32Array(2 * V4_PAIRS);
const v4Text: string[] = new Array<string>(2 * V4_PAIRS).fill("0.0.0.0");

/** Format 4 bytes at `off` as a dotted quad. */
export function formatIPv4(b: Uint8Array, off: number): string {
  const a0 = b[off]!, a1 = b[off + 1]!, a2 = b[off + 2]!, a3 = b[off + 3]!;
  const key = (a0 << 24) | (a1 << 16) | (a2 << 8) | a3;
  const at = (Math.imul(key, 0x9e3779b1) >>> 21) << 1;
  if (v4Keys[at] === key) return v4Text[at]!;
  const other = v4Keys[at + 1]!;
  const text = other === key ? v4Text[at + 1]! : dottedQuad(a0, a1, a2, a3);
  v4Keys[at + 1] = v4Keys[at]!;
  v4Text[at + 1] = v4Text[at]!;
  v4Keys[at] = key;
  v4Text[at] = text;
  return text;
}

// The decimal digits of each byte value, and how many there are.
const DIGITS = new Uint8Array(256 * 3);
const DIGIT_COUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const t = String(i);
  DIGIT_COUNT[i] = t.length;
  for (let k = 0; k < t.length; k++) DIGITS[3 * i + k] = t.charCodeAt(k);
}
const quad = new Uint16Array(15);

function putDecimal(v: number, at: number): number {
  const n = DIGIT_COUNT[v]!;
  quad[at] = DIGITS[3 * v]!;
  if (n > 1) { quad[at + 1] = DIGITS[3 * v + 1]!; if (n > 2) quad[at + 2] = DIGITS[3 * v + 2]!; }
  return at + n;
}

/** The dotted quad of four bytes, made as one flat string (see macString). */
function dottedQuad(a0: number, a1: number, a2: number, a3: number): string {
  let at = putDecimal(a0, 0);
  quad[at++] = 46;
  at = putDecimal(a1, at);
  quad[at++] = 46;
  at = putDecimal(a2, at);
  quad[at++] = 46;
  at = putDecimal(a3, at);
  const q = quad;
  switch (at) {
    case 7: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!);
    case 8: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!);
    case 9: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!);
    case 10: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!);
    case 11: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!);
    case 12: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!, q[11]!);
    case 13: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!, q[11]!, q[12]!);
    case 14: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!, q[11]!, q[12]!, q[13]!);
    default: return chars(q[0]!, q[1]!, q[2]!, q[3]!, q[4]!, q[5]!, q[6]!, q[7]!, q[8]!, q[9]!, q[10]!, q[11]!, q[12]!, q[13]!, q[14]!);
  }
}

/** Parse a dotted quad into `out` at `off`. */
export function parseIPv4(text: string, out: Uint8Array, off: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[off + i] = n;
  }
  return true;
}

const V6_PAIRS = 1024;
const v6Keys = new Int32Array(2 * V6_PAIRS * 4);
const v6Text: string[] = new Array<string>(2 * V6_PAIRS).fill("::");
const words = new Uint16Array(8);

/** Format 16 bytes at `off` as IPv6 text in RFC 5952 canonical form (cached two-way, as IPv4). */
export function formatIPv6(b: Uint8Array, off: number): string {
  const k0 = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  const k1 = (b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
  const k2 = (b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!;
  const k3 = (b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!;
  const at = (Math.imul(k0 ^ Math.imul(k1, 31) ^ Math.imul(k2, 961) ^ Math.imul(k3, 29791), 0x9e3779b1) >>> 22) << 1;
  const k = at * 4;
  if (v6Keys[k] === k0 && v6Keys[k + 1] === k1 && v6Keys[k + 2] === k2 && v6Keys[k + 3] === k3) return v6Text[at]!;
  const text = v6Keys[k + 4] === k0 && v6Keys[k + 5] === k1 && v6Keys[k + 6] === k2 && v6Keys[k + 7] === k3 ? v6Text[at + 1]! : ipv6Text(b, off);
  v6Keys[k + 4] = v6Keys[k]!; v6Keys[k + 5] = v6Keys[k + 1]!; v6Keys[k + 6] = v6Keys[k + 2]!; v6Keys[k + 7] = v6Keys[k + 3]!;
  v6Text[at + 1] = v6Text[at]!;
  v6Keys[k] = k0; v6Keys[k + 1] = k1; v6Keys[k + 2] = k2; v6Keys[k + 3] = k3;
  v6Text[at] = text;
  return text;
}

function ipv6Text(b: Uint8Array, off: number): string {
  for (let i = 0; i < 8; i++) words[i] = (b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!;
  // Longest run of two or more zero words, first one on ties (RFC 5952 4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 5).
  if (bestStart === 0 && bestLen === 5 && words[5] === 0xffff) {
    return "::ffff:" + DEC[b[off + 12]!]! + "." + DEC[b[off + 13]!]! + "." + DEC[b[off + 14]!]! + "." + DEC[b[off + 15]!]!;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    out += hexWord(words[i]!);
    if (i < 7) out += ":";
  }
  return out;
}

/** Parse IPv6 text (any valid form, including an embedded IPv4 tail) into `out` at `off`. */
export function parseIPv6(text: string, out: Uint8Array, off: number): boolean {
  let s = text;
  const pct = s.indexOf("%");
  if (pct >= 0) s = s.slice(0, pct);
  const words: number[] = [];
  let tail: number[] | undefined;
  const dbl = s.indexOf("::");
  if (dbl !== s.lastIndexOf("::")) return false;
  const parseGroups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === "") return [];
    const groups = part.split(":");
    const res: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4 && i === groups.length - 1 && g.includes(".")) {
        const v4 = new Uint8Array(4);
        if (!parseIPv4(g, v4, 0)) return undefined;
        res.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      res.push(parseInt(g, 16));
    }
    return res;
  };
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl), false);
    tail = parseGroups(s.slice(dbl + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return false;
    words.push(...head);
    while (words.length + tail.length < 8) words.push(0);
    words.push(...tail);
  } else {
    const all = parseGroups(s, true);
    if (!all || all.length !== 8) return false;
    words.push(...all);
  }
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = words[i]! >> 8;
    out[off + 2 * i + 1] = words[i]! & 0xff;
  }
  return true;
}

/** Format bytes as lowercase hex without separators. */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = "";
  for (let i = start; i < end; i++) s += HEX_BYTE[b[i]!]!;
  return s;
}

/** Parse hex (whitespace, `:` and a leading `0x` allowed) into bytes; undefined if not hex. */
export function parseHex(text: string): Uint8Array | undefined {
  let s = text.replace(/[\s:]/g, "");
  if (s.startsWith("0x") || s.startsWith("0X")) s = s.slice(2);
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}
