/**
 * TCP: real frames (curl to a local HTTP server over IPv4 and IPv6, dig over TCP; see
 * test/fixtures/make-transport.sh) compared field by field with tshark; builds compared byte for
 * byte with Scapy and dissected back by Scapy; hostile input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { TCP, TCPOption, flagText } from "./tcp.js";
import "./dns.js";
import { frames, fromHex, haveScapy, hex, scapy, Tally, toHexString, tsharkFields } from "../../test/helpers/transport.js";

/** Our values for tshark's TCP fields. */
export function tcpFields(t: TCP): Record<string, (string | number)[] | undefined> {
  const opts = t.options;
  const pick = <K extends keyof TCPOption>(kind: number, k: K) => opts.filter((o) => o.kind === kind).map((o) => o[k] as number);
  const some = (xs: (string | number)[]) => (xs.length ? xs : undefined);
  return {
    "tcp.srcport": [t.srcPort], "tcp.dstport": [t.dstPort], "tcp.seq_raw": [t.seq], "tcp.ack_raw": [t.ack],
    "tcp.hdr_len": [t.dataOffset * 4], "tcp.flags": [hex(t.flags, 4)], "tcp.window_size_value": [t.window],
    "tcp.checksum": [hex(t.checksum, 4)], "tcp.urgent_pointer": [t.urgentPointer],
    "tcp.option_kind": some(opts.map((o) => o.kind)),
    "tcp.option_len": some(opts.filter((o) => o.length !== undefined).map((o) => o.length!)),
    "tcp.options.mss_val": some(pick(2, "mss")), "tcp.options.wscale.shift": some(pick(3, "shift")),
    "tcp.options.timestamp.tsval": some(pick(8, "tsValue")), "tcp.options.timestamp.tsecr": some(pick(8, "tsEchoReply")),
    "tcp.options.sack_le": some(opts.flatMap((o) => (o.blocks ?? []).map((b) => b.left))),
    "tcp.options.sack_re": some(opts.flatMap((o) => (o.blocks ?? []).map((b) => b.right))),
  };
}

const FIELDS = Object.keys(tcpFields(TCP() as unknown as TCP));

test("TCP agrees with tshark on every field of the real captures", () => {
  const tally = new Tally();
  let frames_ = 0;
  for (const name of ["tcp", "dns"]) {
    const ts = tsharkFields(name);
    frames(name).forEach((bytes, i) => {
      const p = dissect(bytes, Ethernet);
      const t = p.layer(TCP);
      if (t === undefined) return;
      frames_++;
      assert.equal(p.error, undefined, `frame ${i + 1}: ${p.error?.message}`);
      const ours = tcpFields(t);
      for (const f of FIELDS) tally.check(i + 1, f, ours[f], ts[i]![f]);
      for (const c of p.verifyChecksums()) assert.ok(c.ok, `frame ${i + 1} ${c.layer}.${c.field}`);
    });
  }
  console.log(`# ${tally.figure(`TCP (${frames_} frames)`)}`);
  assert.ok(frames_ >= 40);
  assert.deepEqual(tally.problems, []);
});

test("a dissected SYN rebuilds to the same bytes, over IPv4 and IPv6", () => {
  for (const bytes of frames("tcp").slice(0, 30)) {
    const p = dissect(bytes, Ethernet);
    if (p.layer(TCP) === undefined) continue;
    const layers = p.layers().map((l) => l.toObject());
    void layers;
    assert.equal(toHexString(p.bytes({ recompute: true })), toHexString(bytes));
  }
});

test("flags take Scapy's letters and the checksum covers both pseudo-headers", () => {
  const t = TCP({ flags: "SA" });
  assert.equal(t.flags, 0x12);
  assert.equal(flagText(0x1ff), "FSRPAUECN");
  for (const ip of [IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), IPv6({ src: "fd00::1", dst: "fd00::2" })]) {
    const b = packet(ip, TCP({ flags: "PA", options: [{ kind: "nop" }, { kind: "nop" }, { kind: "timestamps", tsValue: 5, tsEchoReply: 6 }] }), "data").bytes();
    const d = dissect(b, ip.proto === IPv4 ? IPv4 : IPv6);
    assert.ok(d.verifyChecksums().every((c) => c.ok));
    assert.equal(d.layer(TCP)!.dataOffset, 8);
  }
});

