/**
 * AF_PACKET sockets (every frame of an interface, or one EtherType, with an optional kernel
 * BPF filter) and raw IP sockets (layer-3 send, routed by the kernel). Both need CAP_NET_RAW.
 */
import { LinkError } from "../errors.js";
import { toBpf, type BpfFilter } from "./bpf.js";
import { NativeLink } from "./link.js";
import { linkError, loadNative, type NativeHandle } from "./native.js";

/** ETH_P_ALL: every protocol. */
export const ALL_PROTOCOLS = 0x0003;

/** Options of `PacketSocket.open()`. */
export interface PacketSocketOptions {
  /** One EtherType, or every frame (the default). */
  readonly protocol?: number | "all";
  /** A kernel filter: tcpdump syntax, or BPF instructions / packed program. */
  readonly filter?: BpfFilter;
  /** Read and write IP packets without the link header (SOCK_DGRAM). */
  readonly cooked?: boolean;
}

/** A packet socket bound to one interface ("" or undefined: every interface, receive only). */
export class PacketSocket extends NativeLink {
  readonly name: string;
  readonly ifindex: number;
  readonly cooked: boolean;

  private constructor(handle: NativeHandle, name: string, ifindex: number, cooked: boolean) {
    super(loadNative(), handle, "CAP_NET_RAW");
    this.name = name;
    this.ifindex = ifindex;
    this.cooked = cooked;
  }

  /** Open a packet socket on `iface`. */
  static open(iface: string | undefined, options: PacketSocketOptions = {}): PacketSocket {
    const n = loadNative();
    const cooked = options.cooked ?? false;
    const protocol = options.protocol === undefined || options.protocol === "all" ? ALL_PROTOCOLS : options.protocol;
    const program = options.filter === undefined ? null : toBpf(options.filter, cooked ? "RAW" : "EN10MB");
    try {
      const { handle, ifindex } = n.openPacket(iface ?? "", protocol, cooked, program);
      return new PacketSocket(handle, iface || "any", ifindex, cooked);
    } catch (error) {
      throw linkError(error, `open packet socket on ${iface || "any"}`, "CAP_NET_RAW");
    }
  }

  /** Replace the kernel filter (undefined removes it). */
  setFilter(filter: BpfFilter | undefined): void {
    const program = filter === undefined ? null : toBpf(filter, this.cooked ? "RAW" : "EN10MB");
    try {
      this.native.setFilter(this.handle, program);
    } catch (error) {
      throw linkError(error, `filter on ${this.name}`, "CAP_NET_RAW");
    }
  }

  /** @internal */
  protected override writeOnce(frame: Uint8Array): number {
    if (!this.ifindex) throw new LinkError("a packet socket on every interface cannot send: name one");
    if (this.cooked) throw new LinkError("a cooked packet socket cannot send frames: use send() with IP packets");
    return super.writeOnce(frame);
  }
}

/** A raw IP socket: send whole IPv4 or IPv6 packets (header included), routed by the kernel. */
export class RawSocket {
  private readonly handle: NativeHandle;
  private closed = false;

  private constructor(handle: NativeHandle, readonly version: 4 | 6) {
    this.handle = handle;
  }

  /** Open a raw socket for IPv4 or IPv6. */
  static open(version: 4 | 6): RawSocket {
    try {
      return new RawSocket(loadNative().openRaw(version), version);
    } catch (error) {
      throw linkError(error, `open raw IPv${version} socket`, "CAP_NET_RAW");
    }
  }

  /** Send one packet to `destination` (the address in its header). */
  async send(bytes: Uint8Array, destination: string): Promise<void> {
    if (this.closed) throw new LinkError("the raw socket is closed");
    const n = loadNative();
    for (let attempt = 0; ; attempt++) {
      let sent: number;
      try {
        sent = n.sendTo(this.handle, bytes, destination);
      } catch (error) {
        throw linkError(error, `send to ${destination}`, "CAP_NET_RAW");
      }
      if (sent >= 0) return;
      if (attempt > 2000) throw new LinkError(`send to ${destination}: the queue stayed full`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    loadNative().close(this.handle);
  }
}
