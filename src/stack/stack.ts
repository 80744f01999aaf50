/**
 * The Stack: one interface on one link, with ARP, IPv4, ICMP and UDP wired together. It holds no
 * global state (several stacks run in one process, on one memory link), takes time from its
 * `Clock`, and moves frames only through its `FrameLink`.
 *
 *   const clock = new VirtualClock();
 *   const [la, lb] = memoryLinkPair(clock);
 *   const a = new Stack({ link: la, clock, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1/24" });
 */
import { EventEmitter } from "node:events";
import { IpProtocol } from "../protocols/ipv4.js";
import { seededRandom } from "../packet/fuzz.js";
import { IcmpUnreachableCode } from "../protocols/icmp.js";
import { SystemClock, type Clock } from "./clock.js";
import { resolveConfig, type StackConfig, type StackConfigInput } from "./config.js";
import type { FrameLink } from "./link.js";
import { Interface } from "./interface.js";
import { Arp, type ArpEntry } from "./arp.js";
import { Ipv4 } from "./ipv4.js";
import { RouteTable, type RouteEntry } from "./route.js";
import { Icmp, TIME_EXCEEDED_REASSEMBLY, type PingOptions, type PingReply } from "./icmp.js";
import { Udp, type UdpSocket, type UdpSocketOptions, type UdpSocketType } from "./udp.js";
import { Stats, type StackStats } from "./stats.js";
import { Reassembly } from "./reassembly.js";
import { PingSocket } from "./ping.js";
import { DnsResolver, type DnsRecordType, type LookupAddress, type LookupOptions } from "./dns.js";
import { ConflictDetection, type AddressConflict } from "./conflict.js";
import { numberToIPv4, parseCidr, prefixMask, requireIPv4, type Cidr } from "./address.js";
import { Inet6, type Address6Info } from "./inet6.js";
import { Icmpv6UnreachableCode } from "./icmpv6.js";
import type { NeighbourEntry } from "./ndp.js";
import { isIPv6Text } from "./address6.js";
import { Tcp } from "./tcp/tcp.js";
import { Ipv4Network } from "./tcp/network.js";
import { Ipv6Network } from "./tcp/network6.js";
import { TcpSocket, type TcpSocketOptions } from "./tcp/socket.js";
import { TcpServer, type TcpServerOptions } from "./tcp/server.js";

/** Options of `stack.connect()` / `stack.createConnection()` (as net's, in part). */
export interface TcpConnectOptions extends TcpSocketOptions {
  /** The remote address, or a name resolved with the stack's DNS resolver. */
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  /** For a name: the address family to look up (4, 6, or 0, the default: both, `config.dns.order` first). */
  readonly family?: 0 | 4 | 6;
}

/** A static route: `{ destination: "192.168.5.0/24", gateway: "10.0.0.254" }`. */
export interface StaticRoute {
  readonly destination: string;
  readonly gateway: string;
  readonly metric?: number;
}

/** Options of a stack. */
export interface StackOptions {
  /** The link frames go through. */
  readonly link: FrameLink;
  /** The interface's MAC. */
  readonly mac: string;
  /** The time source (default: the system's monotonic clock). */
  readonly clock?: Clock;
  /** IPv4 addresses with prefix lengths: `"10.0.0.1/24"` or several. */
  readonly ipv4?: string | readonly string[];
  /** The default gateway. */
  readonly gateway?: string;
  readonly routes?: readonly StaticRoute[];
  /** A name for diagnostics (default `stack`). */
  readonly name?: string;
  /** Tuning; see `defaultStackConfig` for every default. */
  readonly config?: StackConfigInput;
  /** Announce each address with a gratuitous ARP when added (default true; with `config.arp.probe`, RFC 5227 announcements always go out). */
  readonly announce?: boolean;
  /**
   * IPv6: `true` runs it with a link-local address, router solicitation and SLAAC
   * (`config.ipv6`); addresses (`"2001:db8::1/64"`, one or several) do the same and add them
   * (after DAD); `false` or leaving it out keeps the stack IPv4-only (nothing IPv6 is sent; see
   * docs/ipv6.md for why this is the library's default while `wirecraft stack` runs dual-stack).
   */
  readonly ipv6?: boolean | string | readonly string[];
}