test("Scapy builds the same bytes from the same values and reads ours back", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const cases = [
    { sport: 1234, dport: 80, seq: 1, ack: 2, flags: "S", window: 1000, urgptr: 0, options: [["MSS", 1460], ["NOP", null], ["WScale", 7], ["SAckOK", ""], ["Timestamp", [11, 22]]] },
    { sport: 65535, dport: 1, seq: 4294967295, ack: 123456789, flags: "FPAU", window: 65535, urgptr: 9, options: [["NOP", null], ["NOP", null], ["SAck", [100, 200, 300, 400]]] },
    { sport: 5, dport: 6, seq: 0, ack: 0, flags: "RECN", window: 0, urgptr: 0, options: [["MSS", 536], ["EOL", null]] },
  ];
  const kinds: Record<string, number> = { MSS: 2, NOP: 1, WScale: 3, SAckOK: 4, Timestamp: 8, SAck: 5, EOL: 0 };
  const ours = cases.map((c) => {
    const options = c.options.map(([k, v]) => {
      const kind = kinds[k as string]!;
      if (kind === 2) return { kind, mss: v as number };
      if (kind === 3) return { kind, shift: v as number };
      if (kind === 8) return { kind, tsValue: (v as number[])[0]!, tsEchoReply: (v as number[])[1]! };
      if (kind === 5) { const x = v as number[]; return { kind, blocks: [{ left: x[0]!, right: x[1]! }, { left: x[2]!, right: x[3]! }] }; }
      return { kind };
    });
    return toHexString(packet(IPv4({ src: "10.0.0.1", dst: "10.0.0.2" }), TCP({ srcPort: c.sport, dstPort: c.dport, seq: c.seq, ack: c.ack, flags: c.flags, window: c.window, urgentPointer: c.urgptr, options })).bytes());
  });
  const out = scapy(`
res = []
for c, ours in zip(data["cases"], data["ours"]):
    opts = [(k, tuple(v) if isinstance(v, list) else v) for k, v in c["options"]]
    b = bytes(IP(src="10.0.0.1", dst="10.0.0.2")/TCP(sport=c["sport"], dport=c["dport"], seq=c["seq"], ack=c["ack"], flags=c["flags"], window=c["window"], urgptr=c["urgptr"], options=opts))
    t = IP(bytes.fromhex(ours))[TCP]
    res.append({"bytes": b.hex(), "sport": t.sport, "dport": t.dport, "seq": t.seq, "ack": t.ack, "flags": int(t.flags), "window": t.window, "chksum": t.chksum, "dataofs": t.dataofs, "options": [[o[0], list(o[1]) if isinstance(o[1], tuple) else o[1]] for o in t.options]})
print(json.dumps(res, default=str))
`, { cases, ours }) as { bytes: string; sport: number; flags: number; dataofs: number; chksum: number; options: unknown[] }[];
  out.forEach((r, i) => {
    assert.equal(ours[i], r.bytes, `case ${i}: bytes differ`);
    const t = dissect(fromHex(ours[i]!), IPv4).layer(TCP)!;
    assert.equal(r.sport, t.srcPort);
    assert.equal(r.flags, t.flags);
    assert.equal(r.dataofs, t.dataOffset);
    assert.equal(r.chksum, t.checksum);
  });
});

test("hostile input: prefixes never throw; zero-length options and offsets past the end are malformed", () => {
  for (const bytes of [...frames("tcp"), ...frames("dns")]) {
    for (let n = 0; n <= bytes.length; n++) {
      const p = dissect(bytes.subarray(0, n), Ethernet);
      p.layers(); p.toJSON(); p.summary();
    }
  }
  const syn = frames("tcp")[0]!;
  const tcpAt = 14 + 20;
  const zero = new Uint8Array(syn);
  zero[tcpAt + 20 + 1] = 0; // MSS option length 0
  assert.ok(dissect(zero, Ethernet).malformed);
  const big = new Uint8Array(syn);
  big[tcpAt + 12] = 0xf0; // data offset 60 bytes in a 40-byte header
  const p = dissect(big, Ethernet);
  assert.ok(p.malformed || p.truncated);
  const small = new Uint8Array(syn);
  small[tcpAt + 12] = 0x40; // data offset 16 bytes
  assert.ok(dissect(small, Ethernet).malformed);
});
