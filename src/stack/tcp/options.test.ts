/**
 * The receive fast path for options (readOptions) against the `TCP` definition's option list
 * (parseOptions): every layout the engine sends, Linux's SYN, random well-formed lists; random
 * bytes never make it throw or read past the header.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../../packet/packet.js";
import { TCP } from "../../protocols/tcp.js";
import { seededRandom } from "../../packet/fuzz.js";
import { buildOptions, parseOptions, readOptions, type OptionsToSend } from "./options.js";

function both(optionBytes: Uint8Array): void {
  const header = packet(TCP({ srcPort: 1, dstPort: 2 })).bytes();
  const bytes = new Uint8Array(20 + optionBytes.length);
  bytes.set(header.subarray(0, 20));
  bytes.set(optionBytes, 20);
  bytes[12] = ((bytes.length / 4) << 4) | (bytes[12]! & 0x0f);
  const t = dissect(bytes, TCP).layer(TCP)!;
  const fast = readOptions(bytes, 20, bytes.length);
  const slow = parseOptions(t, bytes.length);
  assert.deepEqual(fast, slow, Buffer.from(optionBytes).toString("hex"));
}

test("readOptions reads what parseOptions reads through the TCP definition", () => {
  const layouts: OptionsToSend[] = [
    { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: { value: 0xdeadbeef, echoReply: 1 } },
    { timestamps: { value: 5, echoReply: 6 }, sack: [[100, 200], [300, 400], [500, 600]] },
    { sack: [[0xfffffff0, 0x10]] },
    { mss: 536 },
  ];
  for (const o of layouts) {
    const b = packet(TCP({ options: buildOptions(o) })).bytes();
    both(b.subarray(20));
  }
  // Linux's SYN: mss 1460, sackOK, TS, nop, wscale 7.
  both(Buffer.from("020405b40402080a0001e2400000000001030307", "hex"));
});

test("readOptions and parseOptions agree on random well-formed option lists", () => {
  const r = seededRandom(9);
  for (let n = 0; n < 500; n++) {
    const parts: number[] = [];
    const count = Math.floor(r() * 5);
    for (let i = 0; i < count; i++) {
      const pick = Math.floor(r() * 6);
      const word = (): number[] => [0, 1, 2, 3].map(() => Math.floor(r() * 256));
      if (pick === 0) parts.push(1);
      else if (pick === 1) parts.push(2, 4, ...word().slice(0, 2));
      else if (pick === 2) parts.push(3, 3, Math.floor(r() * 20));
      else if (pick === 3) parts.push(4, 2);
      else if (pick === 4) parts.push(8, 10, ...word(), ...word());
      else parts.push(5, 10, ...word(), ...word());
    }
    while (parts.length % 4 !== 0) parts.push(0);
    if (parts.length > 40) continue;
    both(Uint8Array.from(parts));
  }
});

test("readOptions never throws on random bytes and stops at a malformed option", () => {
  const r = seededRandom(10);
  for (let n = 0; n < 2000; n++) {
    const len = Math.floor(r() * 41);
    const b = Uint8Array.from({ length: len + 8 }, () => Math.floor(r() * 256));
    const o = readOptions(b, 4, 4 + len);
    if (o.sack !== undefined) for (const [left, right] of o.sack) assert.ok(left >= 0 && right >= 0);
  }
  // A length running past the end: nothing after it is read, what came before is kept.
  assert.deepEqual(readOptions(Uint8Array.from([2, 4, 5, 0xb4, 8, 10, 0, 0]), 0, 8).mss, 0x5b4);
  assert.equal(readOptions(Uint8Array.from([2, 4, 5, 0xb4, 8, 10, 0, 0]), 0, 8).tsValue, undefined);
});
