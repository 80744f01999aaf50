/**
 * ARP (RFC 826) for the interface: answers requests for our addresses, resolves next hops, and
 * keeps a bounded cache. An entry is `incomplete` while requests are out (datagrams wait in a
 * bounded queue, oldest dropped first) and `reachable` once answered, until `reachableTime` passes
 * (aging is checked when an entry is used or listed: no timer per entry). Retries run on the clock.
 * An entry in use within `refreshBefore` ms of expiry is refreshed by a unicast request to the MAC
 * it has (at most one per `retryInterval`), so busy neighbours never age out; idle ones do.
 * RFC 5227 conflict detection (probes, defence) is in conflict.ts, called through `onConflictCheck`.
 */
import type { Packet } from "../packet/packet.js";
import { ARP, ArpHardware, ArpOpcode } from "../protocols/arp.js";
import { EtherType } from "../protocols/ethernet.js";
import type { Clock, Timer } from "./clock.js";
import type { ArpConfig } from "./config.js";
import { BROADCAST_MAC, type Interface } from "./interface.js";
import type { Stats } from "./stats.js";
import { ipv4ToNumber, numberToIPv4, prefixMask } from "./address.js";

/** An entry of the ARP cache, as listed by `Stack.arpTable()`. */
export interface ArpEntry {
  readonly address: string;
  /** The MAC, or undefined while incomplete. */
  readonly mac: string | undefined;
  readonly state: "incomplete" | "reachable";
  /** Milliseconds until a reachable entry expires (0 for incomplete). */
  readonly expiresIn: number;
  /** Datagrams waiting for the answer. */
  readonly pending: number;
}

interface Entry {
  mac: string | undefined;
  expires: number;
  pending: Uint8Array[];
  tries: number;
  timer: Timer | undefined;
  /** When a refresh request last went out. */
  refreshed: number;
}

/** Called when a neighbour never answers: the datagrams that waited for it. */
export type UnresolvedHandler = (address: number, datagrams: readonly Uint8Array[]) => void;

/**
 * Sees every ARP packet from another MAC before it is processed (sender IP, sender MAC, target IP,
 * whether it is a request, whether the sender IP is ours); returns true when it was a conflict.
 */
export type ConflictCheck = (sender: number, senderMac: string, target: number, isRequest: boolean, inUse: boolean) => boolean;

/** The ARP protocol and cache of one interface. */
export class Arp {
  private readonly cache = new Map<number, Entry>();
  /** Called with the datagrams dropped when a neighbour does not answer. */
  onUnresolved: UnresolvedHandler | undefined;
  /** RFC 5227 conflict detection hooks in here. */
  onConflictCheck: ConflictCheck | undefined;

  constructor(
    private readonly iface: Interface,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: ArpConfig,
  ) {}

  /** Send `datagram` (IPv4 bytes) to the neighbour `address`, resolving its MAC first if needed. */
  send(address: number, datagram: Uint8Array): void {
    const now = this.clock.now();
    let e = this.cache.get(address);
    if (e !== undefined && e.mac !== undefined && e.expires <= now) {
      this.cache.delete(address); // aged out
      this.stats.count("arp.expired");
      e = undefined;
    }
    if (e !== undefined && e.mac !== undefined) {
      this.iface.send(e.mac, EtherType.IPv4, datagram);
      const c = this.config;
      if (c.refreshBefore > 0 && e.expires - now <= c.refreshBefore && now - e.refreshed >= c.retryInterval) {
        e.refreshed = now;
        this.transmit(e.mac, ArpOpcode.request, this.sourceFor(address), "00:00:00:00:00:00", numberToIPv4(address));
        this.stats.count("arp.refresh");
      }
      return;
    }
    if (e === undefined) {
      if (!this.makeRoom()) { this.stats.drop("arpCacheFull", numberToIPv4(address)); return; }
      e = { mac: undefined, expires: 0, pending: [], tries: 0, timer: undefined, refreshed: -Infinity };
      this.cache.set(address, e);
      this.request(address, e);
    }
    if (e.pending.length >= this.config.pendingLimit) {
      e.pending.shift();
      this.stats.drop("arpPendingOverflow", numberToIPv4(address));
    }
    e.pending.push(datagram);
  }

  /** Return the MAC of a reachable neighbour, if known. */
  lookup(address: number): string | undefined {
    const e = this.cache.get(address);
    return e !== undefined && e.mac !== undefined && e.expires > this.clock.now() ? e.mac : undefined;
  }

  /** Return the cache, dropping entries that aged out. */
  entries(): ArpEntry[] {
    const now = this.clock.now();
    const out: ArpEntry[] = [];
    for (const [a, e] of this.cache) {
      if (e.mac !== undefined && e.expires <= now) { this.cache.delete(a); this.stats.count("arp.expired"); continue; }
      out.push({
        address: numberToIPv4(a), mac: e.mac, state: e.mac === undefined ? "incomplete" : "reachable",
        expiresIn: e.mac === undefined ? 0 : e.expires - now, pending: e.pending.length,
      });
    }
    return out;
  }

  /** Send a gratuitous ARP request announcing `address` (RFC 5227 announcement form). */
  announce(address: number): void {
    const ip = numberToIPv4(address);
    this.transmit(BROADCAST_MAC, ArpOpcode.request, ip, "00:00:00:00:00:00", ip);
    this.stats.count("arp.announce");
  }

