/** `read --reassemble` (stub until src/streams lands). */
import type { CaptureRecord } from "../capture/record.js";
import type { Packet } from "../packet/packet.js";
import type { AnyProtocol } from "../schema/protocol.js";

/** What reassembly adds to a frame. */
export interface Reassembled {
  packet?: Packet;
  layers: { name: string; fields: Record<string, unknown> }[];
  info?: string;
  note?: string;
}

/** Defragments IP and reassembles TCP while frames are read. */
export class Reassembly {
  constructor(_protocols: readonly AnyProtocol[]) {}
  /** Feed one frame; return what reassembly adds to it. */
  push(_r: CaptureRecord, _p: Packet, _n: number): Reassembled | undefined {
    return undefined;
  }
}
