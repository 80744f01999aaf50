import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { have, ROOT, wirecraft } from "./testing.js";

const STREAMS = `${ROOT}test/fixtures/streams.pcap`;
const TSHARK = have("tshark");

test("follow prints each stream exactly as tshark -z follow,tcp does (ascii and raw)", { skip: !TSHARK && "tshark is not installed" }, () => {
  for (const n of [0, 1, 2]) {
    for (const mode of ["ascii", "raw"] as const) {
      const ours = wirecraft(["follow", STREAMS, String(n), ...(mode === "raw" ? ["--raw"] : [])]);
      assert.equal(ours.status, 0, ours.stderr);
      const theirs = execFileSync("tshark", ["-q", "-r", STREAMS, "-z", `follow,tcp,${mode},${n}`], { encoding: "latin1", stdio: ["ignore", "pipe", "ignore"] });
      assert.equal(Buffer.from(ours.stdout, "utf8").toString("latin1"), theirs, `stream ${n} ${mode}`);
    }
  }
});

test("follow --json gives counters and HTTP exchanges; a missing stream is an error", () => {
  const r = wirecraft(["follow", STREAMS, "1", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { client: { address: string }; http: { request: { method: string; target: string }; response: { status: number; body: string } }[]; gaps: unknown[] };
  assert.equal(j.client.address, "fd78::1");
  assert.equal(j.http[0]!.request.target, "/page.html");
  assert.equal(j.http[0]!.response.status, 200);
  assert.match(j.http[0]!.response.body, /^line 0 of a page/);
  assert.deepEqual(j.gaps, []);
  const missing = wirecraft(["follow", STREAMS, "9"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no TCP stream 9/);
  assert.equal(wirecraft(["follow", STREAMS]).status, 2);
});
