/**
 * Conformance against Scapy (Debian python3-scapy) for the transport and application protocols:
 * seeded random values for TCP (with option lists), GRE, VXLAN, DNS (over UDP and TCP), DHCPv4,
 * DHCPv6 and NTP, over IPv4 and IPv6 where they apply. Scapy must build the same bytes from the
 * same values, and must dissect our bytes to the values we dissect from them (see scapy-sweep.ts).
 * DNS messages built by both sides have no repeated names (we compress, Scapy 2.5 does not); a
 * second DNS sweep repeats names so that we compress, and compares Scapy's reading of those.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../../src/packet/packet.js";
import type { LayerBase } from "../../src/schema/layer.js";
import { toHex } from "../../src/schema/address.js";
import { Ethernet } from "../../src/protocols/ethernet.js";
import { IPv4 } from "../../src/protocols/ipv4.js";
import { IPv6 } from "../../src/protocols/ipv6.js";
import { UDP } from "../../src/protocols/udp.js";
import { TCP, type TCPOption } from "../../src/protocols/tcp.js";
import { GRE } from "../../src/protocols/gre.js";
import { VXLAN } from "../../src/protocols/vxlan.js";
import { DNS, DNSTCP, type DNSRecord, type MxData, type SoaData, type SrvData, type EdnsOption } from "../../src/protocols/dns.js";
import { DHCP, type DHCPOption } from "../../src/protocols/dhcp.js";
import { DHCPv6, type DHCPv6Option, type DHCPv6SubOption } from "../../src/protocols/dhcpv6.js";
import { NTP } from "../../src/protocols/ntp.js";
import { big, latin1, NO_SCAPY, py, randomValues, sweep, type SweepCase } from "./scapy-sweep.js";

const R = randomValues(0x7a9c3e51);
const { int, rand, pick } = R;
const N = 300;
/** Values as given to a protocol constructor (names of enum values or numbers). */
type Loose = Record<string, unknown>;
const totals = { packets: 0, built: 0, fields: 0 };
const tally = (r: { packets: number; built: number; fields: number }) => { totals.packets += r.packets; totals.built += r.built; totals.fields += r.fields; };

/** A random outer IP header, ours and Scapy's. */
function outer(v6: boolean): { ours: unknown; py: string; first: "IP" | "IPv6" } {
  if (v6) {
    const v = { src: R.ipv6(), dst: R.ipv6(), hopLimit: int(0, 255), trafficClass: int(0, 255), flowLabel: int(0, 0xfffff) };
    return { ours: IPv6(v), py: `IPv6(src="${v.src}", dst="${v.dst}", hlim=${v.hopLimit}, tc=${v.trafficClass}, fl=${v.flowLabel})`, first: "IPv6" };
  }
  const v = { src: R.ipv4(), dst: R.ipv4(), ttl: int(0, 255), id: int(0, 0xffff), tos: int(0, 255) };
  return { ours: IPv4(v), py: `IP(src="${v.src}", dst="${v.dst}", ttl=${v.ttl}, id=${v.id}, tos=${v.tos})`, first: "IP" };
}

/** Our dissection of `hex` (which must be clean), its layers by Scapy's key for them. */
function layersOf(b: Uint8Array, first: "IP" | "IPv6") {
  const p = dissect(b, first === "IP" ? IPv4 : IPv6);
  assert.equal(p.error, undefined, `${p.error?.message} in ${toHex(b)}`);
  assert.ok(!p.malformed && !p.truncated, p.summary());
  return p;
}

/** Scapy's names and values for an IP header we dissected. */
function ipExpect(l: LayerBase): Record<string, unknown> {
  const v = l as unknown as Record<string, number | string>;
  return l._d.name === "IPv4"
    ? { src: v.src, dst: v.dst, ttl: v.ttl, id: v.id, tos: v.tos, proto: v.protocol, len: v.totalLength, chksum: v.checksum }
    : { src: v.src, dst: v.dst, hlim: v.hopLimit, tc: v.trafficClass, fl: v.flowLabel, nh: v.nextHeader, plen: v.payloadLength };
}

/** Key the layers Scapy will report: "IP", "IP#2"… */
function keyer(): (name: string) => string {
  const seen = new Map<string, number>();
  return (name) => { const n = (seen.get(name) ?? 0) + 1; seen.set(name, n); return n === 1 ? name : `${name}#${n}`; };
}
const SCAPY_NAME: Record<string, string> = { IPv4: "IP", IPv6: "IPv6", Ethernet: "Ether" };

/** A port Scapy binds nothing to. */
const freePort = () => int(30000, 40000);

// ---------------------------------------------------------------- TCP

