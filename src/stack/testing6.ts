/**
 * Helpers for IPv6 tests on a memory link: a stack facing a scripted peer (the test plays the
 * router or the other host by injecting frames and reading what the stack sends), two stacks on
 * one link, and builders for the frames a router or neighbour sends.
 */
import { dissect, packet, type Packet } from "../packet/packet.js";
import { Ethernet, EtherType } from "../protocols/ethernet.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMPv6, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation, NDPOption, NdpOptionType, NDPRouterAdvertisement } from "../protocols/ndp.js";
import { Raw } from "../protocols/raw.js";
import type { AnyLayer } from "../schema/protocol.js";
import { VirtualClock } from "./clock.js";
import { memoryLinkPair, type MemoryLink, type MemoryLinkOptions } from "./link.js";
import { Stack, type StackOptions } from "./stack.js";
import { multicastMac6 } from "./address6.js";

/** A frame the stack sent, dissected, with the clock time it was sent at. */
export interface SentFrame {
  readonly time: number;
  readonly packet: Packet;
  readonly bytes: Uint8Array;
}

/** A stack on a memory link whose other end is the test's. */
export interface Lone6 {
  readonly clock: VirtualClock;
  readonly stack: Stack;
  /** The stack's end: `inject()` frames into the stack here. */
  readonly link: MemoryLink;
  /** Every frame the stack sent, in order. */
  readonly sent: SentFrame[];
}

/** The MAC of the scripted peer. */
export const PEER_MAC = "02:00:00:00:00:fe";

/** Make a stack (MAC 02:00:00:00:00:01) facing a scripted peer; `extra` adds stack options. */
export function lone6(extra: Partial<Omit<StackOptions, "link" | "clock">> = {}, link: MemoryLinkOptions = {}): Lone6 {
  const clock = new VirtualClock();
  const [la, lb] = memoryLinkPair(clock, link);
  const sent: SentFrame[] = [];
  la.tap((f) => sent.push({ time: clock.now(), packet: dissect(f, Ethernet), bytes: f }));
  lb.setReceiver(() => undefined);
  const stack = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", name: "a", ipv6: true, ...extra });
  return { clock, stack, link: la, sent };
}

/** Two stacks with IPv6 on one memory link (MACs ...:01 and ...:02), both link-locals ready. */
export function pair6(extra: Partial<Omit<StackOptions, "link" | "clock">> = {}, link: MemoryLinkOptions = {}): {
  clock: VirtualClock; a: Stack; b: Stack; linkA: MemoryLink; linkB: MemoryLink;
} {
  const clock = new VirtualClock();
  const [linkA, linkB] = memoryLinkPair(clock, link);
  const a = new Stack({ link: linkA, clock, mac: "02:00:00:00:00:01", name: "a", ipv6: true, ...extra });
  const b = new Stack({ link: linkB, clock, mac: "02:00:00:00:00:02", name: "b", ipv6: true, ...extra });
  clock.advance(3000); // DAD: at most 1 s of random delay, one solicitation, 1 s of waiting
  return { clock, a, b, linkA, linkB };
}

/** The link-local address EUI-64 gives a MAC 02:00:00:00:00:XX. */
export function linkLocalOf(last: number): string {
  return `fe80::ff:fe00:${last.toString(16)}`;
}

/** Return an Ethernet frame from `src` carrying an IPv6 datagram with `layers` after its header. */
export function frame6(o: { src: string; dst: string; srcMac?: string; dstMac?: string; hopLimit?: number }, ...layers: AnyLayer[]): Uint8Array {
  const dstMac = o.dstMac ?? (o.dst.startsWith("ff") ? multicastMac6(o.dst) : "02:00:00:00:00:01");
  return packet(
    Ethernet({ src: o.srcMac ?? PEER_MAC, dst: dstMac, type: EtherType.IPv6 }),
    IPv6({ src: o.src, dst: o.dst, hopLimit: o.hopLimit ?? 64 }),
    ...layers,
  ).bytes();
}

/** Return an Ethernet frame to the stack carrying `datagram` (an IPv6 datagram's bytes, as built). */
export function datagramFrame(datagram: Uint8Array, dstMac = "02:00:00:00:00:01"): Uint8Array {
  return packet(Ethernet({ src: PEER_MAC, dst: dstMac, type: EtherType.IPv6 }), Raw({ data: datagram })).bytes();
}

/**
 * Split an IPv6 datagram without extension headers into fragments' datagrams: `pieces` are
 * [start, end) byte ranges of its payload (the last one's end says where the datagram ends).
 */
export function fragments6(datagram: Uint8Array, id: number, pieces: readonly [number, number][], total = datagram.length - 40): Uint8Array[] {
  const payload = datagram.subarray(40);
  return pieces.map(([start, end]) => {
    const out = new Uint8Array(48 + end - start);
    out.set(datagram.subarray(0, 40), 0);
    out[6] = 44;
    out[4] = (out.length - 40) >> 8;
    out[5] = (out.length - 40) & 0xff;
    out[40] = datagram[6]!;
    const field = start | (end < total ? 1 : 0);
    out[42] = field >> 8;
    out[43] = field & 0xff;
    new DataView(out.buffer).setUint32(44, id);
    out.set(payload.subarray(start, end), 48);
    return out;
  });
}

