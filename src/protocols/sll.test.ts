/**
 * Linux cooked captures (SLL and SLL2) from tcpdump -i any in the namespaces.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { SLL, SLL2 } from "./sll.js";
import { IPv4 } from "./ipv4.js";
import { ARP } from "./arp.js";
import { ICMPEcho } from "./icmp.js";
import { LinkType } from "../capture/record.js";
import { protocolForLinkType } from "../capture/link.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

test("link types 113 and 276 start with SLL and SLL2", () => {
  assert.equal(protocolForLinkType(LinkType.LINUX_SLL), SLL);
  assert.equal(protocolForLinkType(LinkType.LINUX_SLL2), SLL2);
});

test("SLL: an outgoing echo request", () => {
  const fr = networkFrames("network-sll").find((f) => dissect(f.data, SLL).layer(ICMPEcho) && dissect(f.data, SLL).layer(SLL)!.packetType === 4)!;
  const p = dissect(fr.data, SLL);
  const s = p.layer(SLL)!;
  assert.equal(s.packetType, 4);
  assert.equal(s.addressType, 1);
  assert.equal(s.addressLength, 6);
  assert.equal(toHex(s.address), "020000000a010000");
  assert.equal(s.protocol, 0x0800);
  assert.equal(p.layer(IPv4)!.dst, "10.91.2.1");
  assert.ok(p.layer(ICMPEcho));
  const rebuilt = packet(SLL({ packetType: "outgoing", address: s.address }), ...p.layers().slice(1)).bytes({ recompute: true });
  assert.equal(toHex(rebuilt), toHex(fr.data));
});

test("SLL2: interface index and an ARP reply", () => {
  const fr = networkFrames("network-sll2").find((f) => dissect(f.data, SLL2).layer(ARP)?.opcode === 2)!;
  const p = dissect(fr.data, SLL2);
  const s = p.layer(SLL2)!;
  assert.ok(s.interfaceIndex > 0);
  assert.equal(s.packetType, 0);
  assert.equal(s.protocol, 0x0806);
  assert.equal(p.layer(ARP)!.opcode, 2);
});

test("a cooked header cut short is an error, not a throw", () => {
  const fr = networkFrames("network-sll2")[0]!;
  for (let n = 0; n < 20; n++) assert.ok(dissect(fr.data.subarray(0, n), SLL2).error);
});
