/**
 * A link: a descriptor the event loop watches (TAP, TUN, packet socket). Frames arrive in
 * batches, one callback per wake-up; any number of readers subscribe, each with a bounded queue.
 */
import { LinkError } from "../errors.js";
import { INFO_PER_FRAME, linkError, loadNative, type Capability, type Native, type NativeHandle } from "./native.js";

/** Where a frame was going, as the kernel says for packet sockets (TAP frames are "in"). */
export type Direction = "host" | "broadcast" | "multicast" | "otherhost" | "outgoing" | "in";

const DIRECTIONS: readonly Direction[] = ["host", "broadcast", "multicast", "otherhost", "outgoing"];

/** A frame read from a link. */
export interface Frame {
  /** The bytes (a copy owned by the reader). */
  readonly data: Uint8Array;
  /** Receive time in nanoseconds since the epoch (kernel time for packet sockets). */
  readonly timestamp: bigint;
  /** Length on the wire (longer than `data` when cut short). */
  readonly length: number;
  readonly direction: Direction;
  /** The EtherType the kernel saw (packet sockets), else 0. */
  readonly protocol: number;
  /** The interface index (packet sockets), else 0. */
  readonly ifindex: number;
  /** A vnet-header TAP: the size of the TCP segments the kernel coalesced into this frame (GSO), else 0. */
  readonly segmentSize?: number;
  /**
   * A vnet-header TAP: `"completed"` when the kernel left the transport checksum to us (the addon
   * computed it), `"valid"` when the kernel vouched for it, else absent.
   */
  readonly checksum?: "completed" | "valid";
}

/** Options of `frames()`. */
export interface FramesOptions {
  /** Stop when aborted. */
  readonly signal?: AbortSignal;
  /** Frames kept while the reader is busy; older ones are dropped beyond it (default 4096). */
  readonly queue?: number;
}

/** Anything that sends and receives frames: a Tap, a PacketSocket, or a user's own link. */
export interface Link {
  readonly name: string;
  /** Queue one frame for sending. */
  write(frame: Uint8Array): Promise<void>;
  /** Call `listener` with every batch of frames until the returned function is called. */
  subscribe(listener: (frames: readonly Frame[]) => void, onError?: (error: Error) => void): () => void;
  /** Read frames as an async iterable. */
  frames(options?: FramesOptions): AsyncIterableIterator<Frame>;
  close(): void;
}

/** A link over a native descriptor. */
export abstract class NativeLink implements Link {
  abstract readonly name: string;
  /** @internal */ protected readonly native: Native;
  /** @internal */ protected readonly handle: NativeHandle;
  private readonly listeners = new Set<{ frames: (f: readonly Frame[]) => void; error?: ((e: Error) => void) | undefined }>();
  private closed = false;
  /** Frames a batch may hold per wake-up. */
  batchSize = 64;
  /** Frames dropped because a reader's queue was full. */
  dropped = 0;

  protected constructor(native: Native, handle: NativeHandle, private readonly capability: Capability) {
    this.native = native;
    this.handle = handle;
  }

