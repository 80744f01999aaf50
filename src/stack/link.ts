/**
 * Links for the stack: anything that carries whole Ethernet frames. The stack hands a frame to
 * `send()` and gets frames through the receiver it installs; it never waits on a link. A TAP
 * device (src/live) adapts to this with `fromLiveLink()`; tests use `memoryLinkPair()`, two ends
 * of a simulated wire with seeded loss, delay, jitter, reordering, duplication, corruption and MTU,
 * whose deliveries are timers on the stack's `Clock` (so a virtual clock makes them deterministic).
 */
import { seededRandom } from "../packet/fuzz.js";
import type { Clock } from "./clock.js";
import type { Link as LiveLink } from "../live/link.js";

/** What a link knows or is told about one frame (see LINK-OFFLOAD.md). */
export interface FrameMeta {
  /**
   * Sending: the TCP payload bytes per wire segment of a frame larger than the MTU, which the link
   * cuts (GSO/TSO). Receiving: the segment size of a frame the kernel coalesced (GRO/GSO).
   */
  readonly segmentSize?: number;
  /** Receiving: the link verified or completed the transport checksum. */
  readonly checksumVerified?: boolean;
}

/** A link the stack sends frames on and receives frames from. */
export interface FrameLink {
  /** The largest frame payload the link carries (the IP MTU; Ethernet header not counted). */
  readonly mtu: number;
  /**
   * The largest IP datagram of one TCP segment the link accepts beyond `mtu` and cuts into
   * `segmentSize` pieces itself (segmentation offload); absent: nothing larger than `mtu`.
   */
  readonly gsoMax?: number;
  /** Send one frame; the link copies or keeps it (the stack does not touch it again). */
  send(frame: Uint8Array, meta?: FrameMeta): void;
  /** Install the function that receives frames (one receiver; a later call replaces it). */
  setReceiver(receiver: ((frame: Uint8Array, meta?: FrameMeta) => void) | undefined): void;
  /** Detach; frames are no longer delivered. */
  close(): void;
}

/** Impairments of one direction of a memory link. Probabilities are 0..1. */
export interface LinkImpairments {
  /** Probability of dropping a frame (default 0). */
  readonly loss?: number;
  /** Fixed one-way delay in ms (default 0). */
  readonly delay?: number;
  /** Extra delay drawn uniformly from 0..jitter ms (default 0); frames may overtake each other. */
  readonly jitter?: number;
  /** Probability of holding a frame back by `reorderDelay` ms so later frames pass it (default 0). */
  readonly reorder?: number;
  /** Extra delay of a reordered frame (default 10 ms). */
  readonly reorderDelay?: number;
  /** Probability of delivering a frame twice (default 0). */
  readonly duplicate?: number;
  /** Probability of flipping one random bit of a frame (default 0). */
  readonly corrupt?: number;
}

/** Options of `memoryLinkPair()`. */
export interface MemoryLinkOptions extends LinkImpairments {
  /** Seed of the impairment generator (default 1): same seed, same losses. */
  readonly seed?: number;
  /** IP MTU of both ends (default 1500); longer frames are dropped and counted. */
  readonly mtu?: number;
  /** Frames in flight per direction beyond which new ones are dropped (default 10,000). */
  readonly queueLimit?: number;
  /** Impairments of the a→b direction only (over the shared ones). */
  readonly aToB?: LinkImpairments;
  /** Impairments of the b→a direction only. */
  readonly bToA?: LinkImpairments;
}

/** Counters of one end of a memory link (what it sent and what happened to it). */
export interface MemoryLinkCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  reordered: number;
  tooBig: number;
  queueFull: number;
}

/** Ethernet II header bytes not counted in the MTU. */
export const ETHERNET_HEADER = 14;