/** The events of a stack. */
export interface StackEvents {
  /** An address is in use (at once, after RFC 5227 probing, or after IPv6 duplicate address detection): `ADDR/LEN`. */
  addressReady: [address: string];
  /** Another host claims an address (while probing or in IPv6 DAD: it is abandoned; in use: see `arp.defence`; IPv6: `ignored`). */
  addressConflict: [conflict: AddressConflict];
}

/**
 * A userspace TCP/IP stack (IPv4 with ARP and ICMP, IPv6 with ND, MLD and ICMPv6 when `ipv6` is given, UDP). Emits `addressReady` and
 * `addressConflict` (never `error`: nothing it emits can throw for want of a listener).
 */
export class Stack extends EventEmitter<StackEvents> {
  readonly name: string;
  readonly clock: Clock;
  readonly config: StackConfig;
  /** @internal */ readonly counters: Stats;
  /** @internal */ readonly iface: Interface;
  /** @internal */ readonly arp: Arp;
  /** @internal */ readonly routeTable = new RouteTable();
  /** @internal */ readonly ipv4: Ipv4;
  /** @internal */ readonly icmp: Icmp;
  /** @internal */ readonly udp: Udp;
  /** @internal */ readonly reassembly: Reassembly;
  /** @internal */ readonly conflicts: ConflictDetection;
  /** @internal */ readonly resolver: DnsResolver;
  /** @internal The IPv6 half: `inet6.ipv6` (register/send) and `inet6.icmpv6` (onError) for transports. */
  readonly inet6: Inet6;
  /** @internal */ readonly tcp: Tcp;
  /** @internal */ readonly tcp4: Ipv4Network;
  /** @internal */ readonly tcp6: Ipv6Network;
  private readonly announceAddresses: boolean;
  private closed = false;

