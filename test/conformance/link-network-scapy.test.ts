/**
 * Conformance against Scapy: every frame Scapy built for the fixtures (Dot1Q, QinQ, 802.3/LLC/SNAP,
 * ARP, IPv4 options, ICMP, IGMP, IPv6 extension headers, ND, MLD; null, loop and raw IP links) is
 * dissected, crafted again from its values with every length, count and checksum left for us to
 * compute, and built: the bytes must equal Scapy's. Then Scapy dissects packets we build from
 * values and must read the same values back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dissect, packet } from "../../src/packet/packet.js";
import type { LayerBase } from "../../src/schema/layer.js";
import { toHex } from "../../src/schema/address.js";
import { Ethernet } from "../../src/protocols/ethernet.js";
import { Dot1Q } from "../../src/protocols/dot1q.js";
import { IPv4 } from "../../src/protocols/ipv4.js";
import { IPv6 } from "../../src/protocols/ipv6.js";
import { ICMP, ICMPEcho } from "../../src/protocols/icmp.js";
import { ICMPv6, ICMPv6Echo } from "../../src/protocols/icmpv6.js";
import { NDPNeighborSolicitation, NDPRouterAdvertisement } from "../../src/protocols/ndp.js";
import { IGMP, IGMPv3, IGMPv3Query } from "../../src/protocols/igmp.js";
import { Dot1AD } from "../../src/protocols/dot1q.js";
import { LLC } from "../../src/protocols/llc.js";
import { SNAP } from "../../src/protocols/snap.js";
import { MLDv2Query } from "../../src/protocols/mld.js";
import { ARP } from "../../src/protocols/arp.js";
import { IPv6Fragment } from "../../src/protocols/ipv6-fragment.js";
import { networkFrames } from "./network-fixtures.js";

/** Protocols whose payload quotes another packet: its lengths and checksums are kept as they are. */
const QUOTING = new Set(["ICMPDestinationUnreachable", "ICMPRedirect", "ICMPTimeExceeded", "ICMPParameterProblem",
  "ICMPv6DestinationUnreachable", "ICMPv6PacketTooBig", "ICMPv6TimeExceeded", "ICMPv6ParameterProblem"]);

/** Craft a fresh layer with the values of `l`, leaving computed fields unset unless `keep`. */
function recraft(l: LayerBase, keep: boolean): LayerBase {
  const values: Record<string, unknown> = {};
  const self = l as unknown as Record<string, unknown>;
  for (const f of l._d.fields) {
    if (!l.isSet(f.name)) continue;
    if (!keep && (f.auto !== undefined || f.kind === "padding")) continue;
    const v = self[f.name];
    if (v === undefined) continue;
    values[f.name] = f.kind === "list" ? (v as LayerBase[]).map((it) => recraft(it, keep)) : v;
  }
  return (l._d.protocol as (v: object) => LayerBase)(values);
}

for (const capture of ["network-scapy", "network-null", "network-loop", "network-raw"]) {
  test(`${capture}: crafting each frame again from its values builds Scapy's bytes`, () => {
    let n = 0;
    for (const fr of networkFrames(capture)) {
      const p = dissect(fr.data, fr.first);
      assert.equal(p.error, undefined, `frame ${fr.index + 1}: ${p.error?.message}`);
      let keep = false;
      const layers = (p.layers() as unknown as LayerBase[]).map((l) => {
        const c = recraft(l, keep);
        if (QUOTING.has(l._d.name)) keep = true;
        return c;
      });
      const built = packet(...(layers as never[])).bytes();
      assert.equal(toHex(built), toHex(fr.data), `frame ${fr.index + 1}: ${p.summary()}`);
      n++;
    }
    assert.ok(n >= 2);
  });
}

const scapy = spawnSync("/usr/bin/python3", ["-c", "import scapy"], { stdio: "ignore" }).status === 0
  ? false : "Scapy is not installed under /usr/bin/python3 (apt-get install python3-scapy): Scapy oracle skipped";

