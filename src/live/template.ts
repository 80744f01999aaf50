/**
 * Templates (Scapy's packet sets): a layer whose fields take several values, and `sweep()`,
 * which yields one packet per combination. Field types take single values, so a template is its
 * own small object: `template(TCP, { dstPort: [22, 80, 443] })`. Address fields also accept a
 * CIDR block (`"10.0.0.0/30"`, every address in it) and `range(a, b)` makes number lists.
 */
import { FieldRangeError } from "../errors.js";
import { packet, type LayerInput, type Packet } from "../packet/packet.js";
import type { AnyLayer, AnyProtocol, InferInit } from "../schema/protocol.js";

/** Values a template field may take: one value, a list, or (addresses) a CIDR block. */
export type TemplateValues<P> = { [K in keyof InferInit<P>]?: InferInit<P>[K] | readonly InferInit<P>[K][] };

/** A layer with fields of several values. */
export interface LayerTemplate {
  readonly kind: "template";
  readonly proto: AnyProtocol;
  readonly values: Readonly<Record<string, unknown>>;
  /** Return how many layers the template stands for. */
  readonly size: number;
}

/** Make a layer template: a field given an array takes each of its values in turn. */
export function template<P extends AnyProtocol>(proto: P, values: TemplateValues<P>): LayerTemplate {
  const expanded: Record<string, unknown[]> = {};
  let size = 1;
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    const info = proto.fields.find((f) => f.name === name);
    let list: unknown[];
    if (Array.isArray(value)) list = value;
    else if (typeof value === "string" && value.includes("/") && (info?.kind === "ipv4" || info?.kind === "ipv6")) list = cidr(value);
    else list = [value];
    if (list.length === 0) throw new FieldRangeError(proto.name, name, value, "a template field needs at least one value");
    expanded[name] = list;
    size *= list.length;
  }
  return { kind: "template", proto, values: expanded, size };
}

/** A layer given to `sweep()`: a plain layer, bytes, or a template. */
export type SweepInput = LayerInput | LayerTemplate;

const isTemplate = (x: unknown): x is LayerTemplate => typeof x === "object" && x !== null && (x as LayerTemplate).kind === "template";

/** Return how many packets `sweep()` yields. */
export function sweepSize(...layers: SweepInput[]): number {
  return layers.reduce((n, l) => n * (isTemplate(l) ? l.size : 1), 1);
}

/** Yield one packet per combination of the templates' values (the last layer varies fastest). */
export function* sweep(...layers: SweepInput[]): Generator<Packet> {
  const axes: { layer: number; field: string; values: unknown[] }[] = [];
  layers.forEach((l, i) => {
    if (isTemplate(l)) for (const [field, values] of Object.entries(l.values)) axes.push({ layer: i, field, values: values as unknown[] });
  });
  const index = new Array<number>(axes.length).fill(0);
  for (;;) {
    const built = layers.map((l, i) => {
      if (isTemplate(l)) {
        const values: Record<string, unknown> = {};
        axes.forEach((a, n) => a.layer === i && (values[a.field] = a.values[index[n]!]));
        return (l.proto as unknown as (v: object) => AnyLayer)(values);
      }
      return typeof l === "string" || l instanceof Uint8Array ? l : copyLayer(l);
    });
    yield packet(...built);
    let n = axes.length - 1;
    while (n >= 0 && ++index[n]! === axes[n]!.values.length) index[n--] = 0;
    if (n < 0) return;
  }
}

/** A fresh layer with the values the user set (computed fields stay computed). */
function copyLayer(layer: AnyLayer): AnyLayer {
  const values: Record<string, unknown> = {};
  const all = layer.toObject();
  for (const f of layer.proto.fields) if (layer.isSet(f.name)) values[f.name] = all[f.name];
  return (layer.proto as unknown as (v: object) => AnyLayer)(values);
}

/** Return the numbers from `first` to `last`, both included. */
export function range(first: number, last: number): number[] {
  if (!Number.isInteger(first) || !Number.isInteger(last) || last < first || last - first > 1 << 24) {
    throw new RangeError(`range(${first}, ${last}): integers, first <= last, at most 2^24 values`);
  }
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Return every address of a CIDR block, network and broadcast included (at most 2^16). */
export function cidr(block: string): string[] {
  const [base, bitsText] = block.split("/");
  const bits = Number(bitsText);
  if (base!.includes(":")) {
    if (!(bits >= 112 && bits <= 128)) throw new RangeError(`${block}: an IPv6 block here is /112 to /128`);
    const groups = expand6(base!);
    const count = 2 ** (128 - bits);
    const last = groups[7]! & ~(count - 1) & 0xffff;
    return Array.from({ length: count }, (_, i) => [...groups.slice(0, 7), last + i].map((g) => g.toString(16)).join(":"))
      .map(compress6);
  }
  const parts = base!.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)) || !(bits >= 16 && bits <= 32)) {
    throw new RangeError(`${block}: an IPv4 block here is a.b.c.d/16 to /32`);
  }
  const start = ((((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0)) >>> 0;
  return Array.from({ length: 2 ** (32 - bits) }, (_, i) => {
    const v = (start + i) >>> 0;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  });
}

function expand6(address: string): number[] {
  const [head, tail] = address.split("::");
  const a = head ? head.split(":") : [];
  const b = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : new Array(8 - a.length - b.length).fill("0");
  return [...a, ...fill, ...b].map((g) => Number.parseInt(g, 16));
}

function compress6(address: string): string {
  return address.replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:::+/, "::");
}
