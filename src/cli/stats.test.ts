import { test } from "node:test";
import assert from "node:assert/strict";
import { have, LOOPBACK, tshark, wirecraft } from "./testing.js";

const TSHARK = have("tshark");
type Conv = { a: string; b: string; framesAtoB: number; bytesAtoB: number; framesBtoA: number; bytesBtoA: number; start: number; duration: number };
type Node = { name: string; frames: number; bytes: number; children: Node[] };

function ours(file: string, ...extra: string[]): { hierarchy: Node[]; conversations: Record<string, Conv[]> } {
  const r = wirecraft(["stats", file, "--json", ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { hierarchy: Node[]; conversations: Record<string, Conv[]> };
}

test("stats: hierarchy and conversations of the loopback capture", () => {
  const s = ours(LOOPBACK);
  const eth = s.hierarchy[0]!;
  assert.deepEqual([eth.name, eth.frames, eth.bytes], ["Ethernet", 12, 836]);
  const ip = eth.children[0]!;
  assert.deepEqual([ip.name, ip.frames, ip.bytes], ["IPv4", 12, 836]);
  const udp = ip.children.find((c) => c.name === "UDP")!;
  assert.deepEqual([udp.frames, udp.bytes], [4, 236]);
  assert.deepEqual(s.conversations.UDP!.map((c) => [c.a, c.b, c.framesAtoB, c.bytesAtoB, c.framesBtoA, c.bytesBtoA]),
    [["127.0.0.1:33653", "127.0.0.1:40123", 2, 118, 2, 118]]);
  assert.equal(s.conversations.UDP![0]!.duration, 0.000172);
  const text = wirecraft(["stats", LOOPBACK]).stdout;
  assert.match(text, /^Protocol hierarchy\n\nEthernet +frames:12 bytes:836\n  IPv4 +frames:12 bytes:836\n/);
  assert.match(text, /UDP conversations\n.*\n127\.0\.0\.1:33653 <-> 127\.0\.0\.1:40123 +2 +118 +2 +118 +4 +236 +0\.000000 +0\.000172\n/);
});

test("stats: filter and sections", () => {
  const s = ours(LOOPBACK, "-Y", "!udp");
  assert.equal(s.hierarchy[0]!.frames, 8);
  assert.equal(s.conversations.UDP, undefined);
  const h = wirecraft(["stats", LOOPBACK, "--hierarchy"]).stdout;
  assert.doesNotMatch(h, /conversations/);
  const c = wirecraft(["stats", LOOPBACK, "--conversations"]).stdout;
  assert.doesNotMatch(c, /hierarchy/);
});

test("stats: conversations agree with tshark -z conv,ip / conv,udp", { skip: !TSHARK && "tshark is not installed" }, () => {
  const s = ours(LOOPBACK);
  for (const [kind, name] of [["ip", "IPv4"], ["udp", "UDP"]] as const) {
    const rows = tshark(["-n", "-q", "-r", LOOPBACK, "-z", `conv,${kind}`]).filter((l) => l.includes("<->"));
    const theirs = rows.map((l) => {
      const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+) (\d+) bytes\s+(\d+) (\d+) bytes\s+(\d+) (\d+) bytes/.exec(l)!;
      return { pair: [m[1], m[2]].sort().join(" "), frames: Number(m[7]), bytes: Number(m[8]) };
    });
    const mine = s.conversations[name]!.map((c) => ({ pair: [c.a, c.b].sort().join(" "), frames: c.framesAtoB + c.framesBtoA, bytes: c.bytesAtoB + c.bytesBtoA }));
    assert.deepEqual(mine, theirs);
  }
  const phs = tshark(["-n", "-q", "-r", LOOPBACK, "-z", "io,phs"]);
  const line = (p: string) => phs.find((l) => l.trim().startsWith(p + " "))!.trim().split(/\s+/).slice(1).join(" ");
  assert.equal(line("eth"), "frames:12 bytes:836");
  assert.equal(line("udp"), `frames:${s.hierarchy[0]!.children[0]!.children.find((c) => c.name === "UDP")!.frames} bytes:236`);
});
