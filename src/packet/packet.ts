/**
 * Packets: a chain of layers, crafted (`packet(...)`) or dissected (`dissect(bytes, First)`).
 * Dissection is lazy: a layer is laid out when it is first asked for, and its field values are
 * read from the original bytes on access. `dissect()` never throws on hostile bytes.
 */
import { MalformedError, TruncatedError, WirecraftError } from "../errors.js";
import { fieldOffset, layoutLayer, type LayerBase, type LayerOwner, type ProtocolDef } from "../schema/layer.js";
import { defOf, hooks, protocolCount, type AnyLayer, type AnyProtocol, type LayerOf } from "../schema/protocol.js";
import { IntField_, type ChecksumContext, type IntOptions } from "../schema/field.js";
import { Padding, Raw } from "../protocols/raw.js";
import { lazyStep, setRaw, take } from "./step.js";
import { buildLayers, pseudoHeaderLayer, type BuildOptions } from "./build.js";
import { hexdump, layerJSON, showLayer, summarizeLayer } from "./display.js";

const RAW = defOf(Raw);
const PADDING = defOf(Padding);
/** Raw's layer class, as a constant (V8 then allocates it inline). */
const RawLayer = RAW.Layer;

/** Options of `dissect()`. */
export interface DissectOptions {
  /** Throw the first error instead of marking the packet malformed. */
  readonly strict?: boolean;
}

/** The result of checking one checksum of a dissected packet. */
export interface ChecksumCheck {
  readonly layer: string;
  readonly field: string;
  /** Index of the layer in `packet.layers()`. */
  readonly index: number;
  readonly actual: number;
  readonly expected: number;
  /** Whether the checksum is right, or absent where the protocol allows it. */
  readonly ok: boolean;
  /** `good`, `bad`, `absent` (0 where that means none, UDP over IPv4), or `unverifiable` (bytes cut short). */
  readonly status: "good" | "bad" | "absent" | "unverifiable";
}

/** What a layer given to `packet()` may be: a layer, or bytes / a string for Raw. */
export type LayerInput = AnyLayer | Uint8Array | string;

/** A chain of layers. */
export class Packet implements LayerOwner {
  /** @internal Set by the constructor. */ _l: LayerBase[];
  /** @internal The protocol (the public callable) of each layer in `_l`, which `layer(p)` compares with `p` without a property load. */
  _ld: unknown[] = [];
  /** @internal */ _src: Uint8Array | null = null;
  private _dirty = false;
  // The dissection state, read and written by each protocol's generated step (step.ts).
  /** @internal The protocol of the next layer, null when the chain is complete (but padding may remain). */
  _next: ProtocolDef | null = null;
  /** @internal Where the next layer starts, and where its bytes end. */
  _off = 0;
  /** @internal */ _limit = 0;
  /** Pending padding regions (start, end pairs), made only when a packet has some. */
  private _pads: number[] | null = null;
  private _done = true;
  private _err: WirecraftError | undefined = undefined;
  /** @internal */ _trunc = false;
  /** @internal A reusable dissector's layers, by protocol id, and how many of each are in use. */
  _pool: (LayerBase[] | undefined)[] | null = null;
  /** @internal */ _used: Int32Array | null = null;

  /** An empty packet (`packet()` makes one with layers, `dissect()` one from bytes). */
  constructor();
  // `layers` becomes the packet's own array of layers: `packet()` hands over its rest array
  // (through `PacketOf`, so that the public signature takes nothing).
  constructor(layers: LayerBase[] = []) {
    this._l = layers;
  }

  /** @internal */
  markDirty(): void {
    this._dirty = true;
  }

  /** @internal */
  _lend(def: ProtocolDef): LayerBase {
    return take(this as never, def);
  }

  /** @internal Start dissecting `bytes` as `first`. */
  _start(bytes: Uint8Array, first: ProtocolDef): this {
    // pop(), not `length = 0`: setting an array's length is a runtime call, several times slower.
    const l = this._l;
    while (l.length > 0) l.pop();
    const ld = this._ld;
    while (ld.length > 0) ld.pop();
    this._src = bytes;
    this._dirty = false;
    this._next = first;
    this._off = 0;
    this._limit = bytes.length;
    const pads = this._pads;
    if (pads !== null) while (pads.length > 0) pads.pop();
    this._done = false;
    this._err = undefined;
    this._trunc = false;
    if (this._used !== null) this._used.fill(0);
    return this;
  }

  private _rawOver(def: ProtocolDef, start: number, end: number): void {
    const l = take(this as never, def);
    layoutLayer(l, this._src!, start, end);
    this._l.push(l);
    this._ld.push(def.protocol);
  }

  /** @internal Remember bytes after a layer's end, within its parent's: they become padding. */
  _pad(start: number, end: number): void {
    (this._pads ??= []).push(start, end);
  }

  /** Dissect one more layer; false when the chain is complete. */
  private _step(): boolean {
    if (this._done) return false;
    const def = this._next;
    if (def !== null) return def.step(this as never);
    const end = this._pads?.pop();
    const start = this._pads?.pop();
    if (start === undefined || end === undefined) { this._done = true; return false; }
    this._rawOver(PADDING, start, end);
    return true;
  }

