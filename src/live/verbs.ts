/**
 * Scapy's verbs, asynchronous: `send` (layer 2 on a link or interface, layer 3 through a raw
 * socket routed by the kernel), `sniff`, and `sr` / `sr1`, which send and collect the replies
 * that `answers()` pairs with each request.
 */
import { createSocket } from "node:dgram";
import { LinkError } from "../errors.js";
import { dissect, Packet } from "../packet/packet.js";
import type { AnyProtocol } from "../schema/protocol.js";
import { Ethernet } from "../protocols/ethernet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { answers, settled } from "./answers.js";
import type { BpfFilter } from "./bpf.js";
import type { Direction, Frame, Link } from "./link.js";
import { PacketSocket, RawSocket } from "./packet-socket.js";

/** Where to send or listen: an open link, or an interface name (a packet socket is opened). */
export interface Where {
  readonly link?: Link;
  readonly iface?: string;
}

/** A packet read from a link. */
export interface Sniffed {
  readonly packet: Packet;
  /** Receive time, nanoseconds since the epoch. */
  readonly timestamp: bigint;
  readonly direction: Direction;
  readonly length: number;
}

const firstOf = (p: Packet): AnyProtocol | undefined => (p.layers()[0] as { proto?: AnyProtocol } | undefined)?.proto;
const isLayer3 = (p: Packet): boolean => firstOf(p) === IPv4 || firstOf(p) === IPv6;

type IpLayer = { dst: string; isSet(name: string): boolean; set(values: object): unknown; unset(...names: string[]): unknown };

/** The source address the kernel's table picks for `dst` (connecting a UDP socket sends nothing). */
function routedSource(dst: string, version: 4 | 6): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(version === 4 ? "udp4" : "udp6");
    const finish = (address: string | undefined): void => {
      s.close();
      resolve(address);
    };
    s.once("error", () => finish(undefined));
    s.connect(9, dst, (error?: Error) => {
      let address: string | undefined;
      if (!error) try { address = s.address().address; } catch { /* not connected */ }
      finish(address);
    });
  });
}

/**
 * Run `use` with each layer-3 packet's unset source filled with the address the kernel's route
 * picks (as Scapy does: the defaults 127.0.0.1 / ::1 would be dropped as martians, and UDP, TCP
 * and ICMPv6 checksums cover the source); the caller's packets are restored afterwards.
 */
async function withRoutedSources<T>(packets: readonly Packet[], use: () => Promise<T>): Promise<T> {
  const filled: IpLayer[] = [];
  const cache = new Map<string, string | undefined>();
  try {
    for (const p of packets) {
      if (!isLayer3(p)) continue;
      const ip = p.layers()[0] as unknown as IpLayer;
      if (ip.isSet("src")) continue;
      const version = firstOf(p) === IPv4 ? 4 : 6;
      const key = `${version} ${ip.dst}`;
      if (!cache.has(key)) cache.set(key, await routedSource(String(ip.dst), version));
      const src = cache.get(key);
      if (src === undefined) continue; // no route: sendto says so
      ip.set({ src });
      filled.push(ip);
    }
    return await use();
  } finally {
    for (const ip of filled) ip.unset("src");
  }
}

function openLink(where: Where, filter?: BpfFilter): { link: Link; owned: boolean } {
  if (where.link) return { link: where.link, owned: false };
  if (!where.iface) throw new LinkError("say where: { iface } or { link }");
  return { link: PacketSocket.open(where.iface, filter === undefined ? {} : { filter }), owned: true };
}

/** Send packets: layer 2 on `link`/`iface`, or (IP first, no link) through a raw socket. */
export async function send(packets: Packet | Iterable<Packet>, where: Where = {}): Promise<number> {
  const list = packets instanceof Packet ? [packets] : [...packets];
  if (!where.link && list.some(isLayer3)) return withRoutedSources(list, () => sendAll(list, where));
  return sendAll(list, where);
}

async function sendAll(list: readonly Packet[], where: Where): Promise<number> {
  let sent = 0;
  const raws = new Map<4 | 6, RawSocket>();
  let opened: { link: Link; owned: boolean } | undefined;
  try {
    for (const p of list) {
      if (isLayer3(p) && !where.link) {
        const version = firstOf(p) === IPv4 ? 4 : 6;
        let raw = raws.get(version);
        if (!raw) raws.set(version, (raw = RawSocket.open(version)));
        await raw.send(p.bytes(), String((p.layers()[0] as unknown as { dst: string }).dst));
      } else {
        opened ??= openLink(where);
        await opened.link.write(p.bytes());
      }
      sent++;
    }
  } finally {
    for (const r of raws.values()) r.close();
    if (opened?.owned) opened.link.close();
  }
  return sent;
}

/** Options of `sniff()`. */
export interface SniffOptions extends Where {
  /** A kernel filter on the packet socket opened for `iface`: tcpdump syntax or BPF. */
  readonly filter?: BpfFilter;
  /** Keep only packets this returns true for (after the kernel filter). */
  readonly match?: (packet: Packet) => boolean;
  /** Stop after this many packets. */
  readonly count?: number;
  /** Stop after this many milliseconds. */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  /** The first protocol of a frame (default Ethernet). */
  readonly first?: AnyProtocol;
  /** Skip frames this host sent (packet sockets; default false). */
  readonly incomingOnly?: boolean;
}

