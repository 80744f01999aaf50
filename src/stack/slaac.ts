/**
 * Address configuration for IPv6 (RFC 4862) with router discovery (RFC 4861 6.3):
 *
 * - Every address is tentative first: its solicited-node group is joined, then after a random
 *   delay in [0, MAX_RTR_SOLICITATION_DELAY] `dadTransmits` neighbour solicitations from "::" go
 *   out `retransTimer` apart; `retransTimer` after the last one, unanswered, it is preferred
 *   (`ready`). A solicitation from "::" or an advertisement for it is a duplicate (`conflict`):
 *   the address goes; with RFC 7217 identifiers a new one is tried (DAD_Counter + 1, at most
 *   `idgenRetries` times).
 * - The link-local address comes first (modified EUI-64, or RFC 7217 with `stablePrivacySecret`);
 *   once it is usable, up to MAX_RTR_SOLICITATIONS router solicitations go out
 *   RTR_SOLICITATION_INTERVAL apart, after a random delay, until an advertisement arrives.
 * - Router advertisements: current hop limit, reachable time and retrans timer; the router's
 *   default route for its lifetime (RFC 4191 preference); the MTU option; prefix information
 *   (on-link routes for their valid lifetime; SLAAC addresses for /64 autonomous prefixes, with
 *   the preferred lifetime and the two-hour rule of 5.5.3 (e) for the valid one); route
 *   information options (RFC 4191); RDNSS servers (RFC 8106) handed to the resolver.
 * - Lifetimes run on the clock: at the preferred lifetime's end the address is deprecated (still
 *   received on, not chosen as a source when another will do), at the valid one's it is removed.
 */
import type { Packet } from "../packet/packet.js";
import { ICMPv6, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPOption, NdpOptionType, NDPRouterAdvertisement, NDPRouterSolicitation } from "../protocols/ndp.js";
import { IpProtocol } from "../protocols/ipv4.js";
import type { Clock, Timer } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import type { Interface } from "./interface.js";
import { IPV6_MIN_MTU, type Address6, type AddressOrigin6, type Arrival6, type Ipv6, type Ipv6Layer } from "./ipv6.js";
import type { Ndp } from "./ndp.js";
import type { Mld } from "./mld.js";
import type { RouteTable6 } from "./route6.js";
import type { Stats } from "./stats.js";
import {
  ALL_ROUTERS, eui64, formatAddress6, isLinkLocal6, isMulticast6, prefixOf, solicitedNode, stableInterfaceId, UNSPECIFIED, withInterfaceId,
} from "./address6.js";

/** What address configuration tells the stack. */
export interface SlaacEvents {
  /** An address passed DAD and is in use. */
  ready(a: Address6): void;
  /** DAD found a duplicate (`tentative`), or another node advertised an address we use (`inUse`). */
  conflict(address: string, mac: string | undefined, state: "tentative" | "inUse"): void;
  /** RDNSS servers from a router advertisement (RFC 8106) with their lifetime in seconds. */
  dnsServers?(servers: string[], lifetime: number): void;
}

interface Managed {
  dad: Timer | undefined;
  preferred: Timer | undefined;
  valid: Timer | undefined;
  /** RFC 7217 DAD_Counter of a generated identifier. */
  dadCounter: number;
  /** The /64 prefix a generated address came from. */
  prefix: string | undefined;
}

const TWO_HOURS = 2 * 3600 * 1000;
const INFINITE = 0xffffffff;

/** Duplicate address detection, SLAAC and router discovery for one interface. */
export class Slaac {
  private readonly managed = new Map<string, Managed>();
  private rsTimer: Timer | undefined;
  private rsSent = 0;
  private advertised = false;
  private started = false;

  constructor(
    private readonly iface: Interface,
    private readonly ipv6: Ipv6,
    private readonly ndp: Ndp,
    private readonly mld: Mld,
    private readonly routes: RouteTable6,
    private readonly clock: Clock,
    private readonly stats: Stats,
    private readonly config: Ipv6Config,
    private readonly random: () => number,
    private readonly events: SlaacEvents,
  ) {}

  /** Router solicitations sent so far. */
  get solicitations(): number {
    return this.rsSent;
  }

