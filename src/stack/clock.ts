/**
 * Clocks: where the stack reads the time and schedules its timers. The core never calls
 * `Date.now()` or `setTimeout` itself, so tests run on a `VirtualClock` that only moves when told
 * to (an hour of timers in milliseconds, deterministically) and real runs use `SystemClock`.
 */

/** A timer that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/** The time source and timer service of a stack. Times are milliseconds. */
export interface Clock {
  /** Return the current time in milliseconds (monotonic; the origin is the clock's own). */
  now(): number;
  /** Call `callback` once, `delay` milliseconds from now (0: as soon as the clock runs). */
  schedule(delay: number, callback: () => void): Timer;
}

/** The system's monotonic clock and Node's timers (unreferenced: they never keep Node alive). */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  schedule(delay: number, callback: () => void): Timer {
    const t = setTimeout(callback, Math.max(0, delay));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
}

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Options of `VirtualClock`. */
export interface VirtualClockOptions {
  /** The starting time (default 0). */
  readonly start?: number;
  /** Callbacks one `advance()` may run before it throws: a guard against timer loops (default 1,000,000). */
  readonly maxCallbacks?: number;
}

/**
 * A clock that moves only when `advance()` is called. Timers due at the same time run in the order
 * they were scheduled; a timer scheduled by a callback with delay 0 runs within the same advance.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly maxCallbacks: number;
  // A binary heap ordered by (at, seq).
  private readonly heap: Pending[] = [];

  constructor(options: VirtualClockOptions = {}) {
    this.time = options.start ?? 0;
    this.maxCallbacks = options.maxCallbacks ?? 1_000_000;
  }

  now(): number {
    return this.time;
  }

  schedule(delay: number, callback: () => void): Timer {
    const p: Pending = { at: this.time + Math.max(0, delay), seq: this.seq++, callback, cancelled: false };
    this.push(p);
    return { cancel: () => { p.cancelled = true; } };
  }

  /** Return the number of timers waiting (cancelled ones may still count until they are due). */
  get pending(): number {
    return this.heap.length;
  }

  /** Move time forward by `ms`, running every timer that falls due, in order; return how many ran. */
  advance(ms = 0): number {
    const end = this.time + Math.max(0, ms);
    let ran = 0;
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > end) break;
      this.pop();
      if (top.cancelled) continue;
      if (++ran > this.maxCallbacks) throw new Error(`VirtualClock: more than ${this.maxCallbacks} callbacks in one advance (a timer loop?)`);
      this.time = Math.max(this.time, top.at);
      top.callback();
    }
    this.time = end;
    return ran;
  }

  /** Advance in `step` increments until `done()` is true or `limit` ms have passed; return whether it became true. */
  runUntil(done: () => boolean, limit: number, step = 1): boolean {
    const end = this.time + limit;
    this.advance(0);
    while (!done()) {
      if (this.time >= end) return false;
      this.advance(Math.min(step, end - this.time));
    }
    return true;
  }

  private less(a: Pending, b: Pending): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
