import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSkip } from "./skip.js";
import { compileLayout } from "./layout.js";
import { defOf } from "./protocol.js";
import { TCPOption, TCPSackBlock } from "../protocols/tcp.js";
import { IPv4Option } from "../protocols/ipv4-options.js";
import { seededRandom } from "../packet/fuzz.js";

test("skip functions exist for TCP options and SACK blocks; not where the layout needs more (IPv4 options' bit fields)", () => {
  assert.notEqual(compileSkip(defOf(TCPOption)), undefined);
  assert.notEqual(compileSkip(defOf(TCPSackBlock)), undefined);
  assert.equal(compileSkip(defOf(IPv4Option)), undefined);
});

// Where a skip function gives a size, laying the item out must agree: no error, the same end.
for (const proto of [TCPOption, TCPSackBlock]) {
  const def = defOf(proto);
  test(`${def.name}: the skip function agrees with the layout wherever it answers`, () => {
    const skip = compileSkip(def)!;
    const layout = compileLayout(def);
    const probe = new def.Layer();
    const rnd = seededRandom(7);
    const kinds = [0, 1, 2, 3, 4, 5, 8, 30, 68, 130, 148, 255];
    let answered = 0;
    for (let n = 0; n < 20000; n++) {
      const len = 1 + Math.floor(rnd() * 16);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
      b[0] = kinds[Math.floor(rnd() * kinds.length)]!;
      if (len > 1 && rnd() < 0.7) b[1] = Math.floor(rnd() * (len + 3));
      const size: number = skip(b, 0, len);
      if (size < 0) continue;
      answered++;
      const err = layout(probe, b, 0, len, 0);
      assert.equal(err, undefined, `${def.name} ${Buffer.from(b).toString("hex")}: skip says ${size}, layout fails`);
      assert.equal(probe._h, size, `${def.name} ${Buffer.from(b).toString("hex")}`);
    }
    assert.ok(answered > 2000, `answered only ${answered} of 20000`);
  });
}
