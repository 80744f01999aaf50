/**
 * Neighbour discovery (RFC 4861) for the stack: neighbour solicitations and advertisements, the
 * neighbour cache with its reachability states, datagrams queued while a neighbour is resolved
 * (bounded, oldest dropped), unreachability reported to the sender, and redirects. Router
 * advertisements are slaac.ts's; this file learns their senders' link-layer addresses.
 *
 *   INCOMPLETE  multicast NS every RetransTimer, MAX_MULTICAST_SOLICIT times; then the entry and
 *               its queue go (the queue's datagrams are reported "address unreachable")
 *   REACHABLE   for ReachableTime after a confirmation (a solicited NA, an upper-layer hint)
 *   STALE       after ReachableTime, or learned unsolicited; sending moves it to DELAY
 *   DELAY       DELAY_FIRST_PROBE_TIME for an upper-layer hint, then PROBE
 *   PROBE       unicast NS every RetransTimer, MAX_UNICAST_SOLICIT times; then the entry goes
 */
import type { Packet } from "../packet/packet.js";
import { ICMPv6, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation, NDPOption, NdpOptionType, NDPRedirect } from "../protocols/ndp.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { EtherType } from "../protocols/ethernet.js";
import type { Clock, Timer } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import type { Interface } from "./interface.js";
import type { Arrival6, Ipv6, Ipv6Layer, NeighbourSender } from "./ipv6.js";
import type { Stats } from "./stats.js";
import { ALL_NODES, formatAddress6, isLinkLocal6, isMulticast6, solicitedNode, UNSPECIFIED } from "./address6.js";

/** Reachability states (RFC 4861 7.3.2). */
export type NeighbourState = "INCOMPLETE" | "REACHABLE" | "STALE" | "DELAY" | "PROBE";

/** A neighbour cache entry as `Stack.neighbours()` lists it. */
export interface NeighbourEntry {
  readonly address: string;
  readonly mac: string | undefined;
  readonly state: NeighbourState;
  readonly router: boolean;
  /** Datagrams waiting for resolution. */
  readonly pending: number;
}

interface Entry {
  mac: string | undefined;
  state: NeighbourState;
  router: boolean;
  pending: Uint8Array[];
  probes: number;
  timer: Timer | undefined;
  /** The source address solicitations use. */
  src: string;
  /** Insertion order, for eviction. */
  readonly seq: number;
}

/** A neighbour discovery message about one of our own addresses, for DAD (slaac.ts). */
export type DadCheck = (target: string, kind: "solicitation" | "advertisement", fromMac: string | undefined) => void;

/** Neighbour discovery of one interface. */
export class Ndp implements NeighbourSender {
  private readonly cache = new Map<string, Entry>();
  private seq = 0;
  /** ReachableTime (randomized from the base) and RetransTimer in force, ms. */
  reachableTime: number;
  retransTimer: number;
  private baseReachable: number;
  /** Called with the datagrams dropped when a neighbour never answered. */
  onUnresolved: ((datagrams: readonly Uint8Array[]) => void) | undefined;
  /** Sees solicitations from "::" and advertisements for our own addresses (DAD). */
  onDad: DadCheck | undefined;
  /** Called when a neighbour stops being a router (its default route goes). */
  onNotRouter: ((address: string) => void) | undefined;

  constructor(
    private readonly iface: Interface,
    private readonly ipv6: Ipv6,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv6Config,
    private readonly random: () => number,
  ) {
    this.baseReachable = config.reachableTime;
    this.reachableTime = this.randomized(config.reachableTime);
    this.retransTimer = config.retransTimer;
  }

  private randomized(base: number): number {
    const { minRandomFactor: lo, maxRandomFactor: hi } = this.config;
    return Math.round(base * (lo + this.random() * (hi - lo)));
  }

  /** Set BaseReachableTime (a router advertisement's); ReachableTime is drawn again (RFC 4861 6.3.4). */
  setBaseReachableTime(ms: number): void {
    if (ms === this.baseReachable) return;
    this.baseReachable = ms;
    this.reachableTime = this.randomized(ms);
  }

  // ---- sending ----

