/**
 * Reply matching (Scapy's `answers()`): does `reply` answer `request`? Each protocol says so for
 * its own layer; the request's layers that have a rule must all agree. ICMP and ICMPv6 errors
 * answer the packet they quote. Users add rules for their protocols with `registerAnswer`.
 */
import type { AnyLayer, AnyProtocol } from "../schema/protocol.js";
import { dissect, type Packet } from "../packet/packet.js";
import { Ethernet } from "../protocols/ethernet.js";
import { ARP, ArpOpcode } from "../protocols/arp.js";
import { IPv4 } from "../protocols/ipv4.js";
import { IPv6 } from "../protocols/ipv6.js";
import { ICMP, ICMPEcho, IcmpType } from "../protocols/icmp.js";
import { ICMPv6, ICMPv6Echo, Icmpv6Type } from "../protocols/icmpv6.js";
import { NDPNeighborAdvertisement, NDPNeighborSolicitation } from "../protocols/ndp.js";
import { TCP } from "../protocols/tcp.js";
import { UDP } from "../protocols/udp.js";
import { DNS } from "../protocols/dns.js";
import { DHCP, BootpOp } from "../protocols/dhcp.js";

/** A rule: does the reply's layer answer the request's layer of the same protocol? */
export type AnswerRule = (request: AnyLayer, reply: AnyLayer, context: { request: Packet; reply: Packet }) => boolean;

const rules = new Map<AnyProtocol, AnswerRule>();

/** Say how a layer of `protocol` in a reply answers one in a request. */
export function registerAnswer(protocol: AnyProtocol, rule: AnswerRule): void {
  rules.set(protocol, rule);
}

type L = Record<string, any> & AnyLayer;

/** Return `request` as read back from its bytes, so computed fields (protocol numbers, lengths) have values. */
export function settled(request: Packet): Packet {
  const first = request.layers()[0] as AnyLayer | undefined;
  if (!first || first.span()) return request;
  return dissect(request.bytes(), first.proto);
}

/** Return whether `reply` answers `request`. */
export function answers(request: Packet, reply: Packet): boolean {
  request = settled(request);
  if (quotesRequest(request, reply)) return true;
  const asked = request.layers() as L[];
  const got = reply.layers() as L[];
  let matched = 0;
  const used = new Map<AnyProtocol, number>();
  for (const layer of asked) {
    const rule = rules.get(layer.proto);
    if (!rule) continue;
    const nth = used.get(layer.proto) ?? 0;
    used.set(layer.proto, nth + 1);
    const other = got.filter((l) => l.proto === layer.proto)[nth];
    if (!other || !rule(layer, other, { request, reply })) return false;
    matched++;
  }
  return matched > 0;
}

const ICMP_ERRORS = new Set<number>([
  IcmpType.destinationUnreachable, IcmpType.sourceQuench, IcmpType.redirect, IcmpType.timeExceeded, IcmpType.parameterProblem,
]);

/** An ICMP(v6) error in `reply` quoting `request`'s network layer and what it carries. */
function quotesRequest(request: Packet, reply: Packet): boolean {
  const all = reply.layers() as L[];
  const at = all.findIndex((l) => (l.proto === ICMP && ICMP_ERRORS.has(l.type)) || (l.proto === ICMPv6 && l.type < 128));
  if (at < 0) return false;
  const quoted = all.slice(at + 1);
  const asked = request.layers() as L[];
  const ip = asked.find((l) => l.proto === IPv4 || l.proto === IPv6);
  if (!ip || (all[at]!.proto === ICMP) !== (ip.proto === IPv4)) return false;
  const outer = all.slice(0, at).reverse().find((l) => l.proto === ip.proto);
  if (outer && outer.dst !== ip.src) return false;
  let checked = 0;
  for (const proto of [IPv4, IPv6, TCP, UDP, ICMPEcho, ICMPv6Echo] as AnyProtocol[]) {
    const a = asked.slice(asked.indexOf(ip)).find((l) => l.proto === proto);
    const q = quoted.find((l) => l.proto === proto);
    if (!a) continue;
    if (!q) {
      if (checked === 0) return false; // the quoted IP header must be there; ports may be cut
      continue;
    }
    checked++;
    const keys = proto === IPv4 || proto === IPv6 ? ["src", "dst"] : proto === TCP || proto === UDP ? ["srcPort", "dstPort"] : ["id", "seq"];
    if (proto === IPv4 && a.protocol !== q.protocol) return false;
    if (keys.some((k) => a[k] !== q[k])) return false;
  }
  return checked > 0;
}

const isGroup4 = (a: string): boolean => a === "255.255.255.255" || a.endsWith(".255") || Number(a.split(".")[0]) >= 224;
const isGroup6 = (a: string): boolean => a.toLowerCase().startsWith("ff");