/** One end of an in-memory link. */
export class MemoryLink implements FrameLink {
  readonly mtu: number;
  readonly counters: MemoryLinkCounters = { sent: 0, delivered: 0, lost: 0, duplicated: 0, corrupted: 0, reordered: 0, tooBig: 0, queueFull: 0 };
  /** @internal */ peer: MemoryLink | undefined;
  private receiver: ((frame: Uint8Array) => void) | undefined;
  private inFlight = 0;
  private closed = false;
  /** Frames seen by `tap` listeners, for tests that watch the wire. */
  private readonly taps: ((frame: Uint8Array) => void)[] = [];

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly impair: Required<LinkImpairments>,
    mtu: number,
    private readonly queueLimit: number,
  ) {
    this.mtu = mtu;
  }

  setReceiver(receiver: ((frame: Uint8Array) => void) | undefined): void {
    this.receiver = receiver;
  }

  /** Call `listener` with a copy of every frame this end sends (before impairments). */
  tap(listener: (frame: Uint8Array) => void): void {
    this.taps.push(listener);
  }

  /** Inject a frame as if the peer had sent it (delivered on the next clock run, unimpaired). */
  inject(frame: Uint8Array): void {
    const copy = frame.slice();
    this.clock.schedule(0, () => this.deliver(copy));
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.counters.sent++;
    for (const t of this.taps) t(frame.slice());
    const peer = this.peer;
    if (peer === undefined) return;
    const tag = frame[12] === 0x81 && frame[13] === 0x00 ? 4 : 0; // an 802.1Q tag does not count against the MTU
    if (frame.length > this.mtu + ETHERNET_HEADER + tag) { this.counters.tooBig++; return; }
    const im = this.impair;
    if (im.loss > 0 && this.random() < im.loss) { this.counters.lost++; return; }
    const copies = im.duplicate > 0 && this.random() < im.duplicate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (this.inFlight >= this.queueLimit) { this.counters.queueFull++; return; }
      const copy = frame.slice();
      if (im.corrupt > 0 && this.random() < im.corrupt && copy.length > 0) {
        const bit = Math.floor(this.random() * copy.length * 8);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        this.counters.corrupted++;
      }
      let delay = im.delay + (im.jitter > 0 ? this.random() * im.jitter : 0);
      if (im.reorder > 0 && this.random() < im.reorder) { delay += im.reorderDelay; this.counters.reordered++; }
      this.inFlight++;
      this.clock.schedule(delay, () => {
        this.inFlight--;
        this.counters.delivered++;
        peer.deliver(copy);
      });
    }
  }

  /** @internal */
  deliver(frame: Uint8Array): void {
    if (this.closed) return;
    this.receiver?.(frame);
  }

  close(): void {
    this.closed = true;
    this.receiver = undefined;
  }
}

function impairments(shared: LinkImpairments, own: LinkImpairments | undefined): Required<LinkImpairments> {
  const x = { ...shared, ...own };
  return {
    loss: x.loss ?? 0, delay: x.delay ?? 0, jitter: x.jitter ?? 0, reorder: x.reorder ?? 0,
    reorderDelay: x.reorderDelay ?? 10, duplicate: x.duplicate ?? 0, corrupt: x.corrupt ?? 0,
  };
}