  /** Send `datagram` to the neighbour `nextHop`, resolving it first if needed. */
  send(nextHop: string, datagram: Uint8Array, src: string): void {
    let e = this.cache.get(nextHop);
    if (e === undefined) {
      if (!this.makeRoom()) { this.stats.drop("ndpCacheFull", nextHop); return; }
      e = this.entry(nextHop, undefined, "INCOMPLETE", src);
      e.pending.push(datagram);
      this.solicitIncomplete(nextHop, e);
      return;
    }
    switch (e.state) {
      case "INCOMPLETE":
        if (e.pending.length >= this.config.pendingLimit) { e.pending.shift(); this.stats.drop("ndpPendingOverflow", nextHop); }
        e.pending.push(datagram);
        return;
      case "STALE":
        this.transmit(e, datagram);
        this.setState(nextHop, e, "DELAY");
        return;
      default:
        this.transmit(e, datagram);
    }
  }

  /** Whether a neighbour is reachable or probably so (RFC 4861 6.3.6: not INCOMPLETE, not unknown). */
  probablyReachable(address: string): boolean {
    const e = this.cache.get(address);
    return e !== undefined && e.state !== "INCOMPLETE";
  }

  /** Upper-layer reachability confirmation (TCP saw new acknowledgements): the entry becomes REACHABLE. */
  confirm(address: string): void {
    const e = this.cache.get(address);
    if (e !== undefined && e.mac !== undefined) this.setState(address, e, "REACHABLE");
  }

  /** Return the cache. */
  entries(): NeighbourEntry[] {
    return [...this.cache].map(([address, e]) => ({ address, mac: e.mac, state: e.state, router: e.router, pending: e.pending.length }));
  }

  /** Return a neighbour's state, if cached. */
  state(address: string): NeighbourState | undefined {
    return this.cache.get(address)?.state;
  }

  /** Forget everything and cancel timers. */
  clear(): void {
    for (const e of this.cache.values()) e.timer?.cancel();
    this.cache.clear();
  }

  /**
   * Learn a link-layer address from an unsolicited message (NS, RA, redirect; RFC 4861 7.2.3,
   * 6.3.4): a new entry is STALE; a changed address makes it STALE; an INCOMPLETE one is resolved.
   */
  learn(address: string, mac: string, router?: boolean): void {
    let e = this.cache.get(address);
    if (e === undefined) {
      if (!this.makeRoom()) return;
      e = this.entry(address, mac, "STALE", UNSPECIFIED);
    } else if (e.state === "INCOMPLETE") {
      e.mac = mac;
      this.setState(address, e, "STALE");
      this.flush(e);
    } else if (e.mac !== mac) {
      e.mac = mac;
      this.setState(address, e, "STALE");
    }
    if (router !== undefined) e.router = router;
  }

  // ---- receiving ----

  /** Handle a neighbour solicitation, advertisement or redirect. */
  receive(p: Packet, ip: Ipv6Layer, arrival: Arrival6): void {
    const type = arrival.bytes[arrival.upperStart]!;
    const code = arrival.bytes[arrival.upperStart + 1]!;
    const length = arrival.upperEnd - arrival.upperStart;
    // RFC 4861 7.1.1, 7.1.2, 8.1: hop limit 255 (not forwarded), code 0, options of non-zero length.
    const min = type === Icmpv6Type.redirect ? 40 : 24;
    if (ip.hopLimit !== 255 || code !== 0 || length < min || !this.optionsValid(arrival, arrival.upperStart + min)) {
      this.stats.drop("ndpInvalid", `type ${type} hop limit ${ip.hopLimit} code ${code} length ${length}`);
      return;
    }
    if (type === Icmpv6Type.neighborSolicitation) this.solicitation(p, arrival);
    else if (type === Icmpv6Type.neighborAdvertisement) this.advertisement(p, arrival);
    else if (type === Icmpv6Type.redirect) this.redirect(p, arrival);
  }

  private optionsValid(arrival: Arrival6, from: number): boolean {
    const b = arrival.bytes;
    for (let i = from; i < arrival.upperEnd;) {
      if (i + 2 > arrival.upperEnd || b[i + 1] === 0) return false;
      i += b[i + 1]! * 8;
      if (i > arrival.upperEnd) return false;
    }
    return true;
  }

  private linkAddress(options: readonly { type: number; address?: string }[], type: number): string | undefined {
    for (const o of options) if (o.type === type && typeof o.address === "string") return o.address;
    return undefined;
  }

