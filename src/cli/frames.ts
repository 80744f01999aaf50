/**
 * What every reading command shares: opening a capture (with a progress bar on a terminal),
 * picking the first protocol from the link type (Raw when none is registered), and the columns
 * of a summary line.
 */
import { type CaptureReader, readPcap } from "../capture/read.js";
import type { CaptureRecord } from "../capture/record.js";
import { protocolForLinkType } from "../capture/link.js";
import { createDissector, type Packet } from "../packet/packet.js";
import { Raw, Padding } from "../protocols/raw.js";
import { summaryText } from "../packet/display.js";
import type { LayerBase } from "../schema/layer.js";
import type { AnyLayer, AnyProtocol } from "../schema/protocol.js";
import { digitCount, type LineOut } from "./out.js";
import { barFor, countedChunks, type BarStream, type ProgressBar } from "./progress.js";

/** Records of a capture, with an optional progress bar that the caller ticks and finishes. */
export async function openCapture(path: string, progressTo?: BarStream): Promise<{ records: CaptureReader; bar: ProgressBar | undefined }> {
  const bar = progressTo === undefined ? undefined : await barFor(path, progressTo);
  return { records: readPcap(bar === undefined ? path : countedChunks(path, bar)), bar };
}

/** Return the protocol records of `linkType` start with: the registered one, else Raw. */
export function firstProtocolFor(linkType: number): AnyProtocol {
  return protocolForLinkType(linkType) ?? Raw;
}

/** Dissects records with one reusable dissector per link type; a packet is valid until the next call. */
export class FrameDissector {
  private readonly byLink = new Map<number, { dissect(bytes: Uint8Array): Packet }>();
  /** Dissect a record's bytes. */
  dissect(r: CaptureRecord): Packet {
    let d = this.byLink.get(r.linkType);
    if (d === undefined) {
      d = createDissector(firstProtocolFor(r.linkType));
      this.byLink.set(r.linkType, d);
    }
    return d.dissect(r.data);
  }
}

/** The columns of a summary line. */
export interface Columns {
  readonly source: string;
  readonly destination: string;
  readonly protocol: string;
  readonly info: string;
}

/** What summaries need to know of a protocol, worked out once per protocol. */
interface Traits {
  /** An ICMP message: the layers after it are a quoted packet. */
  readonly quotes: boolean;
  /** It has `src` and `dst` fields, the address columns. */
  readonly addressed: boolean;
  /** Raw bytes or padding: not a summary's top layer. */
  readonly filler: boolean;
}

const traits = new Map<AnyProtocol, Traits>();

function traitsOf(proto: AnyProtocol): Traits {
  let t = traits.get(proto);
  if (t === undefined) {
    const has = (name: string): boolean => proto.fields.some((f) => f.name === name);
    t = { quotes: /^ICMP/.test(proto.name), addressed: has("src") && has("dst"), filler: proto === Raw || proto === Padding };
    traits.set(proto, t);
  }
  return t;
}

// The protocols met at each layer position last time, and their traits: packets in a capture
// mostly repeat a few stacks, so this usually answers without a lookup.
const seenProto: AnyProtocol[] = [];
const seenTraits: Traits[] = [];

function traitsAt(i: number, proto: AnyProtocol): Traits {
  if (seenProto[i] === proto) return seenTraits[i]!;
  const t = traitsOf(proto);
  seenProto[i] = proto;
  seenTraits[i] = t;
  return t;
}

/** How many of `layers` a summary describes: a packet quoted in an ICMP error is left out. */
function shownCount(layers: readonly AnyLayer[]): number {
  for (let i = 0; i < layers.length; i++) if (traitsAt(i, layers[i]!.proto).quotes) return i + 1;
  return layers.length;
}

/** Return the layers a summary describes: a packet quoted in an ICMP error is left out. */
export function shownLayers(layers: readonly AnyLayer[]): readonly AnyLayer[] {
  const n = shownCount(layers);
  return n < layers.length ? layers.slice(0, n) : layers;
}

