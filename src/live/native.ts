/**
 * The native boundary: load the addon (native/wirecraft.c) and turn its errno errors into
 * LinkErrors that say what is missing and the way out.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { LinkError } from "../errors.js";

/** An opaque handle owned by the addon (a descriptor and its event-loop watcher). */
export type NativeHandle = { readonly __native: unique symbol };

/** Numbers per frame in a batch's `info`: pkttype, protocol, ifindex, length, segment size, checksum state. */
export const INFO_PER_FRAME = 6;

/** A batch callback: frames, ns timestamps, and `INFO_PER_FRAME` numbers per frame. */
export type BatchCallback = (
  frames: Buffer[] | null, stamps: BigInt64Array | null, info: Uint32Array | null, error: NodeJS.ErrnoException | null,
) => void;

/** The addon's functions. */
export interface Native {
  openTun(name: string, flags: number): { handle: NativeHandle; name: string };
  tunIoctl(handle: NativeHandle, request: number, value: number): void;
  openPacket(iface: string, protocol: number, cooked: boolean, filter: Uint8Array | null): { handle: NativeHandle; ifindex: number };
  openRaw(version: 4 | 6): NativeHandle;
  setFilter(handle: NativeHandle, filter: Uint8Array | null): void;
  /** Write one frame: bytes written or -errno when full; on a vnet TAP `segmentSize` asks the kernel to cut a large TCP frame. */
  write(handle: NativeHandle, frame: Uint8Array, segmentSize?: number): number;
  /** Write frames in one call; returns how many went (fewer when the queue filled). */
  writeMany(handle: NativeHandle, frames: readonly Uint8Array[], segmentSizes: Uint32Array | null): number;
  /** Copy frames into the queue of the handle's writer thread (started on first use); returns how many it took. */
  queueFrames(handle: NativeHandle, frames: readonly Uint8Array[], segmentSizes: Uint32Array | null): number;
  /** The writer thread's queue: [frames waiting, bytes waiting, frames written]. */
  writerStats(handle: NativeHandle): [number, number, number];
  sendTo(handle: NativeHandle, bytes: Uint8Array, address: string): number;
  start(handle: NativeHandle, callback: BatchCallback, maxBatch: number): void;
  stop(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
  fd(handle: NativeHandle): number;
  readonly constants: Readonly<Record<string, number>>;
}

/** The one-line fix printed when the addon is missing. */
export const BUILD_HINT =
  "run `npm run build:native` in wirecraft's folder, or `npm rebuild wirecraft` in your project " +
  "(if npm asks, approve its install script first: `npm install-scripts approve wirecraft`)";

let cached: Native | undefined;
let failure: string | undefined;

/** Return where the addon is expected (both dist/live and build/src/live sit below the package root). */
export function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "native", "build", "Release", "wirecraft_native.node");
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, "package.json"))) return candidate;
    dir = dirname(dir);
  }
  return join(dir, "native", "build", "Release", "wirecraft_native.node");
}

/** Return the addon, or throw a LinkError naming the build step. */
export function loadNative(): Native {
  if (cached) return cached;
  if (process.platform !== "linux") throw new LinkError(`live traffic needs Linux; this is ${process.platform}`);
  if (failure === undefined) {
    const file = addonPath();
    try {
      cached = createRequire(import.meta.url)(file) as Native;
      return cached;
    } catch (error) {
      failure = existsSync(file) ? `${file} did not load: ${(error as Error).message}` : `${file} is missing`;
    }
  }
  throw new LinkError(`wirecraft's native addon is not built (${failure}): ${BUILD_HINT}`);
}

/** Return whether the addon is built and loads. */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/** What needs which capability, for error messages. */
export type Capability = "CAP_NET_ADMIN" | "CAP_NET_RAW";

/** Turn an addon error into a LinkError; permission errors name the capability and the way out. */
export function linkError(error: unknown, what: string, capability: Capability): LinkError {
  const e = error as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : "ERR_NATIVE";
  let message = `${what}: ${e?.message ?? String(error)}`;
  if (code === "EPERM" || code === "EACCES") {
    message +=
      `. This needs ${capability}: run as root, or grant it to node (\`sudo setcap ${capability.toLowerCase()}+ep "$(command -v node)"\`)` +
      (capability === "CAP_NET_ADMIN"
        ? ", or let root create a persistent TAP owned by you once (`sudo ip tuntap add dev NAME mode tap user $USER`) and attach to it"
        : "");
  } else if (code === "ENOENT" && what.startsWith("open TAP")) {
    message += ". /dev/net/tun is missing: load the tun module (`modprobe tun`)";
  } else if (code === "ENODEV" || code === "ENXIO") {
    message += ". No such interface";
  }
  const link = new LinkError(message);
  return Object.assign(link, { cause: error, errno: code, capability: code === "EPERM" || code === "EACCES" ? capability : undefined });
}