function tcpOptions(): { ours: Loose[]; py: string[] } {
  const ours: Loose[] = [];
  const out: string[] = [];
  let size = 0;
  for (let k = int(0, 8); k > 0; k--) {
    const kind = pick([1, 2, 3, 4, 5, 8]);
    const blocks = kind === 5 ? Array.from({ length: int(1, 4) }, () => ({ left: R.u32(), right: R.u32() })) : [];
    const len = { 1: 1, 2: 4, 3: 3, 4: 2, 5: 2 + 8 * blocks.length, 8: 10 }[kind]!;
    if (size + len > 40) continue;
    size += len;
    if (kind === 1) { ours.push({ kind }); out.push(`("NOP", None)`); }
    if (kind === 2) { const mss = int(0, 0xffff); ours.push({ kind, mss }); out.push(`("MSS", ${mss})`); }
    if (kind === 3) { const shift = int(0, 255); ours.push({ kind, shift }); out.push(`("WScale", ${shift})`); }
    if (kind === 4) { ours.push({ kind }); out.push(`("SAckOK", b"")`); }
    if (kind === 5) { ours.push({ kind, blocks }); out.push(`("SAck", (${blocks.map((b) => `${b.left}, ${b.right}`).join(", ")},))`); }
    if (kind === 8) { const a = R.u32(), e = R.u32(); ours.push({ kind, tsValue: a, tsEchoReply: e }); out.push(`("Timestamp", (${a}, ${e}))`); }
  }
  if (size < 40 && rand() < 0.3) { ours.push({ kind: 0 }); out.push(`("EOL", None)`); }
  return { ours, py: out };
}

/** Scapy's list of a TCP option list: it stops at the first EOL (the rest is padding). */
function scapyTcpOptions(options: readonly TCPOption[]): unknown[] {
  const out: unknown[] = [];
  for (const o of options) {
    const name = { 0: "EOL", 1: "NOP", 2: "MSS", 3: "WScale", 4: "SAckOK", 5: "SAck", 8: "Timestamp" }[o.kind as number];
    if (name === undefined) { out.push([o.kind, latin1(o.data!)]); continue; }
    const value = o.kind <= 1 ? null : o.kind === 2 ? o.mss : o.kind === 3 ? o.shift : o.kind === 4 ? "" : o.kind === 5
      ? o.blocks!.flatMap((b) => [b.left, b.right]) : [o.tsValue, o.tsEchoReply];
    out.push([name, value]);
    if (o.kind === 0) break;
  }
  return out;
}

test("TCP: random headers and option lists over IPv4 and IPv6 build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(i % 2 === 1);
    const v = { srcPort: freePort(), dstPort: freePort(), seq: R.u32(), ack: R.u32(), reserved: int(0, 7), flags: int(0, 0x1ff), window: int(0, 0xffff), urgentPointer: int(0, 0xffff) };
    const o = tcpOptions();
    const load = R.bytes(int(0, 24));
    const b = packet(ip.ours as never, TCP({ ...v, options: o.ours } as never), load).bytes();
    const p = layersOf(b, ip.first);
    const t = p.layer(TCP)!;
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: `${ip.py}/TCP(sport=${v.srcPort}, dport=${v.dstPort}, seq=${v.seq}, ack=${v.ack}, reserved=${v.reserved}, flags=${v.flags}, window=${v.window}, urgptr=${v.urgentPointer}, options=[${o.py.join(", ")}])/${py.bytes(load)}`,
      expect: {
        [ip.first]: ipExpect(p.layers()[0] as unknown as LayerBase),
        TCP: { sport: t.srcPort, dport: t.dstPort, seq: t.seq, ack: t.ack, dataofs: t.dataOffset, reserved: t.reserved, flags: t.flags, window: t.window, chksum: t.checksum, urgptr: t.urgentPointer,
          // Scapy leaves an empty option list at its default ("") when the segment ends with the header.
          options: t.options.length || load.length ? scapyTcpOptions(t.options) : undefined },
        ...(load.length ? { Raw: { load: latin1(load) } } : {}),
      },
    });
  }
  tally(sweep("TCP", cases));
});

// ---------------------------------------------------------------- GRE and VXLAN

/** A random inner packet: IPv4, IPv6 or Ethernet carrying IPv4; ours, Scapy's and its EtherType. */
function inner(): { ours: unknown[]; py: string; type: number } {
  const kind = int(0, 2);
  const ip = outer(kind === 1);
  const load = R.bytes(int(0, 16));
  if (kind === 2) {
    const e = { dst: R.mac(), src: R.mac() };
    return { ours: [Ethernet(e), ip.ours, load], py: `Ether(dst="${e.dst}", src="${e.src}")/${ip.py}/${py.bytes(load)}`, type: 0x6558 };
  }
  return { ours: [ip.ours, load], py: `${ip.py}/${py.bytes(load)}`, type: kind === 1 ? 0x86dd : 0x0800 };
}

/** Scapy's names and values for the layers after the tunnel header. */
function innerExpect(p: ReturnType<typeof dissect>, key: (n: string) => string, from: number): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const l of (p.layers() as unknown as LayerBase[]).slice(from)) {
    const v = l as unknown as Record<string, unknown>;
    if (l._d.name === "Ethernet") out[key("Ether")] = { dst: v.dst, src: v.src, type: v.type };
    else if (l._d.name === "IPv4" || l._d.name === "IPv6") out[key(SCAPY_NAME[l._d.name]!)] = ipExpect(l);
  }
  return out;
}