  constructor(options: StackOptions) {
    super();
    this.name = options.name ?? "stack";
    this.clock = options.clock ?? new SystemClock();
    this.config = resolveConfig(options.config);
    this.counters = new Stats(this.name);
    this.iface = new Interface(options.link, options.mac, this.counters, this.config.vlan);
    this.arp = new Arp(this.iface, this.clock, this.counters, this.config.arp);
    this.ipv4 = new Ipv4(this.iface, this.arp, this.routeTable, this.clock, this.counters, this.config.ipv4);
    // The echo identifier comes from the MAC so that two stacks on one link differ, deterministically.
    const macBytes = this.iface.mac.split(":").map((h) => parseInt(h, 16));
    this.icmp = new Icmp(this.ipv4, this.clock, this.counters, this.config.icmp, (macBytes[4]! << 8) | macBytes[5]!);
    // IPv6's random delays (DAD, solicitations, MLD) come from a generator seeded by the MAC too.
    this.inet6 = new Inet6(this.iface, this.clock, this.counters, this.config.ipv6, (macBytes[4]! << 8) | macBytes[5]!,
      seededRandom((((macBytes[2]! << 24) | (macBytes[3]! << 16) | (macBytes[4]! << 8) | macBytes[5]!) ^ 0x6a09e667) >>> 0), {
        ready: (cidr) => this.emit("addressReady", cidr),
        conflict: (c) => this.emit("addressConflict", c),
        dnsServers: (servers, lifetime) => this.setDnsServers(lifetime === 0 ? [] : servers, "ra"),
      });
    this.udp = new Udp(this.ipv4, this.icmp, this.iface, this.counters, this.config.udp);
    this.ipv4.register(IpProtocol.ICMP, (p, ip, a) => this.icmp.receive(p, ip, a));
    this.ipv4.register(IpProtocol.UDP, (p, ip, a) => this.udp.receive(p, ip, a));
    // UDP over IPv6 (udp.ts): datagrams in, ICMPv6 errors to the sockets, port unreachable out.
    this.udp.attachIpv6(this.inet6.ipv6, this.name, (a) => this.inet6.icmpv6.unreachable(Icmpv6UnreachableCode.port, a));
    this.inet6.ipv6.register(IpProtocol.UDP, (p, _ip, a) => this.udp.receive6(p, a));
    this.inet6.icmpv6.onError(IpProtocol.UDP, (e) => this.udp.icmp6Error(e));
    this.reassembly = new Reassembly((p, ip, a) => this.ipv4.deliver(p, ip, a), this.clock, this.counters, this.config.ipv4);
    this.ipv4.onFragment = (p, ip, a) => this.reassembly.receive(p, ip, a);
    this.reassembly.onTimeout = (_p, ip, a) => this.icmp.timeExceeded(TIME_EXCEEDED_REASSEMBLY, ip, a);
    this.ipv4.onUnknownProtocol = (ip, a) => this.icmp.unreachable(IcmpUnreachableCode.protocol, ip, a);
    // TCP: address-family neutral, attached to IPv4 through its network adapter.
    this.tcp = new Tcp(this.clock, this.config.tcp, this.counters);
    this.tcp4 = new Ipv4Network(this.ipv4, this.icmp, this.iface, this.counters);
    this.tcp4.attach(this.tcp);
    this.tcp.addNetwork(this.tcp4);
    this.ipv4.register(IpProtocol.TCP, (p, ip, a) => this.tcp4.receive(p, ip, a));
    // TCP over IPv6 (tcp/network6.ts): the same TCP, the IPv6 family's network adapter.
    this.tcp6 = new Ipv6Network(this.inet6.ipv6, this.inet6.icmpv6, this.iface, this.counters, this.name);
    this.tcp6.attach(this.tcp);
    this.tcp.addNetwork(this.tcp6);
    this.inet6.ipv6.register(IpProtocol.TCP, (p, _ip, a) => this.tcp6.receive(p, a));
    this.announceAddresses = options.announce ?? true;
    // Probe waits are random (RFC 5227), from a generator seeded by the MAC: deterministic per stack.
    this.conflicts = new ConflictDetection({
      probe: (a) => this.arp.probe(a),
      announce: (a) => this.arp.announce(a),
      use: (c) => this.useAddress(c),
      remove: (a) => this.removeAddress(numberToIPv4(a)),
      conflict: (c) => this.emit("addressConflict", c),
    }, this.clock, this.counters, this.config.arp, seededRandom(((macBytes[2]! << 24) | (macBytes[3]! << 16) | (macBytes[4]! << 8) | macBytes[5]!) >>> 0));
    this.resolver = new DnsResolver(this);
    this.arp.onUnresolved = (_address, datagrams) => this.icmp.unresolved(datagrams);
    this.arp.onConflictCheck = (sender, mac, target, isRequest, inUse) => this.conflicts.check(sender, mac, target, isRequest, inUse);
    this.iface.attach({
      arp: (p, frame) => this.arp.receive(p, frame),
      ipv4: (p, frame) => this.ipv4.receive(p, frame),
      ipv6: (p, frame) => this.inet6.ipv6.receive(p, frame),
    });
    const addrs = options.ipv4 === undefined ? [] : typeof options.ipv4 === "string" ? [options.ipv4] : options.ipv4;
    for (const a of addrs) this.addAddress(a);
    if (options.gateway !== undefined) this.setGateway(options.gateway);
    for (const r of options.routes ?? []) this.addRoute(r);
    const v6 = options.ipv6 ?? false;
    if (v6 !== false) {
      this.inet6.enable(true);
      for (const a of v6 === true ? [] : typeof v6 === "string" ? [v6] : v6) this.inet6.addAddress(a);
    }
  }

  /** Return the interface's MAC. */
  get mac(): string {
    return this.iface.mac;
  }

  /** Return the IP MTU. */
  get mtu(): number {
    return this.iface.mtu;
  }

  /**
   * Add an address (`"10.0.0.1/24"`) and its connected route. With `config.arp.probe` the address
   * is probed first (RFC 5227) and used only if nobody claims it: `addressReady` or
   * `addressConflict` tells which; `tentativeAddresses()` lists those being probed.
   */
  addAddress(cidr: string): void {
    if (isIPv6Text(cidr)) { this.inet6.addAddress(cidr); return; }
    const c = parseCidr(cidr);
    if (this.iface.hasAddress(c.address)) return;
    if (this.config.arp.probe) { this.conflicts.start(c); return; }
    this.useAddress(c);
    if (this.announceAddresses) this.arp.announce(c.address);
  }

  /** Return the addresses being probed before use, as `ADDR/LEN`. */
  tentativeAddresses(): string[] {
    return this.conflicts.tentativeAddresses();
  }

  private useAddress(c: Cidr): void {
    if (!this.iface.addAddress(c)) return;
    if (c.prefixLength < 32) {
      this.routeTable.add({ destination: c.address, prefixLength: c.prefixLength, gateway: undefined, source: c.address, metric: 0, kind: "connected" });
    }
    this.emit("addressReady", `${numberToIPv4(c.address)}/${c.prefixLength}`);
  }

  /** Send a gratuitous ARP for each address (neighbours update their caches). */
  announce(): void {
    for (const a of this.iface.addresses()) this.arp.announce(a.address);
  }

