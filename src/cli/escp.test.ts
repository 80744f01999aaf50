import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { escpPackets, writeEscpPcap } from "../../examples/escp.js";
import { have, ROOT, tshark, wirecraft } from "./testing.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ESCP_MODULE = `${ROOT}build/examples/escp.js`;

test("escp_test.pcap: tshark reads three packets with our bytes; wirecraft read --load dissects them as ESCP", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "wirecraft-escp-"));
  try {
    const file = join(dir, "escp_test.pcap");
    assert.equal(await writeEscpPcap(file), 3);
    const wire = escpPackets().map((p) => p.bytes());
    if (have("tshark")) {
      const rows = tshark(["-n", "-r", file, "-T", "fields", "-e", "frame.len", "-e", "ipv6.dst", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload"]);
      assert.deepEqual(rows, wire.map((w, i) => `112\t::1\t${40000 + i}\t1337\t${hex(w.subarray(48))}`));
      const bytes = tshark(["-r", file, "-T", "fields", "-e", "frame.time_epoch"]);
      assert.deepEqual(bytes, ["1700000000.000000000", "1700000000.001000000", "1700000000.002000000"]);
    } else {
      t.diagnostic("tshark is not installed: checked with our own reader only");
    }
    const r = wirecraft(["read", file, "--json", "--load", ESCP_MODULE]);
    assert.equal(r.status, 0, r.stderr);
    const frames = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { layers: { name: string; fields: Record<string, unknown> }[] });
    assert.equal(frames.length, 3);
    const msg = Buffer.alloc(62);
    msg.write("Never gonna let you down");
    frames.forEach((f, i) => {
      assert.deepEqual(f.layers.map((l) => l.name), ["IPv6", "UDP", "ESCP"]);
      assert.deepEqual(f.layers[2]!.fields, { sync: 0b10101, ver: 0b0011, flags: 0, cmd: i, msg: msg.toString("hex") });
    });
    const plain = wirecraft(["read", file]);
    assert.match(plain.stdout, /UDP 112 40000 > 1337/);
    const filtered = wirecraft(["read", file, "--load", ESCP_MODULE, "-Y", "escp.cmd >= 1"]);
    assert.equal(filtered.stdout.trimEnd().split("\n").length, 2);
    assert.match(filtered.stdout, /ESCP 112 cmd=2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
