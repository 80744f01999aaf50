/*
 * Hand-built capture files for the tests: every field written explicitly, in either byte order,
 * so the readers are checked against the format documents rather than against our writers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

const enc = new TextEncoder();

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Encode 32-bit words in the given byte order. */
export function u32(le: boolean, ...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, le));
  return out;
}

/** Encode 16-bit words in the given byte order. */
export function u16(le: boolean, ...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(i * 2, v, le));
  return out;
}

/** Encode a 64-bit integer in the given byte order. */
export function u64(le: boolean, value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), le);
  return out;
}

function pad4(b: Uint8Array): Uint8Array {
  return concat(b, new Uint8Array((4 - (b.length % 4)) % 4));
}

/** One pcapng option (code, length, padded value). */
export function opt(le: boolean, code: number, value: Uint8Array | string): Uint8Array {
  const v = typeof value === "string" ? enc.encode(value) : value;
  return concat(u16(le, code, v.length), pad4(v));
}

/** An options list with its opt_endofopt. */
export function opts(le: boolean, ...list: Uint8Array[]): Uint8Array {
  return list.length === 0 ? new Uint8Array(0) : concat(...list, u16(le, 0, 0));
}

/** A pcapng block; `trailer` overrides the trailing total length. */
export function block(le: boolean, type: number, body: Uint8Array, trailer?: number): Uint8Array {
  const len = 12 + body.length;
  return concat(u32(le, type, len), body, u32(le, trailer ?? len));
}

/** A section header block. */
export function shb(le: boolean, options: Uint8Array[] = [], sectionLength = -1n): Uint8Array {
  return block(le, 0x0a0d0d0a, concat(u32(le, 0x1a2b3c4d), u16(le, 1, 0), u64(le, sectionLength), opts(le, ...options)));
}

/** An interface description block. */
export function idb(le: boolean, linkType: number, snaplen: number, options: Uint8Array[] = []): Uint8Array {
  return block(le, 1, concat(u16(le, linkType, 0), u32(le, snaplen), opts(le, ...options)));
}

/** An enhanced packet block with a timestamp in the interface's units. */
export function epb(le: boolean, iid: number, ticks: bigint, data: Uint8Array, options: Uint8Array[] = [], orig = data.length): Uint8Array {
  const hi = Number(ticks >> 32n);
  const lo = Number(ticks & 0xffffffffn);
  return block(le, 6, concat(u32(le, iid, hi, lo, data.length, orig), pad4(data), opts(le, ...options)));
}

/** A simple packet block. */
export function spb(le: boolean, data: Uint8Array, orig = data.length): Uint8Array {
  return block(le, 3, concat(u32(le, orig), pad4(data)));
}

/** A name resolution block. */
export function nrb(le: boolean, entries: { type: 1 | 2; address: number[]; names: string[] }[]): Uint8Array {
  const recs = entries.map((e) => {
    const v = concat(Uint8Array.from(e.address), ...e.names.map((n) => concat(enc.encode(n), Uint8Array.of(0))));
    return concat(u16(le, e.type, v.length), pad4(v));
  });
  return block(le, 4, concat(...recs, u16(le, 0, 0)));
}

/** An interface statistics block. */
export function isb(le: boolean, iid: number, ticks: bigint, options: Uint8Array[] = []): Uint8Array {
  return block(le, 5, concat(u32(le, iid, Number(ticks >> 32n), Number(ticks & 0xffffffffn)), opts(le, ...options)));
}

/** A classic pcap file built field by field. */
export function pcapFile(
  le: boolean,
  nanosecond: boolean,
  linkType: number,
  snaplen: number,
  records: { sec: number; frac: number; data: Uint8Array; orig?: number; incl?: number }[],
): Uint8Array {
  const header = concat(u32(le, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4), u16(le, 2, 4), u32(le, 0, 0, snaplen, linkType));
  return concat(header, ...records.map((r) => concat(u32(le, r.sec, r.frac, r.incl ?? r.data.length, r.orig ?? r.data.length), r.data)));
}

/** Split bytes into chunks of 1..7 bytes (deterministic). */
export function tinyChunks(bytes: Uint8Array, seed = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % 7);
    out.push(bytes.slice(i, i + n));
    i += n;
  }
  return out;
}

test("builders make 4-byte aligned blocks with matching lengths", () => {
  for (const le of [true, false]) {
    const b = epb(le, 0, 5n, Uint8Array.of(1, 2, 3), [opt(le, 1, "hi")]);
    assert.equal(b.length % 4, 0);
    const dv = new DataView(b.buffer);
    assert.equal(dv.getUint32(4, le), b.length);
    assert.equal(dv.getUint32(b.length - 4, le), b.length);
  }
});
