/**
 * What every reading command shares: opening a capture (with a progress bar on a terminal),
 * picking the first protocol from the link type (Raw when none is registered), and the columns
 * of a summary line.
 */
import { readPcap } from "../capture/read.js";
import type { CaptureRecord } from "../capture/record.js";
import { protocolForLinkType } from "../capture/link.js";
import { createDissector, type Packet } from "../packet/packet.js";
import { Raw, Padding } from "../protocols/raw.js";
import type { AnyLayer, AnyProtocol } from "../schema/protocol.js";
import { barFor, countedChunks, type BarStream, type ProgressBar } from "./progress.js";

/** Records of a capture, with an optional progress bar that the caller ticks and finishes. */
export async function openCapture(path: string, progressTo?: BarStream): Promise<{ records: AsyncIterable<CaptureRecord>; bar: ProgressBar | undefined }> {
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

const hasField = (l: AnyLayer, name: string): boolean => l.proto.fields.some((f) => f.name === name);

/** Return the layers a summary describes: a packet quoted in an ICMP error is left out. */
export function shownLayers(layers: readonly AnyLayer[]): readonly AnyLayer[] {
  const q = layers.findIndex((l) => /^ICMP/.test(l.proto.name));
  return q >= 0 ? layers.slice(0, q + 1) : layers;
}

/** Return source, destination, protocol and info of a packet, tshark style. */
export function columnsOf(p: Packet): Columns {
  const layers = shownLayers(p.layers());
  let top: AnyLayer | undefined;
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (l.proto !== Raw && l.proto !== Padding) { top = l; break; }
  }
  top ??= layers[0];
  let source = "";
  let destination = "";
  const topIndex = top === undefined ? -1 : layers.indexOf(top);
  for (let i = topIndex; i >= 0; i--) {
    const l = layers[i]!;
    if (hasField(l, "src") && hasField(l, "dst")) {
      const r = l as unknown as Record<string, unknown>;
      source = String(r.src);
      destination = String(r.dst);
      break;
    }
  }
  if (top === undefined) return { source, destination, protocol: "", info: "" };
  const name = top.proto.name;
  let info = top.summary();
  if (info.startsWith(name)) info = info.slice(name.length).trimStart();
  const err = p.error;
  if (err !== undefined) info += ` [${p.truncated ? "truncated" : "malformed"}: ${err.message}]`;
  return { source, destination, protocol: name, info };
}

/** Format nanoseconds as seconds with six decimals (`5.965060`). */
export function relativeTime(ns: bigint): string {
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