registerAnswer(Ethernet, (q, r) => {
  const a = q as L, b = r as L;
  return (b.dst === a.src || a.src === "00:00:00:00:00:00") && (b.src === a.dst || a.dst === "ff:ff:ff:ff:ff:ff" || (Number.parseInt(a.dst.slice(0, 2), 16) & 1) === 1);
});

registerAnswer(ARP, (q, r) => {
  const a = q as L, b = r as L;
  return a.opcode === ArpOpcode.request && b.opcode === ArpOpcode.reply && b.senderIp === a.targetIp &&
    (b.targetIp === a.senderIp || a.senderIp === "0.0.0.0");
});

registerAnswer(IPv4, (q, r) => {
  const a = q as L, b = r as L;
  return b.protocol === a.protocol && (b.dst === a.src || a.src === "0.0.0.0" || isGroup4(b.dst)) && (b.src === a.dst || isGroup4(a.dst));
});

registerAnswer(IPv6, (q, r) => {
  const a = q as L, b = r as L;
  return (b.dst === a.src || a.src === "::" || isGroup6(b.dst)) && (b.src === a.dst || isGroup6(a.dst));
});

const PAIRS4 = new Map<number, number>([[IcmpType.echoRequest, IcmpType.echoReply], [IcmpType.timestamp, IcmpType.timestampReply]]);
registerAnswer(ICMP, (q, r) => PAIRS4.get((q as L).type) === (r as L).type);
registerAnswer(ICMPEcho, (q, r) => (q as L).id === (r as L).id && (q as L).seq === (r as L).seq);

const PAIRS6 = new Map<number, number>([
  [Icmpv6Type.echoRequest, Icmpv6Type.echoReply],
  [Icmpv6Type.neighborSolicitation, Icmpv6Type.neighborAdvertisement],
  [Icmpv6Type.routerSolicitation, Icmpv6Type.routerAdvertisement],
]);
registerAnswer(ICMPv6Echo, (q, r) => (q as L).id === (r as L).id && (q as L).seq === (r as L).seq);
// A neighbour solicitation is answered by an advertisement for the same target: two protocols,
// so the ICMPv6 rule pairs them.
registerAnswer(ICMPv6, (q, r, { request, reply }) => {
  const a = q as L, b = r as L;
  if (PAIRS6.get(a.type) !== b.type) return false;
  if (a.type !== Icmpv6Type.neighborSolicitation) return true;
  const ns = request.layer(NDPNeighborSolicitation);
  const na = reply.layer(NDPNeighborAdvertisement);
  return !!ns && !!na && ns.target === na.target;
});

const TCP_SYN = 0x002, TCP_RST = 0x004, TCP_ACK = 0x010, TCP_FIN = 0x001;
registerAnswer(TCP, (q, r, { request }) => {
  const a = q as L, b = r as L;
  if (b.srcPort !== a.dstPort || b.dstPort !== a.srcPort) return false;
  const af = Number(a.flags), bf = Number(b.flags);
  if (bf & TCP_ACK) {
    const span = payloadLength(request, a) + (af & TCP_SYN ? 1 : 0) + (af & TCP_FIN ? 1 : 0);
    const ahead = (b.ack - a.seq) >>> 0;
    return span === 0 ? ahead === 0 : ahead >= 1 && ahead <= span;
  }
  if (bf & TCP_RST) return b.seq === a.ack;
  return false;
});

function payloadLength(packet: Packet, tcp: L): number {
  const span = tcp.span();
  if (span) return span.end - span.headerEnd;
  const layers = packet.layers() as L[];
  const after = layers.slice(layers.indexOf(tcp) + 1);
  return after.length ? packetBytesOf(after) : 0;
}

function packetBytesOf(layers: L[]): number {
  let n = 0;
  for (const l of layers) if (l.data instanceof Uint8Array) n += l.data.length;
  return n;
}

registerAnswer(UDP, (q, r) => (r as L).srcPort === (q as L).dstPort && (r as L).dstPort === (q as L).srcPort);

registerAnswer(DNS, (q, r) => {
  const a = q as L, b = r as L;
  if (b.qr !== 1 || a.qr !== 0 || b.id !== a.id) return false;
  const qa = a.questions?.[0], qb = b.questions?.[0];
  if (!qa || !qb) return true;
  return String(qa.name).toLowerCase() === String(qb.name).toLowerCase() && qa.type === qb.type && qa.class === qb.class;
});

registerAnswer(DHCP, (q, r) => (q as L).op === BootpOp.request && (r as L).op === BootpOp.reply && (q as L).xid === (r as L).xid);