test("GRE: random flags, checksum, key and sequence over IPv4 and IPv6 build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(i % 2 === 1);
    const inn = inner();
    const g = { checksumPresent: int(0, 1), keyPresent: int(0, 1), sequencePresent: int(0, 1), reserved0: int(0, 511), version: int(0, 7), protocolType: inn.type };
    const extra = { ...(g.checksumPresent ? { reserved1: int(0, 0xffff) } : {}), ...(g.keyPresent ? { key: R.u32() } : {}), ...(g.sequencePresent ? { sequenceNumber: R.u32() } : {}) };
    const b = packet(ip.ours as never, GRE({ ...g, ...extra } as never), ...(inn.ours as never[])).bytes();
    const p = layersOf(b, ip.first);
    const l = p.layer(GRE)!;
    const key = keyer();
    key(ip.first);
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: `${ip.py}/GRE(chksum_present=${g.checksumPresent}, key_present=${g.keyPresent}, seqnum_present=${g.sequencePresent}, strict_route_source=${g.reserved0 >> 8}, recursion_control=${(g.reserved0 >> 5) & 7}, flags=${g.reserved0 & 31}, version=${g.version}, proto=${g.protocolType}`
        + `${g.checksumPresent ? `, offset=${extra.reserved1}` : ""}${g.keyPresent ? `, key=${extra.key}` : ""}${g.sequencePresent ? `, sequence_number=${extra.sequenceNumber}` : ""})/${inn.py}`,
      expect: {
        [ip.first]: ipExpect(p.layers()[0] as unknown as LayerBase),
        GRE: {
          chksum_present: l.checksumPresent, routing_present: l.routingPresent, key_present: l.keyPresent, seqnum_present: l.sequencePresent,
          strict_route_source: l.reserved0 >> 8, recursion_control: (l.reserved0 >> 5) & 7, flags: l.reserved0 & 31, version: l.version, proto: l.protocolType,
          chksum: l.checksum, offset: l.reserved1, key: l.key, sequence_number: l.sequenceNumber,
        },
        ...innerExpect(p, key, 2),
      },
    });
  }
  tally(sweep("GRE", cases));
});

test("VXLAN: random flags, VNI and reserved bits over UDP on IPv4 and IPv6 build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(i % 2 === 1);
    const e = { dst: R.mac(), src: R.mac() };
    const inn = outer(rand() < 0.5);
    const load = R.bytes(int(0, 16));
    // Scapy reads the G (0x80) and Next Protocol (0x04) bits of VXLAN-GPE and GBP; RFC 7348 reserves them.
    const x = { flags: int(0, 255) & 0x7b, reserved1: int(0, 0xffffff), vni: int(0, 0xffffff), reserved2: int(0, 255) };
    const sport = freePort();
    const b = packet(ip.ours as never, UDP({ srcPort: sport, dstPort: 4789 }), VXLAN(x), Ethernet(e), inn.ours as never, load).bytes();
    const p = layersOf(b, ip.first);
    const u = p.layer(UDP)!;
    const l = p.layer(VXLAN)!;
    const key = keyer();
    key(ip.first);
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: `${ip.py}/UDP(sport=${sport}, dport=4789)/VXLAN(flags=${x.flags}, reserved1=${x.reserved1}, vni=${x.vni}, reserved2=${x.reserved2})/Ether(dst="${e.dst}", src="${e.src}")/${inn.py}/${py.bytes(load)}`,
      expect: {
        [ip.first]: ipExpect(p.layers()[0] as unknown as LayerBase),
        UDP: { sport: u.srcPort, dport: u.dstPort, len: u.length, chksum: u.checksum },
        VXLAN: { flags: l.flags, reserved1: l.reserved1, vni: l.vni, reserved2: l.reserved2 },
        ...innerExpect(p, key, 3),
      },
    });
  }
  tally(sweep("VXLAN", cases));
});

// ---------------------------------------------------------------- DNS

const DNS_TYPES = ["A", "AAAA", "CNAME", "NS", "PTR", "MX", "TXT", "SOA", "SRV"] as const;

