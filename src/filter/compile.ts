/**
 * The filter language's meaning: a parsed filter is checked against the known protocols (names,
 * fields, value types) and turned once into a closure over a packet's layers.
 *
 * A test on a field holds when any layer of that protocol (tunnels and quoted packets give
 * several) has the field and satisfies it; `!=` holds when the field is present and no
 * occurrence equals the value (so `ip.src != 10.0.0.1` does not match ARP).
 */
import { parseIPv4, parseIPv6 } from "../schema/address.js";
import { AddressField, BigIntField, BytesField, type FieldImpl, IntField_, RangeProblem, StringField } from "../schema/field.js";
import { ListField } from "../schema/list.js";
import type { ProtocolDef } from "../schema/layer.js";
import { defOf, type AnyLayer, type AnyProtocol } from "../schema/protocol.js";
import type { Packet } from "../packet/packet.js";
import { FilterError } from "./errors.js";
import { parseFilter, type CompareOp, type Literal, type Node, type Ref } from "./parse.js";

/** What a filter knows about a frame besides its bytes (the `frame` pseudo-protocol). */
export interface FrameInfo {
  /** 1-based frame number in the capture. */
  readonly number?: number;
  /** Length on the wire. */
  readonly length?: number;
  /** Captured length. */
  readonly capturedLength?: number;
}

/** A compiled filter: call it on a packet (and the frame's facts, for `frame.*`). */
export interface FilterPredicate {
  (packet: Packet, frame?: FrameInfo): boolean;
  /** The filter as written. */
  readonly source: string;
}

/** Short names accepted for protocols besides their own names (case-insensitive). */
export const PROTOCOL_ALIASES: Readonly<Record<string, string>> = {
  ip: "IPv4", ip4: "IPv4", ip6: "IPv6", eth: "Ethernet", ether: "Ethernet", vlan: "Dot1Q",
  icmp6: "ICMPv6", sll: "SLL", raw: "Raw", data: "Raw",
};

const FRAME_FIELDS = ["number", "length", "capturedLength"] as const;

type Layers = readonly AnyLayer[];
type Test = (layers: Layers, frame: FrameInfo | undefined, packet: Packet) => boolean;
/** Call `fn` on every value the reference reaches; true as soon as one call returns true. */
type Each = (layers: Layers, frame: FrameInfo | undefined, packet: Packet, fn: (v: unknown) => boolean) => boolean;

/** Return a map from lower-case names and aliases to protocols. */
export function protocolIndex(protocols: Iterable<AnyProtocol>): Map<string, AnyProtocol> {
  const byName = new Map<string, AnyProtocol>();
  for (const p of protocols) byName.set(p.name.toLowerCase(), p);
  for (const [alias, target] of Object.entries(PROTOCOL_ALIASES)) {
    const p = byName.get(target.toLowerCase());
    if (p !== undefined && !byName.has(alias)) byName.set(alias, p);
  }
  return byName;
}

/**
 * Compile a filter such as `tcp && ip.dst == 10.0.0.2` over the given protocols (names are
 * case-insensitive; see PROTOCOL_ALIASES). Throw FilterError with the column of the problem.
 */
export function compileFilter(source: string, protocols: Iterable<AnyProtocol>): FilterPredicate {
  const tree = parseFilter(source);
  const index = protocolIndex(protocols);
  const test = compileNode(source, tree, index);
  const fn = (packet: Packet, frame?: FrameInfo): boolean => test(packet.layers(), frame, packet);
  Object.defineProperty(fn, "source", { value: source, enumerable: true });
  return fn as FilterPredicate;
}

function compileNode(source: string, n: Node, index: Map<string, AnyProtocol>): Test {
  switch (n.kind) {
    case "or": {
      const a = compileNode(source, n.left, index);
      const b = compileNode(source, n.right, index);
      return (l, f, p) => a(l, f, p) || b(l, f, p);
    }
    case "and": {
      const a = compileNode(source, n.left, index);
      const b = compileNode(source, n.right, index);
      return (l, f, p) => a(l, f, p) && b(l, f, p);
    }
    case "not": {
      const a = compileNode(source, n.operand, index);
      return (l, f, p) => !a(l, f, p);
    }
    default:
      return compileTest(source, n, index);
  }
}

interface Resolved {
  readonly each: Each;
  /** The leaf field, or undefined for a bare protocol. */
  readonly field: FieldImpl | undefined;
  readonly label: string;
}