  /** Start: the link-local address (DAD first), then router solicitation. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.generate("fe80::", "link-local", 0, Infinity, Infinity);
  }

  /** Make an address from a /64 prefix and our interface identifier, and check it. */
  private generate(prefix: string, origin: AddressOrigin6, dadCounter: number, preferredUntil: number, validUntil: number): string {
    const secret = this.config.stablePrivacySecret;
    const id = secret === undefined ? eui64(this.iface.mac)
      : stableInterfaceId({ prefix, netIface: this.iface.mac, networkId: this.config.networkId, dadCounter, secret });
    const address = withInterfaceId(prefix, id);
    this.add({ address, prefixLength: 64, state: "tentative", origin, preferredUntil, validUntil }, dadCounter, prefix);
    return address;
  }

  /** Add an address (tentative) and run DAD on it; false if it is there already. */
  add(a: Address6, dadCounter = 0, prefix?: string): boolean {
    if (!this.ipv6.addAddress(a)) return false;
    const m: Managed = { dad: undefined, preferred: undefined, valid: undefined, dadCounter, prefix };
    this.managed.set(a.address, m);
    this.mld.join(solicitedNode(a.address));
    if (this.config.dadTransmits <= 0) { this.use(a); return true; }
    this.stats.count("slaac.dadStarted");
    const delay = Math.floor(this.random() * this.config.maxRtrSolicitationDelay);
    m.dad = this.clock.schedule(delay, () => this.probe(a, m, 0));
    return true;
  }

  private probe(a: Address6, m: Managed, sent: number): void {
    if (this.managed.get(a.address) !== m || a.state !== "tentative") return;
    if (sent >= this.config.dadTransmits) { this.use(a); return; }
    this.ndp.solicit(a.address, solicitedNode(a.address), UNSPECIFIED, undefined);
    this.stats.count("slaac.dadSolicitation");
    m.dad = this.clock.schedule(this.ndp.retransTimer, () => this.probe(a, m, sent + 1));
  }

  private use(a: Address6): void {
    const m = this.managed.get(a.address)!;
    m.dad = undefined;
    a.state = a.preferredUntil > this.clock.now() ? "preferred" : "deprecated";
    this.schedule(a, m);
    if (a.origin !== "slaac") {
      this.routes.set({ destination: a.address, prefixLength: a.prefixLength, gateway: undefined, source: a.address, metric: 0, kind: "connected", expires: Infinity, preference: 0 });
    }
    this.stats.count("slaac.addressReady");
    this.events.ready(a);
    // RFC 4861 6.3.7: solicit routers once a link-local address is usable.
    if (isLinkLocal6(a.address) && a.origin === "link-local" && this.config.routerSolicitation && this.rsTimer === undefined && !this.advertised) {
      const delay = Math.floor(this.random() * this.config.maxRtrSolicitationDelay);
      this.rsTimer = this.clock.schedule(delay, () => this.solicitRouters());
    }
  }

  private solicitRouters(): void {
    if (this.advertised || this.rsSent >= this.config.maxRtrSolicitations) { this.rsTimer = undefined; return; }
    const src = this.ipv6.linkLocal() ?? UNSPECIFIED;
    const options = src === UNSPECIFIED ? [] : [NDPOption({ type: NdpOptionType.sourceLinkLayerAddress, address: this.iface.mac })];
    this.ipv6.send({
      src, dst: ALL_ROUTERS, protocol: IpProtocol.ICMPv6, hopLimit: 255,
      payload: [ICMPv6({ type: Icmpv6Type.routerSolicitation }), NDPRouterSolicitation({ options })],
    });
    this.rsSent++;
    this.stats.count("slaac.routerSolicitationSent");
    this.rsTimer = this.rsSent < this.config.maxRtrSolicitations
      ? this.clock.schedule(this.config.rtrSolicitationInterval, () => this.solicitRouters()) : undefined;
  }

  /** (Re)arm the preferred and valid lifetime timers of an address. */
  private schedule(a: Address6, m: Managed): void {
    m.preferred?.cancel();
    m.valid?.cancel();
    m.preferred = undefined;
    m.valid = undefined;
    const now = this.clock.now();
    if (a.state === "preferred" && a.preferredUntil !== Infinity) {
      m.preferred = this.clock.schedule(a.preferredUntil - now, () => {
        if (a.state !== "preferred") return;
        a.state = "deprecated";
        this.stats.count("slaac.addressDeprecated");
      });
    }
    if (a.validUntil !== Infinity) m.valid = this.clock.schedule(a.validUntil - now, () => this.remove(a.address));
  }