/** Random names; with `unique`, no two names of a message share a suffix (so nothing compresses). */
function namer(unique: boolean): () => string {
  let n = 0;
  const label = () => Array.from({ length: int(1, 8) }, () => pick([..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"])).join("");
  const shared = ["example", "test", "ORG"];
  return () => {
    const head = Array.from({ length: int(0, 3) }, label);
    const last = unique ? `${label()}${n++}` : pick(shared);
    return [...head, last].join(".");
  };
}

function dnsRecord(type: (typeof DNS_TYPES)[number], name: () => string): { ours: Loose; py: string } {
  const rrname = name();
  const rclass = rand() < 0.7 ? 1 : int(0, 0xffff);
  const ttl = R.u32();
  const head = `rrname=${py.str(rrname)}, rclass=${rclass}, ttl=${ttl}`;
  const base = { name: rrname, type, class: rclass, ttl };
  switch (type) {
    case "A": case "AAAA": case "CNAME": case "NS": case "PTR": {
      const data = type === "A" ? R.ipv4() : type === "AAAA" ? R.ipv6() : name();
      const code = { A: 1, AAAA: 28, CNAME: 5, NS: 2, PTR: 12 }[type];
      return { ours: { ...base, data }, py: `DNSRR(${head}, type=${code}, rdata=${py.str(data)})` };
    }
    case "TXT": {
      // Scapy drops empty strings when it builds TXT data, so every string has a byte or more.
      const data = Array.from({ length: int(1, 3) }, () => R.text(1, rand() < 0.1 ? 255 : 20));
      return { ours: { ...base, data }, py: `DNSRR(${head}, type=16, rdata=[${data.map((s) => `${py.str(s)}.encode("latin1")`).join(", ")}])` };
    }
    case "MX": {
      const d: MxData = { preference: int(0, 0xffff), exchange: name() };
      return { ours: { ...base, data: d }, py: `DNSRRMX(${head}, type=15, preference=${d.preference}, exchange=${py.str(d.exchange)})` };
    }
    case "SOA": {
      const d: SoaData = { mname: name(), rname: name(), serial: R.u32(), refresh: R.u32(), retry: R.u32(), expire: R.u32(), minimum: R.u32() };
      return { ours: { ...base, data: d }, py: `DNSRRSOA(${head}, type=6, mname=${py.str(d.mname)}, rname=${py.str(d.rname)}, serial=${d.serial}, refresh=${d.refresh}, retry=${d.retry}, expire=${d.expire}, minimum=${d.minimum})` };
    }
    case "SRV": {
      const d: SrvData = { priority: int(0, 0xffff), weight: int(0, 0xffff), port: int(0, 0xffff), target: name() };
      return { ours: { ...base, data: d }, py: `DNSRRSRV(${head}, type=33, priority=${d.priority}, weight=${d.weight}, port=${d.port}, target=${py.str(d.target)})` };
    }
  }
}

function optRecord(): { ours: Loose; py: string } {
  const size = int(512, 0xffff), ext = int(0, 255), version = int(0, 255), z = int(0, 0xffff);
  const options: EdnsOption[] = Array.from({ length: int(0, 3) }, () => ({ code: pick([3, 5, 10, 12, 15, 65001]), data: R.bytes(int(0, 12)) }));
  return {
    ours: { name: ".", type: "OPT", class: size, ttl: ((ext << 24) | (version << 16) | z) >>> 0, data: options },
    py: `DNSRROPT(rrname=".", rclass=${size}, extrcode=${ext}, version=${version}, z=${z}, rdata=[${options.map((o) => `EDNS0TLV(optcode=${o.code}, optdata=${py.bytes(o.data)})`).join(", ")}])`,
  };
}

const dotted = (n: string) => (n === "." ? "." : `${n}.`);

/** Scapy's names and values for a record we dissected. */
function recordExpect(r: DNSRecord, compressed: boolean): Record<string, unknown> {
  const head = { rrname: dotted(r.name), type: r.type, rclass: r.class, ttl: r.ttl, rdlen: compressed ? undefined : r.dataLength };
  const d = r.data as unknown;
  switch (r.type) {
    case 15: { const m = d as MxData; return { _: "DNSRRMX", ...head, preference: m.preference, exchange: dotted(m.exchange) }; }
    case 6: { const s = d as SoaData; return { _: "DNSRRSOA", ...head, mname: dotted(s.mname), rname: dotted(s.rname), serial: s.serial, refresh: s.refresh, retry: s.retry, expire: s.expire, minimum: s.minimum }; }
    case 33: { const s = d as SrvData; return { _: "DNSRRSRV", ...head, priority: s.priority, weight: s.weight, port: s.port, target: dotted(s.target) }; }
    case 41: return {
      _: "DNSRROPT", rrname: ".", type: 41, rclass: r.class, extrcode: r.ttl >>> 24, version: (r.ttl >> 16) & 0xff, z: r.ttl & 0xffff, rdlen: r.dataLength,
      rdata: (d as EdnsOption[]).map((o) => ({ _: "EDNS0TLV", optcode: o.code, optlen: o.data.length, optdata: latin1(o.data) })),
    };
    case 16: return { _: "DNSRR", ...head, rdata: d };
    case 1: case 28: return { _: "DNSRR", ...head, rdata: d };
    default: return { _: "DNSRR", ...head, rdata: dotted(d as string) };
  }
}

function dnsCases(unique: boolean): SweepCase[] {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const name = namer(unique);
    const h = { id: int(0, 0xffff), qr: int(0, 1), opcode: int(0, 15), aa: int(0, 1), tc: int(0, 1), rd: int(0, 1), ra: int(0, 1), z: int(0, 1), ad: int(0, 1), cd: int(0, 1), rcode: int(0, 15) };
    const questions = Array.from({ length: int(0, 2) }, () => ({ name: rand() < 0.05 ? "." : name(), type: rand() < 0.8 ? pick([1, 28, 15, 16, 255]) : int(0, 0xffff), class: rand() < 0.8 ? 1 : int(0, 0xffff) }));
    const section = () => Array.from({ length: int(0, 3) }, () => dnsRecord(pick(DNS_TYPES), name));
    const an = section(), ns = section(), ar = section();
    if (rand() < 0.4) ar.push(optRecord());
    const via = pick(["udp4", "udp6", "tcp4", "tcp6"] as const);
    const ip = outer(via.endsWith("6"));
    const sport = freePort();
    const msg = DNS({ ...h, questions, answers: an.map((r) => r.ours), authorities: ns.map((r) => r.ours), additionals: ar.map((r) => r.ours) } as never);
    const tcp = via.startsWith("tcp");
    const b = packet(ip.ours as never, ...(tcp ? [TCP({ srcPort: sport, dstPort: 53 }), DNSTCP()] : [UDP({ srcPort: sport, dstPort: 53 })]) as never[], msg).bytes();
    const p = layersOf(b, ip.first);
    const d = p.layer(DNS)!;
    const chain = (rs: { py: string }[]) => (rs.length ? rs.map((r) => r.py).join("/") : "None");
    const q = questions.length ? questions.map((x) => `DNSQR(qname=${py.str(x.name)}, qtype=${x.type}, qclass=${x.class})`).join("/") : "None";
    const hp = Object.entries(h).map(([k, v]) => `${k}=${v}`).join(", ");
    // Scapy reports an empty section as None.
    const records = (rs: readonly DNSRecord[]) => (rs.length ? rs.map((r) => recordExpect(r, !unique)) : null);
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: unique ? `${ip.py}/${tcp ? `TCP(sport=${sport}, dport=53)` : `UDP(sport=${sport}, dport=53)`}/DNS(${hp}, qd=${q}, an=${chain(an)}, ns=${chain(ns)}, ar=${chain(ar)})` : null,
      expect: {
        [ip.first]: ipExpect(p.layers()[0] as unknown as LayerBase),
        DNS: {
          length: tcp ? p.layer(DNSTCP)!.length : undefined,
          id: d.id, qr: d.qr, opcode: d.opcode, aa: d.aa, tc: d.tc, rd: d.rd, ra: d.ra, z: d.z, ad: d.ad, cd: d.cd, rcode: d.rcode,
          qdcount: d.qdCount, ancount: d.anCount, nscount: d.nsCount, arcount: d.arCount,
          // A message that ends with its header leaves Scapy's sections at their defaults (qd is a query for www.example.com).
          qd: d.questions.length === 0 ? (b.length - d.span()!.start > 12 ? null : undefined) : d.questions.map((x) => ({ _: "DNSQR", qname: dotted(x.name), qtype: x.type, qclass: x.class })),
          an: records(d.answers), ns: records(d.authorities), ar: records(d.additionals),
        },
      },
    });
  }
  return cases;
}