function resolve(source: string, ref: Ref, index: Map<string, AnyProtocol>): Resolved {
  const pname = ref.protocol.toLowerCase();
  if (pname === "frame") {
    const name = ref.path[0];
    const fname = FRAME_FIELDS.find((x) => x.toLowerCase() === name?.toLowerCase());
    if (name === undefined || fname === undefined || ref.path.length > 1) {
      throw new FilterError(source, ref.column, `frame has the fields ${FRAME_FIELDS.join(", ")}`);
    }
    const frameField = new IntField_("uint32", 4, 0, false, {});
    const each: Each = (_l, f, p, fn) => {
      const v = fname === "number" ? f?.number : fname === "length" ? (f?.length ?? p.bytes().length) : (f?.capturedLength ?? p.bytes().length);
      return v !== undefined && fn(v);
    };
    return { each, field: frameField, label: `frame.${fname}` };
  }
  const proto = index.get(pname);
  if (proto === undefined) {
    const known = [...new Set([...index.values()].map((p) => p.name))].sort().join(", ");
    throw new FilterError(source, ref.column, `unknown protocol "${ref.protocol}" (known: ${known})`);
  }
  let def: ProtocolDef = defOf(proto);
  const steps: string[] = [];
  let field: FieldImpl | undefined;
  let column = ref.column + ref.protocol.length + 1;
  for (let i = 0; i < ref.path.length; i++) {
    const name = ref.path[i]!;
    if (field !== undefined) {
      if (!(field instanceof ListField)) throw new FilterError(source, column, `${steps.join(".")} is not a list; it has no field "${name}"`);
      def = field.item;
    }
    const fi = def.index.get(name) ?? [...def.index].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    if (fi === undefined) {
      throw new FilterError(source, column, `${def.name} has no field "${name}" (fields: ${def.fields.map((f) => f.name).join(", ")})`);
    }
    field = def.fields[fi]!;
    steps.push(field.name);
    column += name.length + 1;
  }
  const label = [proto.name, ...steps].join(".");
  const isProto = (l: AnyLayer) => l.proto === proto;
  if (field === undefined) {
    return { each: (layers, _f, _p, fn) => { for (const l of layers) if (isProto(l) && fn(l)) return true; return false; }, field: undefined, label };
  }
  // Walk the path: the first step reads the layer, later steps read every item of a list.
  const walk = (value: unknown, depth: number, fn: (v: unknown) => boolean): boolean => {
    if (value === undefined) return false;
    if (depth === steps.length) return fn(value);
    for (const item of value as Record<string, unknown>[]) if (walk(item[steps[depth]!], depth + 1, fn)) return true;
    return false;
  };
  const first = steps[0]!;
  const each: Each = (layers, _f, _p, fn) => {
    for (const l of layers) {
      if (!isProto(l)) continue;
      if (walk((l as unknown as Record<string, unknown>)[first], 1, fn)) return true;
    }
    return false;
  };
  return { each, field, label };
}

function compileTest(source: string, n: Exclude<Node, { kind: "or" | "and" | "not" }>, index: Map<string, AnyProtocol>): Test {
  const r = resolve(source, n.ref, index);
  const { each, field, label } = r;
  const yes = () => true;
  if (n.kind === "exists") {
    if (field instanceof ListField) return (l, f, p) => each(l, f, p, (v) => (v as unknown[]).length > 0);
    return (l, f, p) => each(l, f, p, yes);
  }
  if (field === undefined) throw new FilterError(source, n.ref.column, `"${n.ref.protocol}" is a protocol; compare one of its fields (like ${n.ref.protocol}.${"field"})`);
  if (field instanceof ListField) throw new FilterError(source, n.ref.column, `${label} is a list; test one of its items' fields (${label}.…) or whether it is non-empty (${label})`);
  if (n.kind === "contains") {
    const needle = toNeedle(source, field, label, n.value);
    return (l, f, p) => each(l, f, p, needle);
  }
  if (n.kind === "mask") {
    if (!(field instanceof IntField_)) throw new FilterError(source, n.value.column, `"&" needs an integer field; ${label} is ${field.kind}`);
    const m = intValue(source, field, label, n.value);
    return (l, f, p) => each(l, f, p, (v) => ((v as number) & m) !== 0);
  }
  if (n.kind === "in") {
    const eqs = n.values.map((v) => equality(source, field, label, v));
    return (l, f, p) => each(l, f, p, (v) => eqs.some((eq) => eq(v)));
  }
  return comparison(source, field, label, n.op, n.value, each);
}

function comparison(source: string, field: FieldImpl, label: string, op: CompareOp, value: Literal, each: Each): Test {
  if (op === "==") {
    const eq = equality(source, field, label, value);
    return (l, f, p) => each(l, f, p, eq);
  }
  if (op === "!=") {
    const eq = equality(source, field, label, value);
    const yes = () => true;
    return (l, f, p) => each(l, f, p, yes) && !each(l, f, p, eq);
  }
  let cmp: (v: unknown) => number;
  if (field instanceof IntField_) {
    // Orderings take any integer (`tcp.window < 65536`); names still go through the field.
    const k = /^-?(0x[0-9a-f]+|\d+)$/i.test(value.text) && !value.text.startsWith("-0x") ? Number(value.text) : intValue(source, field, label, value);
    cmp = (v) => (v as number) - k;
  } else if (field instanceof BigIntField) {
    const k = bigValue(source, label, value);
    cmp = (v) => ((v as bigint) < k ? -1 : (v as bigint) > k ? 1 : 0);
  } else if (field instanceof StringField) {
    const k = value.text;
    cmp = (v) => ((v as string) < k ? -1 : (v as string) > k ? 1 : 0);
  } else {
    throw new FilterError(source, value.column, `${label} is ${field.kind}; it compares only with ==, !=, in and contains`);
  }
  const holds = op === "<" ? (c: number) => c < 0 : op === "<=" ? (c: number) => c <= 0 : op === ">" ? (c: number) => c > 0 : (c: number) => c >= 0;
  return (l, f, p) => each(l, f, p, (v) => holds(cmp(v)));
}

