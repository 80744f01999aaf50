/**
 * IPv4 options as a list: record route, timestamp, router alert, NOP/EOL, unknown kept raw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { IPv4OptionType, timestampEntries } from "./ipv4-options.js";
import { ICMP, ICMPEcho } from "./icmp.js";
import { UDP } from "./udp.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const scapy = networkFrames("network-scapy");
const ip = (i: number) => dissect(scapy[i]!.data, Ethernet).layer(IPv4)!;

test("record route: pointer and addresses; EOL padding after it", () => {
  const o = ip(8).options;
  assert.equal(o[0]!.type, IPv4OptionType.recordRoute);
  assert.equal(o[0]!.length, 15);
  assert.equal(o[0]!.pointer, 8);
  assert.deepEqual(o[0]!.addresses!.map((a) => a.address), ["10.0.0.1", "10.0.0.2", "0.0.0.0"]);
  assert.equal(o[0]!.data, undefined);
  assert.equal(o[1]!.type, IPv4OptionType.EOL);
});

test("timestamp: overflow, flag and entries (with and without addresses)", () => {
  const a = ip(9).options;
  assert.deepEqual(a.map((o) => o.type), [1, 68, 0, 0, 0]);
  assert.deepEqual([a[1]!.pointer, a[1]!.overflow, a[1]!.flag], [9, 0, 0]);
  assert.deepEqual(timestampEntries(a[1]!), [{ timestamp: 123456 }]);
  const b = ip(10).options[0]!;
  assert.deepEqual([b.pointer, b.overflow, b.flag], [13, 1, 1]);
  assert.deepEqual(timestampEntries(b), [{ address: "10.0.0.9", timestamp: 42 }, { address: "0.0.0.0", timestamp: 0 }]);
});

test("router alert and an unknown option kept raw", () => {
  const ra = ip(11).options;
  assert.deepEqual(ra.map((o) => o.type), [148, 1, 1, 1, 0]);
  assert.equal(ra[0]!.value, 0);
  const unknown = ip(12).options[0]!;
  assert.equal(unknown.type, 0x9e);
  assert.equal(toHex(unknown.data!), "01020304");
});

test("options built from values give Scapy's bytes, with IHL and padding computed", () => {
  const b = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" }),
    IPv4({ src: "10.91.1.1", dst: "10.91.2.1", options: [{ type: "recordRoute", pointer: 8, addresses: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }, { address: "0.0.0.0" }] }] }),
    ICMP(), ICMPEcho({ id: 1, seq: 1 })).bytes();
  assert.equal(toHex(b), toHex(scapy[8]!.data));
  const t = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" }),
    IPv4({ src: "10.91.1.1", dst: "10.91.2.1", options: [{ type: "routerAlert" }, { type: "NOP" }, { type: "NOP" }, { type: "NOP" }, { type: "EOL" }] }),
    UDP({ srcPort: 5, dstPort: 6 })).bytes();
  assert.equal(toHex(t), toHex(scapy[11]!.data));
});

test("an option whose length runs past the header is an error, not a throw", () => {
  const b = scapy[8]!.data.slice();
  b[14 + 21] = 200; // record route length
  const p = dissect(b, Ethernet);
  assert.ok(p.layer(Ethernet));
  assert.ok(p.error || p.layer(IPv4));
});

test("an option of length 1 (less than its own header) is malformed", () => {
  const b = scapy[12]!.data.slice();
  b[14 + 21] = 1;
  const p = dissect(b, Ethernet);
  assert.ok(p.error);
  assert.equal(p.layer(IPv4), undefined);
});
