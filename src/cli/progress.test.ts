import { test } from "node:test";
import assert from "node:assert/strict";
import { barFor, ProgressBar } from "./progress.js";
import { LOOPBACK, wirecraft } from "./testing.js";

test("progress bar: drawn only on a terminal, after the delay, erased at the end", async () => {
  const written: string[] = [];
  const tty = { isTTY: true, columns: 80, write: (s: string) => { written.push(s); return true; } };
  assert.equal(await barFor(LOOPBACK, { ...tty, isTTY: false }), undefined);
  assert.equal(await barFor("-", tty), undefined);
  const bar = (await barFor(LOOPBACK, tty))!;
  assert.ok(bar instanceof ProgressBar);
  const b = new ProgressBar(tty, 2 * 1048576, 0);
  b.done = 1048576;
  b.frames = 7;
  assert.equal(b.render(80), `[${"#".repeat(25)}${"-".repeat(25)}]  50% 1.0/2.0 MiB 7 frames`);
  b.tick();
  assert.match(written.at(-1)!, /^\r\[#+-+\]  50%/);
  b.finish();
  assert.equal(written.at(-1), "\r\x1b[K");
  const quiet = new ProgressBar(tty, 100, 60_000);
  const before = written.length;
  quiet.tick();
  quiet.finish();
  assert.equal(written.length, before);
});

test("no progress bar when stderr is piped", () => {
  const r = wirecraft(["read", LOOPBACK]);
  assert.equal(r.stderr, "");
});
