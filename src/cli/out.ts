/**
 * Buffered standard output for commands that print a line per frame: text is encoded into a
 * buffer as it comes (so the strings die young) and written a buffer at a time.
 */

/** The bytes gathered before they are handed to stdout. */
const OUT_SIZE = 64 * 1024;
const SPACE = 0x20;

/** Buffered stdout that waits for 'drain' and stops quietly on a closed pipe (`| head`). */
export class LineOut {
  private buf = Buffer.allocUnsafe(OUT_SIZE);
  private len = 0;
  private closed = false;
  private readonly stream: NodeJS.WriteStream;

  /** Write to `stream` (stdout by default); a closed pipe exits the process quietly. */
  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.stream = stream;
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") { this.closed = true; process.exit(0); }
    });
  }

  /** Whether enough is buffered that the caller should `flush` (at a convenient point). */
  get full(): boolean {
    return this.len >= OUT_SIZE / 2;
  }

  /** Add a line; a newline is added. */
  line(s: string): void {
    this.reserve(s.length * 3 + 1);
    this.len += this.buf.write(s, this.len);
    this.buf[this.len++] = 10;
  }

  /** Make room for `n` more bytes: what is buffered goes to stdout if they would not fit. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    this.send();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Add a string's UTF-8 bytes (after `reserve` of 3 bytes per UTF-16 code unit). */
  text(s: string): void {
    const buf = this.buf;
    const start = this.len;
    let p = start;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.len = start + buf.write(s, start);
        return;
      }
      buf[p++] = c;
    }
    this.len = p;
  }

  /** Add `s` after spaces that make it at least `width` code units (`padStart`). */
  padStart(s: string, width: number): void {
    this.spaces(width - s.length);
    this.text(s);
  }

  /** Add `s`, then spaces that make it at least `width` code units (`padEnd`). */
  padEnd(s: string, width: number): void {
    this.text(s);
    this.spaces(width - s.length);
  }

  /** Add `n` spaces (none when `n` <= 0). */
  spaces(n: number): void {
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = SPACE;
    this.len = p;
  }

  /** Add one byte. */
  byte(b: number): void {
    this.buf[this.len++] = b;
  }

  /** Add the decimal digits of a whole number from 0 to 2^53, at least `min` of them (zeros before). */
  digits(n: number, min = 1): void {
    const count = Math.max(digitCount(n), min);
    const buf = this.buf;
    const end = this.len + count;
    for (let p = end - 1; p >= this.len; p--) {
      const q = Math.floor(n / 10);
      buf[p] = 48 + (n - q * 10);
      n = q;
    }
    this.len = end;
  }

  /** Write what is buffered and wait until stdout can take more. */
  async flush(): Promise<void> {
    this.send();
    if (this.stream.writableNeedDrain && !this.closed) await new Promise<void>((res) => this.stream.once("drain", () => res()));
  }

  /** Hand the buffered bytes to stdout, and gather the next ones in a fresh buffer. */
  private send(): void {
    if (this.len === 0 || this.closed) return;
    const bytes = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(OUT_SIZE);
    this.len = 0;
    this.stream.write(bytes);
  }
}

/** The number of decimal digits of a whole number from 0 to 2^53. */
export function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}