  /** @internal A selector protocol is never a layer: it names the protocol the bytes start with. */
  _select(def: ProtocolDef): boolean {
    let d: ProtocolDef = def;
    for (let hops = 0; d.options.select !== undefined; hops++) {
      let chosen: unknown;
      try {
        chosen = hops < 8 ? d.options.select(this._src!, this._off, this._limit) : undefined;
      } catch {
        chosen = undefined;
      }
      d = chosen === undefined ? RAW : defOf(chosen);
    }
    this._next = d;
    return d.step(this as never);
  }

  /** @internal Laying out a layer of `def` at `off` failed: the rest of the bytes are Raw. */
  _failed(def: ProtocolDef, err: WirecraftError, off: number, limit: number): boolean {
    // Inside a quotation (an ICMP error's copy of a packet), bytes cut short are expected: the
    // packet is truncated, not malformed.
    const quoted = err instanceof TruncatedError && this._l.some((l) => l._d.options.quotes === true);
    if (!quoted) this._err = err;
    if (err instanceof TruncatedError) this._trunc = true;
    if (off < limit) this._rawOver(RAW, off, limit);
    this._next = null;
    return true;
  }

  /** @internal Choosing the protocol after `layer` threw: its payload is Raw. */
  _nextFailed(def: ProtocolDef, layer: LayerBase, off: number, e: unknown): boolean {
    this._err = new MalformedError(def.name, "", off, `choosing the next layer failed: ${e instanceof Error ? e.message : String(e)}`);
    this._rawOver(RAW, layer._h, layer._e);
    this._next = null;
    return true;
  }

  private _complete(): void {
    while (this._step());
  }

  /** Return every layer, outermost first; or every layer of protocol `p` (tunnels give several). */
  layers(): AnyLayer[];
  layers<P extends AnyProtocol>(p: P): LayerOf<P>[];
  layers(p?: AnyProtocol): unknown[] {
    this._complete();
    if (p === undefined) return this._l.slice();
    const d = defOf(p);
    return this._l.filter((l) => l._d === d);
  }

  /** Return the first layer of protocol `p`, dissecting only as far as needed. */
  layer<P extends AnyProtocol>(p: P): LayerOf<P> | undefined {
    const ld = this._ld;
    const l = this._l;
    // A crafted packet's protocols are listed on first use (a packet that is only built never needs them).
    while (ld.length < l.length) ld.push(l[ld.length]!._d.protocol);
    for (let i = 0; ; i++) {
      if (i >= ld.length && !this._step()) {
        defOf(p); // throws for what is not a protocol
        return undefined;
      }
      if (ld[i] === p) return l[i] as unknown as LayerOf<P>;
    }
  }

  /** Return whether the packet has a layer of protocol `p`. */
  has(p: AnyProtocol): boolean {
    return this.layer(p) !== undefined;
  }

  /** Why dissection stopped early, if it did. */
  get error(): WirecraftError | undefined {
    this._complete();
    return this._err;
  }

  /** Whether the bytes end before a length field says they should. */
  get truncated(): boolean {
    this._complete();
    return this._trunc;
  }

  /** Whether dissection stopped at a layer it could not read. */
  get malformed(): boolean {
    return this.error !== undefined;
  }

  /** Return the wire bytes: the original bytes of an unmodified dissected packet, else a fresh build. */
  bytes(options?: BuildOptions): Uint8Array {
    if (this._src !== null && !this._dirty && !options?.recompute) return this._src;
    this._complete();
    return buildLayers(this._l, PADDING, options);
  }

  /** Return the number of bytes on the wire. */
  get length(): number {
    return this.bytes().length;
  }

  private _forDisplay(): boolean {
    if (this._src !== null && !this._dirty) {
      this._complete();
      return false;
    }
    this.bytes();
    return true;
  }

  /** Return the indented field tree of every layer (for a crafted packet, as it will be built). */
  show(): string {
    const built = this._forDisplay();
    let out = this._l.map((l) => showLayer(l, built)).join("");
    if (this._err !== undefined) out += `!!! ${this._err.message}\n`;
    return out.slice(0, -1);
  }

  /** Return a one-line summary, Scapy style: `Ethernet / IPv4 10.0.0.1 > 10.0.0.2 / UDP 53 > 5353`. */
  summary(): string {
    const built = this._forDisplay();
    return this._l.map((l) => summarizeLayer(l, built)).join(" / ") + (this._err instanceof TruncatedError || (this._err === undefined && this._trunc) ? " [truncated]" : this._err !== undefined ? " [malformed]" : "");
  }

  /** Return the packet as JSON-safe data: its layers with their fields, and the error if any. */
  toJSON(): { layers: { name: string; fields: Record<string, unknown> }[]; error?: string; truncated?: true } {
    const built = this._forDisplay();
    const out: { layers: { name: string; fields: Record<string, unknown> }[]; error?: string; truncated?: true } = {
      layers: this._l.map((l) => ({ name: l._d.name, fields: layerJSON(l, built) })),
    };
    if (this._err !== undefined) out.error = this._err.message;
    if (this._trunc) out.truncated = true;
    return out;
  }

