import { test } from "node:test";
import assert from "node:assert/strict";
import { LinkType, formatTime, parseTime } from "./record.js";

test("formatTime prints seconds with nine decimals", () => {
  assert.equal(formatTime(1700000000123456789n), "1700000000.123456789");
  assert.equal(formatTime(1700000000000001000n), "1700000000.000001000");
  assert.equal(formatTime(0n), "0.000000000");
  assert.equal(formatTime(-1500000000n), "-1.500000000");
});

test("parseTime reads decimal seconds back to nanoseconds", () => {
  assert.equal(parseTime("1700000000.123456789"), 1700000000123456789n);
  assert.equal(parseTime("1700000000.123456"), 1700000000123456000n);
  assert.equal(parseTime("1700000000"), 1700000000000000000n);
  assert.equal(parseTime("-1.5"), -1500000000n);
  assert.throws(() => parseTime("soon"), SyntaxError);
});

test("LinkType carries the registry numbers", () => {
  assert.equal(LinkType.ETHERNET, 1);
  assert.equal(LinkType.RAW, 101);
  assert.equal(LinkType.LINUX_SLL, 113);
  assert.equal(LinkType.LINUX_SLL2, 276);
  assert.equal(LinkType.IEEE802_11, 105);
  assert.equal(LinkType.IPV6, 229);
});