test("DNS: random headers, questions and records (A AAAA CNAME NS PTR MX TXT SOA SRV OPT) over UDP and TCP build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  tally(sweep("DNS", dnsCases(true)));
});

test("DNS: Scapy reads our compressed messages (names sharing suffixes) to the same values", { skip: NO_SCAPY }, () => {
  tally(sweep("DNS compressed", dnsCases(false)));
});

// ---------------------------------------------------------------- DHCPv4

/** A random DHCP option, ours and Scapy's tuple. */
function dhcpOption(): { ours: Loose; py: string } {
  const kind = pick(["type", "address", "addresses", "seconds", "text", "prl", "maxSize", "clientId", "unknown", "pad"] as const);
  switch (kind) {
    case "type": { const t = int(1, 8); return { ours: { code: 53, messageType: t }, py: `("message-type", ${t})` }; }
    case "address": { const [code, n] = pick([[1, "subnet_mask"], [28, "broadcast_address"], [50, "requested_addr"], [54, "server_id"]] as const); const a = R.ipv4(); return { ours: { code, address: a }, py: `("${n}", "${a}")` }; }
    case "addresses": { const [code, n] = pick([[3, "router"], [6, "name_server"], [42, "NTP_server"]] as const); const a = Array.from({ length: int(1, 3) }, R.ipv4); return { ours: { code, addresses: a }, py: `("${n}", ${a.map((x) => `"${x}"`).join(", ")})` }; }
    case "seconds": { const [code, n] = pick([[51, "lease_time"], [58, "renewal_time"], [59, "rebinding_time"]] as const); const s = R.u32(); return { ours: { code, seconds: s }, py: `("${n}", ${s})` }; }
    case "text": { const [code, n] = pick([[12, "hostname"], [15, "domain"], [56, "error_message"], [60, "vendor_class_id"]] as const); const t = R.text(1, 30); return { ours: { code, text: t }, py: `("${n}", ${py.str(t)}.encode())` }; }
    case "prl": { const c = Array.from({ length: int(1, 8) }, () => int(1, 254)); return { ours: { code: 55, parameters: c }, py: `("param_req_list", [${c.join(", ")}])` }; }
    case "maxSize": { const v = int(576, 0xffff); return { ours: { code: 57, data: Uint8Array.of(v >> 8, v & 0xff) }, py: `("max_dhcp_size", ${v})` }; }
    case "clientId": { const d = R.bytes(int(1, 16)); return { ours: { code: 61, data: d }, py: `("client_id", ${py.bytes(d)})` }; }
    case "unknown": { const code = int(224, 254), d = R.bytes(int(0, 12)); return { ours: { code, data: d }, py: `(${code}, ${py.bytes(d)})` }; }
    case "pad": return { ours: { code: 0 }, py: `"pad"` };
  }
}