  /** Remove an address we manage (its timers, its group and its connected route). */
  remove(address: string): boolean {
    const m = this.managed.get(address);
    const a = this.ipv6.address(address);
    if (a === undefined) return false;
    if (m !== undefined) { m.dad?.cancel(); m.preferred?.cancel(); m.valid?.cancel(); this.managed.delete(address); }
    this.ipv6.removeAddress(address);
    this.mld.leave(solicitedNode(address));
    this.routes.remove((r) => r.kind === "connected" && r.source === address);
    this.stats.count("slaac.addressRemoved");
    return true;
  }

  /** DAD: a solicitation from "::" or an advertisement about one of our addresses. */
  duplicate(address: string, kind: "solicitation" | "advertisement", mac: string | undefined): void {
    const a = this.ipv6.address(address);
    if (a === undefined) return;
    if (a.state !== "tentative") {
      this.stats.count("slaac.conflictInUse");
      this.events.conflict(address, mac, "inUse");
      return;
    }
    const m = this.managed.get(address);
    this.stats.count(`slaac.duplicate.${kind}`);
    this.remove(address);
    this.events.conflict(address, mac, "tentative");
    // RFC 7217 6: a stable identifier is generated again with the next DAD_Counter.
    if (m !== undefined && m.prefix !== undefined && this.config.stablePrivacySecret !== undefined && m.dadCounter < this.config.idgenRetries) {
      this.generate(m.prefix, a.origin, m.dadCounter + 1, a.preferredUntil, a.validUntil);
    }
  }

  /** Handle a router solicitation (ignored: a host) or advertisement. */
  receive(p: Packet, ip: Ipv6Layer, arrival: Arrival6): void {
    const { bytes, upperStart: s, upperEnd: e } = arrival;
    if (bytes[s] === Icmpv6Type.routerSolicitation) return;
    const ra = p.layer(NDPRouterAdvertisement);
    // RFC 4861 6.1.2: link-local source, hop limit 255, code 0, 16 bytes at least, options of non-zero length.
    if (ra === undefined || !isLinkLocal6(arrival.src) || ip.hopLimit !== 255 || bytes[s + 1] !== 0 || e - s < 16 || !optionsValid(bytes, s + 16, e)) {
      this.stats.drop("ndpInvalid", `router advertisement from ${arrival.src}`);
      return;
    }
    this.stats.count("slaac.routerAdvertisementReceived");
    this.advertised = true;
    this.rsTimer?.cancel();
    this.rsTimer = undefined;
    const now = this.clock.now();
    if (ra.currentHopLimit !== 0) this.ipv6.hopLimit = ra.currentHopLimit;
    if (ra.reachableTime !== 0) this.ndp.setBaseReachableTime(ra.reachableTime);
    if (ra.retransTimer !== 0) this.ndp.retransTimer = ra.retransTimer;
    const router = arrival.src;
    const preference = ra.preference === 1 ? 1 : ra.preference === 3 ? -1 : 0;
    if (ra.routerLifetime === 0) this.routes.remove((r) => r.kind === "default" && r.gateway === router);
    else this.routes.set({ destination: "::", prefixLength: 0, gateway: router, source: undefined, metric: 0, kind: "default", expires: now + ra.routerLifetime * 1000, preference });
    for (let i = s + 16; i < e; i += bytes[i + 1]! * 8) {
      const type = bytes[i]!;
      const len = bytes[i + 1]! * 8;
      const view = new DataView(bytes.buffer, bytes.byteOffset + i, len);
      if (type === NdpOptionType.sourceLinkLayerAddress && len === 8) {
        this.ndp.learn(router, formatMac(bytes, i + 2), true);
      } else if (type === NdpOptionType.mtu && len === 8) {
        const mtu = view.getUint32(4);
        if (mtu >= IPV6_MIN_MTU && mtu <= this.iface.mtu) { this.ipv6.linkMtu = mtu; this.stats.count("slaac.mtu"); }
      } else if (type === NdpOptionType.prefixInformation && len === 32) {
        this.prefix(bytes[i + 2]!, bytes[i + 3]!, view.getUint32(4), view.getUint32(8), formatAddress6(bytes, i + 16), now);
      } else if (type === NdpOptionType.recursiveDnsServer && len >= 24 && (len - 8) % 16 === 0) {
        const servers: string[] = [];
        for (let j = i + 8; j < i + len; j += 16) servers.push(formatAddress6(bytes, j));
        this.events.dnsServers?.(servers, view.getUint32(4));
      }
    }
    for (const o of ra.options) {
      if (o.type === NdpOptionType.routeInformation && o.routePrefix !== undefined) {
        this.routeInformation(o.prefixLength!, o.routePreference!, o.lifetime!, o.routePrefix, o.length, router, now);
      }
    }
  }