  /** Remove an address and its connected route. */
  removeAddress(address: string): void {
    if (isIPv6Text(address)) { this.inet6.removeAddress(address); return; }
    const n = requireIPv4(address.split("/")[0]!, "removeAddress");
    this.conflicts.forget(n);
    const c = this.iface.addresses().find((a) => a.address === n);
    if (c === undefined || !this.iface.removeAddress(n)) return;
    this.routeTable.remove((r) => r.kind === "connected" && r.source === n);
  }

  /** Return the addresses in use as `ADDR/LEN`: IPv4 ones, then IPv6 ones (not those still tentative). */
  addresses(): string[] {
    const v4 = this.iface.addresses().map((a) => `${numberToIPv4(a.address)}/${a.prefixLength}`);
    return [...v4, ...this.inet6.addresses().filter((a) => a.state !== "tentative").map((a) => a.cidr)];
  }

  /** Return the IPv6 addresses with their states (tentative, preferred, deprecated), origins and lifetimes left. */
  addresses6(): Address6Info[] {
    return this.inet6.addresses();
  }

  /** Return the IPv6 neighbour cache (RFC 4861 states). */
  neighbours(): NeighbourEntry[] {
    return this.inet6.neighbours();
  }

  /** Return the IPv6 neighbour cache; the same as `neighbours()`. */
  neighbourTable(): NeighbourEntry[] {
    return this.inet6.neighbours();
  }

  /** Set (replace) the default gateway. */
  setGateway(gateway: string): void {
    const g = requireIPv4(gateway, "gateway");
    this.routeTable.remove((r) => r.kind === "default");
    this.routeTable.add({ destination: 0, prefixLength: 0, gateway: g, source: undefined, metric: 0, kind: "default" });
  }

  /** Remove the default gateway. */
  clearGateway(): void {
    this.routeTable.remove((r) => r.kind === "default");
  }

  /** Add a static route through a gateway. */
  addRoute(route: StaticRoute): void {
    if (isIPv6Text(route.destination)) { this.inet6.addRoute(route.destination, route.gateway, route.metric); return; }
    const c = parseCidr(route.destination);
    const g = requireIPv4(route.gateway, "gateway");
    this.routeTable.add({ destination: c.address & prefixMask(c.prefixLength), prefixLength: c.prefixLength, gateway: g, source: undefined, metric: route.metric ?? 0, kind: "static" });
  }

  /** Return the routing tables: IPv4 routes, then IPv6 ones (on-link prefixes, routes, default routers). */
  routes(): RouteEntry[] {
    return [...this.routeTable.list(), ...this.inet6.routeList()];
  }

  /** Return the ARP cache (entries that aged out are dropped first). */
  arpTable(): ArpEntry[] {
    return this.arp.entries();
  }

  /** Receive multicast datagrams for `group` (the all-hosts group is always joined). */
  joinGroup(group: string): void {
    if (isIPv6Text(group)) { this.inet6.joinGroup(group); return; }
    this.ipv4.joinGroup(requireIPv4(group, "joinGroup"));
  }

  /** Stop receiving an IPv6 or IPv4 multicast group. */
  leaveGroup(group: string): void {
    if (isIPv6Text(group)) { this.inet6.leaveGroup(group); return; }
    this.ipv4.leaveGroup(requireIPv4(group, "leaveGroup"));
  }

  /**
   * Create a UDP socket shaped like Node's `dgram.createSocket`: `"udp4"`, `"udp6"` (bound to `::`
   * it receives IPv4 too, as mapped addresses) or `{ type: "udp6", ipv6Only: true }`.
   */
  createSocket(type: UdpSocketType | UdpSocketOptions = "udp4", onMessage?: (msg: Buffer, rinfo: import("./udp.js").RemoteInfo) => void): UdpSocket {
    const s = this.udp.createSocket(typeof type === "string" ? { type } : type);
    if (onMessage !== undefined) s.on("message", onMessage);
    return s;
  }

  /**
   * Create an ICMP echo socket with an identifier of its own: `send(address, options)` sends echo
   * requests, replies arrive as `message` events, ICMP errors as `error` events (see ping.ts).
   */
  createPingSocket(): PingSocket {
    return new PingSocket(this.icmp, this.clock, this.counters, this.inet6.icmpv6);
  }