  /** Return a hex dump of the wire bytes. */
  hexdump(): string {
    return hexdump(this.bytes());
  }

  /** Check every checksum of a dissected packet against its bytes. */
  verifyChecksums(): ChecksumCheck[] {
    this._complete();
    const src = this._src;
    if (src === null) return [];
    const out: ChecksumCheck[] = [];
    for (let i = 0; i < this._l.length; i++) {
      const l = this._l[i]!;
      const def = l._d;
      for (const ci of def.checksums) {
        if (!l._present(ci)) continue;
        const f = def.fields[ci] as IntField_;
        const at = fieldOffset(l, ci);
        const copy = new Uint8Array(src); // a copy: Buffer#slice would be a view and zero the caller's bytes
        f.write(copy, at, 0);
        const lower = i > 0 ? this._l[i - 1] : undefined;
        const end = l._e;
        const layers = this._l;
        const network = pseudoHeaderLayer(layers, i);
        const ctx: ChecksumContext = {
          bytes: copy, start: l._o, headerEnd: l._h, end,
          layer: l as never, lower: lower as never,
          pseudoHeaderSum(protocol: number): number {
            if (network < 0) return 0;
            const lj = layers[network]!;
            return lj._d.options.pseudoHeaderSum!(lj as never, protocol, end - l._o, layers.slice(network + 1, i) as never, { bytes: src, start: lj._o });
          },
        };
        const expected = f.checksum!(ctx);
        const actual = f.read(src, at);
        let status: ChecksumCheck["status"] = actual === expected ? "good" : "bad";
        const absent = (f.options as IntOptions).checksumAbsentWhenZero;
        if (actual === 0 && absent !== undefined && absent !== false) {
          if (absent === true || absent(network < 0 ? undefined : layers[network]!._d.name)) status = "absent";
        }
        // Bytes cut short (a snaplen, a quoted packet): the sum covers less than the sender's did.
        if (status === "bad" && layers.slice(0, i + 1).some((x) => x._declEnd > x._e)) status = "unverifiable";
        out.push({ layer: def.name, field: f.name, index: i, actual, expected, ok: status === "good" || status === "absent", status });
      }
    }
    return out;
  }

  /** Return the summary. */
  toString(): string {
    return this.summary();
  }
}

/** The constructor with its internal parameter (see `Packet`'s constructor). */
const PacketOf = Packet as unknown as new (layers: LayerBase[]) => Packet;

/** Build a packet from layers, outermost first; bytes or a string become a Raw layer. */
export function packet(...layers: LayerInput[]): Packet {
  // The rest array is the packet's own: its layers are stored in it, in place (no second array
  // grown push by push). `_ld` is filled when `layer()` first needs it.
  const l = layers as unknown as LayerBase[];
  const p = new PacketOf(l);
  for (let i = 0; i < layers.length; i++) {
    const x = layers[i];
    // isView, not instanceof: a type check instead of a prototype-chain walk over many layer classes.
    const layer = typeof x === "string" || ArrayBuffer.isView(x) ? rawLayer(x) : (x as unknown as LayerBase);
    layer._owner = p;
    l[i] = layer;
  }
  return p;
}

/**
 * The Raw layer of a payload given to `packet()`. Bytes are stored as `Raw({ data })` would store
 * them (a Uint8Array is kept as is), without the values object and `set()`; anything else goes
 * through `Raw()`, which converts a string and names a bad value.
 */
function rawLayer(x: string | ArrayBufferView): LayerBase {
  if (!(x instanceof Uint8Array)) return Raw({ data: x as string }) as unknown as LayerBase;
  const layer = new RawLayer();
  // new Array, as the generated setter makes it: one elements kind for every Raw layer's values.
  const v = new Array<unknown>(1);
  v[0] = x;
  layer._v = v;
  return layer;
}

/** Dissect bytes starting with protocol `first`; never throws on bad bytes unless `strict`. */
export function dissect(bytes: Uint8Array, first: AnyProtocol, options?: DissectOptions): Packet {
  const p = new Packet()._start(bytes, defOf(first));
  if (options?.strict && p.error !== undefined) throw p.error;
  return p;
}

/**
 * A reusable dissector for hot loops: `d.dissect(bytes)` re-points the same packet and layer
 * objects instead of allocating. The packet and its layers are valid until the next call.
 */
export function createDissector(first: AnyProtocol): { dissect(bytes: Uint8Array): Packet } {
  const def = defOf(first);
  const p = new Packet();
  p._pool = [];
  p._used = new Int32Array(protocolCount());
  return { dissect: (bytes: Uint8Array) => p._start(bytes, def) };
}

setRaw(RAW);
hooks.step = lazyStep as (p: never) => boolean;

hooks.parse = (bytes, def) => {
  const p = new Packet()._start(bytes, def);
  if (p.error !== undefined) throw p.error;
  const first = p._l[0];
  if (first === undefined) throw new WirecraftError("ERR_TRUNCATED", `${def.name}: no bytes`);
  return first;
};