const DHCP_NAMES: Record<number, string> = {
  1: "subnet_mask", 28: "broadcast_address", 50: "requested_addr", 54: "server_id", 3: "router", 6: "name_server", 42: "NTP_server",
  51: "lease_time", 58: "renewal_time", 59: "rebinding_time", 12: "hostname", 15: "domain", 56: "error_message", 60: "vendor_class_id",
  53: "message-type", 55: "param_req_list", 57: "max_dhcp_size", 61: "client_id",
};

/** Scapy's tuple for an option we dissected. */
function dhcpOptionExpect(o: DHCPOption): unknown {
  if (o.code === 0) return "pad";
  if (o.code === 255) return "end";
  const n = DHCP_NAMES[o.code];
  if (n === undefined) return [o.code, latin1(o.data!)];
  if (o.messageType !== undefined) return [n, o.messageType];
  if (o.address !== undefined) return [n, o.address];
  if (o.addresses !== undefined) return [n, ...o.addresses];
  if (o.seconds !== undefined) return [n, o.seconds];
  if (o.text !== undefined) return [n, o.text];
  if (o.parameters !== undefined) return [n, o.parameters];
  if (o.code === 57) return [n, (o.data![0]! << 8) | o.data![1]!];
  return [n, latin1(o.data!)];
}

test("DHCPv4: random BOOTP fields and option lists build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(false);
    const v = {
      op: int(1, 2), htype: int(0, 255), hlen: int(0, 16), hops: int(0, 255), xid: R.u32(), secs: int(0, 0xffff), flags: int(0, 0xffff),
      ciaddr: R.ipv4(), yiaddr: R.ipv4(), siaddr: R.ipv4(), giaddr: R.ipv4(), chaddr: R.bytes(16), sname: R.text(0, 63), file: R.text(0, 127),
    };
    const options = Array.from({ length: int(0, 10) }, dhcpOption);
    options.push({ ours: { code: 255 }, py: `"end"` });
    const [sport, dport] = pick([[68, 67], [67, 68]]);
    const b = packet(ip.ours as never, UDP({ srcPort: sport, dstPort: dport }), DHCP({ ...v, options: options.map((o) => o.ours) } as never)).bytes();
    const p = layersOf(b, ip.first);
    const d = p.layer(DHCP)!;
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: `${ip.py}/UDP(sport=${sport}, dport=${dport})/BOOTP(op=${v.op}, htype=${v.htype}, hlen=${v.hlen}, hops=${v.hops}, xid=${v.xid}, secs=${v.secs}, flags=${v.flags}, ciaddr="${v.ciaddr}", yiaddr="${v.yiaddr}", siaddr="${v.siaddr}", giaddr="${v.giaddr}", `
        + `chaddr=${py.bytes(v.chaddr)}, sname=${py.str(v.sname)}.encode(), file=${py.str(v.file)}.encode())/DHCP(options=[${options.map((o) => o.py).join(", ")}])`,
      expect: {
        IP: ipExpect(p.layers()[0] as unknown as LayerBase),
        BOOTP: {
          op: d.op, htype: d.htype, hlen: d.hlen, hops: d.hops, xid: d.xid, secs: d.secs, flags: d.flags, ciaddr: d.ciaddr, yiaddr: d.yiaddr, siaddr: d.siaddr, giaddr: d.giaddr,
          chaddr: latin1(d.chaddr), sname: d.sname.padEnd(64, "\0"), file: d.file.padEnd(128, "\0"), options: latin1(Uint8Array.of(d.magicCookie >>> 24, (d.magicCookie >> 16) & 255, (d.magicCookie >> 8) & 255, d.magicCookie & 255)),
        },
        DHCP: { options: d.options.map(dhcpOptionExpect) },
      },
    });
  }
  tally(sweep("DHCPv4", cases));
});

// ---------------------------------------------------------------- DHCPv6

const DHCP6_CLASSES = ["", "DHCP6_Solicit", "DHCP6_Advertise", "DHCP6_Request", "DHCP6_Confirm", "DHCP6_Renew", "DHCP6_Rebind", "DHCP6_Reply", "DHCP6_Release", "DHCP6_Decline", "DHCP6_Reconf", "DHCP6_InfoRequest"];

