/**
 * The network interface: one link, one MAC, the IPv4 addresses assigned to it. It turns frames
 * into calls of the protocol handlers (after checking the destination MAC) and wraps outgoing
 * datagrams and ARP messages in Ethernet II headers, with an 802.1Q tag when `config.vlan.id` is
 * set (then only frames with that tag are accepted; without it, tagged frames are dropped).
 */
import { createDissector, packet, type Packet } from "../packet/packet.js";
import { Ethernet, EtherType } from "../protocols/ethernet.js";
import { Raw } from "../protocols/raw.js";
import { Dot1Q } from "../protocols/dot1q.js";
import type { VlanConfig } from "./config.js";
import { parseMac } from "../schema/address.js";
import type { AnyLayer } from "../schema/protocol.js";
import { ETHERNET_HEADER, type FrameLink, type FrameMeta } from "./link.js";
import type { Stats } from "./stats.js";
import { prefixMask, type Cidr } from "./address.js";

/** What the interface hands received frames to. */
export interface FrameHandlers {
  arp(p: Packet, frame: Uint8Array): void;
  ipv4(p: Packet, frame: Uint8Array): void;
  /** IPv6 frames (EtherType 0x86dd); dropped as an unknown EtherType without it. */
  ipv6?(p: Packet, frame: Uint8Array): void;
}

/** The broadcast MAC. */
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";

/** An interface: a link with a MAC and IPv4 addresses. */
export class Interface {
  readonly mac: string;
  private readonly macBytes = new Uint8Array(6);
  private readonly addrs: Cidr[] = [];
  private readonly dissector = createDissector(Ethernet);
  private handlers: FrameHandlers | undefined;
  /** Multicast MACs accepted beyond broadcast and 01:00:5e (IPv6 groups' 33:33:xx), with join counts. */
  private readonly multicastMacs = new Map<string, number>();
  /**
   * What the link said of the frame being received (its `FrameMeta`), while the handlers run:
   * IPv4 reads `checksumVerified` from it (LINK-OFFLOAD.md). Undefined otherwise.
   */
  receiving: FrameMeta | undefined;
  /** Datagrams larger than the MTU that the link is to cut (segmentation offload; LINK-OFFLOAD.md). */
  private readonly offloaded = new WeakMap<Uint8Array, FrameMeta>();

  constructor(readonly link: FrameLink, mac: string, private readonly stats: Stats, private readonly vlan: VlanConfig = { id: undefined, pcp: 0 }) {
    if (vlan.id !== undefined && !(Number.isInteger(vlan.id) && vlan.id >= 1 && vlan.id <= 4094)) throw new RangeError(`VLAN id must be 1..4094: ${vlan.id}`);
    if (!(Number.isInteger(vlan.pcp) && vlan.pcp >= 0 && vlan.pcp <= 7)) throw new RangeError(`VLAN pcp must be 0..7: ${vlan.pcp}`);
    if (!parseMac(mac, this.macBytes, 0)) throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
    if (this.macBytes[0]! & 1) throw new TypeError(`a multicast MAC cannot be an interface's: ${mac}`);
    this.mac = mac.toLowerCase();
  }

  /** Return the IP MTU of the link. */
  get mtu(): number {
    return this.link.mtu;
  }

  /** Start receiving frames into `handlers`. */
  attach(handlers: FrameHandlers): void {
    this.handlers = handlers;
    this.link.setReceiver((frame, meta) => this.receive(frame, meta));
  }

  /** Stop receiving. */
  detach(): void {
    this.link.setReceiver(undefined);
    this.handlers = undefined;
  }

  /** Return the IPv4 addresses with their prefix lengths. */
  addresses(): readonly Cidr[] {
    return this.addrs;
  }

  /** Add an address; false if it was there already. */
  addAddress(c: Cidr): boolean {
    if (this.addrs.some((a) => a.address === c.address)) return false;
    this.addrs.push(c);
    return true;
  }

  /** Remove an address; false if it was not there. */
  removeAddress(address: number): boolean {
    const i = this.addrs.findIndex((a) => a.address === address);
    if (i < 0) return false;
    this.addrs.splice(i, 1);
    return true;
  }

  /** Whether `address` is one of the interface's. */
  hasAddress(address: number): boolean {
    for (const a of this.addrs) if (a.address === address) return true;
    return false;
  }

  /** Whether `address` is the directed broadcast of one of the interface's subnets (/31 and /32 have none). */
  isSubnetBroadcast(address: number): boolean {
    for (const a of this.addrs) {
      if (a.prefixLength >= 31) continue;
      const m = prefixMask(a.prefixLength);
      if (((a.address & m) | ~m) >>> 0 === address) return true;
    }
    return false;
  }

  /** Accept frames to a multicast MAC (counted: as many removes as adds). */
  addMulticastMac(mac: string): void {
    const m = mac.toLowerCase();
    this.multicastMacs.set(m, (this.multicastMacs.get(m) ?? 0) + 1);
  }

  /** Stop accepting a multicast MAC once every add has been removed. */
  removeMulticastMac(mac: string): void {
    const m = mac.toLowerCase();
    const n = this.multicastMacs.get(m);
    if (n === undefined) return;
    if (n > 1) this.multicastMacs.set(m, n - 1);
    else this.multicastMacs.delete(m);
  }

