/**
 * DNS record data (RDATA), typed by the record's type: A and AAAA as address strings; CNAME, NS,
 * PTR and DNAME as a name; MX, SOA and SRV as objects; TXT as an array of strings; OPT (EDNS0,
 * RFC 6891) as an array of options. Any other type, and any value given as bytes, is raw bytes.
 * Names in the data of the RFC 1035 types are compressed when building; SRV targets are not
 * (RFC 2782).
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, toHex } from "../schema/address.js";
import { field } from "../schema/protocol.js";
import type { CustomReadContext, CustomWriteContext } from "../schema/custom.js";
import { encodeName, measureName, nameAt as nameAtBytes, normalizeName } from "./dns-name.js";

/** DNS resource record types (IANA). */
export const DnsType = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33,
  NAPTR: 35, DNAME: 39, OPT: 41, DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, HTTPS: 65, ANY: 255, CAA: 257,
} as const;

/** MX data. */
export interface MxData { preference: number; exchange: string }
/** SOA data. */
export interface SoaData { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
/** SRV data. */
export interface SrvData { priority: number; weight: number; port: number; target: string }
/** One EDNS0 option. */
export interface EdnsOption { code: number; data: Uint8Array }
/** Record data, by type. */
export type DnsData = string | string[] | MxData | SoaData | SrvData | EdnsOption[] | Uint8Array;

const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);

function nameAt(c: CustomReadContext, at: number): { span: number; name: string } {
  return nameAtBytes(c.bytes, at, c.end, c.base);
}

function need(c: CustomReadContext, at: number, n: number, what: string): void {
  if (at + n > c.end) throw new Error(`${what} needs ${n} byte(s) at offset ${at}, ${Math.max(0, c.end - at)} left`);
}

function exact(c: CustomReadContext, at: number, what: string): void {
  if (at !== c.end) throw new Error(`${what} data has ${c.end - at} byte(s) left over`);
}

/** Decode data of `type` in `c.offset..c.end`; throws when it does not fit its type. */
export function readData(c: CustomReadContext): DnsData {
  const b = c.bytes;
  const o = c.offset;
  const type = Number(c.layer.type);
  switch (type) {
    case DnsType.A: need(c, o, 4, "A"); exact(c, o + 4, "A"); return formatIPv4(b, o);
    case DnsType.AAAA: need(c, o, 16, "AAAA"); exact(c, o + 16, "AAAA"); return formatIPv6(b, o);
    case DnsType.NS: case DnsType.CNAME: case DnsType.PTR: case DnsType.DNAME: {
      const n = nameAt(c, o);
      exact(c, o + n.span, "name");
      return n.name;
    }
    case DnsType.MX: {
      need(c, o, 2, "MX");
      const n = nameAt(c, o + 2);
      exact(c, o + 2 + n.span, "MX");
      return { preference: u16(b, o), exchange: n.name };
    }
    case DnsType.SOA: {
      const m = nameAt(c, o);
      const r = nameAt(c, o + m.span);
      const at = o + m.span + r.span;
      need(c, at, 20, "SOA");
      exact(c, at + 20, "SOA");
      return { mname: m.name, rname: r.name, serial: u32(b, at), refresh: u32(b, at + 4), retry: u32(b, at + 8), expire: u32(b, at + 12), minimum: u32(b, at + 16) };
    }
    case DnsType.SRV: {
      need(c, o, 6, "SRV");
      const n = nameAt(c, o + 6);
      exact(c, o + 6 + n.span, "SRV");
      return { priority: u16(b, o), weight: u16(b, o + 2), port: u16(b, o + 4), target: n.name };
    }
    case DnsType.TXT: {
      const out: string[] = [];
      let at = o;
      while (at < c.end) {
        const len = b[at]!;
        need(c, at + 1, len, "TXT string");
        out.push(String.fromCharCode(...b.subarray(at + 1, at + 1 + len)));
        at += 1 + len;
      }
      return out;
    }
    case DnsType.OPT: {
      const out: EdnsOption[] = [];
      let at = o;
      while (at < c.end) {
        need(c, at, 4, "EDNS option");
        const len = u16(b, at + 2);
        need(c, at + 4, len, "EDNS option data");
        out.push({ code: u16(b, at), data: b.slice(at + 4, at + 4 + len) });
        at += 4 + len;
      }
      return out;
    }
    default:
      return b.slice(o, c.end);
  }
}

/**
 * The span of data of `type` in `b[o..end)` (`end - o`), or -1 when it does not fit its type:
 * `readData`'s checks with no text made, for laying out (`readData` says why).
 */
