/**
 * Address text forms: MAC (`02:00:00:00:00:01`), IPv4 dotted quad, IPv6 in RFC 5952 form.
 * Parsers return undefined on bad input so callers can raise an error naming their field.
 */

const HEX = "0123456789abcdef";
const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

/** Format 6 bytes at `off` as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array, off: number): string {
  return (
    HEX_BYTE[b[off]!]! + ":" + HEX_BYTE[b[off + 1]!]! + ":" + HEX_BYTE[b[off + 2]!]! + ":" +
    HEX_BYTE[b[off + 3]!]! + ":" + HEX_BYTE[b[off + 4]!]! + ":" + HEX_BYTE[b[off + 5]!]!
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

/** Format 4 bytes at `off` as a dotted quad. */
export function formatIPv4(b: Uint8Array, off: number): string {
  return b[off] + "." + b[off + 1] + "." + b[off + 2] + "." + b[off + 3];
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

/** Format 16 bytes at `off` as IPv6 text in RFC 5952 canonical form. */
export function formatIPv6(b: Uint8Array, off: number): string {
  const words: number[] = new Array(8);
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
    return "::ffff:" + formatIPv4(b, off + 12);
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLen - 1;
      continue;
    }
    out += words[i]!.toString(16);
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