  /** Have the link cut `datagram` into `meta.segmentSize` pieces when it is sent (see LINK-OFFLOAD.md). */
  markOffloaded(datagram: Uint8Array, meta: FrameMeta): void {
    this.offloaded.set(datagram, meta);
  }

  /** Parsed destination MACs (a few neighbours; cleared when it grows past 1024). */
  private readonly macCache = new Map<string, Uint8Array>();

  /** Send an Ethernet frame carrying `payload` (layers, or bytes as Raw) to `dst`. */
  send(dst: string, type: number, payload: AnyLayer | Uint8Array): void {
    if (payload instanceof Uint8Array && this.vlan.id === undefined) {
      // Bytes without a tag: the header by hand, one copy (the path of every TCP segment).
      let d = this.macCache.get(dst);
      if (d === undefined) {
        d = new Uint8Array(6);
        if (!parseMac(dst, d, 0)) throw new TypeError(`not a MAC address: ${JSON.stringify(dst)}`);
        if (this.macCache.size >= 1024) this.macCache.clear();
        this.macCache.set(dst, d);
      }
      const frame = new Uint8Array(ETHERNET_HEADER + payload.length);
      frame.set(d, 0);
      frame.set(this.macBytes, 6);
      frame[12] = type >> 8;
      frame[13] = type & 0xff;
      frame.set(payload, ETHERNET_HEADER);
      this.stats.count("ethernet.tx");
      const meta = this.offloaded.get(payload);
      if (meta === undefined) this.link.send(frame);
      else this.link.send(frame, meta);
      return;
    }
    const upper = payload instanceof Uint8Array ? Raw({ data: payload }) : payload;
    const frame = this.vlan.id === undefined
      ? packet(Ethernet({ dst, src: this.mac, type }), upper).bytes()
      : packet(Ethernet({ dst, src: this.mac, type: EtherType.Dot1Q }), Dot1Q({ pcp: this.vlan.pcp, vid: this.vlan.id, type }), upper).bytes();
    this.stats.count("ethernet.tx");
    const meta = payload instanceof Uint8Array ? this.offloaded.get(payload) : undefined;
    if (meta === undefined) this.link.send(frame);
    else this.link.send(frame, meta);
  }

  /** Handle one frame from the link. Never throws. */
  receive(frame: Uint8Array, meta?: FrameMeta): void {
    this.receiving = meta;
    try {
      this.receiveFrame(frame);
    } finally {
      this.receiving = undefined;
    }
  }

  private receiveFrame(frame: Uint8Array): void {
    this.stats.count("ethernet.rx");
    try {
      if (frame.length < ETHERNET_HEADER) { this.stats.drop("frameShort", `${frame.length} bytes`); return; }
      if (!this.forUs(frame)) { this.stats.drop("notForUs"); return; }
      let type = (frame[12]! << 8) | frame[13]!;
      if (this.vlan.id !== undefined || type === EtherType.Dot1Q || type === EtherType.QinQ) {
        const vid = frame.length >= ETHERNET_HEADER + 4 ? ((frame[14]! << 8) | frame[15]!) & 0xfff : -1;
        if (type !== EtherType.Dot1Q || vid !== this.vlan.id) { this.stats.drop("vlanMismatch", type === EtherType.Dot1Q ? `vlan ${vid}` : "untagged"); return; }
        type = (frame[16]! << 8) | frame[17]!;
      }
      const p = this.dissector.dissect(frame);
      const h = this.handlers;
      if (h === undefined) return;
      if (type === EtherType.ARP) h.arp(p, frame);
      else if (type === EtherType.IPv4) h.ipv4(p, frame);
      else if (type === EtherType.IPv6 && h.ipv6 !== undefined) h.ipv6(p, frame);
      else this.stats.drop("etherTypeUnknown", `0x${type.toString(16).padStart(4, "0")}`);
    } catch (e) {
      this.stats.drop("internalError", e instanceof Error ? e.stack : String(e));
    }
  }

  /** Whether the destination MAC is ours, broadcast, IPv4 multicast (01:00:5e, RFC 1112) or a joined 33:33 one. */
  private forUs(frame: Uint8Array): boolean {
    const m = this.macBytes;
    if (frame[0] === m[0] && frame[1] === m[1] && frame[2] === m[2] && frame[3] === m[3] && frame[4] === m[4] && frame[5] === m[5]) return true;
    if ((frame[0]! & frame[1]! & frame[2]! & frame[3]! & frame[4]! & frame[5]!) === 0xff) return true;
    if (frame[0] === 0x01 && frame[1] === 0x00 && frame[2] === 0x5e && (frame[3]! & 0x80) === 0) return true;
    if (frame[0] !== 0x33 || frame[1] !== 0x33 || this.multicastMacs.size === 0) return false;
    const h = (x: number): string => x.toString(16).padStart(2, "0");
    return this.multicastMacs.has(`33:33:${h(frame[2]!)}:${h(frame[3]!)}:${h(frame[4]!)}:${h(frame[5]!)}`);
  }
}