export function measureData(b: Uint8Array, o: number, end: number, base: number, type: number): number {
  switch (type) {
    case DnsType.A: return end - o === 4 ? 4 : -1;
    case DnsType.AAAA: return end - o === 16 ? 16 : -1;
    case DnsType.NS: case DnsType.CNAME: case DnsType.PTR: case DnsType.DNAME:
      return measureName(b, o, end, base) === end - o ? end - o : -1;
    case DnsType.MX:
      return o + 2 <= end && measureName(b, o + 2, end, base) === end - o - 2 ? end - o : -1;
    case DnsType.SRV:
      return o + 6 <= end && measureName(b, o + 6, end, base) === end - o - 6 ? end - o : -1;
    case DnsType.SOA: {
      const m = measureName(b, o, end, base);
      if (m < 0) return -1;
      const r = measureName(b, o + m, end, base);
      return r >= 0 && o + m + r + 20 === end ? end - o : -1;
    }
    case DnsType.TXT: {
      let at = o;
      while (at < end) at += 1 + b[at]!;
      return at === end ? end - o : -1;
    }
    case DnsType.OPT: {
      let at = o;
      while (at < end) {
        if (at + 4 > end) return -1;
        at += 4 + ((b[at + 2]! << 8) | b[at + 3]!);
      }
      return at === end ? end - o : -1;
    }
    default:
      return end - o;
  }
}

function put16(out: number[], v: number): void { out.push((v >> 8) & 0xff, v & 0xff); }
function put32(out: number[], v: number): void { out.push((v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff); }

function uint(v: unknown, bits: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Error(`${what} must be an integer within 0..${2 ** bits - 1}`);
  return v;
}

/** Encode record data of `type` at `ctx.position`. */
export function encodeData(value: DnsData, ctx: CustomWriteContext): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const type = Number(ctx.layer.type);
  const out: number[] = [];
  const name = (n: string, at: number, compress: boolean) => {
    const e = encodeName(n, { position: ctx.position + at, scratch: ctx.scratch, layer: ctx.layer }, compress);
    for (const x of e) out.push(x);
  };
  const v = value as unknown as Record<string, unknown>;
  switch (type) {
    case DnsType.A: case DnsType.AAAA: {
      const buf = new Uint8Array(type === DnsType.A ? 4 : 16);
      const ok = typeof value === "string" && (type === DnsType.A ? parseIPv4(value, buf, 0) : parseIPv6(value, buf, 0));
      if (!ok) throw new Error(`${type === DnsType.A ? "A" : "AAAA"} data must be an address string`);
      return buf;
    }
    case DnsType.NS: case DnsType.CNAME: case DnsType.PTR: case DnsType.DNAME:
      if (typeof value !== "string") throw new Error("data must be a name string");
      name(normalizeName(value), 0, type !== DnsType.DNAME);
      break;
    case DnsType.MX:
      put16(out, uint(v.preference, 16, "MX preference"));
      name(normalizeName(v.exchange), 2, true);
      break;
    case DnsType.SOA:
      name(normalizeName(v.mname), 0, true);
      name(normalizeName(v.rname), out.length, true);
      for (const k of ["serial", "refresh", "retry", "expire", "minimum"]) put32(out, uint(v[k], 32, `SOA ${k}`));
      break;
    case DnsType.SRV:
      put16(out, uint(v.priority, 16, "SRV priority"));
      put16(out, uint(v.weight, 16, "SRV weight"));
      put16(out, uint(v.port, 16, "SRV port"));
      name(normalizeName(v.target), 6, false);
      break;
    case DnsType.TXT: {
      const strings = typeof value === "string" ? [value] : value;
      if (!Array.isArray(strings)) throw new Error("TXT data must be a string or an array of strings");
      for (const s of strings as unknown[]) {
        if (typeof s !== "string" || s.length > 255 || /[^\u0000-\u00ff]/.test(s)) throw new Error("TXT strings are latin1 strings of at most 255 bytes");
        out.push(s.length);
        for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
      }
      break;
    }
    case DnsType.OPT:
      if (!Array.isArray(value)) throw new Error("OPT data must be an array of { code, data } options");
      for (const o of value as EdnsOption[]) {
        const d = o.data instanceof Uint8Array ? o.data : new Uint8Array(0);
        put16(out, uint(o.code, 16, "EDNS option code"));
        put16(out, d.length);
        for (const x of d) out.push(x);
      }
      break;
    default:
      throw new Error(`data of type ${type} must be given as bytes`);
  }
  return Uint8Array.from(out);
}

function normalizeData(value: unknown): DnsData {
  if (value instanceof Uint8Array || typeof value === "string") return value;
  if (Array.isArray(value)) return value as DnsData;
  if (value !== null && typeof value === "object") return value as DnsData;
  throw new Error("expects record data: bytes, a string, an array or an object");
}

function jsonData(v: DnsData): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : { code: x.code, data: toHex(x.data) }));
  return v;
}

/** The record data field: typed by the record's `type`, its length in the field before it. */
export function dnsDataField() {
  return field.custom<DnsData>({
    kind: "dnsData",
    default: new Uint8Array(0),
    doc: "record data, typed by the record type",
    span: (c) => { readData(c); return c.end - c.offset; },
    measure: (b, o, end, base, layer) => measureData(b, o, end, base, Number(layer.type)),
    read: (c) => { try { return readData(c); } catch { return c.bytes.slice(c.offset, c.end); } },
    normalize: normalizeData,
    encode: encodeData,
    json: jsonData,
    format: (v) => JSON.stringify(jsonData(v)),
  });
}
