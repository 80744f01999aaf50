/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums of IPv4 and IPv6.
 */

/** Return the 32-bit running ones'-complement sum of `b[start..end)` added to `initial` (not folded). */
export function onesComplementSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i + 8 <= even; i += 8) {
    sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
    if (sum > 0x3fffffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  }
  for (; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (even < end) sum += b[end - 1]! << 8;
  return sum;
}

/** Fold a running sum to 16 bits and complement it: the value a checksum field holds. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/** Return the Internet checksum of `b[start..end)`, starting from a pseudo-header sum. */
export function internetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  // (Writing the two calls out here measured no better at the minimum: kept as calls.)
  return finishChecksum(onesComplementSum(b, start, end, initial));
}

function sumAddress(text: string, parse: (t: string, out: Uint8Array, off: number) => boolean, size: number): number {
  const tmp = new Uint8Array(size);
  parse(text, tmp, 0);
  return onesComplementSum(tmp, 0, size);
}

export { sumAddress };
