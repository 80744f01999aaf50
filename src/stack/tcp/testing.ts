/**
 * Helpers for TCP tests on the virtual clock.
 */
import { createHash } from "node:crypto";
import type { VirtualClock } from "../clock.js";
import { seededRandom } from "../../packet/fuzz.js";
import type { TcpSocket } from "./socket.js";
import { VirtualClock as Clock } from "../clock.js";
import { memoryLinkPair, type MemoryLink } from "../link.js";
import { Stack } from "../stack.js";
import type { StackConfigInput } from "../config.js";
import { createDissector, packet } from "../../packet/packet.js";
import { Ethernet } from "../../protocols/ethernet.js";
import { ARP } from "../../protocols/arp.js";
import { IPv4 } from "../../protocols/ipv4.js";
import { TCP, flagText } from "../../protocols/tcp.js";
import { Raw } from "../../protocols/raw.js";
import { buildOptions, parseOptions, type OptionsToSend, type SegmentOptions } from "./options.js";
import type { Connection } from "./tcb.js";

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
  // xorshift32 from a seeded start: fast enough for tens of megabytes.
  let x = (Math.floor(seededRandom(seed)() * 0xffffffff) | 1) >>> 0;
  const words = new Uint32Array(Math.ceil(n / 4));
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, n);
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

/** A segment the raw peer saw from the stack. */
export interface SeenSegment {
  readonly at: number;
  readonly flags: string;
  readonly seq: number;
  readonly ack: number;
  readonly window: number;
  readonly data: Buffer;
  readonly options: SegmentOptions;
}

/** What the raw peer sends. */
export interface RawSegment {
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly seq: number;
  readonly ack?: number;
  /** Scapy-style flags: "S", "SA", "A", "PA", "FA", "R", "RA". */
  readonly flags: string;
  readonly window?: number;
  readonly options?: OptionsToSend;
  readonly data?: Uint8Array | string;
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

/**
 * A hand-driven TCP peer on a memory link (10.0.0.9) facing one stack (10.0.0.1): it answers ARP,
 * sends crafted segments and records what the stack sends, so that tests can put a connection in
 * any state and watch every segment.
 */
export class RawPeer {
  readonly clock: VirtualClock;
  readonly stack: Stack;
  readonly link: MemoryLink;
  readonly seen: SeenSegment[] = [];
  static readonly ip = "10.0.0.9";
  static readonly mac = "02:00:00:00:00:09";
  port = 40000;

  constructor(config: StackConfigInput = {}, clock = new Clock(), delay = 1) {
    this.clock = clock;
    const [peer, stackSide] = memoryLinkPair(clock, { delay });
    this.link = peer;
    this.stack = new Stack({ link: stackSide, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24", name: "s", config, announce: false });
    const dissector = createDissector(Ethernet);
    peer.setReceiver((frame) => {
      const p = dissector.dissect(frame);
      const arp = p.layer(ARP);
      if (arp !== undefined && arp.opcode === 1 && arp.targetIp === RawPeer.ip) {
        peer.send(packet(Ethernet({ dst: arp.senderMac, src: RawPeer.mac, type: 0x0806 }),
          ARP({ opcode: 2, senderMac: RawPeer.mac, senderIp: RawPeer.ip, targetMac: arp.senderMac, targetIp: arp.senderIp })).bytes());
        return;
      }
      const t = p.layer(TCP);
      const s = t?.span();
      if (t === undefined || s === undefined) return;
      const ip = p.layer(IPv4)!;
      const end = ip.span()!.start + ip.totalLength;
      this.seen.push({
        at: clock.now(), flags: flagText(t.flags), seq: t.seq, ack: t.ack, window: t.window,
        data: Buffer.from(frame.subarray(s.headerEnd, end)), options: parseOptions(t, s.headerEnd - s.start),
      });
    });
  }

  /** Send a crafted segment to the stack (delivered when the clock runs). */
  send(seg: RawSegment): void {
    let flags = 0;
    for (const ch of seg.flags) flags |= FLAG_BITS[ch] ?? 0;
    const data = typeof seg.data === "string" ? Buffer.from(seg.data) : seg.data;
    const layers = [
      Ethernet({ dst: "02:00:00:00:00:01", src: RawPeer.mac, type: 0x0800 }),
      IPv4({ src: RawPeer.ip, dst: "10.0.0.1", protocol: 6, ttl: 64 }),
      TCP({ srcPort: seg.srcPort ?? this.port, dstPort: seg.dstPort ?? 80, seq: seg.seq >>> 0, ack: (seg.ack ?? 0) >>> 0, flags, window: seg.window ?? 65535, options: buildOptions(seg.options ?? {}) }),
    ];
    this.link.send(data !== undefined && data.length > 0 ? packet(...layers, Raw({ data })).bytes() : packet(...layers).bytes());
  }

  /** Run the clock `ms` and let Node's queues run. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t++) {
      this.clock.advance(1);
      await new Promise<void>((r) => setImmediate(r));
    }
    await new Promise<void>((r) => setImmediate(r));
  }

  /** Return and forget the segments seen so far. */
  take(): SeenSegment[] {
    return this.seen.splice(0, this.seen.length);
  }

  /** Return the stack's only connection (tests look inside). */
  connection(): Connection {
    const all = [...this.stack.tcp.connections.values()];
    if (all.length !== 1) throw new Error(`expected one connection, have ${all.length}`);
    return all[0]!;
  }
}