function intValue(source: string, field: IntField_, label: string, value: Literal): number {
  try {
    return field.normalize(value.text);
  } catch (e) {
    if (e instanceof RangeProblem) throw new FilterError(source, value.column, `${label}: ${JSON.stringify(value.text)} ${e.message}`);
    throw e;
  }
}

function bigValue(source: string, label: string, value: Literal): bigint {
  try {
    return BigInt(value.text);
  } catch {
    throw new FilterError(source, value.column, `${label}: ${JSON.stringify(value.text)} is not an integer`);
  }
}

function bytesValue(source: string, label: string, value: Literal): Uint8Array {
  if (value.quoted) return new TextEncoder().encode(value.text);
  let s = value.text.replace(/[:\-.]/g, "");
  if (/^0x/i.test(s)) s = s.slice(2);
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(s)) {
    throw new FilterError(source, value.column, `${label}: ${JSON.stringify(value.text)} is not hex bytes (write de:ad:be:ef, 0xdeadbeef or a "quoted string")`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Return whether `needle` occurs in `hay`. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.length === 0) return from <= hay.length ? from : -1;
  const first = needle[0]!;
  outer: for (let i = hay.indexOf(first, from); i !== -1 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function equality(source: string, field: FieldImpl, label: string, value: Literal): (v: unknown) => boolean {
  if (field instanceof IntField_) {
    const k = intValue(source, field, label, value);
    return (v) => v === k;
  }
  if (field instanceof BigIntField) {
    const k = bigValue(source, label, value);
    return (v) => v === k;
  }
  if (field instanceof AddressField) return addressEquality(source, field, label, value);
  if (field instanceof BytesField) {
    const k = bytesValue(source, label, value);
    return (v) => sameBytes(v as Uint8Array, k);
  }
  if (field instanceof StringField) {
    const k = value.text;
    return (v) => v === k;
  }
  // Other kinds (custom fields such as DNS names): compare what they read, as text or number.
  const k = value.text;
  return (v) => (typeof v === "string" ? v === k : typeof v === "number" ? v === Number(k) : String(field.json(v)) === k);
}

function addressEquality(source: string, field: AddressField, label: string, value: Literal): (v: unknown) => boolean {
  const slash = value.text.indexOf("/");
  if (slash >= 0 && field.kind !== "mac") {
    const size = field.kind === "ipv4" ? 4 : 16;
    const prefix = new Uint8Array(size);
    const bits = Number(value.text.slice(slash + 1));
    const ok = (field.kind === "ipv4" ? parseIPv4 : parseIPv6)(value.text.slice(0, slash), prefix, 0);
    if (!ok || !Number.isInteger(bits) || bits < 0 || bits > size * 8 || value.text.slice(slash + 1) === "") {
      throw new FilterError(source, value.column, `${label}: ${JSON.stringify(value.text)} is not an ${field.kind === "ipv4" ? "IPv4" : "IPv6"} prefix`);
    }
    const parse = field.kind === "ipv4" ? parseIPv4 : parseIPv6;
    const scratch = new Uint8Array(size);
    return (v) => {
      if (!parse(v as string, scratch, 0)) return false;
      for (let b = 0; b < bits; b += 8) {
        const take = Math.min(8, bits - b);
        const mask = (0xff << (8 - take)) & 0xff;
        if (((scratch[b >> 3]! ^ prefix[b >> 3]!) & mask) !== 0) return false;
      }
      return true;
    };
  }
  let k: string;
  try {
    k = field.normalize(value.text);
  } catch (e) {
    if (e instanceof RangeProblem) throw new FilterError(source, value.column, `${label}: ${JSON.stringify(value.text)} ${e.message}`);
    throw e;
  }
  return (v) => v === k;
}

function toNeedle(source: string, field: FieldImpl, label: string, value: Literal): (v: unknown) => boolean {
  if (field instanceof BytesField) {
    const k = bytesValue(source, label, value);
    return (v) => indexOfBytes(v as Uint8Array, k) >= 0;
  }
  if (field instanceof StringField) {
    const k = value.text;
    return (v) => (v as string).includes(k);
  }
  if (field instanceof IntField_ || field instanceof BigIntField || field instanceof AddressField) {
    throw new FilterError(source, value.column, `"contains" needs a bytes or string field; ${label} is ${field.kind}`);
  }
  const k = value.text;
  const kb = bytesValue(source, label, { ...value, quoted: true });
  return (v) => (typeof v === "string" ? v.includes(k) : v instanceof Uint8Array ? indexOfBytes(v, kb) >= 0 : String(field.json(v)).includes(k));
}
