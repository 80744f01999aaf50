/**
 * Conformance against Wireshark: every field the link and network layer protocols decode, for
 * every frame of the fixtures (real traffic from namespaces, and Scapy frames the kernel does not
 * make), compared with tshark's JSON committed beside the captures. The figure is printed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, type Packet } from "../../src/packet/packet.js";
import type { AnyLayer, AnyProtocol } from "../../src/schema/protocol.js";
import { Ethernet } from "../../src/protocols/ethernet.js";
import { LLC } from "../../src/protocols/llc.js";
import { SNAP } from "../../src/protocols/snap.js";
import { Dot1AD, Dot1Q } from "../../src/protocols/dot1q.js";
import { ARP } from "../../src/protocols/arp.js";
import { SLL, SLL2 } from "../../src/protocols/sll.js";
import { Loop, Null } from "../../src/protocols/null.js";
import { IPv4 } from "../../src/protocols/ipv4.js";
import { timestampEntries } from "../../src/protocols/ipv4-options.js";
import { IPv6 } from "../../src/protocols/ipv6.js";
import { IPv6DestinationOptions, IPv6HopByHop } from "../../src/protocols/ipv6-options.js";
import { IPv6Routing } from "../../src/protocols/ipv6-routing.js";
import { IPv6Fragment } from "../../src/protocols/ipv6-fragment.js";
import { ICMP, ICMPDestinationUnreachable, ICMPEcho, ICMPParameterProblem, ICMPRedirect } from "../../src/protocols/icmp.js";
import { ICMPv6, ICMPv6Echo, ICMPv6PacketTooBig, ICMPv6ParameterProblem } from "../../src/protocols/icmpv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation, NDPRedirect, NDPRouterAdvertisement, NDPRouterSolicitation } from "../../src/protocols/ndp.js";
import { MLD, MLDv2Query, MLDv2Report } from "../../src/protocols/mld.js";
import { IGMP, IGMPv3, IGMPv3Query, IGMPv3Report } from "../../src/protocols/igmp.js";
import { UDP } from "../../src/protocols/udp.js";
import { NETWORK_CAPTURES, networkFrames, networkTshark } from "./network-fixtures.js";

type Value = string | number | bigint | boolean;
type Extract = (p: Packet) => Value[];

/** Every layer of `P`, including those inside a redirected-header option (tshark dissects those). */
function all(p: Packet, P: AnyProtocol): AnyLayer[] {
  const out = p.layers(P) as AnyLayer[];
  for (const r of p.layers(NDPRedirect)) {
    for (const o of r.options) if (o.type === 4 && o.data !== undefined) out.push(...(dissect(o.data, IPv6).layers(P) as AnyLayer[]));
  }
  return out;
}
const f = (P: AnyProtocol, name: string, map: (v: never, l: never) => Value = (v) => v): Extract =>
  (p) => all(p, P).map((l) => map((l as unknown as Record<string, never>)[name]!, l as never));
const mac = (b: Uint8Array, n: number): string => Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, "0")).join(":");
const ndpOptions = (p: Packet) => [NDPRouterSolicitation, NDPRouterAdvertisement, NDPNeighborSolicitation, NDPNeighborAdvertisement, NDPRedirect]
  .flatMap((P) => p.layers(P) as unknown as { options: { type: number; length: number; address?: string; prefixLength?: number; prefixFlags?: number; validLifetime?: number; preferredLifetime?: number; prefix?: string; mtu?: number; lifetime?: number; addresses?: { address: string }[] }[] }[])
  .flatMap((l) => l.options);
const present = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);
const ipv6Options = (p: Packet) => [...all(p, IPv6HopByHop), ...all(p, IPv6DestinationOptions)]
  .sort((a, b) => a.span()!.start - b.span()!.start)
  .flatMap((l) => (l as unknown as { options: { type: number; length?: number; value?: number; data?: Uint8Array }[] }).options);

