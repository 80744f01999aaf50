/**
 * 802.1Q and 802.1ad tags: Scapy frames dissected and built again, binds both ways.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet, EtherType } from "./ethernet.js";
import { Dot1AD, Dot1Q } from "./dot1q.js";
import { IPv4 } from "./ipv4.js";
import { ICMP, ICMPEcho } from "./icmp.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const scapy = networkFrames("network-scapy");

test("a VLAN tag: pcp, dei, vid, type", () => {
  const p = dissect(scapy[0]!.data, Ethernet);
  assert.deepEqual(p.layer(Dot1Q)!.toObject(), { pcp: 5, dei: 1, vid: 100, type: EtherType.IPv4 });
  assert.equal(p.layer(Ethernet)!.type, EtherType.Dot1Q);
});

test("QinQ: an 802.1ad tag outside an 802.1Q tag, built byte for byte as Scapy does", () => {
  const p = dissect(scapy[1]!.data, Ethernet);
  assert.deepEqual(p.layer(Dot1AD)!.toObject(), { pcp: 3, dei: 0, vid: 200, type: EtherType.Dot1Q });
  assert.equal(p.layer(Dot1Q)!.vid, 300);
  const b = packet(Ethernet({ dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" }), Dot1AD({ pcp: 3, vid: 200 }), Dot1Q({ pcp: 1, vid: 300 }),
    IPv4({ src: "10.91.1.1", dst: "10.91.2.1" }), ICMP(), ICMPEcho({ id: 7, seq: 1 })).bytes();
  assert.equal(toHex(b), toHex(scapy[1]!.data));
});

test("vid out of range is refused when set", () => {
  assert.throws(() => Dot1Q({ vid: 4096 }), /Dot1Q\.vid/);
});

test("a tag cut short is an error and the rest stays Raw", () => {
  const p = dissect(scapy[0]!.data.subarray(0, 16), Ethernet);
  assert.ok(p.error);
  assert.equal(p.layers().length, 2);
});
