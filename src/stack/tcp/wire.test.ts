/**
 * The segment writer against the `TCP` protocol definition: the same bytes, checksum included,
 * for every option layout the engine sends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packet } from "../../packet/packet.js";
import { IPv4 } from "../../protocols/ipv4.js";
import { TCP } from "../../protocols/tcp.js";
import { Raw } from "../../protocols/raw.js";
import { buildOptions, optionsLength, type OptionsToSend } from "./options.js";
import { writeSegment } from "./wire.js";

const layouts: OptionsToSend[] = [
  {},
  { mss: 1460 },
  { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: { value: 0xdeadbeef, echoReply: 0 } },
  { mss: 536, sackPermitted: true },
  { mss: 1460, timestamps: { value: 1, echoReply: 2 }, windowScale: 0 },
  { timestamps: { value: 123456, echoReply: 654321 } },
  { timestamps: { value: 5, echoReply: 6 }, sack: [[100, 200], [300, 400], [500, 600], [700, 800]] },
  { sack: [[0xfffffff0, 0x10], [300, 400], [500, 600], [700, 800]] },
];

test("writeSegment writes what packet(IPv4, TCP, Raw) builds, checksum included", () => {
  const pseudo = (0x0a00 + 0x0001) + (0x0a00 + 0x0002);
  for (const [i, o] of layouts.entries()) {
    for (const data of [undefined, new Uint8Array([1, 2, 3]), new Uint8Array(1448).fill(i)]) {
      const fields = { srcPort: 49152 + i, dstPort: 80, seq: 0xfffffff0 + i, ack: 12345, flags: 0x18, window: 1000 + i };
      const ours = writeSegment({ ...fields, options: o, data }, pseudo);
      const layers = [IPv4({ src: "10.0.0.1", dst: "10.0.0.2", protocol: 6 }), TCP({ ...fields, seq: fields.seq >>> 0, options: buildOptions(o) })];
      const theirs = (data === undefined ? packet(...layers) : packet(...layers, Raw({ data }))).bytes().subarray(20);
      assert.deepEqual(Buffer.from(ours).toString("hex"), Buffer.from(theirs).toString("hex"), `layout ${i}, ${data?.length ?? 0} bytes`);
      assert.equal(ours.length, 20 + optionsLength(o) + (data?.length ?? 0));
    }
  }
});