/** A random DUID option (client or server id), ours and Scapy's. */
function duidOption(code: 1 | 2): { ours: Loose; py: string } {
  const cls = code === 1 ? "DHCP6OptClientId" : "DHCP6OptServerId";
  const type = int(1, 3);
  const mac = R.mac();
  const macBytes = Uint8Array.from(mac.split(":"), (x) => parseInt(x, 16));
  if (type === 1) { const t = R.u32(); return { ours: { code, duidType: 1, hardwareType: 1, time: t, data: macBytes }, py: `${cls}(duid=DUID_LLT(hwtype=1, timeval=${t}, lladdr="${mac}"))` }; }
  if (type === 3) return { ours: { code, duidType: 3, hardwareType: 1, data: macBytes }, py: `${cls}(duid=DUID_LL(hwtype=1, lladdr="${mac}"))` };
  const en = R.u32(), id = R.bytes(int(1, 16));
  return { ours: { code, duidType: 2, enterpriseNumber: en, data: id }, py: `${cls}(duid=DUID_EN(enterprisenum=${en}, id=${py.bytes(id)}))` };
}

function dhcpv6Options(): { ours: Loose[]; py: string[] } {
  const all: { ours: Loose; py: string }[] = [];
  if (rand() < 0.8) all.push(duidOption(1));
  if (rand() < 0.5) all.push(duidOption(2));
  if (rand() < 0.7) {
    const iaid = R.u32(), t1 = R.u32(), t2 = R.u32();
    const subs: { ours: Loose; py: string }[] = Array.from({ length: int(0, 2) }, () => {
      const a = { address: R.ipv6(), preferredLifetime: R.u32(), validLifetime: R.u32() };
      return { ours: { code: 5, ...a }, py: `DHCP6OptIAAddress(addr="${a.address}", preflft=${a.preferredLifetime}, validlft=${a.validLifetime})` };
    });
    if (rand() < 0.3) { const s = int(0, 6), m = R.text(0, 20); subs.push({ ours: { code: 13, statusCode: s, data: Uint8Array.from(m, (c) => c.charCodeAt(0)) }, py: `DHCP6OptStatusCode(statuscode=${s}, statusmsg=${py.str(m)}.encode())` }); }
    all.push({ ours: { code: 3, iaid, t1, t2, options: subs.map((s) => s.ours) as never }, py: `DHCP6OptIA_NA(iaid=${iaid}, T1=${t1}, T2=${t2}, ianaopts=[${subs.map((s) => s.py).join(", ")}])` });
  }
  if (rand() < 0.6) { const r = Array.from({ length: int(1, 6) }, () => int(1, 100)); all.push({ ours: { code: 6, requested: r }, py: `DHCP6OptOptReq(reqopts=[${r.join(", ")}])` }); }
  if (rand() < 0.7) { const e = int(0, 0xffff); all.push({ ours: { code: 8, elapsedTime: e }, py: `DHCP6OptElapsedTime(elapsedtime=${e})` }); }
  if (rand() < 0.5) { const s = Array.from({ length: int(1, 3) }, R.ipv6); all.push({ ours: { code: 23, servers: s }, py: `DHCP6OptDNSServers(dnsservers=[${s.map((x) => `"${x}"`).join(", ")}])` }); }
  for (let i = all.length - 1; i > 0; i--) { const j = int(0, i); [all[i], all[j]] = [all[j]!, all[i]!]; }
  return { ours: all.map((o) => o.ours), py: all.map((o) => o.py) };
}

const hexMac = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

/** Scapy's layer name and values for an option we dissected. */
function dhcpv6OptionExpect(o: DHCPv6Option): [string, Record<string, unknown>] {
  const head = { optcode: o.code, optlen: o.length };
  switch (o.code) {
    case 1: case 2: {
      const duid = o.duidType === 1 ? { _: "DUID_LLT", type: 1, hwtype: o.hardwareType, timeval: o.time, lladdr: hexMac(o.data!) }
        : o.duidType === 3 ? { _: "DUID_LL", type: 3, hwtype: o.hardwareType, lladdr: hexMac(o.data!) }
        : { _: "DUID_EN", type: 2, enterprisenum: o.enterpriseNumber, id: latin1(o.data!) };
      return [o.code === 1 ? "DHCP6OptClientId" : "DHCP6OptServerId", { ...head, duid: [duid] }];
    }
    case 3: return ["DHCP6OptIA_NA", { ...head, iaid: o.iaid, T1: o.t1, T2: o.t2, ianaopts: o.options!.map((s) => (s.code === 5
      ? { _: "DHCP6OptIAAddress", optcode: 5, optlen: s.length, addr: s.address, preflft: s.preferredLifetime, validlft: s.validLifetime, iaaddropts: [] }
      : { _: "DHCP6OptStatusCode", optcode: 13, optlen: s.length, statuscode: s.statusCode, statusmsg: latin1(s.data!) })) }];
    case 6: return ["DHCP6OptOptReq", { ...head, reqopts: o.requested }];
    case 8: return ["DHCP6OptElapsedTime", { ...head, elapsedtime: o.elapsedTime }];
    case 23: return ["DHCP6OptDNSServers", { ...head, dnsservers: o.servers }];
    default: return ["DHCP6OptUnknown", { ...head, data: latin1(o.data!) }];
  }
}