/** What a router advertisement says. */
export interface RaOptions {
  readonly router?: string;
  /** The router's MAC (frame source and source link-layer option; default PEER_MAC); null leaves the option out. */
  readonly mac?: string | null;
  readonly routerLifetime?: number;
  readonly reachableTime?: number;
  readonly retransTimer?: number;
  readonly currentHopLimit?: number;
  readonly preference?: number;
  readonly prefixes?: readonly { prefix: string; length?: number; onLink?: boolean; autonomous?: boolean; valid: number; preferred: number }[];
  readonly mtu?: number;
  /** RFC 4191 route information options: prefix bytes (0, 8 or 16), preference flags (0x08 high, 0x18 low). */
  readonly routes?: readonly { prefix: Uint8Array; length: number; preference?: number; lifetime: number }[];
  /** Raw extra options (a route information option…), type and length included. */
  readonly raw?: readonly Uint8Array[];
}

/** Return a router advertisement frame to ff02::1 from a link-local router (PEER_MAC). */
export function routerAdvertisement(o: RaOptions = {}): Uint8Array {
  const mac = o.mac === undefined ? PEER_MAC : o.mac;
  const options: AnyLayer[] = mac === null ? [] : [NDPOption({ type: NdpOptionType.sourceLinkLayerAddress, address: mac })];
  if (o.mtu !== undefined) options.push(NDPOption({ type: NdpOptionType.mtu, mtu: o.mtu }));
  for (const p of o.prefixes ?? []) {
    options.push(NDPOption({
      type: NdpOptionType.prefixInformation, prefixLength: p.length ?? 64, prefix: p.prefix,
      prefixFlags: (p.onLink ?? true ? 0x80 : 0) | (p.autonomous ?? true ? 0x40 : 0), validLifetime: p.valid, preferredLifetime: p.preferred,
    }));
  }
  for (const r of o.routes ?? []) {
    options.push(NDPOption({ type: NdpOptionType.routeInformation, prefixLength: r.length, routePreference: r.preference ?? 0, lifetime: r.lifetime, routePrefix: r.prefix }));
  }
  const body = packet(NDPRouterAdvertisement({
    currentHopLimit: o.currentHopLimit ?? 64, routerLifetime: o.routerLifetime ?? 1800, reachableTime: o.reachableTime ?? 0,
    retransTimer: o.retransTimer ?? 0, preference: o.preference ?? 0, options: options as ReturnType<typeof NDPOption>[],
  })).bytes();
  const raw = o.raw ?? [];
  const data = new Uint8Array(body.length + raw.reduce((n, r) => n + r.length, 0));
  data.set(body, 0);
  let at = body.length;
  for (const r of raw) { data.set(r, at); at += r.length; }
  return frame6({ src: o.router ?? "fe80::1", dst: "ff02::1", hopLimit: 255, srcMac: mac ?? PEER_MAC }, ICMPv6({ type: Icmpv6Type.routerAdvertisement }), rawLayer(data));
}

/** Return a neighbour solicitation frame for `target` (from "::" when `src` is "::": DAD). */
export function neighbourSolicitation(target: string, src: string, dst: string): Uint8Array {
  const options = src === "::" ? [] : [NDPOption({ type: NdpOptionType.sourceLinkLayerAddress, address: PEER_MAC })];
  return frame6({ src, dst, hopLimit: 255 }, ICMPv6({ type: Icmpv6Type.neighborSolicitation }), NDPNeighborSolicitation({ target, options }));
}

/** Return a neighbour advertisement frame for `target` with the peer's MAC. */
export function neighbourAdvertisement(target: string, dst: string, flags: { solicited?: boolean; override?: boolean; router?: boolean; mac?: string } = {}): Uint8Array {
  return frame6({ src: target, dst, hopLimit: 255, srcMac: flags.mac ?? PEER_MAC }, ICMPv6({ type: Icmpv6Type.neighborAdvertisement }), NDPNeighborAdvertisement({
    solicited: flags.solicited ?? true ? 1 : 0, override: flags.override ?? true ? 1 : 0, router: flags.router ? 1 : 0, target,
    options: [NDPOption({ type: NdpOptionType.targetLinkLayerAddress, address: flags.mac ?? PEER_MAC })],
  }));
}

function rawLayer(data: Uint8Array): AnyLayer {
  return Raw({ data });
}

/** Return the ICMPv6 messages among `frames` of `type`. */
export function icmpv6Of(frames: readonly SentFrame[], type: number): SentFrame[] {
  return frames.filter((f) => f.packet.layer(ICMPv6)?.type === type);
}