  /** Return the file descriptor (-1 once closed). */
  get fd(): number {
    return this.native.fd(this.handle);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send one frame; waits (bounded) while the kernel's queue is full. */
  async write(frame: Uint8Array): Promise<void> {
    this.ensureOpen();
    for (let attempt = 0; ; attempt++) {
      let n: number;
      try {
        n = this.writeOnce(frame);
      } catch (error) {
        throw linkError(error, `write to ${this.name}`, this.capability);
      }
      if (n >= 0) return;
      if (attempt > 2000) throw new LinkError(`write to ${this.name}: the queue stayed full (errno ${-n})`);
      await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 0 : 1));
    }
  }

  /**
   * Send one frame now: bytes written, or a negative errno when the queue is full. On a TAP with
   * a virtio-net header, `segmentSize` has the kernel cut a TCP frame longer than that (GSO).
   */
  writeSync(frame: Uint8Array, segmentSize?: number): number {
    this.ensureOpen();
    try {
      return segmentSize === undefined ? this.writeOnce(frame) : this.native.write(this.handle, frame, segmentSize);
    } catch (error) {
      throw linkError(error, `write to ${this.name}`, this.capability);
    }
  }

  /**
   * Hand frames to a writer thread of the addon's (started on first use), which writes them in
   * order beside the event loop: the kernel's work on each frame (its TCP receive, waking its
   * reader) then runs on another core. Returns how many the bounded queue took (8192 frames,
   * 16 MiB); the rest are the caller's to retry. A failed write throws from the next call.
   */
  queueMany(frames: readonly Uint8Array[], segmentSizes?: Uint32Array): number {
    this.ensureOpen();
    try {
      return this.native.queueFrames(this.handle, frames, segmentSizes ?? null);
    } catch (error) {
      throw linkError(error, `write to ${this.name}`, this.capability);
    }
  }

  /** The writer thread's queue (see `queueMany`): frames and bytes waiting, frames written. */
  writerStats(): { queued: number; queuedBytes: number; written: number } {
    const [queued, queuedBytes, written] = this.native.writerStats(this.handle);
    return { queued, queuedBytes, written };
  }

  /**
   * Send frames with one call into the addon; return how many went (fewer when the kernel's queue
   * filled: the rest are the caller's to retry). `segmentSizes[i]` as `writeSync`'s.
   */
  writeMany(frames: readonly Uint8Array[], segmentSizes?: Uint32Array): number {
    this.ensureOpen();
    try {
      return this.native.writeMany(this.handle, frames, segmentSizes ?? null);
    } catch (error) {
      throw linkError(error, `write to ${this.name}`, this.capability);
    }
  }

  /** @internal */
  protected writeOnce(frame: Uint8Array): number {
    return this.native.write(this.handle, frame);
  }

  subscribe(listener: (frames: readonly Frame[]) => void, onError?: (error: Error) => void): () => void {
    this.ensureOpen();
    const entry = { frames: listener, error: onError };
    this.listeners.add(entry);
    if (this.listeners.size === 1) this.native.start(this.handle, (f, s, i, e) => this.onBatch(f, s, i, e), this.batchSize);
    return () => {
      if (!this.listeners.delete(entry)) return;
      if (this.listeners.size === 0 && !this.closed) this.native.stop(this.handle);
    };
  }

  private onBatch(frames: Buffer[] | null, stamps: BigInt64Array | null, info: Uint32Array | null, error: Error | null): void {
    if (error || !frames || !stamps || !info) {
      const e = linkError(error, `read from ${this.name}`, this.capability);
      for (const l of [...this.listeners]) l.error?.(e);
      return;
    }
    const batch: Frame[] = new Array(frames.length);
    for (let n = 0; n < frames.length; n++) {
      const i = n * INFO_PER_FRAME;
      const frame: { -readonly [K in keyof Frame]: Frame[K] } = {
        data: frames[n]!,
        timestamp: stamps[n]!,
        protocol: info[i + 1]!,
        ifindex: info[i + 2]!,
        length: info[i + 3]!,
        direction: this.directionOf(info[i]!),
      };
      if (info[i + 4] !== 0) frame.segmentSize = info[i + 4]!;
      if (info[i + 5] !== 0) frame.checksum = info[i + 5] === 1 ? "completed" : "valid";
      batch[n] = frame;
    }
    for (const l of [...this.listeners]) l.frames(batch);
  }

  /** @internal */
  protected directionOf(kind: number): Direction {
    return DIRECTIONS[kind] ?? "host";
  }

  frames(options: FramesOptions = {}): AsyncIterableIterator<Frame> {
    const limit = options.queue ?? 4096;
    const queue: Frame[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    let done = false;
    const unsubscribe = this.subscribe(
      (batch) => {
        for (const f of batch) queue.push(f);
        if (queue.length > limit) {
          this.dropped += queue.length - limit;
          queue.splice(0, queue.length - limit);
        }
        wake?.();
      },
      (error) => {
        failure = error;
        wake?.();
      },
    );
    const finish = (): void => {
      done = true;
      unsubscribe();
      options.signal?.removeEventListener("abort", onAbort);
      wake?.();
    };
    const onAbort = (): void => finish();
    if (options.signal?.aborted) finish();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const iterator: AsyncIterableIterator<Frame> = {
      next: async () => {
        for (;;) {
          if (queue.length) return { value: queue.shift()!, done: false };
          if (failure) {
            finish();
            throw failure;
          }
          if (done || this.closed) {
            finish();
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Close the descriptor; readers end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close(this.handle);
    for (const l of [...this.listeners]) l.frames([]);
    this.listeners.clear();
  }

  private ensureOpen(): void {
    if (this.closed) throw new LinkError(`${this.name} is closed`);
  }
}

/** Return the addon or throw the LinkError naming the build step. */
export function native(): Native {
  return loadNative();
}