test("DHCPv6: random messages with client/server ids, IA_NA, ORO, elapsed time and DNS servers build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(true);
    const type = int(1, 11), xid = int(0, 0xffffff);
    const o = dhcpv6Options();
    const [sport, dport] = type === 2 || type === 7 || type === 10 ? [547, 546] : [546, 547];
    const b = packet(ip.ours as never, UDP({ srcPort: sport, dstPort: dport }), DHCPv6({ msgType: type, transactionId: xid, options: o.ours } as never)).bytes();
    const p = layersOf(b, ip.first);
    const d = p.layer(DHCPv6)!;
    const expect: Record<string, Record<string, unknown>> = { IPv6: ipExpect(p.layers()[0] as unknown as LayerBase), [DHCP6_CLASSES[type]!]: { msgtype: d.msgType, trid: d.transactionId } };
    for (const x of d.options) { const [k, v] = dhcpv6OptionExpect(x); expect[k] = v; }
    cases.push({ hex: toHex(b), first: ip.first, scapy: `${ip.py}/UDP(sport=${sport}, dport=${dport})/${DHCP6_CLASSES[type]}(trid=${xid})${o.py.map((x) => `/${x}`).join("")}`, expect });
  }
  tally(sweep("DHCPv6", cases));
});

// ---------------------------------------------------------------- NTP

/** A random NTP timestamp that a double holds exactly (53 significant bits), as Scapy goes through floats. */
function timestamp(): bigint {
  if (rand() < 0.05) return 0n;
  return (BigInt(R.u32()) << 32n) | BigInt(R.u32() & ~0x7ff >>> 0) & 0xfffff800n;
}

test("NTP: random header fields and exactly representable timestamps over IPv4 and IPv6 build Scapy's bytes and dissect alike", { skip: NO_SCAPY }, () => {
  const cases: SweepCase[] = [];
  for (let i = 0; i < N; i++) {
    const ip = outer(i % 2 === 1);
    const v = {
      leap: int(0, 3), version: int(1, 4), mode: int(1, 5), stratum: int(0, 255), poll: int(-128, 127), precision: int(-128, 127),
      rootDelay: R.u32(), rootDispersion: R.u32(), referenceId: R.u32(),
      referenceTimestamp: timestamp(), originTimestamp: timestamp(), receiveTimestamp: timestamp(), transmitTimestamp: timestamp(),
    };
    const sport = pick([123, freePort()]);
    const b = packet(ip.ours as never, UDP({ srcPort: sport, dstPort: 123 }), NTP(v)).bytes();
    const p = layersOf(b, ip.first);
    const n = p.layer(NTP)!;
    const id = Uint8Array.of(v.referenceId >>> 24, (v.referenceId >> 16) & 255, (v.referenceId >> 8) & 255, v.referenceId & 255);
    const ts = (x: bigint) => `${x}/2**32`;
    cases.push({
      hex: toHex(b), first: ip.first,
      scapy: `${ip.py}/UDP(sport=${sport}, dport=123)/NTPHeader(leap=${v.leap}, version=${v.version}, mode=${v.mode}, stratum=${v.stratum}, poll=${v.poll & 255}, precision=${v.precision & 255}, delay=${v.rootDelay}/65536, dispersion=${v.rootDispersion}/65536, `
        + `${v.stratum > 1 ? `id="${Array.from(id).join(".")}"` : `ref_id=${py.bytes(id)}`}, ref=${ts(v.referenceTimestamp)}, orig=${ts(v.originTimestamp)}, recv=${ts(v.receiveTimestamp)}, sent=${ts(v.transmitTimestamp)})`,
      expect: {
        [ip.first]: ipExpect(p.layers()[0] as unknown as LayerBase),
        NTPHeader: {
          leap: n.leap, version: n.version, mode: n.mode, stratum: n.stratum, poll: n.poll & 255, precision: n.precision & 255, delay: n.rootDelay, dispersion: n.rootDispersion,
          ...(n.stratum > 1 ? { id: Array.from(id).join(".") } : { ref_id: latin1(id) }),
          ref: big(n.referenceTimestamp), orig: big(n.originTimestamp), recv: big(n.receiveTimestamp), sent: big(n.transmitTimestamp),
        },
      },
    });
  }
  tally(sweep("NTP", cases));
});

test("Scapy sweep totals", { skip: NO_SCAPY }, () => {
  console.log(`# transport and application protocols against Scapy: ${totals.packets} packets, ${totals.built} built by Scapy to the same bytes, ${totals.fields} field values compared, all equal`);
  assert.ok(totals.packets >= 8 * N || totals.packets === 0);
});