/** Read dissected packets from an interface or link. */
export async function* sniff(options: SniffOptions): AsyncGenerator<Sniffed> {
  if (options.link && options.filter !== undefined) throw new LinkError("a kernel filter goes with { iface }; on a link use match");
  const { link, owned } = openLink(options, options.filter);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  const timer = options.timeout === undefined ? undefined : setTimeout(stop, options.timeout);
  let seen = 0;
  try {
    if (options.signal?.aborted || options.count === 0) return;
    for await (const frame of link.frames({ signal: controller.signal })) {
      if (options.incomingOnly && frame.direction === "outgoing") continue;
      const p = dissect(frame.data, options.first ?? firstFor(frame));
      if (options.match && !options.match(p)) continue;
      yield { packet: p, timestamp: frame.timestamp, direction: frame.direction, length: frame.length };
      if (options.count !== undefined && ++seen >= options.count) return;
    }
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
    if (owned) link.close();
  }
}

function firstFor(_frame: Frame): AnyProtocol {
  return Ethernet;
}

/** Options of `sr()`. */
export interface SrOptions extends Where {
  /** Milliseconds to wait for replies after the last packet is sent (default 2000). */
  readonly timeout?: number;
  /** Send the unanswered packets again this many times (default 0). */
  readonly retry?: number;
  /** Milliseconds between two packets (default 0). */
  readonly interval?: number;
  /** Keep collecting after a request is answered (several replies per request). */
  readonly multi?: boolean;
  /** Kernel filter for the receiving packet socket. */
  readonly filter?: BpfFilter;
  readonly signal?: AbortSignal;
}

/** The result of `sr()`. */
export interface SrResult {
  /** Each answered request with its reply (and its receive time, ns). */
  readonly answered: { request: Packet; reply: Packet; timestamp: bigint }[];
  readonly unanswered: Packet[];
  /** Packets sent, retries included. */
  readonly sent: number;
}

/** Send packets and collect the replies that answer them. */
export async function sr(packets: Packet | Iterable<Packet>, options: SrOptions = {}): Promise<SrResult> {
  const requests = packets instanceof Packet ? [packets] : [...packets];
  const layer3 = requests.length > 0 && requests.every(isLayer3) && !options.link;
  return layer3 ? withRoutedSources(requests, () => exchange(requests, layer3, options)) : exchange(requests, layer3, options);
}

async function exchange(requests: Packet[], layer3: boolean, options: SrOptions): Promise<SrResult> {
  // Layer 3: send through a raw socket, listen with a cooked socket (IP packets, every interface
  // unless one is named); layer 2: one link for both.
  let link: Link;
  let owned = true;
  if (layer3) {
    link = PacketSocket.open(options.iface, { cooked: true, ...(options.filter !== undefined ? { filter: options.filter } : {}) });
  } else {
    ({ link, owned } = openLink(options, options.filter));
  }
  const asked = requests.map(settled);
  const pending = new Set(requests.map((_, i) => i));
  const answered: SrResult["answered"] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const unsubscribe = link.subscribe(
    (frames) => {
      for (const f of frames) {
        if (f.direction === "outgoing") continue;
        const first = layer3 ? (f.protocol === 0x86dd ? IPv6 : f.protocol === 0x0800 ? IPv4 : undefined) : Ethernet;
        if (!first) continue;
        const reply = dissect(f.data, first);
        for (const i of pending) {
          if (!answers(asked[i]!, reply)) continue;
          answered.push({ request: requests[i]!, reply, timestamp: f.timestamp });
          if (!options.multi) pending.delete(i);
          break;
        }
      }
      if (pending.size === 0) wake?.();
    },
    (error) => {
      failure = error;
      wake?.();
    },
  );
  let sent = 0;
  try {
    for (let round = 0; round <= (options.retry ?? 0) && pending.size > 0; round++) {
      const batch = [...pending].map((i) => requests[i]!);
      for (const p of batch) {
        if (options.signal?.aborted) break;
        if (layer3) await send(p, {});
        else await link.write(p.bytes());
        sent++;
        if (options.interval) await new Promise((resolve) => setTimeout(resolve, options.interval));
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, options.timeout ?? 2000);
        options.signal?.addEventListener("abort", done, { once: true });
        wake = () => {
          if ((pending.size === 0 && !options.multi) || failure) done();
        };
        wake();
      });
      if (failure) throw failure;
      if (options.signal?.aborted) break;
    }
  } finally {
    unsubscribe();
    if (owned) link.close();
  }
  return { answered, unanswered: [...pending].map((i) => requests[i]!), sent };
}

/** Send one packet and return its first reply, or undefined after the time-out and retries. */
export async function sr1(request: Packet, options: Omit<SrOptions, "multi"> = {}): Promise<Packet | undefined> {
  const result = await sr(request, options);
  return result.answered[0]?.reply;
}
