import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { seededRandom } from "../packet/fuzz.js";
import { type Columns, relativeTime, summaryLine, writeSummaryLine } from "./frames.js";
import { digitCount, LineOut } from "./out.js";

/** A LineOut over a PassThrough, and the text written to it. */
function capture(): { out: LineOut; text: () => Promise<string> } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const out = new LineOut(stream as unknown as NodeJS.WriteStream);
  return {
    out,
    text: async () => {
      await out.flush();
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

test("relativeTime: six decimals, exact at the largest doubles, bigint beyond and below zero", () => {
  assert.equal(relativeTime(0n), "0.000000");
  assert.equal(relativeTime(5_965_060_123n), "5.965060");
  assert.equal(relativeTime(999n), "0.000000");
  // Just under 2^53 ns: a double division would round these up.
  assert.equal(relativeTime(9_007_199_254_739_999n), "9007199.254739");
  assert.equal(relativeTime(9_007_199_254_740_991n), "9007199.254740");
  assert.equal(relativeTime(9_007_199_254_740_992_999n), "9007199254.740992");
  assert.equal(relativeTime(-1_500_000n), "-0.001500");
});

test("writeSummaryLine writes exactly summaryLine's text and a newline", async () => {
  const rand = seededRandom(9);
  const words = ["", "10.0.0.1", "fd00:1::c92c", "ff:ff:ff:ff:ff:ff", "a-very-long-source-address:1234", "ünïcode", "名前", "→"];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const { out, text } = capture();
  const want: string[] = [];
  const times = [0n, 1n, 999_999n, 5_965_060_123n, 9_007_199_254_739_999n, 9_007_199_254_740_993n, 123_456_789_012_345_678_901n, -2_000_000_000n];
  for (let i = 0; i < 3000; i++) {
    const c: Columns = { source: pick(words), destination: pick(words), protocol: pick(["TCP", "DNS", "", "ICMPv6"]), info: pick(words) + (rand() < 0.5 ? " x".repeat(Math.floor(rand() * 40)) : "") };
    const number = pick([1, 9, 10, 99999, 100000, 123456789, 2 ** 53]);
    const rel = rand() < 0.5 ? pick(times) : BigInt(Math.floor(rand() * 1e15));
    const length = Math.floor(rand() * 70000);
    writeSummaryLine(out, number, rel, length, c);
    want.push(summaryLine(number, rel, length, c));
  }
  // Long lines and lines through the plain path, across buffer boundaries.
  out.line("x".repeat(200_000));
  want.push("x".repeat(200_000));
  assert.equal(await text(), want.join("\n") + "\n");
});

test("digitCount and digits, with leading zeros", async () => {
  for (const n of [0, 9, 10, 99, 100, 65535, 2 ** 32, 2 ** 53]) assert.equal(digitCount(n), String(n).length);
  const { out, text } = capture();
  out.reserve(64);
  out.digits(42, 6);
  out.byte(32);
  out.digits(2 ** 53);
  out.byte(10);
  assert.equal(await text(), "000042 9007199254740992\n");
});