/** tshark field -> our values for the frame, in tshark's order (outermost first). */
const FIELDS: Record<string, Extract> = {
  "eth.dst": f(Ethernet, "dst"),
  "eth.src": f(Ethernet, "src"),
  "eth.type": (p) => all(p, Ethernet).map((l) => (l as unknown as Ethernet).type).filter((t) => t > 1500),
  "eth.len": (p) => all(p, Ethernet).map((l) => (l as unknown as Ethernet).type).filter((t) => t <= 1500),
  "llc.dsap": f(LLC, "dsap"),
  "llc.ssap": f(LLC, "ssap"),
  "llc.control": f(LLC, "control"),
  "llc.oui": f(SNAP, "oui"),
  // tshark names the protocol ID by organisation: an EtherType (OUI 0), Cisco's, or others.
  "llc.type": (p) => all(p, SNAP).map((l) => l as unknown as SNAP).filter((l) => l.oui === 0).map((l) => l.code),
  "llc.cisco_pid": (p) => all(p, SNAP).map((l) => l as unknown as SNAP).filter((l) => l.oui === 0x00000c).map((l) => l.code),
  "llc.pid": (p) => all(p, SNAP).map((l) => l as unknown as SNAP).filter((l) => l.oui !== 0 && l.oui !== 0x00000c).map((l) => l.code),
  "vlan.priority": f(Dot1Q, "pcp"),
  "vlan.dei": f(Dot1Q, "dei"),
  "vlan.id": f(Dot1Q, "vid"),
  "vlan.etype": f(Dot1Q, "type"),
  "ieee8021ad.priority": f(Dot1AD, "pcp"),
  "ieee8021ad.dei": f(Dot1AD, "dei"),
  "ieee8021ad.id": f(Dot1AD, "vid"),
  "sll.pkttype": (p) => [...f(SLL, "packetType")(p), ...f(SLL2, "packetType")(p)],
  "sll.hatype": (p) => [...f(SLL, "addressType")(p), ...f(SLL2, "addressType")(p)],
  "sll.halen": (p) => [...f(SLL, "addressLength")(p), ...f(SLL2, "addressLength")(p)],
  "sll.src.eth": (p) => [...all(p, SLL), ...all(p, SLL2)].map((l) => l as unknown as SLL).filter((l) => l.addressType === 1 && l.addressLength === 6).map((l) => mac(l.address, 6)),
  "sll.etype": (p) => [...f(SLL, "protocol")(p), ...f(SLL2, "protocol")(p)],
  "sll.ifindex": f(SLL2, "interfaceIndex"),
  "null.family": (p) => [...f(Null, "family")(p), ...f(Loop, "family")(p)],
  "arp.hw.type": f(ARP, "hwType"),
  "arp.proto.type": f(ARP, "protoType"),
  "arp.hw.size": f(ARP, "hwLen"),
  "arp.proto.size": f(ARP, "protoLen"),
  "arp.opcode": f(ARP, "opcode"),
  "arp.src.hw_mac": f(ARP, "senderMac"),
  "arp.src.proto_ipv4": f(ARP, "senderIp"),
  "arp.dst.hw_mac": f(ARP, "targetMac"),
  "arp.dst.proto_ipv4": f(ARP, "targetIp"),
  "ip.version": (p) => [...f(IPv4, "version")(p), ...f(IPv6, "version")(p)],
  "ip.hdr_len": f(IPv4, "ihl", (v: number) => v * 4),
  "ip.dsfield": f(IPv4, "tos"),
  "ip.len": f(IPv4, "totalLength"),
  "ip.id": f(IPv4, "id"),
  "ip.flags": f(IPv4, "flags"),
  "ip.frag_offset": f(IPv4, "fragmentOffset"),
  "ip.ttl": f(IPv4, "ttl"),
  "ip.proto": f(IPv4, "protocol"),
  "ip.checksum": f(IPv4, "checksum"),
  "ip.src": f(IPv4, "src"),
  "ip.dst": f(IPv4, "dst"),
  // tshark stops at EOL and shows no item for the padding after it.
  // tshark gives unknown options no type or length field, only a text line.
  "ip.opt.type": (p) => all(p, IPv4).flatMap((l) => untilEol((l as unknown as IPv4).options).filter(known).map((o) => o.type)),
  "ip.opt.len": (p) => all(p, IPv4).flatMap((l) => present(untilEol((l as unknown as IPv4).options).filter(known).map((o) => o.length))),
  "ip.opt.ptr": (p) => all(p, IPv4).flatMap((l) => present((l as unknown as IPv4).options.map((o) => o.pointer))),
  "ip.opt.overflow": (p) => all(p, IPv4).flatMap((l) => present((l as unknown as IPv4).options.map((o) => o.overflow))),
  "ip.opt.flag": (p) => all(p, IPv4).flatMap((l) => present((l as unknown as IPv4).options.map((o) => o.flag))),
  "ip.opt.ra": (p) => all(p, IPv4).flatMap((l) => present((l as unknown as IPv4).options.map((o) => o.value))),
  // Record route: addresses before the pointer are recorded, the others still empty.
  "ip.rec_rt": (p) => recordRoute(p, true),
  "ip.empty_rt": (p) => recordRoute(p, false),
  "ip.opt.time_stamp": (p) => all(p, IPv4).flatMap((l) => (l as unknown as IPv4).options.flatMap((o) => timestampEntries(o).map((e) => e.timestamp))),
  "ip.opt.time_stamp_addr": (p) => all(p, IPv4).flatMap((l) => (l as unknown as IPv4).options.flatMap((o) => present(timestampEntries(o).map((e) => e.address)))),
  "ipv6.version": f(IPv6, "version"),
  "ipv6.tclass": f(IPv6, "trafficClass"),
  "ipv6.flow": f(IPv6, "flowLabel"),
  "ipv6.plen": f(IPv6, "payloadLength"),
  "ipv6.nxt": f(IPv6, "nextHeader"),
  "ipv6.hlim": f(IPv6, "hopLimit"),
  "ipv6.src": f(IPv6, "src"),
  "ipv6.dst": f(IPv6, "dst"),
  "ipv6.hopopts.nxt": f(IPv6HopByHop, "nextHeader"),
  "ipv6.hopopts.len": f(IPv6HopByHop, "length"),
  "ipv6.dstopts.nxt": f(IPv6DestinationOptions, "nextHeader"),
  "ipv6.dstopts.len": f(IPv6DestinationOptions, "length"),
  "ipv6.opt.type": (p) => ipv6Options(p).map((o) => o.type),
  "ipv6.opt.length": (p) => present(ipv6Options(p).map((o) => o.length)),
  "ipv6.opt.router_alert": (p) => present(ipv6Options(p).map((o) => o.value)),
  "ipv6.routing.nxt": f(IPv6Routing, "nextHeader"),
  "ipv6.routing.len": f(IPv6Routing, "length"),
  "ipv6.routing.type": f(IPv6Routing, "routingType"),
  "ipv6.routing.segleft": f(IPv6Routing, "segmentsLeft"),
  "ipv6.routing.src.addr": (p) => all(p, IPv6Routing).map((l) => l as unknown as IPv6Routing).filter((l) => l.routingType === 0).flatMap((l) => l.addresses!.map((a) => a.address)),
  "ipv6.routing.mipv6.home_address": (p) => all(p, IPv6Routing).map((l) => l as unknown as IPv6Routing).filter((l) => l.routingType === 2).flatMap((l) => l.addresses!.map((a) => a.address)),
  "ipv6.routing.srh.last_entry": (p) => present(f(IPv6Routing, "lastEntry")(p)),
  "ipv6.routing.srh.flags": (p) => present(f(IPv6Routing, "flags")(p)),
  "ipv6.routing.srh.tag": (p) => present(f(IPv6Routing, "tag")(p)),
  "ipv6.routing.srh.addr": (p) => all(p, IPv6Routing).map((l) => l as unknown as IPv6Routing).filter((l) => l.routingType === 4).flatMap((l) => l.addresses!.map((a) => a.address)),
  "ipv6.fraghdr.nxt": f(IPv6Fragment, "nextHeader"),
  "ipv6.fraghdr.offset": f(IPv6Fragment, "fragmentOffset"),
  "ipv6.fraghdr.more": f(IPv6Fragment, "moreFragments"),
  "ipv6.fraghdr.ident": f(IPv6Fragment, "id"),
  "icmp.type": f(ICMP, "type"),
  "icmp.code": f(ICMP, "code"),
  "icmp.checksum": f(ICMP, "checksum"),
  "icmp.ident": f(ICMPEcho, "id"),
  "icmp.seq": f(ICMPEcho, "seq"),
  "icmp.mtu": (p) => all(p, ICMPDestinationUnreachable).map((l) => l as unknown as ICMPDestinationUnreachable).filter((l) => l.nextHopMtu !== 0).map((l) => l.nextHopMtu),
  "icmp.redir_gw": f(ICMPRedirect, "gateway"),
  "icmp.pointer": f(ICMPParameterProblem, "pointer"),
  "icmpv6.type": f(ICMPv6, "type"),
  "icmpv6.code": f(ICMPv6, "code"),
  "icmpv6.checksum": f(ICMPv6, "checksum"),
  "icmpv6.echo.identifier": f(ICMPv6Echo, "id"),
  "icmpv6.echo.sequence_number": f(ICMPv6Echo, "seq"),
  "icmpv6.mtu": f(ICMPv6PacketTooBig, "mtu"),
  "icmpv6.pointer": f(ICMPv6ParameterProblem, "pointer"),
  "icmpv6.nd.ra.cur_hop_limit": f(NDPRouterAdvertisement, "currentHopLimit"),
  "icmpv6.nd.ra.flag.m": f(NDPRouterAdvertisement, "managed"),
  "icmpv6.nd.ra.flag.o": f(NDPRouterAdvertisement, "other"),
  "icmpv6.nd.ra.flag.prf": f(NDPRouterAdvertisement, "preference"),
  "icmpv6.nd.ra.router_lifetime": f(NDPRouterAdvertisement, "routerLifetime"),
  "icmpv6.nd.ra.reachable_time": f(NDPRouterAdvertisement, "reachableTime"),
  "icmpv6.nd.ra.retrans_timer": f(NDPRouterAdvertisement, "retransTimer"),
  "icmpv6.nd.ns.target_address": f(NDPNeighborSolicitation, "target"),
  "icmpv6.nd.na.flag.r": f(NDPNeighborAdvertisement, "router"),
  "icmpv6.nd.na.flag.s": f(NDPNeighborAdvertisement, "solicited"),
  "icmpv6.nd.na.flag.o": f(NDPNeighborAdvertisement, "override"),
  "icmpv6.nd.na.target_address": f(NDPNeighborAdvertisement, "target"),
  "icmpv6.nd.rd.target_address": f(NDPRedirect, "target"),
  "icmpv6.rd.na.destination_address": f(NDPRedirect, "destination"),
  "icmpv6.opt.type": (p) => ndpOptions(p).map((o) => o.type),
  "icmpv6.opt.length": (p) => ndpOptions(p).map((o) => o.length),
  "icmpv6.opt.linkaddr": (p) => present(ndpOptions(p).map((o) => o.address)),
  "icmpv6.opt.prefix.length": (p) => present(ndpOptions(p).map((o) => o.prefixLength)),
  "icmpv6.opt.prefix.flag.l": (p) => present(ndpOptions(p).map((o) => (o.prefixFlags === undefined ? undefined : o.prefixFlags >> 7))),
  "icmpv6.opt.prefix.flag.a": (p) => present(ndpOptions(p).map((o) => (o.prefixFlags === undefined ? undefined : (o.prefixFlags >> 6) & 1))),
  "icmpv6.opt.prefix.valid_lifetime": (p) => present(ndpOptions(p).map((o) => o.validLifetime)),
  "icmpv6.opt.prefix.preferred_lifetime": (p) => present(ndpOptions(p).map((o) => o.preferredLifetime)),
  "icmpv6.opt.prefix": (p) => present(ndpOptions(p).map((o) => o.prefix)),
  "icmpv6.opt.mtu": (p) => present(ndpOptions(p).map((o) => o.mtu)),
  "icmpv6.opt.rdnss.lifetime": (p) => present(ndpOptions(p).map((o) => o.lifetime)),
  "icmpv6.opt.rdnss": (p) => ndpOptions(p).flatMap((o) => (o.addresses ?? []).map((a) => a.address)),
  "icmpv6.mld.maximum_response_delay": (p) => all(p, MLD).map((l) => l as unknown as MLD).filter((_, i, a) => a.length > 0).map((l) => l.maxResponseDelay),
  "icmpv6.mld.multicast_address": (p) => [...f(MLD, "multicastAddress")(p), ...f(MLDv2Query, "multicastAddress")(p)],
  "icmpv6.mld.maximum_response_code": f(MLDv2Query, "maxResponseCode"),
  "icmpv6.mld.flag.s": f(MLDv2Query, "suppress"),
  "icmpv6.mld.flag.qrv": f(MLDv2Query, "qrv"),
  "icmpv6.mld.qqi": f(MLDv2Query, "qqic"),
  "icmpv6.mld.nb_sources": f(MLDv2Query, "numSources"),
  "icmpv6.mld.source_address": (p) => all(p, MLDv2Query).flatMap((l) => (l as unknown as MLDv2Query).sources.map((s) => s.address)),
  "icmpv6.mldr.nb_mcast_records": f(MLDv2Report, "numRecords"),
  "icmpv6.mldr.mar.record_type": (p) => all(p, MLDv2Report).flatMap((l) => (l as unknown as MLDv2Report).records.map((r) => r.recordType)),
  "icmpv6.mldr.mar.aux_data_len": (p) => all(p, MLDv2Report).flatMap((l) => (l as unknown as MLDv2Report).records.map((r) => r.auxDataLength)),
  "icmpv6.mldr.mar.nb_sources": (p) => all(p, MLDv2Report).flatMap((l) => (l as unknown as MLDv2Report).records.map((r) => r.numSources)),
  "icmpv6.mldr.mar.multicast_address": (p) => all(p, MLDv2Report).flatMap((l) => (l as unknown as MLDv2Report).records.map((r) => r.multicastAddress)),
  "icmpv6.mldr.mar.source_address": (p) => all(p, MLDv2Report).flatMap((l) => (l as unknown as MLDv2Report).records.flatMap((r) => r.sources.map((s) => s.address))),
  "igmp.type": (p) => [...f(IGMP, "type")(p), ...f(IGMPv3, "type")(p)],
  // In an IGMPv3 report the byte is reserved; tshark shows it for queries only.
  "igmp.max_resp": (p) => [...f(IGMP, "maxRespTime")(p), ...all(p, IGMPv3).map((l) => l as unknown as IGMPv3).filter((l) => l.type === 0x11).map((l) => l.maxRespCode)],
  "igmp.checksum": (p) => [...f(IGMP, "checksum")(p), ...f(IGMPv3, "checksum")(p)],
  "igmp.maddr": (p) => [...f(IGMP, "group")(p), ...f(IGMPv3Query, "group")(p),
    ...all(p, IGMPv3Report).flatMap((l) => (l as unknown as IGMPv3Report).records.map((r) => r.multicastAddress))],
  "igmp.s": f(IGMPv3Query, "suppress"),
  "igmp.qrv": f(IGMPv3Query, "qrv"),
  "igmp.qqic": f(IGMPv3Query, "qqic"),
  "igmp.num_src": (p) => [...f(IGMPv3Query, "numSources")(p), ...all(p, IGMPv3Report).flatMap((l) => (l as unknown as IGMPv3Report).records.map((r) => r.numSources))],
  "igmp.saddr": (p) => [...all(p, IGMPv3Query).flatMap((l) => (l as unknown as IGMPv3Query).sources.map((s) => s.address)),
    ...all(p, IGMPv3Report).flatMap((l) => (l as unknown as IGMPv3Report).records.flatMap((r) => r.sources.map((s) => s.address)))],
  "igmp.num_grp_recs": f(IGMPv3Report, "numRecords"),
  "igmp.record_type": (p) => all(p, IGMPv3Report).flatMap((l) => (l as unknown as IGMPv3Report).records.map((r) => r.recordType)),
  "igmp.aux_data_len": (p) => all(p, IGMPv3Report).flatMap((l) => (l as unknown as IGMPv3Report).records.map((r) => r.auxDataLength)),
  "udp.srcport": f(UDP, "srcPort"),
  "udp.dstport": f(UDP, "dstPort"),
  "udp.length": f(UDP, "length"),
};

