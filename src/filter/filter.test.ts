import { test } from "node:test";
import assert from "node:assert/strict";
import * as api from "../index.js";
import { dissect, Ethernet, IPv4, IPv6, packet, UDP, Raw } from "../index.js";
import * as tcp from "../protocols/tcp.js";
import { compileFilter, FilterError, parseFilter, protocolsIn } from "./index.js";

const protocols = protocolsIn(api, tcp);
const udp4 = dissect(packet(Ethernet({ src: "02:00:00:00:00:01" }), IPv4({ src: "10.0.0.1", dst: "10.0.0.2", ttl: 7 }), UDP({ srcPort: 5000, dstPort: 53 }), "hello world").bytes(), Ethernet);
const udp6 = dissect(packet(Ethernet(), IPv6({ src: "fe80::1", dst: "2001:db8::2" }), UDP({ srcPort: 5353, dstPort: 5353 })).bytes(), Ethernet);
const tunnel = dissect(packet(Ethernet(), IPv4({ src: "192.0.2.1", dst: "192.0.2.2" }), IPv4({ src: "10.9.9.9", dst: "10.0.0.2" }), UDP({ dstPort: 9 })).bytes(), Ethernet);
const rawOnly = dissect(new Uint8Array([1, 2, 3]), Raw);

function matches(expr: string): string[] {
  const f = compileFilter(expr, protocols);
  const named = { udp4, udp6, tunnel, rawOnly } as const;
  return Object.entries(named).filter(([, p]) => f(p)).map(([k]) => k);
}

test("protocol names, case-insensitive, with aliases", () => {
  assert.deepEqual(matches("udp"), ["udp4", "udp6", "tunnel"]);
  assert.deepEqual(matches("IP"), ["udp4", "tunnel"]);
  assert.deepEqual(matches("ipv6"), ["udp6"]);
  assert.deepEqual(matches("eth && !ip"), ["udp6"]);
  assert.deepEqual(matches("!eth"), ["rawOnly"]);
});

test("comparisons on integers, enum names and flags", () => {
  assert.deepEqual(matches("udp.dstPort == 53"), ["udp4"]);
  assert.deepEqual(matches("udp.dstPort in {53, 5353}"), ["udp4", "udp6"]);
  assert.deepEqual(matches("udp.dstPort in {53 5353}"), ["udp4", "udp6"]);
  assert.deepEqual(matches("ip.ttl < 8"), ["udp4"]);
  assert.deepEqual(matches("ip.ttl >= 8"), ["tunnel"]);
  assert.deepEqual(matches("ip.ttl <= 7 || ipv6.hopLimit > 63"), ["udp4", "udp6"]);
  assert.deepEqual(matches("ip.protocol == UDP"), ["udp4", "tunnel"]);
  assert.deepEqual(matches("ip.flags & DF"), []);
  assert.deepEqual(matches("ip.flags == 0"), ["udp4", "tunnel"]);
  assert.deepEqual(matches("udp.dstPort eq 0x35"), ["udp4"]);
});

test("addresses: equality, prefixes, tunnels (any layer), != needs the field", () => {
  assert.deepEqual(matches("ip.dst == 10.0.0.2"), ["udp4", "tunnel"]);
  assert.deepEqual(matches("ip.src == 10.9.9.9"), ["tunnel"]);
  assert.deepEqual(matches("ip.src == 10.0.0.0/8"), ["udp4", "tunnel"]);
  assert.deepEqual(matches("ipv6.dst == 2001:DB8:0::2"), ["udp6"]);
  assert.deepEqual(matches("ipv6.src == fe80::/10"), ["udp6"]);
  assert.deepEqual(matches("eth.src == 02:00:00:00:00:01"), ["udp4"]);
  assert.deepEqual(matches("ip.src != 10.0.0.1"), ["tunnel"]);
  assert.deepEqual(matches("tcp && ip.dst == 10.0.0.2"), []);
});

test("bytes: contains and equality, as text or hex", () => {
  assert.deepEqual(matches('raw.data contains "world"'), ["udp4"]);
  assert.deepEqual(matches("raw.data contains 6c:6c:6f"), ["udp4"]);
  assert.deepEqual(matches("raw.data == 010203"), ["rawOnly"]);
  assert.deepEqual(matches("raw"), ["udp4", "rawOnly"]);
});

test("parentheses, and/or/not words, precedence (&& binds tighter than ||)", () => {
  assert.deepEqual(matches("ipv6 || ip && ip.ttl == 7"), ["udp4", "udp6"]);
  assert.deepEqual(matches("(ipv6 || ip) && udp.dstPort == 9"), ["tunnel"]);
  assert.deepEqual(matches("not (udp and ip) or raw"), ["udp4", "udp6", "rawOnly"]);
});

test("frame pseudo-protocol", () => {
  const f = compileFilter("frame.number > 2 && frame.length >= 60", protocols);
  assert.equal(f(udp4, { number: 3, length: 60, capturedLength: 60 }), true);
  assert.equal(f(udp4, { number: 2, length: 60, capturedLength: 60 }), false);
  assert.equal(f(udp4), false);
});

function errorAt(expr: string, column: number, pattern: RegExp): void {
  assert.throws(() => compileFilter(expr, protocols), (e: unknown) => {
    assert.ok(e instanceof FilterError && e instanceof api.WirecraftError, String(e));
    assert.equal(e.code, "ERR_FILTER");
    assert.equal(e.column, column, e.message);
    assert.match(e.reason, pattern);
    return true;
  });
}

test("errors name the column", () => {
  errorAt("", 1, /empty/);
  errorAt("udp &&", 7, /expected a protocol/);
  errorAt("udp.dstPort = 53", 13, /use "=="/);
  errorAt("tpc", 1, /unknown protocol "tpc"/);
  errorAt("udp.dport == 53", 5, /UDP has no field "dport"/);
  errorAt("udp.dstPort == 70000", 16, /within 0\.\.65535/);
  errorAt("ip.dst == 10.0.0.300", 11, /not a valid IPv4/);
  errorAt("ip.dst < 10.0.0.3", 10, /compares only with/);
  errorAt("(udp || ip", 11, /expected "\)"/);
  errorAt("udp udp", 5, /expected "&&"/);
  errorAt("udp.dstPort in {53,", 20, /expected a value/);
  errorAt('raw.data contains "x', 19, /unterminated/);
  errorAt("udp == 3", 1, /is a protocol/);
  errorAt("udp.dstPort contains 3", 22, /needs a bytes or string/);
  errorAt("udp.dstPort # 3", 13, /unexpected character/);
});

test("the parse tree", () => {
  assert.deepEqual(parseFilter("!a.b"), { kind: "not", operand: { kind: "exists", ref: { protocol: "a", path: ["b"], column: 2 } } });
  const e = new FilterError("ab", 2, "x");
  assert.equal(e.pointer(), "ab\n ^");
});