/** Return the two ends of a simulated wire whose deliveries run on `clock`. */
export function memoryLinkPair(clock: Clock, options: MemoryLinkOptions = {}): [MemoryLink, MemoryLink] {
  const random = seededRandom(options.seed ?? 1);
  const mtu = options.mtu ?? 1500;
  const limit = options.queueLimit ?? 10_000;
  const a = new MemoryLink("a", clock, random, impairments(options, options.aToB), mtu, limit);
  const b = new MemoryLink("b", clock, random, impairments(options, options.bToA), mtu, limit);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Options of `fromLiveLink()`. */
export interface LiveLinkOptions {
  /** IP MTU of the device (default 1500). */
  readonly mtu?: number;
  /**
   * Largest IP datagram of one TCP segment to hand the kernel whole (a TAP opened with
   * `{ vnetHeader: true, offloads: "tcp" }`: default 65535; 0 turns it off). Ignored otherwise.
   */
  readonly gsoMax?: number;
  /** Frames kept while the kernel's queue is full, beyond which new ones are dropped (default 4096). */
  readonly queueLimit?: number;
  /**
   * How a TAP's frames reach the kernel: `"direct"` (default) writes them from the event loop, one
   * call per turn; `"thread"` hands them to the addon's writer thread, so that the kernel's work on
   * them can run on another core (on a busy 2-core machine it measured no better; see
   * bench/STACK-RESULTS.md).
   */
  readonly writer?: "thread" | "direct";
  /** Called when a write fails (the frame is lost; the stack is not told). */
  readonly onError?: (error: Error) => void;
}

/** Counters of a live link made by `fromLiveLink()`. */
export interface LiveLinkCounters {
  /** Frames handed to the kernel, and the calls into the addon that carried them. */
  sent: number;
  writeCalls: number;
  /** Frames sent whole for the kernel to cut (segmentation offload). */
  offloaded: number;
  /** Frames received, and of those the kernel's coalesced ones (longer than the MTU). */
  received: number;
  coalesced: number;
  /** Frames dropped because the kernel's queue stayed full past `queueLimit`. */
  dropped: number;
}

/** A `FrameLink` over a live link, with its counters. */
export interface LiveFrameLink extends FrameLink {
  readonly counters: LiveLinkCounters;
}

/** What `fromLiveLink()` looks for in a `Tap` without importing it (the addon loads lazily). */
interface VnetTap {
  readonly vnetHeader?: boolean;
  readonly offloads?: { readonly tso4?: boolean; readonly tso6?: boolean };
  writeMany?(frames: readonly Uint8Array[], segmentSizes?: Uint32Array): number;
  queueMany?(frames: readonly Uint8Array[], segmentSizes?: Uint32Array): number;
}

/**
 * Adapt a live link (a `Tap`, a `PacketSocket`) to the stack. Frames sent in one turn of the
 * event loop go to the addon in one call (flushed in a microtask): written at once (`writeMany`,
 * the default) or to its writer thread (`queueMany`); a full queue keeps them (bounded) and retries. On a TAP with a virtio-net header and TSO the link has
 * `gsoMax`: large TCP segments go whole and the kernel's coalesced ones arrive whole.
 */
export function fromLiveLink(live: LiveLink, options: LiveLinkOptions = {}): LiveFrameLink {
  const mtu = options.mtu ?? 1500;
  const v = live as LiveLink & VnetTap;
  const tso = v.vnetHeader === true && (v.offloads?.tso4 === true || v.offloads?.tso6 === true);
  const gsoMax = tso && options.gsoMax !== 0 ? Math.min(options.gsoMax ?? 65535, 65535) : undefined;
  const limit = options.queueLimit ?? 4096;
  const counters: LiveLinkCounters = { sent: 0, writeCalls: 0, offloaded: 0, received: 0, coalesced: 0, dropped: 0 };
  const fail = (e: unknown): void => options.onError?.(e instanceof Error ? e : new Error(String(e)));
  let receiver: ((frame: Uint8Array, meta?: FrameMeta) => void) | undefined;
  let closed = false;
  const unsubscribe = live.subscribe((frames) => {
    for (const f of frames) {
      counters.received++;
      if (f.data.length > mtu + ETHERNET_HEADER) counters.coalesced++;
      if (f.segmentSize === undefined && f.checksum === undefined) receiver?.(f.data);
      else receiver?.(f.data, { segmentSize: f.segmentSize ?? 0, checksumVerified: f.checksum !== undefined });
    }
  }, options.onError);

  // Frames waiting for the kernel, with their segment sizes (0: send as is).
  let queue: Uint8Array[] = [];
  let sizes: number[] = [];
  let scheduled = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let retries = 0;
  const writeMany = options.writer === "thread" && v.queueMany !== undefined ? v.queueMany.bind(live) : v.writeMany?.bind(live);
  const flush = (): void => {
    scheduled = false;
    if (closed || queue.length === 0) return;
    let done = 0;
    try {
      if (writeMany !== undefined) {
        counters.writeCalls++;
        done = writeMany(queue, gsoMax === undefined ? undefined : Uint32Array.from(sizes));
      } else {
        for (const f of queue) { counters.writeCalls++; void live.write(f).catch(fail); }
        done = queue.length;
      }
    } catch (e) {
      fail(e);
      done = queue.length; // the frames are lost, as a failed write loses them
    }
    counters.sent += done;
    if (done === queue.length) { queue = []; sizes = []; retries = 0; return; }
    queue = queue.slice(done);
    sizes = sizes.slice(done);
    // The kernel's queue is full: try again shortly (bounded; frames beyond the limit are dropped on send).
    if (retry === undefined) {
      retries++;
      retry = setTimeout(() => { retry = undefined; flush(); }, retries < 10 ? 0 : 1);
    }
  };
  return {
    mtu,
    ...(gsoMax === undefined ? {} : { gsoMax }),
    counters,
    send: (frame, meta) => {
      if (closed) return;
      if (queue.length >= limit) { counters.dropped++; return; }
      const size = meta?.segmentSize ?? 0;
      if (size > 0 && gsoMax !== undefined && frame.length > mtu + ETHERNET_HEADER) counters.offloaded++;
      queue.push(frame);
      sizes.push(size);
      if (!scheduled && retry === undefined) { scheduled = true; queueMicrotask(flush); }
    },
    setReceiver: (r) => { receiver = r; },
    close: () => {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      unsubscribe();
      receiver = undefined;
      queue = [];
      sizes = [];
    },
  };
}
