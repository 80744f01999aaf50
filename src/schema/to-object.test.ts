import { test } from "node:test";
import assert from "node:assert/strict";
import {
  packet, dissect, fuzz, Ethernet, Dot1Q, IPv4, IPv4Option, IPv6, IPv6HopByHop, TCP, TCPOption, UDP, ICMP, ARP,
  DNS, DNSQuestion, DNSRecord, DHCP, DHCPOption, NTP, VXLAN, GRE,
} from "../index.js";
import type { LayerBase } from "./layer.js";

// toObject() of a dissected layer nobody changed reads the bytes directly (generated fast path);
// every other layer reads its getters. Both must give what the getters give.

/** The fields as the getters read them: lists item by item, bytes copied. */
function viaGetters(l: LayerBase): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of l._d.fields) {
    const v = (l as unknown as Record<string, unknown>)[f.name];
    out[f.name] = Array.isArray(v) ? v.map((x) => (typeof x === "object" && x !== null && "_d" in x ? viaGetters(x as LayerBase) : x))
      : v instanceof Uint8Array ? new Uint8Array(v) : v;
  }
  return out;
}

const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
const stacks = [
  () => packet(Ethernet(), IPv4({ options: [IPv4Option({ type: 148, data: new Uint8Array([0, 0]) })] }), TCP({ options: [TCPOption({ kind: 2, mss: 1400 }), TCPOption({ kind: 1 }), TCPOption({ kind: 8, tsValue: 5, tsEchoReply: 6 }), TCPOption({ kind: 5, blocks: [{ left: 1, right: 9 }] })] }), "payload"),
  () => packet(Ethernet(), Dot1Q({ vid: 7 }), IPv4(), UDP({ dstPort: 53 }), DNS({ questions: [DNSQuestion({ name: "a.example.com" })], answers: [DNSRecord({ name: "a.example.com", type: 5, data: "b.example.com" }), DNSRecord({ name: "b.example.com", type: 1, data: "10.0.0.1" })] })),
  () => packet(Ethernet(), IPv6(), IPv6HopByHop(), UDP(), "x"),
  () => packet(Ethernet(), ARP()),
  () => packet(Ethernet(), IPv4(), ICMP(), "ping"),
  () => packet(Ethernet(), IPv4(), UDP({ srcPort: 68, dstPort: 67 }), DHCP({ options: [DHCPOption({ code: 53, data: new Uint8Array([1]) }), DHCPOption({ code: 255 })] })),
  () => packet(Ethernet(), IPv4(), UDP({ dstPort: 123 }), NTP()),
  () => packet(Ethernet(), IPv4(), UDP({ dstPort: 4789 }), VXLAN(), Ethernet(), IPv4(), TCP()),
  () => packet(Ethernet(), IPv4(), GRE(), IPv4(), UDP()),
];

test("toObject() of dissected layers equals the getters' values, for fuzzed packets of many protocols", () => {
  let layers = 0;
  for (const make of stacks) {
    for (const seed of seeds) {
      let bytes: Uint8Array;
      try { bytes = fuzz(make(), { seed }).bytes(); } catch { continue; } // some random values cannot be built
      const p = dissect(bytes, Ethernet);
      for (const l of p.layers() as unknown as LayerBase[]) {
        const fast = l.toObject();
        assert.deepEqual(fast, viaGetters(l), `${l._d.name}, seed ${seed}`);
        layers++;
      }
    }
  }
  assert.ok(layers > 600, `only ${layers} layers checked`);
});

test("toObject() of a changed dissected layer, and of a crafted one, shows the change; objects are detached", () => {
  const p = dissect(packet(Ethernet(), IPv4({ ttl: 9 }), TCP({ options: [TCPOption({ kind: 2, mss: 1000 })] }), "data").bytes(), Ethernet);
  const ip = p.layer(IPv4)!;
  const before = ip.toObject();
  assert.equal(before.ttl, 9);
  ip.ttl = 10;
  const after = ip.toObject();
  assert.equal(after.ttl, 10);
  assert.deepEqual({ ...after, ttl: 9 }, before);
  const tcp = p.layer(TCP)!;
  const o = tcp.toObject() as { options: { mss: number }[]; padding: Uint8Array };
  assert.equal(o.options[0]!.mss, 1000);
  o.options[0]!.mss = 1;
  assert.equal(tcp.options[0]!.mss, 1000, "the object is a copy");
  const raw = p.layers().at(-1)!;
  const data = raw.toObject().data as Uint8Array;
  data[0] = 0;
  assert.equal((raw as unknown as { data: Uint8Array }).data[0], "d".charCodeAt(0), "bytes are copied out");
});

test("toObject() of a list not yet read makes no item layers, and agrees with the list read before or after", () => {
  const opts = [TCPOption({ kind: 2, mss: 1460 }), TCPOption({ kind: 1 }), TCPOption({ kind: 5, blocks: [{ left: 1, right: 9 }, { left: 20, right: 30 }] }), TCPOption({ kind: 0 })];
  const bytes = packet(Ethernet(), IPv4(), TCP({ options: opts }), "x").bytes();
  const first = dissect(bytes, Ethernet).layer(TCP)!;
  const objectFirst = first.toObject();
  // The list is read afresh afterwards, as layers.
  const items = first.options;
  assert.equal(items.length, 4);
  assert.equal(items[2]!.blocks!.length, 2);
  const second = dissect(bytes, Ethernet).layer(TCP)!;
  second.options; // read first: toObject() maps the items already made
  assert.deepEqual(second.toObject(), objectFirst);
  assert.deepEqual((objectFirst.options as { blocks?: unknown[] }[])[2]!.blocks, [{ left: 1, right: 9 }, { left: 20, right: 30 }]);
  // Twice in a row gives equal, separate objects.
  const again = first.toObject();
  assert.deepEqual(again, objectFirst);
  assert.notEqual(again.options, objectFirst.options);
});
