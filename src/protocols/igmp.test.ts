/**
 * IGMP: v2 and v3 reports from the kernel (socket joins), v2 and v3 queries and reports from Scapy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { toHex } from "../schema/address.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { IGMP, IGMPv3, IGMPv3Query, IGMPv3Report, IgmpType } from "./igmp.js";
import { networkFrames } from "../../test/conformance/network-fixtures.js";

const eth = networkFrames("network-eth").map((f) => dissect(f.data, Ethernet));
const scapy = networkFrames("network-scapy").map((f) => dissect(f.data, Ethernet));
const E = { dst: "02:00:00:00:0a:fe", src: "02:00:00:00:0a:01" };

test("the kernel's IGMPv3 join and IGMPv2 report and leave", () => {
  const v3 = eth.map((p) => p.layer(IGMPv3Report)).filter((x) => x !== undefined);
  assert.ok(v3.some((r) => r.records.some((x) => x.multicastAddress === "239.1.2.3" && x.recordType === 4)));
  const v2 = eth.map((p) => p.layer(IGMP)).filter((x) => x !== undefined);
  assert.deepEqual(v2.map((x) => [x.type, x.group]), [[IgmpType.membershipReportV2, "239.1.2.4"], [IgmpType.leaveGroup, "239.1.2.4"]]);
  for (const p of eth.filter((q) => q.layer(IGMP) || q.layer(IGMPv3))) assert.ok(p.verifyChecksums().every((c) => c.ok));
  // The kernel sends IGMP with the router alert option.
  assert.ok(eth.some((p) => p.layer(IGMPv3) && p.layer(IPv4)!.options.some((o) => o.type === 148)));
});

test("a v2 query (8 bytes) is IGMP; a v3 query (12 bytes or more) is IGMPv3", () => {
  assert.equal(scapy[15]!.layer(IGMP)!.maxRespTime, 100);
  const q = scapy[18]!;
  assert.equal(q.layer(IGMP), undefined);
  assert.equal(q.layer(IGMPv3)!.maxRespCode, 20);
  const body = q.layer(IGMPv3Query)!;
  assert.deepEqual([body.group, body.suppress, body.qrv, body.qqic, body.numSources], ["239.1.2.3", 1, 2, 125, 2]);
  assert.deepEqual(body.sources.map((s) => s.address), ["10.1.1.1", "10.1.1.2"]);
});

test("an IGMPv3 report with aux data, built again byte for byte (Scapy sets tos 0xc0 for IGMPv3)", () => {
  const r = scapy[19]!.layer(IGMPv3Report)!;
  assert.deepEqual(r.records.map((x) => [x.recordType, x.auxDataLength, x.multicastAddress, toHex(x.auxData)]), [[1, 0, "239.1.2.3", ""], [4, 1, "239.1.2.4", "01020304"]]);
  const b = packet(Ethernet(E), IPv4({ src: "10.91.1.1", dst: "224.0.0.22", ttl: 1, tos: 0xc0 }), IGMPv3(), IGMPv3Report({ records: [
    { recordType: "modeIsInclude", multicastAddress: "239.1.2.3", sources: [{ address: "10.1.1.1" }] },
    { multicastAddress: "239.1.2.4", auxData: new Uint8Array([1, 2, 3, 4]) },
  ] })).bytes();
  assert.equal(toHex(b), toHex(scapy[19]!.bytes()));
});

test("IGMPv2 built from values: protocol 2 filled by the bind", () => {
  const b = packet(Ethernet(E), IPv4({ src: "10.91.1.1", dst: "239.1.2.3", ttl: 1 }), IGMP({ type: "membershipReportV2", maxRespTime: 20, group: "239.1.2.3" })).bytes();
  assert.equal(toHex(b), toHex(scapy[16]!.bytes()));
});

test("a record count larger than the records is an error, not a throw", () => {
  const b = scapy[19]!.bytes().slice();
  b[14 + 20 + 7] = 9;
  const p = dissect(b, Ethernet);
  assert.ok(p.error);
  assert.ok(p.layer(IGMPv3));
});
