/**
 * A DHCPv4 client (RFC 2131) for the stack: INIT → SELECTING (DISCOVER, first OFFER) → REQUESTING
 * (REQUEST, ACK or NAK) → BOUND (address, mask, router applied; DNS servers kept in the lease) →
 * RENEWING at T1 (unicast REQUEST to the server) → REBINDING at T2 (broadcast REQUEST) → expiry
 * (address and gateway removed, back to INIT). NAK restarts; `release()` gives the address back.
 * With `config.arp.probe` the stack probes the acknowledged address (RFC 5227) and a conflict
 * sends DECLINE and restarts after 10 s (RFC 2131 3.1.5). Retransmissions back off 4, 8, 16, 32,
 * 64 s (±1 s, seeded); in RENEWING/REBINDING, half the time left, at least 60 s (4.4.5).
 * Messages are built and read with the project's DHCP protocol; times are the stack's clock.
 *
 *   const dhcp = new DhcpClient(stack);
 *   dhcp.on("bound", (lease) => console.log(lease.address, lease.router, lease.dnsServers));
 *   dhcp.start();
 */
import { EventEmitter } from "node:events";
import { dissect } from "../packet/packet.js";
import { seededRandom } from "../packet/fuzz.js";
import { IpProtocol } from "../protocols/ipv4.js";
import { UDP } from "../protocols/udp.js";
import { BootpOp, chaddr, DHCP, DHCPOption, DhcpMessageType, DhcpOptionCode as C, DhcpPort } from "../protocols/dhcp.js";
import type { Timer } from "./clock.js";
import type { Stack } from "./stack.js";
import type { UdpSocket } from "./udp.js";
import { ipv4ToNumber, LIMITED_BROADCAST } from "./address.js";

/** What a server granted. Times are seconds as sent; `obtained` is the stack clock's ms. */
export interface DhcpLease {
  readonly address: string;
  readonly prefixLength: number;
  readonly server: string;
  readonly router: string | undefined;
  readonly dnsServers: readonly string[];
  readonly domainName: string | undefined;
  readonly leaseTime: number;
  readonly renewalTime: number;
  readonly rebindingTime: number;
  readonly obtained: number;
}

/** The client's state (RFC 2131 figure 5). */
export type DhcpState = "stopped" | "init" | "selecting" | "requesting" | "bound" | "renewing" | "rebinding" | "probing";

/** Events of a `DhcpClient`. */
export interface DhcpEvents {
  /** A lease was obtained (first time, or after a restart). */
  bound: [lease: DhcpLease];
  /** The lease was extended (RENEWING or REBINDING). */
  renewed: [lease: DhcpLease];
  /** The lease ran out: address and gateway removed; the client starts over. */
  expired: [lease: DhcpLease];
  /** The server refused (NAK); the client starts over. */
  nak: [server: string];
  /** The offered address was in use on the link (ARP): DECLINE sent. */
  declined: [address: string];
  /** Every state change. */
  state: [state: DhcpState];
}

/** Options of a `DhcpClient`. */
export interface DhcpClientOptions {
  /** Sent as option 12. */
  readonly hostName?: string;
  /** Seed of the xid and back-off jitter (default: from the MAC). */
  readonly seed?: number;
  /** Apply the router as the default gateway (default true). */
  readonly applyRouter?: boolean;
  /** Give the lease's DNS servers to the stack's resolver (default true). */
  readonly applyDns?: boolean;
}

const REQUESTED = [C.subnetMask, C.router, C.domainNameServer, C.domainName, C.leaseTime, C.renewalTime, C.rebindingTime];