  /** Send an ICMP echo request and resolve with the reply. */
  ping(address: string, options?: PingOptions): Promise<PingReply> {
    if (isIPv6Text(address)) return this.inet6.ping(address, options);
    return this.icmp.ping(address, options);
  }

  /** Resolve a name to its IPv4 addresses (A records) with the DNS stub resolver (see dns.ts). */
  resolve4(name: string): Promise<string[]> {
    return this.resolver.resolve4(name);
  }

  /** Resolve a name to its IPv6 addresses (AAAA records). */
  resolve6(name: string): Promise<string[]> {
    return this.resolver.resolve6(name);
  }

  /** Resolve a name to the addresses of records of `rrtype` (`"A"`, the default, or `"AAAA"`). */
  resolve(name: string, rrtype: DnsRecordType = "A"): Promise<string[]> {
    return this.resolver.resolve(name, rrtype);
  }

  /**
   * Find a name's addresses as Node's `dns.lookup` (DNS only): the first `{ address, family }`, or
   * all of them with `{ all: true }`; both families unless `family` is 4 or 6, ordered by
   * `config.dns.order` (IPv6 first by default).
   */
  lookup(name: string, options: LookupOptions & { all: true }): Promise<LookupAddress[]>;
  lookup(name: string, options?: LookupOptions & { all?: false }): Promise<LookupAddress>;
  async lookup(name: string, options: LookupOptions = {}): Promise<LookupAddress | LookupAddress[]> {
    const all = await this.resolver.lookup(name, options);
    return options.all === true ? all : all[0]!;
  }

  /**
   * Set the DNS servers learned from `source` (`"dhcp"` by default; `"ra"` for RFC 8106 options);
   * `config.dns.servers`, when given, come first and alone. An empty list forgets the source.
   */
  setDnsServers(servers: readonly string[], source?: string): void {
    this.resolver.setServers(servers, source);
  }

  /** Return the DNS servers the resolver asks, in order. */
  dnsServers(): string[] {
    return this.resolver.servers();
  }

  /**
   * Open a TCP connection; resolve with the socket once established (reject with ECONNREFUSED,
   * ETIMEDOUT, EHOSTUNREACH…). The socket is a Duplex shaped like `net.Socket`.
   */
  connect(options: TcpConnectOptions): Promise<TcpSocket> {
    return new Promise((resolve, reject) => {
      const s = this.createConnection(options);
      const failed = (e: Error): void => reject(e);
      s.once("error", failed);
      s.once("connect", () => { s.off("error", failed); resolve(s); });
    });
  }

  /**
   * Open a TCP connection and return its socket at once, connecting (as `net.createConnection`;
   * usable as `http.request({ createConnection })`). Errors arrive as the socket's `error` event.
   */
  createConnection(options: TcpConnectOptions, connectListener?: () => void): TcpSocket {
    const socket = new TcpSocket(this.clock, this.config.tcp.sendBuffer, options);
    if (connectListener !== undefined) socket.once("connect", connectListener);
    const start = (host: string): void => {
      try {
        socket.attach(this.tcp.connect({ host, port: options.port, localAddress: options.localAddress, localPort: options.localPort }));
      } catch (e) {
        socket.failEarly(e as Error);
      }
    };
    if (this.tcp.resolve(options.host) !== undefined) start(options.host);
    else {
      // A name: both families unless told (or IPv6 is off), in the order of config.dns.order.
      const family = options.family ?? (this.inet6.enabled ? 0 : 4);
      this.resolver.lookup(options.host, { family }).then((addrs) => {
        if (!socket.destroyed) start(addrs[0]!.address);
      }, (e: Error) => socket.failEarly(e));
    }
    return socket;
  }

  /** Create a TCP server shaped like `net.Server`; `listen()` it. */
  createServer(options?: TcpServerOptions | ((socket: TcpSocket) => void), connectionListener?: (socket: TcpSocket) => void): TcpServer {
    const opts = typeof options === "object" ? options : {};
    const listener = typeof options === "function" ? options : connectionListener;
    const server = new TcpServer(this.tcp, this.clock, opts);
    if (listener !== undefined) server.on("connection", listener);
    return server;
  }

  /** Return the counters: events by name and drops by reason. */
  stats(): StackStats {
    return this.counters.snapshot();
  }

  /** Detach from the link, cancel timers and fail pending pings. The link itself stays open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.iface.detach();
    this.arp.clear();
    this.reassembly.clear();
    this.conflicts.clear();
    this.icmp.close();
    this.inet6.close();
    this.tcp.close();
  }
}
