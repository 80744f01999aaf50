/**
 * The IPv6 half of a stack, wired together: `Ipv6` with its routing table, neighbour discovery,
 * ICMPv6 (and the path MTU cache), reassembly, MLD and address configuration (DAD, SLAAC, router
 * discovery). `Stack` holds one and forwards its IPv6 calls here; transports use `ipv6`
 * (`register`, `send`) and `icmpv6` (`onError`).
 */
import { IpProtocol } from "../protocols/ipv4.js";
import type { Clock } from "./clock.js";
import type { Ipv6Config } from "./config.js";
import type { Interface } from "./interface.js";
import type { Stats } from "./stats.js";
import type { AddressConflict } from "./conflict.js";
import type { PingOptions, PingReply } from "./icmp.js";
import { Ipv6, type AddressOrigin6, type AddressState6 } from "./ipv6.js";
import { RouteTable6 } from "./route6.js";
import { Ndp, type NeighbourEntry } from "./ndp.js";
import { Icmpv6 } from "./icmpv6.js";
import { Reassembly6 } from "./reassembly6.js";
import { Mld } from "./mld.js";
import { Slaac } from "./slaac.js";
import type { RouteEntry } from "./route.js";
import { isMulticast6, parseCidr6, requireIPv6, solicitedNode } from "./address6.js";

/** An IPv6 address as `Stack.addresses6()` lists it. */
export interface Address6Info {
  /** `ADDR/LEN`. */
  readonly cidr: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly state: AddressState6;
  readonly origin: AddressOrigin6;
  /** Milliseconds of preferred and valid lifetime left (Infinity: forever). */
  readonly preferredFor: number;
  readonly validFor: number;
}

/** What the IPv6 half tells the stack. */
export interface Inet6Events {
  ready(cidr: string): void;
  conflict(c: AddressConflict): void;
  dnsServers(servers: string[], lifetime: number): void;
}

/** The IPv6 half of one stack. */
export class Inet6 {
  readonly routes = new RouteTable6();
  readonly ipv6: Ipv6;
  readonly ndp: Ndp;
  readonly icmpv6: Icmpv6;
  readonly reassembly: Reassembly6;
  readonly mld: Mld;
  readonly slaac: Slaac;

  constructor(
    iface: Interface,
    private readonly clock: Clock,
    stats: Stats,
    config: Ipv6Config,
    echoId: number,
    random: () => number,
    events: Inet6Events,
  ) {
    this.ipv6 = new Ipv6(iface, this.routes, clock, stats, config, random);
    this.ndp = new Ndp(iface, this.ipv6, clock, stats, config, random);
    this.ipv6.neighbours = this.ndp;
    this.icmpv6 = new Icmpv6(this.ipv6, clock, stats, config, echoId);
    this.mld = new Mld(this.ipv6, clock, stats, config, random);
    this.reassembly = new Reassembly6({
      deliver: (d) => this.ipv6.receiveDatagram(d, true),
      parameterProblem: (code, pointer, a) => this.icmpv6.parameterProblem(code, pointer, a),
      timeout: (first) => this.icmpv6.reassemblyTimeExceeded(first),
    }, clock, stats, config);
    this.slaac = new Slaac(iface, this.ipv6, this.ndp, this.mld, this.routes, clock, stats, config, random, {
      ready: (a) => events.ready(`${a.address}/${a.prefixLength}`),
      conflict: (address, mac, state) => events.conflict({ address, mac: mac ?? "", state, action: state === "tentative" ? "abandoned" : "ignored" }),
      dnsServers: (servers, lifetime) => events.dnsServers(servers, lifetime),
    });
    this.ipv6.register(IpProtocol.ICMPv6, (p, ip, a) => this.icmpv6.receive(p, ip, a));
    this.ipv6.onFragment = (a, f) => this.reassembly.receive(a, f);
    this.ipv6.onParameterProblem = (code, pointer, a, even) => this.icmpv6.parameterProblem(code, pointer, a, even);
    this.icmpv6.hooks.ndp = (p, ip, a) => this.ndp.receive(p, ip, a);
    this.icmpv6.hooks.router = (p, ip, a) => this.slaac.receive(p, ip, a);
    this.icmpv6.hooks.mld = (p, ip, a) => this.mld.receive(p, ip, a);
    this.ndp.onDad = (target, kind, mac) => this.slaac.duplicate(target, kind, mac);
    this.ndp.onUnresolved = (datagrams) => this.icmpv6.unresolved(datagrams);
    this.ndp.onNotRouter = (address) => this.routes.remove((r) => r.kind === "default" && r.gateway === address);
  }

