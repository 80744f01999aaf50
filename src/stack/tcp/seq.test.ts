import { test } from "node:test";
import assert from "node:assert/strict";
import { seqAdd, seqDiff, seqGeq, seqGt, seqInRange, seqLeq, seqLt, seqMax, seqMin } from "./seq.js";

test("sequence numbers compare across the 2^32 wrap", () => {
  const top = 0xfffffff0;
  const wrapped = seqAdd(top, 0x20);
  assert.equal(wrapped, 0x10);
  assert.ok(seqLt(top, wrapped));
  assert.ok(seqGt(wrapped, top));
  assert.ok(seqLeq(top, top) && seqGeq(top, top));
  assert.equal(seqDiff(wrapped, top), 0x20);
  assert.equal(seqDiff(top, wrapped), -0x20);
  assert.equal(seqMax(top, wrapped), wrapped);
  assert.equal(seqMin(top, wrapped), top);
  assert.ok(seqInRange(0xffffffff, top, wrapped));
  assert.ok(seqInRange(0x0f, top, wrapped));
  assert.ok(!seqInRange(0x10, top, wrapped));
  assert.ok(!seqInRange(5, 5, 5));
  // Half the space apart: the later is the one 2^31 - 1 ahead.
  assert.ok(seqLt(0, 0x7fffffff));
  assert.ok(seqGt(0, 0x80000001));
});