/** A tiny seeded generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("random values: Scapy builds the same bytes as we do, and dissects ours to the same values", { skip: scapy }, () => {
  const r = rng(20261122);
  const int = (max: number) => Math.floor(r() * (max + 1));
  const ip4 = () => `10.${int(255)}.${int(255)}.${int(255)}`;
  const mac = () => `02:${Array.from({ length: 5 }, () => int(255).toString(16).padStart(2, "0")).join(":")}`;
  const cases: { hex: string; expect: Record<string, number | string>; scapy: string }[] = [];
  const ETHER = 'Ether(dst="ff:ff:ff:ff:ff:ff", src="00:00:00:00:00:00")';
  const macOf = (b: Uint8Array) => Array.from(b.subarray(6, 12), (x) => x.toString(16).padStart(2, "0")).join(":");
  for (let i = 0; i < 40; i++) {
    const v = { pcp: int(7), dei: int(1), vid: int(4095), ttl: int(255), id: int(65535), icmpId: int(65535), seq: int(65535), src: ip4(), dst: ip4() };
    const b = packet(Ethernet({ src: mac() }), Dot1Q({ pcp: v.pcp, dei: v.dei, vid: v.vid }), IPv4({ ttl: v.ttl, id: v.id, src: v.src, dst: v.dst, options: [{ type: "routerAlert" }] }),
      ICMP(), ICMPEcho({ id: v.icmpId, seq: v.seq }), "x").bytes();
    cases.push({ hex: toHex(b), expect: { "Dot1Q.prio": v.pcp, "Dot1Q.id": v.dei, "Dot1Q.vlan": v.vid, "IP.ttl": v.ttl, "IP.id": v.id, "IP.src": v.src, "IP.dst": v.dst, "IP.ihl": 6, "ICMP.id": v.icmpId, "ICMP.seq": v.seq, "ICMP.chksum_ok": 1, "IP.chksum_ok": 1 },
      scapy: `Ether(dst="ff:ff:ff:ff:ff:ff", src="${macOf(b)}")/Dot1Q(prio=${v.pcp}, id=${v.dei}, vlan=${v.vid})/IP(ttl=${v.ttl}, id=${v.id}, src="${v.src}", dst="${v.dst}", options=[IPOption_Router_Alert()])/ICMP(id=${v.icmpId}, seq=${v.seq})/b"x"` });
    const w = { hopLimit: int(255), target: `fd00::${int(65535).toString(16)}`, lladdr: mac(), fragId: int(0xffffffff), arpOp: 1 + int(1), sip: ip4(), group: `239.${int(255)}.${int(255)}.${int(255)}` };
    const n = packet(Ethernet(), IPv6({ hopLimit: w.hopLimit, src: "fe80::1", dst: "ff02::1" }), IPv6Fragment({ id: w.fragId }), ICMPv6({ type: "neighborSolicitation" }),
      NDPNeighborSolicitation({ target: w.target, options: [{ type: "sourceLinkLayerAddress", address: w.lladdr }] })).bytes();
    cases.push({ hex: toHex(n), expect: { "IPv6.hlim": w.hopLimit, "IPv6ExtHdrFragment.id": w.fragId, "ICMPv6ND_NS.tgt": w.target, "ICMPv6NDOptSrcLLAddr.lladdr": w.lladdr, "ICMPv6ND_NS.cksum_ok": 1 },
      scapy: `${ETHER}/IPv6(hlim=${w.hopLimit}, src="fe80::1", dst="ff02::1")/IPv6ExtHdrFragment(id=${w.fragId})/ICMPv6ND_NS(tgt="${w.target}")/ICMPv6NDOptSrcLLAddr(lladdr="${w.lladdr}")` });
    const a = packet(Ethernet(), ARP({ opcode: w.arpOp, senderMac: w.lladdr, senderIp: w.sip, targetIp: v.dst })).bytes();
    cases.push({ hex: toHex(a), expect: { "ARP.op": w.arpOp, "ARP.hwsrc": w.lladdr, "ARP.psrc": w.sip, "ARP.pdst": v.dst },
      scapy: `${ETHER}/ARP(op=${w.arpOp}, hwsrc="${w.lladdr}", psrc="${w.sip}", hwdst="00:00:00:00:00:00", pdst="${v.dst}")` });
    const x = { svid: int(4095), cvid: int(4095), dsap: int(255) & 0xfe, code: 0x0600 + int(0xf9ff), qrv: int(7), qqic: int(255), mrc: int(65535), life: int(65535), valid: int(0xffffffff), plen: int(128) };
    const q = packet(Ethernet(), Dot1AD({ vid: x.svid }), Dot1Q({ vid: x.cvid, type: 12 }), LLC({ dsap: x.dsap, ssap: 0xaa }), new Uint8Array(9)).bytes();
    cases.push({ hex: toHex(q), expect: { "Dot1AD.vlan": x.svid, "Dot1Q.vlan": x.cvid, "LLC.dsap": x.dsap, "LLC.ssap": 0xaa, "LLC.ctrl": 3 },
      scapy: `${ETHER}/Dot1AD(vlan=${x.svid})/Dot1Q(vlan=${x.cvid}, type=12)/LLC(dsap=${x.dsap}, ssap=0xaa, ctrl=3)/(b"\\0" * 9)` });
    const s3 = packet(Ethernet({ type: 16 }), LLC({ dsap: 0xaa, ssap: 0xaa }), SNAP({ oui: 0x00000c, code: x.code }), new Uint8Array(8)).bytes();
    cases.push({ hex: toHex(s3), expect: { "SNAP.OUI": 0x00000c, "SNAP.code": x.code },
      scapy: `Ether(dst="ff:ff:ff:ff:ff:ff", src="00:00:00:00:00:00", type=16)/LLC(dsap=0xaa, ssap=0xaa, ctrl=3)/SNAP(OUI=0x0c, code=${x.code})/(b"\\0" * 8)` });
    const iq = packet(Ethernet(), IPv4({ ttl: 1, tos: 0xc0 }), IGMPv3({ type: "membershipQuery", maxRespCode: 100 }), IGMPv3Query({ group: w.group, qrv: x.qrv, qqic: x.qqic, sources: [{ address: v.src }] })).bytes();
    cases.push({ hex: toHex(iq), expect: { "IGMPv3mq.gaddr": w.group, "IGMPv3mq.qrv": x.qrv, "IGMPv3mq.qqic": x.qqic, "IGMPv3mq.numsrc": 1, "IGMPv3.chksum_ok": 1 },
      scapy: `${ETHER}/IP(ttl=1, tos=0xc0, src="127.0.0.1", dst="127.0.0.1")/IGMPv3(type=0x11, mrcode=100)/IGMPv3mq(gaddr="${w.group}", qrv=${x.qrv}, qqic=${x.qqic}, srcaddrs=["${v.src}"])` });
    const mq = packet(Ethernet(), IPv6({ src: "fe80::1", dst: "ff02::1", hopLimit: 1 }), ICMPv6(), MLDv2Query({ maxResponseCode: x.mrc, multicastAddress: "ff15::1", qrv: x.qrv, qqic: x.qqic, sources: [{ address: w.target }] })).bytes();
    cases.push({ hex: toHex(mq), expect: { "ICMPv6MLQuery2.mrd": x.mrc, "ICMPv6MLQuery2.QRV": x.qrv, "ICMPv6MLQuery2.QQIC": x.qqic, "ICMPv6MLQuery2.sources_number": 1, "ICMPv6MLQuery2.cksum_ok": 1 },
      scapy: `${ETHER}/IPv6(src="fe80::1", dst="ff02::1", hlim=1)/ICMPv6MLQuery2(mrd=${x.mrc}, mladdr="ff15::1", QRV=${x.qrv}, QQIC=${x.qqic}, sources=["${w.target}"])` });
    const ra = packet(Ethernet(), IPv6({ src: "fe80::1", dst: "ff02::1", hopLimit: 255 }), ICMPv6(), NDPRouterAdvertisement({ routerLifetime: x.life, options: [
      { type: "prefixInformation", prefixLength: x.plen, validLifetime: x.valid, prefix: "fd00:1::" }] })).bytes();
    cases.push({ hex: toHex(ra), expect: { "ICMPv6ND_RA.routerlifetime": x.life, "ICMPv6NDOptPrefixInfo.prefixlen": x.plen, "ICMPv6NDOptPrefixInfo.validlifetime": x.valid, "ICMPv6NDOptPrefixInfo.prefix": "fd00:1::", "ICMPv6ND_RA.cksum_ok": 1 },
      scapy: `${ETHER}/IPv6(src="fe80::1", dst="ff02::1", hlim=255)/ICMPv6ND_RA(chlim=64, prf=0, routerlifetime=${x.life})/ICMPv6NDOptPrefixInfo(prefixlen=${x.plen}, validlifetime=${x.valid}, prefix="fd00:1::")` });
    const g = packet(Ethernet(), IPv4({ ttl: 1 }), IGMP({ type: "membershipReportV2", group: w.group })).bytes();
    cases.push({ hex: toHex(g), expect: { "IGMP.gaddr": w.group, "IGMP.type": 0x16, "IGMP.chksum_ok": 1 },
      scapy: `${ETHER}/IP(ttl=1, src="127.0.0.1", dst="127.0.0.1")/IGMP(type=0x16, mrcode=0, gaddr="${w.group}")` });
  }
  const script = `
import json, sys
from scapy.all import Ether, raw
from scapy.layers.l2 import Dot1Q, ARP
from scapy.layers.inet import IP, ICMP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mq
from scapy.layers.l2 import Dot1AD, LLC, SNAP
from scapy.layers.inet6 import ICMPv6MLQuery2, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo
L = {"Dot1AD": Dot1AD, "LLC": LLC, "SNAP": SNAP, "IGMPv3": IGMPv3, "IGMPv3mq": IGMPv3mq, "ICMPv6MLQuery2": ICMPv6MLQuery2, "ICMPv6ND_RA": ICMPv6ND_RA, "ICMPv6NDOptPrefixInfo": ICMPv6NDOptPrefixInfo,
     "Dot1Q": Dot1Q, "IP": IP, "ICMP": ICMP, "IPv6": IPv6, "IPv6ExtHdrFragment": IPv6ExtHdrFragment, "ICMPv6ND_NS": ICMPv6ND_NS, "ICMPv6NDOptSrcLLAddr": ICMPv6NDOptSrcLLAddr, "ARP": ARP, "IGMP": IGMP}
from scapy.all import IPOption_Router_Alert
out = []
for c in json.load(sys.stdin):
    p = Ether(bytes.fromhex(c["hex"]))
    got = {"__built": raw(eval(c["scapy"])).hex()}
    for k in c["expect"]:
        layer, name = k.split(".")
        if name.endswith("_ok"):
            # Scapy recomputes the checksum with the field unset; ours must equal it.
            f = name[:-3]
            q = p.copy()
            setattr(q[L[layer]], f, None)
            got[k] = int(getattr(Ether(raw(q))[L[layer]], f) == getattr(p[L[layer]], f))
        else:
            v = getattr(p[L[layer]], name)
            got[k] = v if isinstance(v, (int, str)) else str(v)
    out.append(got)
print(json.dumps(out))
`;
  const res = spawnSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 1 << 24 });
  assert.equal(res.status, 0, res.stderr);
  const got = JSON.parse(res.stdout) as Record<string, number | string>[];
  let fields = 0;
  for (let i = 0; i < cases.length; i++) {
    assert.equal(cases[i]!.hex, got[i]!.__built, `case ${i}: Scapy built other bytes from the same values: ${cases[i]!.scapy}`);
    for (const [k, want] of Object.entries(cases[i]!.expect)) {
      const g = got[i]![k];
      assert.equal(typeof want === "string" ? String(g).toLowerCase() : g, typeof want === "string" ? want.toLowerCase() : want, `case ${i} ${k}`);
      fields++;
    }
  }
  console.log(`# Scapy built the same bytes as we did for ${cases.length} packets of random values, and read back ${fields} field values, all equal`);
});
