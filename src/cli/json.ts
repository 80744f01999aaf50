/** `wirecraft read --json`: one JSON object per frame (JSON Lines). */
import { formatTime, type CaptureRecord } from "../capture/record.js";
import type { Packet } from "../packet/packet.js";

/** One frame as `read --json` prints it. */
export interface FrameJSON {
  frame: number;
  time: string;
  length: number;
  capturedLength: number;
  layers: { name: string; fields: Record<string, unknown> }[];
  error?: string;
}

/** Return a frame as JSON-safe data: layers outermost first, fields as `toJSON()` gives them. */
export function frameJSON(number: number, r: CaptureRecord, p: Packet): FrameJSON {
  const j = p.toJSON();
  const out: FrameJSON = { frame: number, time: formatTime(r.time), length: r.originalLength, capturedLength: r.data.length, layers: j.layers };
  if (j.error !== undefined) out.error = j.error;
  return out;
}

/** Stringify with bigints as decimal strings and bytes as hex (for values toJSON left alone). */
export function stringifyFrame(f: FrameJSON): string {
  return JSON.stringify(f, (_k, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
    return v;
  });
}
