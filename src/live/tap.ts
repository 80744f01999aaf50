/**
 * TAP and TUN devices: the kernel's side is a network interface, ours is a descriptor that
 * reads and writes whole frames (TAP: Ethernet; TUN: IP packets). Creating one needs
 * CAP_NET_ADMIN; attaching to a persistent device owned by the user does not.
 */
import { linkError, loadNative } from "./native.js";
import { NativeLink, type Direction } from "./link.js";

/** Offloads announced to the kernel with a virtio-net header (`TUNSETOFFLOAD`). */
export interface TapOffloads {
  readonly checksum?: boolean;
  readonly tso4?: boolean;
  readonly tso6?: boolean;
  readonly tsoEcn?: boolean;
}

/** Options of `Tap.open()`. */
export interface TapOptions {
  /** A TUN device (IP packets) instead of a TAP (Ethernet frames). */
  readonly tun?: boolean;
  /** Prefix every frame with a 10/12-byte virtio-net header (IFF_VNET_HDR). */
  readonly vnetHeader?: boolean;
  /**
   * With `vnetHeader`: the offloads to enable; `"tcp"` is checksum + TSO4 + TSO6 (the kernel then
   * sends and takes TCP segments of up to 64 KiB; `fromLiveLink()` uses them).
   */
  readonly offloads?: TapOffloads | "tcp";
  /** Keep the device after the descriptor closes (`TUNSETPERSIST`). */
  readonly persist?: boolean;
}

/** A TAP or TUN device. */
export class Tap extends NativeLink {
  readonly name: string;
  readonly tun: boolean;
  readonly vnetHeader: boolean;
  /** The offloads announced to the kernel (all false without a vnet header). */
  readonly offloads: Required<TapOffloads>;

  private constructor(handle: import("./native.js").NativeHandle, name: string, options: TapOptions) {
    super(loadNative(), handle, "CAP_NET_ADMIN");
    this.name = name;
    this.tun = options.tun ?? false;
    this.vnetHeader = options.vnetHeader ?? false;
    const o = this.vnetHeader ? offloadsOf(options.offloads) : {};
    this.offloads = { checksum: o.checksum ?? false, tso4: o.tso4 ?? false, tso6: o.tso6 ?? false, tsoEcn: o.tsoEcn ?? false };
  }

  /** Create a TAP/TUN device, or attach to an existing one by name ("" lets the kernel choose). */
  static open(name = "", options: TapOptions = {}): Tap {
    const n = loadNative();
    const c = n.constants;
    let flags = (options.tun ? c.IFF_TUN! : c.IFF_TAP!) | c.IFF_NO_PI!;
    if (options.vnetHeader) flags |= c.IFF_VNET_HDR!;
    let opened: { handle: import("./native.js").NativeHandle; name: string };
    try {
      opened = n.openTun(name, flags);
    } catch (error) {
      throw linkError(error, `open TAP ${name || "(new)"}`, "CAP_NET_ADMIN");
    }
    const tap = new Tap(opened.handle, opened.name, options);
    try {
      if (options.vnetHeader && options.offloads) {
        const o = offloadsOf(options.offloads);
        const bits = (o.checksum ? c.TUN_F_CSUM! : 0) | (o.tso4 ? c.TUN_F_TSO4! : 0) | (o.tso6 ? c.TUN_F_TSO6! : 0) |
          (o.tsoEcn ? c.TUN_F_TSO_ECN! : 0);
        n.tunIoctl(opened.handle, c.TUNSETOFFLOAD!, bits);
      }
      if (options.persist !== undefined) n.tunIoctl(opened.handle, c.TUNSETPERSIST!, options.persist ? 1 : 0);
    } catch (error) {
      tap.close();
      throw linkError(error, `configure TAP ${opened.name}`, "CAP_NET_ADMIN");
    }
    return tap;
  }

  /** Keep (or stop keeping) the device after close. */
  setPersist(persist: boolean): void {
    try {
      this.native.tunIoctl(this.handle, this.native.constants.TUNSETPERSIST!, persist ? 1 : 0);
    } catch (error) {
      throw linkError(error, `persist TAP ${this.name}`, "CAP_NET_ADMIN");
    }
  }

  /** @internal */
  protected override directionOf(): Direction {
    return "in";
  }
}

function offloadsOf(o: TapOffloads | "tcp" | undefined): TapOffloads {
  return o === "tcp" ? { checksum: true, tso4: true, tso6: true } : o ?? {};
}
