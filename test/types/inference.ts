// Type tests: checked by `tsc -p test/types` (part of `npm test`). Every @ts-expect-error line
// must be an error, or the compiler fails the run.
import {
  defineProtocol, field, packet, dissect, bind, Ethernet, IPv4, UDP,
  type Infer, type InferInit, type LayerOf,
} from "../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<T extends true>(): T | undefined { return undefined; }

const Disney = defineProtocol("Disney", {
  mickey: field.uint16({ default: 2 }),
  minnie: field.uint8({ default: 3, hex: true }),
  donald: field.uint32({ default: 1, enum: { 1: "pizza", 2: "burger", 3: "sushi" } }),
});

// Reading: every field present with its value type.
expectType<Equal<Infer<typeof Disney>, { mickey: number; minnie: number; donald: number }>>();
// Building: defaulted fields optional; enums take names or numbers.
expectType<Equal<InferInit<typeof Disney>, { mickey?: number; minnie?: number; donald?: number | "pizza" | "burger" | "sushi" }>>();

const d = Disney({ donald: "sushi" });
const m: number = d.mickey;
void m;
Disney({ donald: 3 });
// @ts-expect-error: not one of the enum's names
Disney({ donald: "pasta" });
// @ts-expect-error: no such field
Disney({ goofy: 1 });
// @ts-expect-error: wrong value type
Disney({ mickey: "two" });
// @ts-expect-error: fields are numbers when read
const wrong: string = d.minnie;
void wrong;

// Required fields must be given; conditional fields may be absent when read.
const Tlv = defineProtocol("Tlv", {
  kind: field.uint8({ required: true }),
  length: field.uint8({ lengthOf: "header", when: "kind > 1" }),
  data: field.bytes({ when: "kind > 1" }),
});
expectType<Equal<Infer<typeof Tlv>, { kind: number; length: number | undefined; data: Uint8Array | undefined }>>();
// @ts-expect-error: kind is required
Tlv({});
Tlv({ kind: 2, data: "ab" });

// Every field kind has its value type.
const Kinds = defineProtocol("Kinds", {
  a: field.uint64(),
  b: field.int16({ endian: "little" }),
  c: field.bits(4, { flags: ["x", "y", "z", "w"] }),
  c2: field.bits(4),
  e: field.mac(),
  f: field.ipv4(),
  g: field.ipv6(),
  h: field.string({ prefix: 1 }),
  i: field.bytes(4),
  n: field.uint8({ countOf: "items" }),
  items: field.list(Tlv, { count: "n" }),
});
type K = Infer<typeof Kinds>;
expectType<Equal<K["a"], bigint>>();
expectType<Equal<K["e"], string>>();
expectType<Equal<K["h"], string>>();
expectType<Equal<K["i"], Uint8Array>>();
expectType<Equal<K["items"], LayerOf<typeof Tlv>[]>>();
Kinds({ a: 5n, c: "xy", items: [{ kind: 1 }, Tlv({ kind: 0 })] });
Kinds({ c: ["x", "z"] });
// @ts-expect-error: a flag name not declared
Kinds({ c: ["q"] });
// @ts-expect-error: list items must be Tlv values
Kinds({ items: [{ kind: "one" }] });

// Packets: layer() returns the typed layer or undefined.
const p = packet(Ethernet(), IPv4({ dst: "10.0.0.2" }), UDP({ dstPort: 53 }));
const udp = p.layer(UDP);
const port: number | undefined = udp?.dstPort;
void port;
// @ts-expect-error: may be undefined
const bad: number = p.layer(UDP).dstPort;
void bad;
const ips = dissect(p.bytes(), Ethernet).layers(IPv4);
const src: string | undefined = ips[0]?.src;
void src;
// @ts-expect-error: IPv4 has no srcPort
void ips[0]?.srcPort;

// bind() takes the lower protocol's field names and value types.
bind(UDP, Disney, { dstPort: 14006 });
// @ts-expect-error: UDP has no field "port"
bind(UDP, Disney, { port: 14006 });
// @ts-expect-error: IPv4.protocol takes numbers or protocol names
bind(IPv4, UDP, { protocol: "udp" });

// Editing fields keeps types.
const ip = IPv4({ flags: "DF", protocol: "UDP" });
ip.ttl = 3;
// @ts-expect-error: ttl is a number
ip.ttl = "3";
ip.set({ protocol: "TCP", flags: ["MF"] });

// Templates take the protocol's own field types, one value or a list of them.
import { template, TCP } from "../../src/index.js";
template(TCP, { dstPort: [22, 80, 443], flags: "S" });
// @ts-expect-error: ports are numbers
template(TCP, { dstPort: ["http"] });
// @ts-expect-error: TCP has no field "port"
template(TCP, { port: 80 });
