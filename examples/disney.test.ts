// The kifurushi seed: a Disney client and server exchanging packets over UDP on loopback 14006.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { askDisney, Disney, DISNEY_PORT, startDisneyServer } from "./disney.js";
import { describe as describeProtocol, packet, toHex } from "../src/index.js";

test("Disney defaults encode as the article's field widths: 00 02 | 03 | 00 00 00 01", () => {
  assert.equal(toHex(packet(Disney()).bytes()), "0002" + "03" + "00000001");
});

test("Disney: enum names in, numbers out; minnie shown in hex", () => {
  const d = Disney({ donald: "burger", minnie: 0xab });
  assert.equal(d.donald, 2);
  assert.match(d.show(), /minnie = 0xab/);
  assert.match(d.show(), /donald = burger \(2\)/);
  assert.match(describeProtocol(Disney), /donald\s+uint32\s+32 bits\s+pizza \(1\)/);
});

test("Disney client and server over UDP on 127.0.0.1:14006", async () => {
  const server = await startDisneyServer(DISNEY_PORT);
  try {
    const reply = await askDisney(21, DISNEY_PORT);
    assert.deepEqual(reply, { mickey: 42, minnie: 3, donald: 3 });
    const again = await askDisney(0x9000, DISNEY_PORT);
    assert.equal(again.mickey, 0x2000, "mickey doubled modulo 2^16");
  } finally {
    server.close();
    await once(server, "close");
  }
});

test("Disney.parse rejects a short packet with a typed error naming the field", () => {
  assert.throws(() => Disney.parse(new Uint8Array([0, 2, 3, 0])), (e: Error & { code?: string; field?: string }) => {
    assert.equal(e.code, "ERR_TRUNCATED");
    assert.equal(e.field, "donald");
    return true;
  });
});