  /** Send an RFC 5227 probe for `address`: a broadcast request with sender IP 0.0.0.0. */
  probe(address: number): void {
    this.transmit(BROADCAST_MAC, ArpOpcode.request, "0.0.0.0", "00:00:00:00:00:00", numberToIPv4(address));
  }

  /** Forget every entry and cancel retries (pending datagrams are dropped). */
  clear(): void {
    for (const e of this.cache.values()) e.timer?.cancel();
    this.cache.clear();
  }

  /** Handle a received ARP frame. */
  receive(p: Packet, _frame: Uint8Array): void {
    const arp = p.layer(ARP);
    if (arp === undefined || p.error !== undefined) { this.stats.drop("arpMalformed"); return; }
    if (arp.hwType !== ArpHardware.ethernet || arp.protoType !== EtherType.IPv4 || arp.hwLen !== 6 || arp.protoLen !== 4) {
      this.stats.drop("arpUnsupported");
      return;
    }
    const op = arp.opcode;
    if (op !== ArpOpcode.request && op !== ArpOpcode.reply) { this.stats.drop("arpUnsupported", `opcode ${op}`); return; }
    this.stats.count("arp.rx");
    const senderMac = arp.senderMac;
    const sender = ipv4ToNumber(arp.senderIp)!;
    const target = ipv4ToNumber(arp.targetIp)!;
    if (senderMac === this.iface.mac) return; // our own frame, looped back
    const inUse = this.iface.hasAddress(sender);
    if (this.onConflictCheck?.(sender, senderMac, target, op === ArpOpcode.request, inUse)) return;
    if (inUse) { this.stats.count("arp.conflict"); return; } // someone else claims our address

    // Senders outside our subnets are never learned (they could not be next hops): no cache pollution.
    const onLink = this.onLink(sender);
    if (!onLink) this.stats.count("arp.offSubnet");
    // RFC 826: update an existing entry from any packet; add one only when we are the target.
    const forUs = this.iface.hasAddress(target);
    const known = this.cache.has(sender);
    if (onLink && sender !== 0 && (known || forUs) && !isMulticastMac(senderMac)) {
      this.learn(sender, senderMac);
    }
    if (forUs && op === ArpOpcode.request) {
      this.transmit(senderMac, ArpOpcode.reply, arp.targetIp, senderMac, arp.senderIp);
      this.stats.count("arp.reply");
    }
  }

  private learn(address: number, mac: string): void {
    let e = this.cache.get(address);
    if (e === undefined) {
      if (!this.makeRoom()) { this.stats.drop("arpCacheFull", numberToIPv4(address)); return; }
      e = { mac: undefined, expires: 0, pending: [], tries: 0, timer: undefined, refreshed: -Infinity };
      this.cache.set(address, e);
    }
    e.mac = mac;
    e.expires = this.clock.now() + this.config.reachableTime;
    e.timer?.cancel();
    e.timer = undefined;
    e.tries = 0;
    const waiting = e.pending;
    e.pending = [];
    for (const d of waiting) this.iface.send(mac, EtherType.IPv4, d);
  }

  private request(address: number, e: Entry): void {
    const src = this.sourceFor(address);
    this.transmit(BROADCAST_MAC, ArpOpcode.request, src, "00:00:00:00:00:00", numberToIPv4(address));
    this.stats.count("arp.request");
    e.tries++;
    e.timer = this.clock.schedule(this.config.retryInterval, () => {
      e.timer = undefined;
      if (this.cache.get(address) !== e || e.mac !== undefined) return;
      if (e.tries < this.config.retries) { this.request(address, e); return; }
      this.cache.delete(address);
      for (let i = 0; i < e.pending.length; i++) this.stats.drop("arpUnresolved", numberToIPv4(address));
      this.onUnresolved?.(address, e.pending);
    });
  }

  /** Whether `address` is in one of the interface's subnets. */
  private onLink(address: number): boolean {
    for (const a of this.iface.addresses()) if (((a.address ^ address) & prefixMask(a.prefixLength)) === 0) return true;
    return false;
  }

  /** The address to send requests from: one in the neighbour's subnet, else the first. */
  private sourceFor(address: number): string {
    const addrs = this.iface.addresses();
    for (const a of addrs) {
      if (((a.address ^ address) & prefixMask(a.prefixLength)) === 0) return numberToIPv4(a.address);
    }
    return addrs[0] !== undefined ? numberToIPv4(addrs[0].address) : "0.0.0.0";
  }

  /** Make room for one entry: evict the oldest resolved entry when full. */
  private makeRoom(): boolean {
    if (this.cache.size < this.config.cacheSize) return true;
    for (const [a, e] of this.cache) {
      if (e.mac !== undefined) { this.cache.delete(a); this.stats.count("arp.evicted"); return true; }
    }
    return false;
  }

  private transmit(dst: string, opcode: number, senderIp: string, targetMac: string, targetIp: string): void {
    this.iface.send(dst, EtherType.ARP, ARP({ opcode, senderMac: this.iface.mac, senderIp, targetMac, targetIp }));
  }
}

function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
