/**
 * Helpers for TCP tests on the virtual clock.
 */
import { createHash } from "node:crypto";
import type { VirtualClock } from "../clock.js";
import { seededRandom } from "../../packet/fuzz.js";
import type { TcpSocket } from "./socket.js";

/** Advance the clock in `step` ms (letting Node's queues run between steps) until `done()`; throw after `limit` ms of clock time. */
export async function until(clock: VirtualClock, done: () => boolean, limit = 60_000, step = 1): Promise<number> {
  const start = clock.now();
  for (;;) {
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
    if (done()) return clock.now() - start;
    if (clock.now() - start >= limit) throw new Error(`condition not met within ${limit} ms of clock time`);
    clock.advance(step);
  }
}

/** Return `n` seeded pseudo-random bytes. */
export function randomData(n: number, seed: number): Buffer {
  const r = seededRandom(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) out.writeUInt32LE(Math.floor(r() * 0x100000000) >>> 0, Math.min(i, n - 4));
  return out;
}

/** Write `data` to `socket` in chunks, honouring back-pressure, then end it; resolve when all was taken. */
export function writeAll(socket: TcpSocket, data: Buffer, chunk = 64 * 1024, end = true): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    socket.once("error", reject);
    const pump = (): void => {
      while (off < data.length) {
        const piece = data.subarray(off, off + chunk);
        off += piece.length;
        if (!socket.write(piece)) { socket.once("drain", pump); return; }
      }
      if (end) socket.end();
      resolve();
    };
    pump();
  });
}

/** Collect what a socket reads: the sha256 and byte count so far, and whether it ended. */
export function collect(socket: TcpSocket): { bytes: number; ended: boolean; digest: () => string } {
  const hash = createHash("sha256");
  const state = { bytes: 0, ended: false, digest: () => hash.copy().digest("hex") };
  socket.on("data", (d: Buffer) => { hash.update(d); state.bytes += d.length; });
  socket.on("end", () => { state.ended = true; });
  return state;
}

/** Return the sha256 of bytes, hex. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
