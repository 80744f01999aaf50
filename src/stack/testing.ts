/**
 * Helpers for tests: two stacks on one memory link, on a virtual clock.
 */
import { VirtualClock } from "./clock.js";
import { memoryLinkPair, type MemoryLink, type MemoryLinkOptions } from "./link.js";
import { Stack, type StackOptions } from "./stack.js";

/** Two stacks (10.0.0.1/24 and 10.0.0.2/24) on one memory link. */
export interface Pair {
  readonly clock: VirtualClock;
  readonly a: Stack;
  readonly b: Stack;
  readonly linkA: MemoryLink;
  readonly linkB: MemoryLink;
}

/** Make two stacks on a memory link; `extra` adds options to both. */
export function stackPair(link: MemoryLinkOptions = {}, extra: Partial<Omit<StackOptions, "link" | "clock">> = {}): Pair {
  const clock = new VirtualClock();
  const [linkA, linkB] = memoryLinkPair(clock, link);
  const a = new Stack({ link: linkA, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", name: "a", ...extra });
  const b = new Stack({ link: linkB, clock, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2/24", name: "b", ...extra });
  clock.advance(0); // deliver the gratuitous announcements
  return { clock, a, b, linkA, linkB };
}

/** Run the clock (bounded) until `promise` settles; return its value or throw its error. */
export async function settle<T>(clock: VirtualClock, promise: Promise<T>, limit = 60_000, step = 10): Promise<T> {
  let done = false;
  const watched = promise.finally(() => { done = true; });
  watched.catch(() => undefined);
  for (let t = 0; t <= limit && !done; t += step) {
    clock.advance(step);
    await new Promise<void>((r) => setImmediate(r));
  }
  if (!done) throw new Error(`promise did not settle within ${limit} ms of virtual time`);
  return watched;
}

/** Let microtasks run (socket callbacks are deferred), without moving the clock. */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