  /** A prefix information option (RFC 4861 6.3.4, RFC 4862 5.5.3). */
  private prefix(length: number, flags: number, valid: number, preferred: number, prefixText: string, now: number): void {
    if (length > 128 || isLinkLocal6(prefixText) || isMulticast6(prefixText)) return;
    const prefix = prefixOf(prefixText, length);
    const validUntil = valid === INFINITE ? Infinity : now + valid * 1000;
    if ((flags & 0x80) !== 0) {
      if (valid === 0) this.routes.remove((r) => r.kind === "connected" && r.destination === prefix && r.prefixLength === length && r.source === undefined);
      else this.routes.set({ destination: prefix, prefixLength: length, gateway: undefined, source: undefined, metric: 0, kind: "connected", expires: validUntil, preference: 0 });
    }
    if ((flags & 0x40) === 0 || !this.config.slaac || preferred > valid) return;
    if (length !== 64) { this.stats.count("slaac.prefixLengthNot64"); return; }
    const preferredUntil = preferred === INFINITE ? Infinity : now + preferred * 1000;
    const existing = [...this.managed].find(([, m]) => m.prefix === prefix);
    if (existing === undefined) {
      if (valid === 0) return;
      this.stats.count("slaac.prefixAutoconfigured");
      this.generate(prefix, "slaac", 0, preferredUntil, validUntil);
      return;
    }
    const a = this.ipv6.address(existing[0]);
    if (a === undefined) return;
    a.preferredUntil = preferredUntil;
    // RFC 4862 5.5.3 (e): the two-hour rule against a forged short valid lifetime.
    const remaining = a.validUntil - now;
    if (valid * 1000 > TWO_HOURS || validUntil > a.validUntil) a.validUntil = validUntil;
    else if (remaining > TWO_HOURS) a.validUntil = now + TWO_HOURS;
    if (a.state === "tentative") return; // its timers start when DAD ends
    if (a.preferredUntil > now && a.state === "deprecated") a.state = "preferred";
    if (a.preferredUntil <= now && a.state === "preferred") a.state = "deprecated";
    this.schedule(a, existing[1]);
  }

  /** A route information option (RFC 4191 2.3): prefix length, preference, lifetime, prefix (as the NDPOption definition reads it). */
  private routeInformation(length: number, flags: number, lifetime: number, prefixBytes: Uint8Array, words: number, router: string, now: number): void {
    if (length > 128 || (length > 64 && words < 3) || (length > 0 && words < 2)) { this.stats.drop("ndpInvalid", "route information length"); return; }
    const prf = (flags >> 3) & 3;
    if (prf === 2) return; // reserved: ignore the option
    const b = new Uint8Array(16);
    b.set(prefixBytes.subarray(0, 16));
    const prefix = prefixOf(formatAddress6(b, 0), length);
    if (lifetime === 0) { this.routes.remove((r) => r.kind === "router" && r.gateway === router && r.destination === prefix && r.prefixLength === length); return; }
    this.routes.set({
      destination: prefix, prefixLength: length, gateway: router, source: undefined, metric: 0, kind: "router",
      expires: lifetime === INFINITE ? Infinity : now + lifetime * 1000, preference: prf === 1 ? 1 : prf === 3 ? -1 : 0,
    });
    this.stats.count("slaac.routeInformation");
  }

  /** Cancel timers. */
  clear(): void {
    this.rsTimer?.cancel();
    for (const m of this.managed.values()) { m.dad?.cancel(); m.preferred?.cancel(); m.valid?.cancel(); }
  }
}

function optionsValid(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to;) {
    if (i + 2 > to || b[i + 1] === 0) return false;
    i += b[i + 1]! * 8;
    if (i > to) return false;
  }
  return true;
}

function formatMac(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}


