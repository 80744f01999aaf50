/**
 * ARP: real request and reply from the namespace capture, built again from values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { ARP } from "./arp.js";
import { Raw } from "./raw.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const eth = networkFrames("network-eth");
const request = eth.find((f) => dissect(f.data, Ethernet).layer(ARP)?.opcode === 1)!;

test("a real ARP request: every field", () => {
  const a = dissect(request.data, Ethernet).layer(ARP)!;
  assert.deepEqual(a.toObject(), {
    hwType: 1, protoType: 0x0800, hwLen: 6, protoLen: 4, opcode: 1,
    senderMac: "02:00:00:00:0a:01", senderIp: "10.91.1.1", targetMac: "00:00:00:00:00:00", targetIp: "10.91.1.254",
  });
});

test("built from values with the type filled by the bind, byte for byte", () => {
  const b = packet(Ethernet({ src: "02:00:00:00:0a:01" }), ARP({ opcode: "request", senderMac: "02:00:00:00:0a:01", senderIp: "10.91.1.1", targetIp: "10.91.1.254" })).bytes();
  assert.equal(toHex(b), toHex(request.data.subarray(0, 42)));
});

test("a 60-byte padded ARP frame: ARP has no length, so the 18 filler bytes follow as Raw", () => {
  const b = new Uint8Array(60);
  b.set(request.data.subarray(0, 42));
  const p = dissect(b, Ethernet);
  assert.equal(p.layer(ARP)!.targetIp, "10.91.1.254");
  assert.equal(p.layer(Raw)!.data.length, 18);
  assert.equal(p.error, undefined);
});