  private solicitation(p: Packet, arrival: Arrival6): void {
    const ns = p.layer(NDPNeighborSolicitation);
    if (ns === undefined) { this.stats.drop("ndpInvalid", "solicitation"); return; }
    const target = formatAddress6(arrival.bytes, arrival.upperStart + 8);
    const sll = this.linkAddress(ns.options, NdpOptionType.sourceLinkLayerAddress);
    const fromDad = arrival.src === UNSPECIFIED;
    if (isMulticast6(target) || (fromDad && (arrival.dst !== solicitedNode(target) || sll !== undefined))) {
      this.stats.drop("ndpInvalid", "solicitation target or source");
      return;
    }
    this.stats.count("ndp.solicitationReceived");
    if (this.ipv6.isTentative(target)) {
      // RFC 4862 5.4.3: from "::", another node is checking the same address; otherwise ignore it.
      if (fromDad) this.onDad?.(target, "solicitation", undefined);
      return;
    }
    if (!this.ipv6.hasAddress(target)) { this.stats.count("ndp.solicitationNotForUs"); return; }
    if (!fromDad && sll !== undefined) this.learn(arrival.src, sll);
    this.advertise(target, fromDad ? ALL_NODES : arrival.src, !fromDad);
  }

  /** Send a neighbour advertisement for our `target` (override set; solicited when answering). */
  advertise(target: string, dst: string, solicited: boolean): void {
    this.stats.count("ndp.advertisementSent");
    this.ipv6.send({
      src: target, dst, protocol: IpProtocol.ICMPv6, hopLimit: 255,
      payload: [
        ICMPv6({ type: Icmpv6Type.neighborAdvertisement }),
        NDPNeighborAdvertisement({ router: 0, solicited: solicited ? 1 : 0, override: 1, target, options: [NDPOption({ type: NdpOptionType.targetLinkLayerAddress, address: this.iface.mac })] }),
      ],
    });
  }

  private advertisement(p: Packet, arrival: Arrival6): void {
    const na = p.layer(NDPNeighborAdvertisement);
    if (na === undefined) { this.stats.drop("ndpInvalid", "advertisement"); return; }
    const target = formatAddress6(arrival.bytes, arrival.upperStart + 8);
    if (isMulticast6(target) || (arrival.multicast && na.solicited === 1)) { this.stats.drop("ndpInvalid", "advertisement target or flags"); return; }
    this.stats.count("ndp.advertisementReceived");
    const tll = this.linkAddress(na.options, NdpOptionType.targetLinkLayerAddress);
    if (this.ipv6.address(target) !== undefined) { this.onDad?.(target, "advertisement", tll); return; }
    const e = this.cache.get(target);
    if (e === undefined) return; // RFC 4861 7.2.5: no entry, nothing to update
    const router = na.router === 1;
    if (e.state === "INCOMPLETE") {
      if (tll === undefined) return;
      e.mac = tll;
      e.router = router;
      this.setState(target, e, na.solicited === 1 ? "REACHABLE" : "STALE");
      this.flush(e);
      return;
    }
    const differs = tll !== undefined && tll !== e.mac;
    if (na.override === 0 && differs) {
      if (e.state === "REACHABLE") this.setState(target, e, "STALE");
      return;
    }
    if (tll !== undefined) e.mac = tll;
    if (na.solicited === 1) this.setState(target, e, "REACHABLE");
    else if (differs) this.setState(target, e, "STALE");
    if (e.router && !router) this.onNotRouter?.(target);
    e.router = router;
  }

  private redirect(p: Packet, arrival: Arrival6): void {
    const r = p.layer(NDPRedirect);
    if (r === undefined) { this.stats.drop("ndpInvalid", "redirect"); return; }
    const target = formatAddress6(arrival.bytes, arrival.upperStart + 8);
    const destination = formatAddress6(arrival.bytes, arrival.upperStart + 24);
    // RFC 4861 8.1: from a link-local address, the current first hop for the destination; the
    // destination unicast; the target link-local (a better router) or the destination (on-link).
    if (!isLinkLocal6(arrival.src) || isMulticast6(destination) || this.ipv6.nextHop(destination) !== arrival.src
      || !(isLinkLocal6(target) || target === destination)) {
      this.stats.drop("ndpInvalid", `redirect of ${destination} to ${target} from ${arrival.src}`);
      return;
    }
    this.stats.count("ndp.redirectReceived");
    const redirects = this.ipv6.redirects;
    redirects.delete(destination);
    if (redirects.size >= this.config.redirectCacheSize) redirects.delete(redirects.keys().next().value!);
    redirects.set(destination, target);
    const tll = this.linkAddress(r.options, NdpOptionType.targetLinkLayerAddress);
    if (tll !== undefined) this.learn(target, tll, target !== destination ? true : undefined);
  }