const KNOWN_IPV4_OPTIONS = new Set([0, 1, 7, 68, 131, 137, 148]);
function known(o: { type: number }): boolean {
  return KNOWN_IPV4_OPTIONS.has(o.type);
}

function recordRoute(p: Packet, recorded: boolean): string[] {
  return all(p, IPv4).flatMap((l) => (l as unknown as IPv4).options.filter((o) => o.type === 7).flatMap((o) =>
    (o.addresses ?? []).filter((_, i) => (i < ((o.pointer ?? 4) - 4) / 4) === recorded).map((a) => a.address)));
}

function untilEol<T extends { type: number }>(options: T[]): T[] {
  const i = options.findIndex((o) => o.type === 0);
  return i < 0 ? options : options.slice(0, i + 1);
}

/** Normalise a value for comparison: numbers (decimal or 0x hex, True/False) as numbers, text lower case. */
function norm(v: Value | string): string {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (v === "True") return "1";
  if (v === "False") return "0";
  if (/^0x[0-9a-f]+$/i.test(v)) return String(parseInt(v, 16));
  if (/^-?[0-9]+$/.test(v)) return String(Number(v));
  return v.toLowerCase();
}

let compared = 0;
let agreed = 0;
const problems: string[] = [];

for (const capture of NETWORK_CAPTURES) {
  test(`${capture}: every decoded field agrees with tshark`, () => {
    const frames = networkFrames(capture);
    const theirs = networkTshark(capture);
    assert.equal(frames.length, theirs.length, "tshark saw as many frames");
    for (const fr of frames) {
      const p = dissect(fr.data, fr.first);
      const t = theirs[fr.index]!;
      for (const [name, extract] of Object.entries(FIELDS)) {
        const ours = extract(p).map(norm);
        const th = (t[name] ?? []).map(norm);
        if (ours.length === 0 && th.length === 0) continue;
        compared += Math.max(ours.length, th.length);
        let same = 0;
        for (let i = 0; i < Math.min(ours.length, th.length); i++) if (ours[i] === th[i]) same++;
        agreed += same;
        if (same !== ours.length || same !== th.length) problems.push(`${capture} frame ${fr.index + 1} ${name}: ours ${JSON.stringify(ours)}, tshark ${JSON.stringify(th)}`);
      }
    }
  });
}

test("agreement figure", () => {
  console.log(`# link/network vs tshark: ${agreed}/${compared} field values agree (${((100 * agreed) / Math.max(1, compared)).toFixed(2)}%)`);
  for (const x of problems.slice(0, 60)) console.log(`# ${x}`);
  assert.ok(compared > 1000, `compared ${compared} values`);
  assert.deepEqual(problems, []);
});
