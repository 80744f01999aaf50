/**
 * GRE and VXLAN (and NTP, whose frames come from the same Scapy capture): tshark agreement on
 * the fixtures (a real VXLAN link between namespaces; GRE and NTP built by Scapy, see
 * test/fixtures/make-transport.sh), Scapy byte equality, hostile prefixes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { IPv6 } from "./ipv6.js";
import { UDP } from "./udp.js";
import { GRE } from "./gre.js";
import { VXLAN } from "./vxlan.js";
import { NTP, ntpDate, ntpTime } from "./ntp.js";
import { frames, haveScapy, hex, scapy, Tally, toHexString, tsharkFields } from "../../test/helpers/transport.js";

function fields(p: ReturnType<typeof dissect>): Record<string, (string | number)[] | undefined> {
  const g = p.layer(GRE);
  const v = p.layer(VXLAN);
  const n = p.layer(NTP);
  const ips = p.layers(IPv4);
  const out: Record<string, (string | number)[] | undefined> = {
    "ip.src": ips.length ? ips.map((l) => l.src) : undefined,
    "ip.proto": ips.length ? ips.map((l) => l.protocol) : undefined,
    "eth.src": p.layers(Ethernet).map((l) => l.src),
  };
  if (g !== undefined) Object.assign(out, {
    "gre.flags_and_version": [hex((g.checksumPresent << 15) | (g.routingPresent << 14) | (g.keyPresent << 13) | (g.sequencePresent << 12) | (g.reserved0 << 3) | g.version, 4)],
    "gre.proto": [hex(g.protocolType, 4)],
    "gre.key": g.key !== undefined ? [hex(g.key, 8)] : undefined,
    "gre.sequence_number": g.sequenceNumber !== undefined ? [g.sequenceNumber] : undefined,
    "gre.checksum": g.checksum !== undefined ? [hex(g.checksum, 4)] : undefined,
  });
  if (v !== undefined) Object.assign(out, { "vxlan.flags": [hex((v.flags << 8) | (v.reserved1 >> 16), 4)], "vxlan.vni": [v.vni] });
  if (n !== undefined) Object.assign(out, {
    "ntp.flags.li": [n.leap], "ntp.flags.vn": [n.version], "ntp.flags.mode": [n.mode], "ntp.stratum": [n.stratum],
    "ntp.ppoll": [n.poll], "ntp.precision": [n.precision & 0xff], "ntp.rootdelay": [n.rootDelay],
    "ntp.rootdispersion": [n.rootDispersion], "ntp.refid": [n.referenceId.toString(16).padStart(8, "0")],
  });
  return out;
}

test("GRE, VXLAN and NTP agree with tshark; layers(IPv4) returns the outer and inner headers", () => {
  const tally = new Tally();
  for (const name of ["scapy", "vxlan"]) {
    const ts = tsharkFields(name);
    frames(name).forEach((bytes, i) => {
      const p = dissect(bytes, Ethernet);
      assert.equal(p.error, undefined, `${name} frame ${i + 1}: ${p.error?.message}`);
      for (const [f, v] of Object.entries(fields(p))) tally.check(i + 1, f, v, ts[i]![f]);
      assert.ok(p.verifyChecksums().every((c) => c.ok), `${name} frame ${i + 1} checksums`);
      assert.equal(toHexString(p.bytes({ recompute: true })), toHexString(bytes));
    });
  }
  const vx = frames("vxlan").map((b) => dissect(b, Ethernet)).find((p) => p.layers(IPv4).length === 2)!;
  assert.deepEqual(vx.layers(IPv4).map((l) => l.dst), ["10.77.0.2", "192.168.77.2"]);
  assert.equal(vx.layer(VXLAN)!.vni, 42);
  console.log(`# ${tally.figure("GRE, VXLAN, NTP")}`);
  assert.deepEqual(tally.problems, []);
});

test("Scapy builds the same GRE, VXLAN and NTP bytes", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const ours = [
    packet(IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), GRE({ checksumPresent: 1, keyPresent: 1, sequencePresent: 1, key: 0xdeadbeef, sequenceNumber: 3 }), IPv4({ src: "3.3.3.3", dst: "4.4.4.4" })),
    packet(IPv6({ src: "::1", dst: "::2" }), GRE({ protocolType: 0x6558 }), Ethernet({ dst: "02:00:00:00:00:01", src: "02:00:00:00:00:02", type: 0x0800 }), IPv4()),
    packet(IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), UDP({ srcPort: 1111, dstPort: 4789 }), VXLAN({ vni: 0xabcdef }), Ethernet({ dst: "02:00:00:00:00:01", src: "02:00:00:00:00:02" }), IPv4()),
    packet(IPv4({ src: "1.1.1.1", dst: "2.2.2.2" }), UDP({ srcPort: 123, dstPort: 123 }), NTP({ leap: 3, version: 4, mode: "server", stratum: 1, poll: 10, precision: -29, rootDelay: 5, rootDispersion: 6, referenceId: 0x47505300, referenceTimestamp: 1n << 40n, originTimestamp: 2n, receiveTimestamp: (0xe9000000n << 32n) | 0x80000000n, transmitTimestamp: 0xffffffffffffffffn })),
  ].map((p) => toHexString(p.bytes()));
  const r = scapy(`
def ts(v): return v / 2**32
out = [
  bytes(IP(src="1.1.1.1", dst="2.2.2.2")/GRE(chksum_present=1, key_present=1, seqnum_present=1, key=0xdeadbeef, sequence_number=3)/IP(src="3.3.3.3", dst="4.4.4.4")),
  bytes(IPv6(src="::1", dst="::2")/GRE(proto=0x6558)/Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02", type=0x0800)/IP()),
  bytes(IP(src="1.1.1.1", dst="2.2.2.2")/UDP(sport=1111, dport=4789)/VXLAN(flags=0x08, vni=0xabcdef)/Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02")/IP()),
  bytes(IP(src="1.1.1.1", dst="2.2.2.2")/UDP(sport=123, dport=123)/NTPHeader(leap=3, version=4, mode=4, stratum=1, poll=10, precision=-29, delay=5/65536, dispersion=6/65536, ref_id=b"GPS", ref=ts(1 << 40), orig=ts(2), recv=ts((0xe9000000 << 32) | 0x80000000), sent=ts(0xffffffffffffffff))),
]
print(json.dumps([b.hex() for b in out]))
`, null) as string[];
  assert.deepEqual(ours.slice(0, 3), r.slice(0, 3));
  // NTP: Scapy goes through floats, so compare the fixed fields and the exactly representable stamps.
  assert.equal(ours[3]!.slice(0, 28 * 2 + 24 * 2 + 16), r[3]!.slice(0, 28 * 2 + 24 * 2 + 16));
  assert.equal(ours[3]!.slice(-48, -16), r[3]!.slice(-48, -16));
});

test("NTP timestamps convert to and from dates", () => {
  const d = new Date("2024-01-02T03:04:05.678Z");
  assert.equal(ntpDate(ntpTime(d)).getTime(), d.getTime());
});

test("hostile input: every prefix of every tunnel and NTP frame dissects without throwing", () => {
  for (const name of ["scapy", "vxlan"]) for (const bytes of frames(name)) for (let n = 0; n <= bytes.length; n++) {
    const p = dissect(bytes.subarray(0, n), Ethernet);
    p.toJSON(); p.summary();
  }
});
