/**
 * A progress bar on stderr for long reads: shown only when stderr is a terminal, after the read
 * has taken half a second, redrawn at most ten times a second, and erased when done.
 */
import { open } from "node:fs/promises";
import { readFileChunks } from "../capture/read.js";

/** Where the bar is drawn; `process.stderr` in the command. */
export interface BarStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
}

/** A byte-count progress bar. */
export class ProgressBar {
  private readonly out: BarStream;
  private readonly total: number;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  /** Bytes done so far. */
  done = 0;
  /** Frames done so far. */
  frames = 0;

  /** Draw on `out` for a job of `total` bytes; `delayMs` before the first draw. */
  constructor(out: BarStream, total: number, private readonly delayMs = 500) {
    this.out = out;
    this.total = Math.max(1, total);
  }

  /** Record progress and redraw if due. */
  tick(): void {
    const now = Date.now();
    if (now - this.started < this.delayMs || now - this.last < 100) return;
    this.last = now;
    this.draw();
  }

  /** Return the bar's text for a terminal `width` columns wide. */
  render(width: number): string {
    const frac = Math.min(1, this.done / this.total);
    const label = ` ${(frac * 100).toFixed(0).padStart(3)}% ${mib(this.done)}/${mib(this.total)} MiB ${this.frames} frames`;
    const barWidth = Math.max(10, Math.min(50, width - label.length - 3));
    const full = Math.round(frac * barWidth);
    return `[${"#".repeat(full)}${"-".repeat(barWidth - full)}]${label}`;
  }

  private draw(): void {
    this.shown = true;
    this.out.write(`\r${this.render(this.out.columns ?? 80)}\x1b[K`);
  }

  /** Erase the bar if it was drawn. */
  finish(): void {
    if (this.shown) this.out.write("\r\x1b[K");
    this.shown = false;
  }
}

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}

/** Return a bar for reading `path` when `out` is a terminal and the size is known, else undefined. */
export async function barFor(path: string, out: BarStream): Promise<ProgressBar | undefined> {
  if (!out.isTTY || path === "-") return undefined;
  try {
    const fh = await open(path, "r");
    try {
      const st = await fh.stat();
      return st.isFile() ? new ProgressBar(out, st.size) : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Read a file in fresh chunks, counting bytes into `bar`. */
export async function* countedChunks(path: string, bar: ProgressBar, chunkSize = 256 * 1024): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of readFileChunks(path, chunkSize)) {
    bar.done += chunk.length;
    yield chunk;
  }
}
