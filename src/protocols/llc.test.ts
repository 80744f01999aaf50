/**
 * 802.3 length frames: Ethernet with a length, LLC, SNAP; trailing bytes after the length are Padding.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Dot3, Ethernet } from "./ethernet.js";
import { LLC } from "./llc.js";
import { SNAP } from "./snap.js";
import { IPv4 } from "./ipv4.js";
import { UDP } from "./udp.js";
import { Padding, Raw } from "./raw.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const scapy = networkFrames("network-scapy");

test("an STP frame (Scapy Dot3/LLC): length, LLC fields, the BPDU as Raw", () => {
  const p = dissect(scapy[3]!.data, Ethernet);
  const e = p.layer(Ethernet)!;
  assert.equal(e.type, 38);
  assert.deepEqual(p.layer(LLC)!.toObject(), { dsap: 0x42, ssap: 0x42, control: 3 });
  assert.equal(p.layer(Raw)!.data.length, 35);
  assert.equal(p.error, undefined);
});

test("LLC/SNAP with OUI 0 carries an EtherType: IPv4 and UDP follow", () => {
  const p = dissect(scapy[4]!.data, Ethernet);
  assert.deepEqual(p.layer(SNAP)!.toObject(), { oui: 0, code: 0x0800 });
  assert.equal(p.layer(UDP)!.dstPort, 2);
  // Built from values (the 802.3 length is given), byte for byte as Scapy built it.
  const b = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01", type: 36 }), LLC({ dsap: 0xaa, ssap: 0xaa }), SNAP({ code: 0x0800 }),
    IPv4({ src: "10.91.1.1", dst: "10.91.2.1" }), UDP({ srcPort: 1, dstPort: 2 })).bytes();
  assert.equal(toHex(b), toHex(scapy[4]!.data));
});

test("bytes after the 802.3 length are Padding, not LLC payload", () => {
  const frame = packet(Ethernet({ type: 6 }), LLC({ dsap: 0x42, ssap: 0x42 }), new Uint8Array([1, 2, 3])).bytes();
  const padded = new Uint8Array(60);
  padded.set(frame);
  const p = dissect(padded, Ethernet);
  assert.equal(p.layer(Raw)!.data.length, 3);
  assert.equal(p.layer(Padding)!.data.length, 60 - 14 - 6);
  assert.equal(p.truncated, false);
});

test("an 802.3 length past the end marks the frame truncated", () => {
  const p = dissect(scapy[3]!.data.subarray(0, 30), Ethernet);
  assert.ok(p.layer(LLC));
  assert.equal(p.truncated, true);
});

test("an LLC header cut short is a truncation error, not a throw", () => {
  const p = dissect(scapy[3]!.data.subarray(0, 15), Ethernet);
  assert.ok(p.error);
  assert.equal(p.layer(Raw)!.data.length, 1);
});

test("Dot3 builds an 802.3 frame with its length computed, as Scapy's Dot3 does", () => {
  const b = packet(Dot3({ dst: "01:80:c2:00:00:00", src: "02:00:00:00:0a:01" }), LLC({ dsap: 0x42, ssap: 0x42 }), new Uint8Array(35)).bytes();
  assert.equal(toHex(b), toHex(scapy[3]!.data));
  assert.equal(dissect(b, Dot3).layer(Dot3)!.length, 38);
  assert.equal(dissect(b, Ethernet).layer(Ethernet)!.type, 38);
});