function prefixOf(mask: string | undefined, address: string): number {
  if (mask !== undefined) {
    const m = ipv4ToNumber(mask);
    if (m !== undefined) return Math.clz32(~m); // leading ones
  }
  const first = Number(address.split(".")[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24; // the classful default (RFC 2131 leaves it to the client)
}

/** A DHCPv4 client on one stack. */
export class DhcpClient extends EventEmitter<DhcpEvents> {
  private socket: UdpSocket | undefined;
  private timer: Timer | undefined;
  private readonly random: () => number;
  private xid = 0;
  private started = 0;
  private attempts = 0;
  private offer: { address: string; server: string } | undefined;
  private current: DhcpLease | undefined;
  private pending: DhcpLease | undefined;
  private stateName: DhcpState = "stopped";
  /** Messages received and ignored (wrong xid, wrong state, malformed). */
  ignored = 0;

  constructor(private readonly stack: Stack, private readonly options: DhcpClientOptions = {}) {
    super();
    const m = stack.mac.split(":").map((h) => parseInt(h, 16));
    this.random = seededRandom(options.seed ?? (((m[2]! << 24) | (m[3]! << 16) | (m[4]! << 8) | m[5]!) >>> 0) ^ 0xd4c9);
    this.stack.on("addressConflict", (c) => {
      if (this.stateName === "probing" && c.address === this.pending?.address) this.decline(this.pending);
    });
    this.stack.on("addressReady", (a) => {
      if (this.stateName === "probing" && a === `${this.pending?.address}/${this.pending?.prefixLength}`) this.bind(this.pending!, "bound");
    });
  }

  /** Return the state. */
  get state(): DhcpState {
    return this.stateName;
  }

  /** Return the lease in force, if any. */
  get lease(): DhcpLease | undefined {
    return this.current;
  }

  /** Start: bind UDP port 68 and send DISCOVER. */
  start(): void {
    if (this.socket !== undefined) return;
    const s = this.stack.createSocket("udp4");
    s.on("error", () => this.ignored++);
    s.on("message", (msg) => this.receive(msg));
    s.bind(DhcpPort.client);
    this.socket = s;
    this.init();
  }

  /** Stop without releasing (the address stays until the stack is told otherwise). */
  stop(): void {
    this.cancel();
    this.socket?.close();
    this.socket = undefined;
    this.setState("stopped");
  }

  /** Give the address back to the server (DHCPRELEASE), remove it, and stop. */
  release(): void {
    const l = this.current;
    if (l !== undefined && this.socket !== undefined) {
      this.send(DhcpMessageType.release, { ciaddr: l.address, dst: l.server, src: l.address, server: l.server });
      // The address stays a moment when the server's MAC is unknown, so that ARP for it can finish.
      const known = this.stack.arpTable().some((e) => e.address === l.server && e.mac !== undefined);
      this.current = undefined;
      if (known) this.unapply(l);
      else this.stack.clock.schedule(this.stack.config.arp.retryInterval, () => this.unapply(l));
    }
    this.stop();
  }

  private setState(s: DhcpState): void {
    if (this.stateName === s) return;
    this.stateName = s;
    this.emit("state", s);
  }

  private cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private after(ms: number, f: () => void): void {
    this.cancel();
    this.timer = this.stack.clock.schedule(ms, f);
  }

  /** RFC 2131 4.1: 4 s doubled up to 64 s, randomised by ±1 s. */
  private backoff(): number {
    const base = Math.min(64, 4 * 2 ** Math.min(this.attempts, 4));
    return (base + (this.random() * 2 - 1)) * 1000;
  }

  private init(): void {
    this.setState("selecting");
    this.offer = undefined;
    this.xid = Math.floor(this.random() * 0x1_0000_0000) >>> 0;
    this.started = this.stack.clock.now();
    this.attempts = 0;
    this.discover();
  }

  private discover(): void {
    this.send(DhcpMessageType.discover, { requested: this.current?.address });
    this.after(this.backoff(), () => { this.attempts++; this.discover(); });
  }

  private request(): void {
    const o = this.offer!;
    this.send(DhcpMessageType.request, { requested: o.address, server: o.server });
    this.after(this.backoff(), () => {
      if (++this.attempts >= 4) { this.init(); return; }
      this.request();
    });
  }

  private send(type: number, o: { requested?: string | undefined; server?: string | undefined; ciaddr?: string; dst?: string; src?: string }): void {
    const options = [DHCPOption({ code: C.messageType, messageType: type })];
    if (o.requested !== undefined) options.push(DHCPOption({ code: C.requestedAddress, address: o.requested }));
    if (o.server !== undefined) options.push(DHCPOption({ code: C.serverIdentifier, address: o.server }));
    if (type !== DhcpMessageType.release && type !== DhcpMessageType.decline) {
      options.push(DHCPOption({ code: C.parameterRequestList, parameters: REQUESTED }));
      if (this.options.hostName !== undefined) options.push(DHCPOption({ code: C.hostName, text: this.options.hostName }));
    }
    options.push(DHCPOption({ code: C.end }));
    const broadcast = o.dst === undefined;
    const secs = Math.min(0xffff, Math.floor((this.stack.clock.now() - this.started) / 1000));
    const message = DHCP({
      op: BootpOp.request, xid: this.xid, secs, flags: broadcast && o.ciaddr === undefined ? 0x8000 : 0,
      ciaddr: o.ciaddr ?? "0.0.0.0", chaddr: chaddr(this.stack.mac), options,
    });
    this.stack.ipv4.send({
      dst: o.dst === undefined ? LIMITED_BROADCAST : ipv4ToNumber(o.dst)!,
      src: o.src === undefined ? 0 : ipv4ToNumber(o.src)!,
      protocol: IpProtocol.UDP,
      payload: [UDP({ srcPort: DhcpPort.client, dstPort: DhcpPort.server }), message],
    });
    this.stack.counters.count("dhcp.tx");
  }

  private receive(msg: Uint8Array): void {
    const p = dissect(msg, DHCP);
    const d = p.layer(DHCP);
    const mine = chaddr(this.stack.mac);
    if (d === undefined || p.error !== undefined || d.op !== BootpOp.reply || d.xid !== this.xid || !mine.every((b, i) => d.chaddr[i] === b)) {
      this.ignored++;
      return;
    }
    const opt = (code: number): DHCPOption | undefined => d.options.find((o) => o.code === code);
    const type = opt(C.messageType)?.messageType;
    const server = opt(C.serverIdentifier)?.address;
    this.stack.counters.count("dhcp.rx");
    if (type === DhcpMessageType.offer && this.stateName === "selecting" && server !== undefined) {
      this.offer = { address: d.yiaddr, server };
      this.setState("requesting");
      this.attempts = 0;
      this.request();
      return;
    }
    const waiting = this.stateName === "requesting" || this.stateName === "renewing" || this.stateName === "rebinding";
    if (type === DhcpMessageType.nak && waiting) {
      this.emit("nak", server ?? "");
      if (this.current !== undefined) this.unapply(this.current);
      this.init();
      return;
    }
    if (type !== DhcpMessageType.ack || !waiting) { this.ignored++; return; }
    const leaseTime = opt(C.leaseTime)?.seconds ?? 0xffffffff;
    const lease: DhcpLease = {
      address: d.yiaddr,
      prefixLength: prefixOf(opt(C.subnetMask)?.address, d.yiaddr),
      server: server ?? this.current?.server ?? this.offer?.server ?? "0.0.0.0",
      router: opt(C.router)?.addresses?.[0],
      dnsServers: opt(C.domainNameServer)?.addresses ?? [],
      domainName: opt(C.domainName)?.text,
      leaseTime,
      renewalTime: opt(C.renewalTime)?.seconds ?? Math.floor(leaseTime * 0.5),
      rebindingTime: opt(C.rebindingTime)?.seconds ?? Math.floor(leaseTime * 0.875),
      obtained: this.started,
    };
    const renewing = this.current !== undefined && this.current.address === lease.address && this.stateName !== "requesting";
    if (renewing) { this.bind(lease, "renewed"); return; }
    if (this.current !== undefined) this.unapply(this.current);
    this.cancel();
    if (this.stack.config.arp.probe) {
      this.pending = lease;
      this.setState("probing");
      this.stack.addAddress(`${lease.address}/${lease.prefixLength}`);
      return;
    }
    this.bind(lease, "bound");
  }

  private bind(lease: DhcpLease, how: "bound" | "renewed"): void {
    this.pending = undefined;
    this.current = lease;
    if (how === "bound") {
      this.stack.addAddress(`${lease.address}/${lease.prefixLength}`);
      if (lease.router !== undefined && this.options.applyRouter !== false) this.stack.setGateway(lease.router);
      if (this.options.applyDns !== false) this.stack.setDnsServers(lease.dnsServers);
    }
    this.setState("bound");
    this.emit(how, lease);
    if (lease.leaseTime === 0xffffffff) { this.cancel(); return; } // infinite
    const t0 = lease.obtained;
    const now = this.stack.clock.now();
    this.after(t0 + lease.renewalTime * 1000 - now, () => this.renew(t0));
  }

  private renew(t0: number): void {
    const l = this.current!;
    this.setState("renewing");
    this.xid = Math.floor(this.random() * 0x1_0000_0000) >>> 0;
    this.started = this.stack.clock.now();
    const t2 = t0 + l.rebindingTime * 1000;
    const step = (): void => {
      const now = this.stack.clock.now();
      if (now >= t2) { this.rebind(t0); return; }
      this.send(DhcpMessageType.request, { ciaddr: l.address, dst: l.server, src: l.address });
      this.after(Math.min(t2 - now, Math.max(60_000, (t2 - now) / 2)), step);
    };
    step();
  }

  private rebind(t0: number): void {
    const l = this.current!;
    this.setState("rebinding");
    const end = t0 + l.leaseTime * 1000;
    const step = (): void => {
      const now = this.stack.clock.now();
      if (now >= end) {
        this.unapply(l);
        this.emit("expired", l);
        this.init();
        return;
      }
      this.send(DhcpMessageType.request, { ciaddr: l.address, src: l.address });
      this.after(Math.min(end - now, Math.max(60_000, (end - now) / 2)), step);
    };
    step();
  }

  private decline(lease: DhcpLease): void {
    this.send(DhcpMessageType.decline, { requested: lease.address, server: lease.server });
    this.emit("declined", lease.address);
    this.pending = undefined;
    this.setState("init");
    this.after(10_000, () => this.init());
  }

  private unapply(l: DhcpLease): void {
    this.stack.removeAddress(l.address);
    if (l.router !== undefined && this.options.applyRouter !== false) this.stack.clearGateway();
    if (this.options.applyDns !== false) this.stack.setDnsServers([]);
    this.current = undefined;
  }
}
