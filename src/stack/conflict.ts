/**
 * IPv4 address conflict detection (RFC 5227) for the stack.
 *
 * Probing (2.1): a new address stays tentative (not on the interface: not used as a source, not
 * answered for) while `probeCount` ARP probes go out (sender IP 0.0.0.0, target the address),
 * after a random wait of 0..`probeWait` ms and `probeMin`..`probeMax` ms apart; `announceWait` ms
 * after the last one, with no conflict, the address is used and announced `announceCount` times.
 * A conflict while tentative is any ARP whose sender IP is the address, or another host's probe
 * for it (2.1.1): the address is abandoned and never used.
 *
 * Defence (2.4): an ARP from another MAC whose sender IP is an address in use is a conflict. With
 * `defence: "forever"` the stack announces its address again (at most once per `defendInterval`);
 * with `"retreat"` it defends once and gives the address up at a second conflict within
 * `defendInterval`. Every conflict is reported through `onConflict`.
 *
 * The random waits come from a generator seeded by the stack (deterministic on a virtual clock).
 */
import type { Clock, Timer } from "./clock.js";
import type { ArpConfig } from "./config.js";
import type { Stats } from "./stats.js";
import { numberToIPv4, type Cidr } from "./address.js";

/** A conflict, as the stack reports it (`addressConflict` event). */
export interface AddressConflict {
  /** The address concerned. */
  readonly address: string;
  /** The other host's MAC. */
  readonly mac: string;
  /** `tentative`: found while probing; `inUse`: another host claims an address we use. */
  readonly state: "tentative" | "inUse";
  /** `abandoned`: the address is not (or no longer) used; `defended`: announced again; `ignored`: defended recently. */
  readonly action: "abandoned" | "defended" | "ignored";
}

/** What conflict detection asks of the stack. */
export interface ConflictHooks {
  /** Send an ARP probe for `address`. */
  probe(address: number): void;
  /** Send an ARP announcement for `address`. */
  announce(address: number): void;
  /** Start using a probed address (put it on the interface). */
  use(c: Cidr): void;
  /** Stop using an address lost to another host. */
  remove(address: number): void;
  /** Report a conflict. */
  conflict(c: AddressConflict): void;
}

interface Tentative {
  readonly cidr: Cidr;
  probes: number;
  timer: Timer | undefined;
}

/** Addresses tentative at most at once (a bound like every table; each runs a handful of timers). */
export const MAX_TENTATIVE = 64;

/** RFC 5227 probing and defence for one interface. */
export class ConflictDetection {
  private readonly tentative = new Map<number, Tentative>();
  /** When each address in use last had a conflict (for `defendInterval`). */
  private readonly lastConflict = new Map<number, number>();
  private readonly announcing = new Set<Timer>();

  constructor(
    private readonly hooks: ConflictHooks,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: ArpConfig,
    private readonly random: () => number,
  ) {}

  /** Whether `address` is being probed. */
  isTentative(address: number): boolean {
    return this.tentative.has(address);
  }

  /** Return the addresses being probed, as `ADDR/LEN`. */
  tentativeAddresses(): string[] {
    return [...this.tentative.values()].map((t) => `${numberToIPv4(t.cidr.address)}/${t.cidr.prefixLength}`);
  }

  /** Probe `c` and use it when nobody claims it; false when it is already tentative or too many are. */
  start(c: Cidr): boolean {
    if (this.tentative.has(c.address) || this.tentative.size >= MAX_TENTATIVE) return false;
    const t: Tentative = { cidr: c, probes: 0, timer: undefined };
    this.tentative.set(c.address, t);
    this.stats.count("arp.probing");
    t.timer = this.clock.schedule(this.random() * this.config.probeWait, () => this.step(t));
    return true;
  }

  /** Announce `address` `announceCount` times, `announceInterval` apart (the first now). */
  announceSeries(address: number): void {
    const c = this.config;
    this.hooks.announce(address);
    for (let i = 1; i < c.announceCount; i++) {
      const timer: Timer = this.clock.schedule(i * c.announceInterval, () => {
        this.announcing.delete(timer);
        this.hooks.announce(address);
      });
      this.announcing.add(timer);
    }
  }

  /**
   * Look at an ARP packet from another MAC; return true when it was a conflict (it is then not
   * processed further). `inUse` tells whether the sender IP is one of the interface's addresses.
   */
  check(senderIp: number, senderMac: string, targetIp: number, isRequest: boolean, inUse: boolean): boolean {
    const probed = this.tentative.get(senderIp) ?? (senderIp === 0 && isRequest ? this.tentative.get(targetIp) : undefined);
    if (probed !== undefined) {
      probed.timer?.cancel();
      this.tentative.delete(probed.cidr.address);
      this.stats.count("arp.conflict");
      this.hooks.conflict({ address: numberToIPv4(probed.cidr.address), mac: senderMac, state: "tentative", action: "abandoned" });
      return true;
    }
    if (!inUse) return false;
    this.stats.count("arp.conflict");
    const now = this.clock.now();
    const last = this.lastConflict.get(senderIp);
    const recent = last !== undefined && now - last < this.config.defendInterval;
    const address = numberToIPv4(senderIp);
    if (!recent) {
      this.lastConflict.set(senderIp, now);
      if (this.lastConflict.size > MAX_TENTATIVE * 4) this.lastConflict.delete(this.lastConflict.keys().next().value!);
      this.hooks.announce(senderIp);
      this.stats.count("arp.defended");
      this.hooks.conflict({ address, mac: senderMac, state: "inUse", action: "defended" });
    } else if (this.config.defence === "retreat") {
      this.lastConflict.delete(senderIp);
      this.hooks.remove(senderIp);
      this.stats.count("arp.abandoned");
      this.hooks.conflict({ address, mac: senderMac, state: "inUse", action: "abandoned" });
    } else {
      this.hooks.conflict({ address, mac: senderMac, state: "inUse", action: "ignored" });
    }
    return true;
  }

  /** Forget an address (removed by the user): stop probing it. */
  forget(address: number): void {
    const t = this.tentative.get(address);
    t?.timer?.cancel();
    this.tentative.delete(address);
    this.lastConflict.delete(address);
  }

  /** Cancel every timer. */
  clear(): void {
    for (const t of this.tentative.values()) t.timer?.cancel();
    this.tentative.clear();
    for (const timer of this.announcing) timer.cancel();
    this.announcing.clear();
  }

  private step(t: Tentative): void {
    t.timer = undefined;
    if (this.tentative.get(t.cidr.address) !== t) return;
    const c = this.config;
    if (t.probes < c.probeCount) {
      this.hooks.probe(t.cidr.address);
      this.stats.count("arp.probe");
      t.probes++;
      const wait = t.probes < c.probeCount ? c.probeMin + this.random() * (c.probeMax - c.probeMin) : c.announceWait;
      t.timer = this.clock.schedule(wait, () => this.step(t));
      return;
    }
    this.tentative.delete(t.cidr.address);
    this.hooks.use(t.cidr);
    this.announceSeries(t.cidr.address);
  }
}
