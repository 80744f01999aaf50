/**
 * TCP options as the engine uses them: parsed from a received header (through the `TCP`
 * protocol definition's option list) into one plain record, and built for outgoing segments.
 * MSS and window scale appear only on SYNs (RFC 9293 3.7.1, RFC 7323 2.2), SACK-permitted only on
 * SYNs (RFC 2018), timestamps on every segment once negotiated (RFC 7323 3.2).
 */
import { TCPOption, TCPSackBlock, TcpOptionKind, type TCP } from "../../protocols/tcp.js";

/** The options of one received segment. */
export interface SegmentOptions {
  mss: number | undefined;
  windowScale: number | undefined;
  sackPermitted: boolean;
  tsValue: number | undefined;
  tsEchoReply: number | undefined;
  /** SACK blocks as [left, right) pairs. */
  sack: [number, number][] | undefined;
}

/** The largest window shift (RFC 7323 2.3). */
export const MAX_WINDOW_SCALE = 14;

const NONE: SegmentOptions = Object.freeze({
  mss: undefined, windowScale: undefined, sackPermitted: false, tsValue: undefined, tsEchoReply: undefined, sack: undefined,
}) as SegmentOptions;

/**
 * Return the options in `bytes[start, end)` (the header after its 20 fixed bytes), read directly:
 * the receive fast path (reading the `TCP` definition's option list costs several times more per
 * segment); `options.test.ts` checks it against `parseOptions` on real and hostile option bytes.
 * A malformed list ends the parse (what was read before stays), as Linux does.
 */
export function readOptions(bytes: Uint8Array, start: number, end: number): SegmentOptions {
  if (end <= start) return NONE;
  const out: SegmentOptions = { ...NONE };
  let p = start;
  while (p < end) {
    const kind = bytes[p]!;
    if (kind === TcpOptionKind.eol) break;
    if (kind === TcpOptionKind.nop) { p++; continue; }
    if (p + 1 >= end) break;
    const len = bytes[p + 1]!;
    if (len < 2 || p + len > end) break;
    switch (kind) {
      case TcpOptionKind.mss: if (len === 4) out.mss = (bytes[p + 2]! << 8) | bytes[p + 3]!; break;
      case TcpOptionKind.windowScale: if (len === 3) out.windowScale = Math.min(bytes[p + 2]!, MAX_WINDOW_SCALE); break;
      case TcpOptionKind.sackPermitted: if (len === 2) out.sackPermitted = true; break;
      case TcpOptionKind.timestamps:
        if (len === 10) { out.tsValue = u32(bytes, p + 2); out.tsEchoReply = u32(bytes, p + 6); }
        break;
      case TcpOptionKind.sack:
        if (len >= 10) {
          const blocks: [number, number][] = [];
          for (let q = p + 2; q + 8 <= p + len; q += 8) blocks.push([u32(bytes, q), u32(bytes, q + 4)]);
          out.sack = blocks;
        }
        break;
      default: break;
    }
    p += len;
  }
  return out;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Return the options of a dissected TCP header (no options: a shared empty record). */
export function parseOptions(tcp: TCP, headerLength: number): SegmentOptions {
  if (headerLength <= 20) return NONE;
  const out: SegmentOptions = { ...NONE };
  let list: readonly OptionLayer[];
  try { list = tcp.options; } catch { return NONE; }
  for (const o of list) {
    switch (o.kind) {
      case TcpOptionKind.mss: if (o.length === 4 && o.mss !== undefined) out.mss = o.mss; break;
      case TcpOptionKind.windowScale: if (o.length === 3 && o.shift !== undefined) out.windowScale = Math.min(o.shift, MAX_WINDOW_SCALE); break;
      case TcpOptionKind.sackPermitted: if (o.length === 2) out.sackPermitted = true; break;
      case TcpOptionKind.timestamps:
        if (o.length === 10 && o.tsValue !== undefined) { out.tsValue = o.tsValue; out.tsEchoReply = o.tsEchoReply ?? 0; }
        break;
      case TcpOptionKind.sack:
        if (o.blocks !== undefined && o.blocks.length > 0) out.sack = o.blocks.map((b) => [b.left >>> 0, b.right >>> 0]);
        break;
      default: break;
    }
  }
  return out;
}

/** What to put in the options of an outgoing segment. */
export interface OptionsToSend {
  mss?: number | undefined;
  windowScale?: number | undefined;
  sackPermitted?: boolean | undefined;
  timestamps?: { value: number; echoReply: number } | undefined;
  sack?: readonly (readonly [number, number])[] | undefined;
}

type OptionInput = NonNullable<Parameters<typeof TCPOption>[0]>;
type OptionLayer = ReturnType<typeof TCPOption>;

const NOP: OptionInput = { kind: TcpOptionKind.nop };

/**
 * Return the option list for a segment, laid out as Linux does (NOP padding to 32-bit
 * alignment): MSS, SACK-permitted + timestamps, window scale; or timestamps then SACK blocks.
 * SACK blocks are cut to what fits in 40 bytes (3 with timestamps, 4 without).
 */
export function buildOptions(o: OptionsToSend): OptionLayer[] {
  const out: OptionInput[] = [];
  if (o.mss !== undefined) out.push({ kind: TcpOptionKind.mss, mss: o.mss });
  if (o.sackPermitted && o.timestamps !== undefined) {
    out.push({ kind: TcpOptionKind.sackPermitted });
    out.push({ kind: TcpOptionKind.timestamps, tsValue: o.timestamps.value, tsEchoReply: o.timestamps.echoReply });
  } else {
    if (o.sackPermitted) out.push(NOP, NOP, { kind: TcpOptionKind.sackPermitted });
    if (o.timestamps !== undefined) out.push(NOP, NOP, { kind: TcpOptionKind.timestamps, tsValue: o.timestamps.value, tsEchoReply: o.timestamps.echoReply });
  }
  if (o.windowScale !== undefined) out.push(NOP, { kind: TcpOptionKind.windowScale, shift: o.windowScale });
  if (o.sack !== undefined && o.sack.length > 0) {
    const room = o.timestamps !== undefined ? 3 : 4;
    out.push(NOP, NOP, { kind: TcpOptionKind.sack, blocks: o.sack.slice(0, room).map(([left, right]) => TCPSackBlock({ left, right })) });
  }
  return out.map((x) => TCPOption(x));
}

/** Return the bytes `buildOptions` takes for these options (padding included). */
export function optionsLength(o: OptionsToSend): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.sackPermitted && o.timestamps !== undefined) n += 12;
  else n += (o.sackPermitted ? 4 : 0) + (o.timestamps !== undefined ? 12 : 0);
  if (o.windowScale !== undefined) n += 4;
  if (o.sack !== undefined && o.sack.length > 0) n += 2 + 2 + 8 * Math.min(o.sack.length, o.timestamps !== undefined ? 3 : 4);
  return n;
}