/** Return source, destination, protocol and info of a packet, tshark style. */
export function columnsOf(p: Packet): Columns {
  const layers = p.layers();
  if (layers.length === 0) return { source: "", destination: "", protocol: "", info: "" };
  // One pass: the top layer is the last shown one that is not raw bytes or padding (else the
  // first); the addresses are those of the last addressed layer at or below it.
  let top = -1;
  let addressed = -1;
  let topAddressed = -1;
  for (let i = 0; i < layers.length; i++) {
    const t = traitsAt(i, layers[i]!.proto);
    if (t.addressed) addressed = i;
    if (!t.filler) {
      top = i;
      topAddressed = addressed;
    }
    if (t.quotes) break;
  }
  if (top < 0) {
    top = 0;
    topAddressed = traitsAt(0, layers[0]!.proto).addressed ? 0 : -1;
  }
  let source = "";
  let destination = "";
  if (topAddressed >= 0) {
    const r = layers[topAddressed] as unknown as Record<string, unknown>;
    source = String(r.src);
    destination = String(r.dst);
  }
  const layer = layers[top]!;
  let info = summaryText(layer as unknown as LayerBase, false).trimStart();
  const err = p.error;
  if (err !== undefined) info += ` [${p.truncated ? "truncated" : "malformed"}: ${err.message}]`;
  return { source, destination, protocol: layer.proto.name, info };
}

/** The largest nanosecond count a double holds exactly. */
const EXACT = 9_007_199_254_740_991n;

/** Format nanoseconds as seconds with six decimals (`5.965060`). */
export function relativeTime(ns: bigint): string {
  if (ns >= 0n && ns <= EXACT) {
    // Exact in doubles: whole microseconds, then seconds and their six decimals.
    const n = Number(ns);
    const us = (n - (n % 1000)) / 1000;
    const frac = us % 1_000_000;
    return `${(us - frac) / 1_000_000}.${String(frac).padStart(6, "0")}`;
  }
  const neg = ns < 0n;
  const a = neg ? -ns : ns;
  const us = a / 1000n;
  return `${neg ? "-" : ""}${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, "0")}`;
}

/** Return one numbered summary line, tshark's default layout. */
export function summaryLine(number: number, relNs: bigint, length: number, c: Columns): string {
  const addr = c.source || c.destination ? `${c.source.padStart(15)} → ${c.destination.padEnd(15)}` : " ".repeat(33);
  return `${String(number).padStart(5)} ${relativeTime(relNs).padStart(11)} ${addr} ${c.protocol} ${length}${c.info ? " " + c.info : ""}`;
}

/** Add `summaryLine(...)` and a newline to `out`, without making the line's string. */
export function writeSummaryLine(out: LineOut, number: number, relNs: bigint, length: number, c: Columns): void {
  const { source, destination, protocol, info } = c;
  out.reserve(3 * (source.length + destination.length + protocol.length + info.length) + 128);
  out.spaces(5 - digitCount(number));
  out.digits(number);
  out.byte(SPACE);
  if (relNs >= 0n && relNs <= EXACT) {
    const n = Number(relNs);
    const us = (n - (n % 1000)) / 1000;
    const frac = us % 1_000_000;
    const sec = (us - frac) / 1_000_000;
    out.spaces(11 - 7 - digitCount(sec));
    out.digits(sec);
    out.byte(DOT);
    out.digits(frac, 6);
  } else {
    out.padStart(relativeTime(relNs), 11);
  }
  out.byte(SPACE);
  if (source || destination) {
    out.padStart(source, 15);
    out.byte(SPACE);
    out.byte(0xe2); // →
    out.byte(0x86);
    out.byte(0x92);
    out.byte(SPACE);
    out.padEnd(destination, 15);
  } else {
    out.spaces(33);
  }
  out.byte(SPACE);
  out.text(protocol);
  out.byte(SPACE);
  out.digits(length);
  if (info) {
    out.byte(SPACE);
    out.text(info);
  }
  out.byte(NEWLINE);
}

const SPACE = 0x20;
const DOT = 0x2e;
const NEWLINE = 0x0a;
