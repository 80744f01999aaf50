// The Scapy-article seed: ESCP bit fields over IPv6/UDP/1337, checked against bytes Scapy built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ESCP, escpPackets } from "./escp.js";
import { dissect, IPv6, toHex, UDP } from "../src/index.js";

// Scapy 2.5: bytes(IPv6(dst="::1")/UDP(sport=40000+i, dport=1337)/ESCP(cmd=i)) for i = 0, 1, 2,
// with the article's class (BitField sync=0b10101:5, ver=0b0011:4, flags:2, cmd=0b00010:5,
// StrFixedLenField msg 62 bytes "Never gonna let you down" padded with NULs).
const MSG = "4e6576657220676f6e6e61206c657420796f7520646f776e" + "00".repeat(38);
const HEADER = "60000000004811400000000000000000000000000000000100000000000000000000000000000001";
const SCAPY = [
  HEADER + "9c40053900489b85" + "a980" + MSG,
  HEADER + "9c41053900489b83" + "a981" + MSG,
  HEADER + "9c42053900489b81" + "a982" + MSG,
];

test("ESCP packets are byte-for-byte what Scapy builds", () => {
  const packets = escpPackets();
  assert.equal(packets.length, 3);
  packets.forEach((p, i) => assert.equal(toHex(p.bytes()), SCAPY[i], `packet ${i}`));
});

test("ESCP dissects from UDP port 1337 with every bit field in place", () => {
  escpPackets().forEach((p, i) => {
    const q = dissect(p.bytes(), IPv6);
    assert.equal(q.layer(UDP)!.srcPort, 40000 + i);
    const e = q.layer(ESCP)!;
    assert.deepEqual([e.sync, e.ver, e.flags, e.cmd], [0b10101, 0b0011, 0, i]);
    assert.equal(new TextDecoder().decode(e.msg).replace(/\0+$/, ""), "Never gonna let you down");
    assert.ok(q.verifyChecksums().every((c) => c.ok));
  });
});

test("ESCP bit fields reject values wider than the field", () => {
  assert.throws(() => ESCP({ cmd: 32 }), /ESCP\.cmd: must be within 0\.\.31/);
  assert.throws(() => ESCP({ msg: new Uint8Array(63) }), /ESCP\.msg: is 62 byte\(s\) long/);
});
