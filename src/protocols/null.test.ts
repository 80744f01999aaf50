/**
 * BSD loopback headers: the family's byte order detected as Wireshark does (link type 0), network
 * order for link type 108; raw IP (link type 101) starts with IPv4 or IPv6 by the version nibble.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Loop, Null, NullLink } from "./null.js";
import { RawIP } from "./raw-ip.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { Raw } from "./raw.js";
import { LinkType } from "../capture/record.js";
import { protocolForLinkType } from "../capture/link.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const nul = networkFrames("network-null");

test("link type 0: little- and big-endian families both read right", () => {
  assert.equal(protocolForLinkType(LinkType.NULL), NullLink);
  const kinds = nul.map((f) => dissect(f.data, NullLink).layers()[0]!);
  assert.deepEqual(kinds.map((l) => l.proto.name), ["Null", "Loop", "Null", "Loop"]);
  assert.deepEqual(kinds.map((l) => (l as unknown as { family: number }).family), [2, 2, 30, 24]);
  assert.ok(dissect(nul[2]!.data, NullLink).layer(IPv6));
});

test("Null and Loop build the family in their byte order; binds fill it", () => {
  const ip = nul[0]!.data.subarray(4);
  const v4 = dissect(ip, IPv4).layers();
  assert.equal(toHex(packet(Null(), ...v4).bytes().subarray(0, 4)), "02000000");
  assert.equal(toHex(packet(Loop(), ...v4).bytes().subarray(0, 4)), "00000002");
  assert.equal(toHex(packet(Loop(), IPv6()).bytes().subarray(0, 4)), "00000018");
});

test("raw IP: the first layer is IPv4 or IPv6 itself, no selector layer", () => {
  assert.equal(protocolForLinkType(LinkType.RAW), RawIP);
  const raw = networkFrames("network-raw");
  assert.equal(dissect(raw[0]!.data, RawIP).layers()[0]!.proto, IPv4);
  assert.equal(dissect(raw[1]!.data, RawIP).layers()[0]!.proto, IPv6);
  const junk = dissect(new Uint8Array([0x50, 1, 2]), RawIP);
  assert.equal(junk.layers()[0]!.proto, Raw);
  assert.ok(dissect(new Uint8Array(0), RawIP).layers().every((l) => l.proto === Raw));
});
