/**
 * The send fast path: one TCP segment (header, options, payload, checksum) written straight into
 * one buffer. Building through `packet(TCP(...), Raw(...))` costs about 4x more per segment
 * (option layers, field setters, the checksum fix-up pass) and that was the measured bottleneck
 * of bulk transfers; `wire.test.ts` checks these bytes against the `TCP` protocol definition's
 * build for every option layout the engine sends. Received segments are still dissected by it.
 */
import { onesComplementSum, finishChecksum } from "../../packet/checksum.js";
import { TcpOptionKind } from "../../protocols/tcp.js";
import { optionsLength, type OptionsToSend } from "./options.js";
import type { SegmentHeader } from "./types.js";

/** The header fields of a segment to write. */
export interface SegmentFields extends SegmentHeader {
  readonly options: OptionsToSend;
  readonly data?: Uint8Array | undefined;
}

/** IPv4 protocol / IPv6 next header number of TCP. */
const TCP_PROTOCOL = 6;

/** Write a segment; `pseudoSum` is the unfolded ones'-complement sum of the pseudo-header's addresses. */
export function writeSegment(f: SegmentFields, pseudoSum: number): Uint8Array {
  const o = f.options;
  const optLen = optionsLength(o);
  const headerLength = 20 + optLen;
  const dataLength = f.data?.length ?? 0;
  const b = new Uint8Array(headerLength + dataLength);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint16(0, f.srcPort);
  v.setUint16(2, f.dstPort);
  v.setUint32(4, f.seq >>> 0);
  v.setUint32(8, f.ack >>> 0);
  v.setUint16(12, ((headerLength / 4) << 12) | (f.flags & 0x1ff));
  v.setUint16(14, f.window);
  // checksum (16) and urgent pointer (18) stay 0 for now
  let p = 20;
  const nop = (): void => { b[p++] = TcpOptionKind.nop; };
  const ts = (): void => {
    b[p] = TcpOptionKind.timestamps; b[p + 1] = 10;
    v.setUint32(p + 2, o.timestamps!.value >>> 0);
    v.setUint32(p + 6, o.timestamps!.echoReply >>> 0);
    p += 10;
  };
  if (o.mss !== undefined) { b[p] = TcpOptionKind.mss; b[p + 1] = 4; v.setUint16(p + 2, o.mss); p += 4; }
  if (o.sackPermitted && o.timestamps !== undefined) {
    b[p] = TcpOptionKind.sackPermitted; b[p + 1] = 2; p += 2;
    ts();
  } else {
    if (o.sackPermitted) { nop(); nop(); b[p] = TcpOptionKind.sackPermitted; b[p + 1] = 2; p += 2; }
    if (o.timestamps !== undefined) { nop(); nop(); ts(); }
  }
  if (o.windowScale !== undefined) { nop(); b[p] = TcpOptionKind.windowScale; b[p + 1] = 3; b[p + 2] = o.windowScale; p += 3; }
  if (o.sack !== undefined && o.sack.length > 0) {
    const blocks = o.sack.slice(0, o.timestamps !== undefined ? 3 : 4);
    nop(); nop();
    b[p] = TcpOptionKind.sack; b[p + 1] = 2 + 8 * blocks.length; p += 2;
    for (const [left, right] of blocks) { v.setUint32(p, left >>> 0); v.setUint32(p + 4, right >>> 0); p += 8; }
  }
  if (dataLength > 0) b.set(f.data!, headerLength);
  const sum = onesComplementSum(b, 0, b.length, pseudoSum + TCP_PROTOCOL + b.length);
  v.setUint16(16, finishChecksum(sum));
  return b;
}
