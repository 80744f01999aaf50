/**
 * Initial sequence numbers (RFC 6528) and SYN cookies, both from a keyed hash of the connection's
 * four-tuple with a secret of the stack's own.
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock (RFC 6528 3).
 *
 * SYN cookies (as Linux, after D. J. Bernstein): the ISN of our SYN-ACK is
 *   H1(tuple) + clientIsn + (count << 24) + ((H2(tuple, count) + mssIndex) mod 2^24)
 * with `count` a 64-second counter; the ACK that completes the handshake carries it back
 * (ack - 1), and it is valid when `count` is at most 2 periods old and the MSS index decodes.
 * No state is kept for the half-open connection; window scale and SACK are not remembered
 * (a connection made from a cookie does without them, as Linux does without timestamps).
 *
 * F is a keyed hash written here in the manner of HalfSipHash-2-4 (32-bit words, 2 compression
 * and 4 finalization rounds; not checked against reference vectors): the point is that an
 * off-path host cannot predict it without the secret.
 */
import { randomBytes } from "node:crypto";

/** A connection's four-tuple as the hash reads it. */
export interface FourTuple {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** MSS values a SYN cookie can carry (its 2-bit index; as Linux's IPv4 table). */
export const COOKIE_MSS = [536, 1300, 1440, 1460] as const;

/** Cookie periods (64 s each) a cookie stays valid for. */
export const COOKIE_MAX_AGE = 2;

function rotl(x: number, b: number): number {
  return ((x << b) | (x >>> (32 - b))) >>> 0;
}

/** A keyed 32-bit hash of a list of 32-bit words. */
export class KeyedHash {
  private readonly k0: number;
  private readonly k1: number;

  constructor(key: Uint8Array) {
    if (key.length < 8) throw new RangeError("the key needs 8 bytes");
    this.k0 = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
    this.k1 = (key[4]! | (key[5]! << 8) | (key[6]! << 16) | (key[7]! << 24)) >>> 0;
  }

  /** Return the hash of `words` (each taken modulo 2^32). */
  hash(words: readonly number[]): number {
    let v0 = this.k0;
    let v1 = this.k1;
    let v2 = (0x6c796765 ^ this.k0) >>> 0;
    let v3 = (0x74656462 ^ this.k1) >>> 0;
    const round = (): void => {
      v0 = (v0 + v1) >>> 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
      v2 = (v2 + v3) >>> 0; v3 = rotl(v3, 8); v3 ^= v2;
      v0 = (v0 + v3) >>> 0; v3 = rotl(v3, 7); v3 ^= v0;
      v2 = (v2 + v1) >>> 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
    };
    for (const w of words) {
      const m = w >>> 0;
      v3 = (v3 ^ m) >>> 0;
      round(); round();
      v0 = (v0 ^ m) >>> 0;
    }
    const last = ((words.length * 4) << 24) >>> 0;
    v3 = (v3 ^ last) >>> 0; round(); round(); v0 = (v0 ^ last) >>> 0;
    v2 = (v2 ^ 0xff) >>> 0;
    round(); round(); round(); round();
    return (v1 ^ v3) >>> 0;
  }
}

function addressWords(address: string, out: number[]): void {
  let w = 0;
  let n = 0;
  for (let i = 0; i < address.length; i++) {
    w = (w << 8) | (address.charCodeAt(i) & 0xff);
    if (++n === 4) { out.push(w >>> 0); w = 0; n = 0; }
  }
  if (n > 0) out.push(w >>> 0);
}

function tupleWords(t: FourTuple, salt: number): number[] {
  const words = [salt, ((t.localPort << 16) | t.remotePort) >>> 0];
  addressWords(t.localAddress, words);
  words.push(0x2f2f2f2f);
  addressWords(t.remoteAddress, words);
  return words;
}

/** ISNs and SYN cookies of one stack. */
export class IsnGenerator {
  private readonly hasher: KeyedHash;

  /** `secret`: 8 bytes or more (default: random, from node:crypto). */
  constructor(secret: Uint8Array = randomBytes(16)) {
    this.hasher = new KeyedHash(secret);
  }

  /** Return the ISN for a connection at time `now` (ms). */
  isn(t: FourTuple, now: number): number {
    return (this.hasher.hash(tupleWords(t, 1)) + Math.floor(now * 250)) >>> 0;
  }

  /** Return a per-connection offset for timestamp values (RFC 7323 5.4). */
  timestampOffset(t: FourTuple): number {
    return this.hasher.hash(tupleWords(t, 2));
  }

  /** Return the cookie ISN for a SYN with sequence number `clientIsn` and MSS `mss` (rounded down to the table). */
  cookie(t: FourTuple, clientIsn: number, mss: number, now: number): { isn: number; mss: number } {
    let index = 0;
    for (let i = COOKIE_MSS.length - 1; i >= 0; i--) if (mss >= COOKIE_MSS[i]!) { index = i; break; }
    const count = Math.floor(now / 64_000) & 0xff;
    const h1 = this.hasher.hash(tupleWords(t, 3));
    const h2 = this.hasher.hash([count, ...tupleWords(t, 4)]);
    const isn = (h1 + clientIsn + (count << 24) + ((h2 + index) & 0xffffff)) >>> 0;
    return { isn, mss: COOKIE_MSS[index]! };
  }

  /** Return the MSS a returned cookie encodes, or undefined when it is not one of ours or too old. */
  checkCookie(t: FourTuple, clientIsn: number, cookie: number, now: number): number | undefined {
    const h1 = this.hasher.hash(tupleWords(t, 3));
    const diff = (cookie - h1 - clientIsn) >>> 0;
    const count = diff >>> 24;
    const age = ((Math.floor(now / 64_000) & 0xff) - count) & 0xff;
    if (age > COOKIE_MAX_AGE) return undefined;
    const h2 = this.hasher.hash([count, ...tupleWords(t, 4)]);
    const index = ((diff & 0xffffff) - (h2 & 0xffffff)) & 0xffffff;
    return index < COOKIE_MSS.length ? COOKIE_MSS[index] : undefined;
  }
}
