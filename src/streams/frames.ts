/** Frames of a capture dissected in order, with IP fragments reassembled on the way. */
import { protocolForLinkType } from "../capture/link.js";
import type { CaptureRecord } from "../capture/record.js";
import { createDissector, dissect, type Packet } from "../packet/packet.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { Raw } from "../protocols/raw.js";
import { IpDefragmenter, type DefragOptions } from "./defrag.js";

/** A dissected frame; `packet` is the reassembled datagram when this frame completed one. */
export interface Frame {
  /** 1-based frame number. */
  readonly number: number;
  readonly record: CaptureRecord;
  /** Valid until the next frame is taken (dissectors are reused), except reassembled datagrams. */
  readonly packet: Packet;
  /** The frames whose fragments make up `packet`, when it was reassembled here. */
  readonly reassembledFrom?: readonly number[];
  /** "held": a fragment kept for later; "dropped": a fragment given up (see `reason`). */
  readonly fragment?: "held" | "dropped";
  readonly reason?: string;
}

/** Options of `dissectFrames`. */
export interface FrameOptions extends DefragOptions {
  /** Reassemble IP fragments (default true). */
  readonly defragment?: boolean;
  /** The defragmenter to use (to read its statistics afterwards). */
  readonly defragmenter?: IpDefragmenter;
}

/** Return the bytes of the outermost IP layer of a packet, from its header to its end. */
export function ipBytes(p: Packet): Uint8Array | undefined {
  for (const l of p.layers()) {
    if (l.proto !== IPv4 && l.proto !== IPv6) continue;
    const s = l.span();
    return s === undefined ? undefined : p.bytes().subarray(s.start, s.end);
  }
  return undefined;
}

/** Dissect records in order (Raw for unknown link types), reassembling IP fragments. */
export async function* dissectFrames(records: AsyncIterable<CaptureRecord> | Iterable<CaptureRecord>, options: FrameOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const byLink = new Map<number, { dissect(bytes: Uint8Array): Packet }>();
  const defrag = options.defragment === false ? undefined : (options.defragmenter ?? new IpDefragmenter(options));
  let number = 0;
  for await (const record of records) {
    number++;
    let d = byLink.get(record.linkType);
    if (d === undefined) {
      d = createDissector(protocolForLinkType(record.linkType) ?? Raw);
      byLink.set(record.linkType, d);
    }
    const packet = d.dissect(record.data);
    const ip = defrag === undefined ? undefined : ipBytes(packet);
    if (ip === undefined) { yield { number, record, packet }; continue; }
    const r = defrag!.push(ip, record.time, number);
    if (r.kind === "whole") yield { number, record, packet };
    else if (r.kind === "held") yield { number, record, packet, fragment: "held" };
    else if (r.kind === "dropped") yield { number, record, packet, fragment: "dropped", reason: r.reason };
    else yield { number, record, packet: dissect(r.datagram, r.version === 4 ? IPv4 : IPv6), reassembledFrom: r.frames };
  }
}