  // ---- the state machine ----

  private entry(address: string, mac: string | undefined, state: NeighbourState, src: string): Entry {
    const e: Entry = { mac, state, router: false, pending: [], probes: 0, timer: undefined, src, seq: this.seq++ };
    this.cache.set(address, e);
    this.setState(address, e, state);
    return e;
  }

  private setState(address: string, e: Entry, state: NeighbourState): void {
    e.timer?.cancel();
    e.timer = undefined;
    e.state = state;
    this.stats.count(`ndp.state.${state}`);
    if (state === "REACHABLE") {
      e.timer = this.clock.schedule(this.reachableTime, () => { if (e.state === "REACHABLE") this.setState(address, e, "STALE"); });
    } else if (state === "DELAY") {
      e.timer = this.clock.schedule(this.config.delayFirstProbeTime, () => {
        if (e.state !== "DELAY") return;
        this.setState(address, e, "PROBE");
        e.probes = 0;
        this.probe(address, e);
      });
    }
  }

  private solicitIncomplete(address: string, e: Entry): void {
    if (this.cache.get(address) !== e || e.state !== "INCOMPLETE") return;
    if (e.probes >= this.config.maxMulticastSolicit) {
      this.cache.delete(address);
      this.stats.drop("ndpUnresolved", address);
      const dropped = e.pending;
      e.pending = [];
      if (dropped.length > 0) this.onUnresolved?.(dropped);
      return;
    }
    e.probes++;
    this.solicit(address, solicitedNode(address), e.src, undefined);
    e.timer = this.clock.schedule(this.retransTimer, () => this.solicitIncomplete(address, e));
  }

  private probe(address: string, e: Entry): void {
    if (this.cache.get(address) !== e || e.state !== "PROBE") return;
    if (e.probes >= this.config.maxUnicastSolicit) {
      this.cache.delete(address);
      this.stats.count("ndp.probeFailed");
      return;
    }
    e.probes++;
    this.solicit(address, address, e.src, e.mac);
    e.timer = this.clock.schedule(this.retransTimer, () => this.probe(address, e));
  }

  /**
   * Send a neighbour solicitation for `target` to `dst` (its solicited-node group, or itself when
   * probing: then straight to `mac`); from "::" (DAD) it carries no source link-layer option.
   */
  solicit(target: string, dst: string, src: string, mac: string | undefined): void {
    const source = src === UNSPECIFIED || this.ipv6.hasAddress(src) ? src : this.ipv6.sourceFor(target) ?? UNSPECIFIED;
    const options = source === UNSPECIFIED ? [] : [NDPOption({ type: NdpOptionType.sourceLinkLayerAddress, address: this.iface.mac })];
    const payload = [ICMPv6({ type: Icmpv6Type.neighborSolicitation }), NDPNeighborSolicitation({ target, options })];
    this.stats.count("ndp.solicitationSent");
    if (mac === undefined) { this.ipv6.send({ src: source, dst, protocol: IpProtocol.ICMPv6, hopLimit: 255, payload }); return; }
    const bytes = this.ipv6.build({ src: source, dst, protocol: IpProtocol.ICMPv6, hopLimit: 255, payload });
    this.iface.send(mac, EtherType.IPv6, bytes);
  }

  private transmit(e: Entry, datagram: Uint8Array): void {
    this.iface.send(e.mac!, EtherType.IPv6, datagram);
  }

  private flush(e: Entry): void {
    const q = e.pending;
    e.pending = [];
    for (const d of q) this.transmit(e, d);
  }

  /** Make room for one entry: evict the oldest entry not INCOMPLETE and not a router (STALE first). */
  private makeRoom(): boolean {
    if (this.cache.size < this.config.neighbourCacheSize) return true;
    let victim: [string, Entry] | undefined;
    for (const kv of this.cache) {
      const e = kv[1];
      if (e.state === "INCOMPLETE" || e.router) continue;
      if (victim === undefined || (e.state === "STALE" && victim[1].state !== "STALE") || (e.state === victim[1].state && e.seq < victim[1].seq)) victim = kv;
    }
    if (victim === undefined) return false;
    victim[1].timer?.cancel();
    this.cache.delete(victim[0]);
    return true;
  }
}