  /** Whether IPv6 runs. */
  get enabled(): boolean {
    return this.ipv6.enabled;
  }

  /** Turn IPv6 on; with `auto`, a link-local address, router solicitation and SLAAC follow. */
  enable(auto: boolean): void {
    this.ipv6.enabled = true;
    if (auto) this.slaac.start();
  }

  /** Add a static address (DAD first; `addressReady` when in use). */
  addAddress(cidr: string): void {
    const c = parseCidr6(cidr);
    if (isMulticast6(c.address) || c.address === "::") throw new TypeError(`not a unicast IPv6 address: ${JSON.stringify(cidr)}`);
    this.ipv6.enabled = true;
    this.slaac.add({ address: c.address, prefixLength: c.prefixLength, state: "tentative", origin: c.address.startsWith("fe80:") ? "link-local" : "static", preferredUntil: Infinity, validUntil: Infinity });
  }

  /** Remove an address. */
  removeAddress(address: string): boolean {
    return this.slaac.remove(requireIPv6(address.split("/")[0]!, "removeAddress"));
  }

  /** Return the addresses with their states and lifetimes. */
  addresses(): Address6Info[] {
    const now = this.clock.now();
    return this.ipv6.addresses().map((a) => ({
      cidr: `${a.address}/${a.prefixLength}`, address: a.address, prefixLength: a.prefixLength, state: a.state, origin: a.origin,
      preferredFor: Math.max(0, a.preferredUntil - now), validFor: Math.max(0, a.validUntil - now),
    }));
  }

  /** Return the neighbour cache. */
  neighbours(): NeighbourEntry[] {
    return this.ndp.entries();
  }

  /** Return the routes. */
  routeList(): RouteEntry[] {
    return this.routes.list(this.clock.now());
  }

  /** Add a static route through a (link-local, normally) gateway. */
  addRoute(destination: string, gateway: string, metric = 0): void {
    const c = parseCidr6(destination);
    const g = requireIPv6(gateway, "gateway");
    if (c.prefixLength === 0) this.routes.set({ destination: "::", prefixLength: 0, gateway: g, source: undefined, metric, kind: "default", expires: Infinity, preference: 0 });
    else this.routes.set({ destination: c.address, prefixLength: c.prefixLength, gateway: g, source: undefined, metric, kind: "static", expires: Infinity, preference: 0 });
  }

  /** Join a multicast group (an MLD report follows). */
  joinGroup(group: string): void {
    const g = requireIPv6(group, "joinGroup");
    if (!isMulticast6(g)) throw new TypeError(`joinGroup: not a multicast address: ${group}`);
    this.ipv6.enabled = true;
    this.mld.join(g);
  }

  /** Leave a multicast group. */
  leaveGroup(group: string): void {
    this.mld.leave(requireIPv6(group, "leaveGroup"));
  }

  /** Ping over IPv6. */
  ping(address: string, options?: PingOptions): Promise<PingReply> {
    return this.icmpv6.ping(address.split("%")[0]!, options);
  }

  /** The solicited-node group of an address (exported for tests and tools). */
  static solicitedNode(address: string): string {
    return solicitedNode(address);
  }

  /** Cancel every timer. */
  close(): void {
    this.slaac.clear();
    this.mld.clear();
    this.ndp.clear();
    this.reassembly.clear();
    this.icmpv6.close();
    this.ipv6.enabled = false;
  }
}
