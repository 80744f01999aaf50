/**
 * DNS: real queries and answers (dig against dnsmasq over UDP and TCP, IPv4 and IPv6; see
 * test/fixtures/make-transport.sh) compared field by field with tshark; name compression read and
 * written; Scapy builds the same uncompressed bytes and reads our compressed ones; hostile names.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { Ethernet } from "./ethernet.js";
import { IPv4 } from "./ipv4.js";
import { UDP } from "./udp.js";
import { TCP } from "./tcp.js";
import { DNS, DNSTCP, type DNSRecord, type MxData, type SoaData, type SrvData, type EdnsOption } from "./dns.js";
import { frames, fromHex, haveScapy, hex, scapy, Tally, toHexString, tsharkFields } from "../../test/helpers/transport.js";

const root = (n: string) => (n === "." ? "<Root>" : n);

/** Our values for tshark's DNS fields. */
function dnsFields(d: DNS, framing: DNSTCP | undefined): Record<string, (string | number)[] | undefined> {
  const rr: DNSRecord[] = [...d.answers, ...d.authorities, ...d.additionals];
  const some = (xs: (string | number)[]) => (xs.length ? xs : undefined);
  const of = (type: number) => rr.filter((r) => r.type === type).map((r) => r.data);
  const plain = rr.filter((r) => r.type !== 41);
  return {
    "dns.length": framing ? [framing.length] : undefined,
    "dns.id": [hex(d.id, 4)], "dns.flags.response": [d.qr], "dns.flags.opcode": [d.opcode],
    // tshark shows AA, RA and RCODE for responses only, and the owner name of SRV records as dns.srv.name.
    "dns.flags.authoritative": d.qr ? [d.aa] : undefined, "dns.flags.truncated": [d.tc], "dns.flags.recdesired": [d.rd],
    "dns.flags.recavail": d.qr ? [d.ra] : undefined, "dns.flags.z": [d.z], "dns.flags.authenticated": [d.ad],
    "dns.flags.checkdisable": [d.cd], "dns.flags.rcode": d.qr ? [d.rcode] : undefined,
    "dns.count.queries": [d.qdCount], "dns.count.answers": [d.anCount], "dns.count.auth_rr": [d.nsCount], "dns.count.add_rr": [d.arCount],
    "dns.qry.name": some(d.questions.map((q) => root(q.name))), "dns.qry.type": some(d.questions.map((q) => q.type)),
    "dns.qry.class": some(d.questions.map((q) => hex(q.class, 4))),
    "dns.resp.name": some(rr.filter((r) => r.type !== 33).map((r) => root(r.name))), "dns.resp.type": some(rr.map((r) => r.type)),
    "dns.resp.class": some(plain.map((r) => hex(r.class, 4))), "dns.resp.ttl": some(plain.map((r) => r.ttl)),
    "dns.resp.len": some(rr.map((r) => r.dataLength)),
    "dns.a": some(of(1) as string[]), "dns.aaaa": some(of(28) as string[]), "dns.cname": some(of(5) as string[]),
    "dns.ns": some(of(2) as string[]), "dns.ptr.domain_name": some(of(12) as string[]),
    "dns.mx.preference": some((of(15) as MxData[]).map((m) => m.preference)),
    "dns.mx.mail_exchange": some((of(15) as MxData[]).map((m) => m.exchange)),
    "dns.txt": some((of(16) as string[][]).flat()),
    "dns.soa.mname": some((of(6) as SoaData[]).map((s) => s.mname)), "dns.soa.rname": some((of(6) as SoaData[]).map((s) => s.rname)),
    "dns.soa.serial_number": some((of(6) as SoaData[]).map((s) => s.serial)),
    "dns.soa.refresh_interval": some((of(6) as SoaData[]).map((s) => s.refresh)),
    "dns.soa.retry_interval": some((of(6) as SoaData[]).map((s) => s.retry)),
    "dns.soa.expire_limit": some((of(6) as SoaData[]).map((s) => s.expire)),
    "dns.soa.minimum_ttl": some((of(6) as SoaData[]).map((s) => s.minimum)),
    "dns.srv.priority": some((of(33) as SrvData[]).map((s) => s.priority)), "dns.srv.weight": some((of(33) as SrvData[]).map((s) => s.weight)),
    "dns.srv.port": some((of(33) as SrvData[]).map((s) => s.port)), "dns.srv.target": some((of(33) as SrvData[]).map((s) => s.target)),
    "dns.rr.udp_payload_size": some(rr.filter((r) => r.type === 41).map((r) => r.class)),
    "dns.opt.code": some((of(41) as EdnsOption[][]).flat().map((o) => o.code)),
  };
}

test("DNS agrees with tshark on every field of the real captures (UDP and TCP, IPv4 and IPv6)", () => {
  const tally = new Tally();
  const ts = tsharkFields("dns");
  let n = 0;
  frames("dns").forEach((bytes, i) => {
    const p = dissect(bytes, Ethernet);
    const d = p.layer(DNS);
    if (d === undefined) return;
    n++;
    assert.equal(p.error, undefined, `frame ${i + 1}: ${p.error?.message}`);
    const ours = dnsFields(d, p.layer(DNSTCP));
    for (const [f, v] of Object.entries(ours)) tally.check(i + 1, f, v, ts[i]![f]);
    // Rebuilt, names may be compressed more than the server did; the values stay the same.
    const again = dissect(p.bytes({ recompute: true }), Ethernet);
    const same = dnsFields(again.layer(DNS)!, again.layer(DNSTCP));
    for (const k of ["dns.length", "dns.resp.len"]) { delete same[k]; delete ours[k]; }
    assert.deepEqual(same, ours, `frame ${i + 1} rebuilds to the same values`);
  });
  console.log(`# ${tally.figure(`DNS (${n} messages)`)}`);
  assert.equal(n, 26);
  assert.deepEqual(tally.problems, []);
});

const answer = () => DNS({
  id: 0xbeef, qr: 1, aa: 1, questions: [{ name: "www.example.com", type: "A" }],
  answers: [
    { name: "www.example.com", type: "CNAME", ttl: 60, data: "web.example.com" },
    { name: "web.example.com", type: "A", ttl: 60, data: "192.0.2.1" },
    { name: "web.example.com", type: "AAAA", ttl: 60, data: "2001:db8::1" },
  ],
  authorities: [{ name: "example.com", type: "SOA", ttl: 300, data: { mname: "ns.example.com", rname: "hostmaster.example.com", serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } }],
  additionals: [
    { name: "example.com", type: "MX", data: { preference: 10, exchange: "mail.example.com" } },
    { name: "_sip._udp.example.com", type: "SRV", data: { priority: 1, weight: 2, port: 5060, target: "sip.example.com" } },
    { name: "example.com", type: "TXT", data: ["hello", "world"] },
    { name: ".", type: "OPT", class: 1232, data: [{ code: 10, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }] },
  ],
});

test("names are compressed when building and read back through the pointers", () => {
  const b = packet(answer()).bytes();
  const d = dissect(b, DNS).layer(DNS)!;
  assert.equal(d.answers[0]!.name, "www.example.com");
  assert.equal(d.answers[0]!.data, "web.example.com");
  assert.deepEqual(d.authorities[0]!.data, { mname: "ns.example.com", rname: "hostmaster.example.com", serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 });
  assert.deepEqual(d.additionals[1]!.data, { priority: 1, weight: 2, port: 5060, target: "sip.example.com" });
  assert.deepEqual(d.additionals[2]!.data, ["hello", "world"]);
  // The answer's owner name is a bare pointer to the question's name at offset 12.
  const q = 12 + "www.example.com".length + 2 + 4;
  assert.deepEqual([...b.subarray(q, q + 2)], [0xc0, 12]);
  // Every pointer in the message points backwards, and the message is smaller than uncompressed.
  assert.ok(b.length < 12 + 300);
});

test("Scapy reads our compressed messages to the same values", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const b = packet(answer()).bytes();
  const r = scapy(`
d = DNS(bytes.fromhex(data))
def n(x): return x.decode() if isinstance(x, bytes) else x
an = [d.an[i] for i in range(d.ancount)]
ar = [d.ar[i] for i in range(d.arcount)]
print(json.dumps({"id": d.id, "qd": n(d.qd.qname), "an": [[n(x.rrname), x.type, n(x.rdata)] for x in an], "ns": [n(d.ns[0].mname)], "ar": [x.type for x in ar], "mx": n(ar[0].exchange), "srv": n(ar[1].target), "txt": [n(t) for t in ar[2].rdata]}))
`, toHexString(b)) as Record<string, unknown>;
  assert.deepEqual(r, {
    id: 0xbeef, qd: "www.example.com.",
    an: [["www.example.com.", 5, "web.example.com."], ["web.example.com.", 1, "192.0.2.1"], ["web.example.com.", 28, "2001:db8::1"]],
    ns: ["ns.example.com."], ar: [15, 33, 16, 41], mx: "mail.example.com.", srv: "sip.example.com.", txt: ["hello", "world"],
  });
});

test("Scapy builds the same bytes for messages without repeated names", { skip: haveScapy() ? false : "Scapy is not importable under /usr/bin/python3" }, () => {
  const ours = [
    DNS({ id: 1, rd: 1, questions: [{ name: "example.org", type: "AAAA" }] }),
    DNS({ id: 0xffff, qr: 1, opcode: 0, ra: 1, rcode: "nameError", questions: [{ name: "a.b.c", type: "MX", class: "CH" }], answers: [{ name: "x.y", type: "A", ttl: 3600, data: "10.1.2.3" }] }),
    DNS({ id: 7, questions: [{ name: "q.test", type: "TXT" }], answers: [{ name: "r.example", type: "TXT", ttl: 5, data: ["one", "two"] }] }),
  ].map((l) => toHexString(packet(l).bytes()));
  const r = scapy(`
out = [
  bytes(DNS(id=1, rd=1, qd=DNSQR(qname="example.org", qtype="AAAA"))).hex(),
  bytes(DNS(id=0xffff, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname="a.b.c", qtype="MX", qclass="CH"), an=DNSRR(rrname="x.y", type="A", ttl=3600, rdata="10.1.2.3"))).hex(),
  bytes(DNS(id=7, rd=1, qd=DNSQR(qname="q.test", qtype="TXT"), an=DNSRR(rrname="r.example", type="TXT", ttl=5, rdata=["one", "two"]))).hex(),
]
print(json.dumps(out))
`, null) as string[];
  assert.deepEqual(ours, r);
});

test("DNS over TCP: the length prefix is computed, and TCP port 53 dissects as DNSTCP", () => {
  const b = packet(IPv4(), TCP({ srcPort: 5000, dstPort: 53, flags: "PA" }), DNSTCP(), DNS({ questions: [{ name: "a.test" }] })).bytes();
  const p = dissect(b, IPv4);
  assert.equal(p.layer(DNSTCP)!.length, p.layer(DNS)!.span()!.end - p.layer(DNS)!.span()!.start);
  assert.equal(p.layer(DNS)!.questions[0]!.name, "a.test");
});

test("hostile names: loops, forward pointers, pointers past the end, lengths past the buffer are malformed", () => {
  const header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  const cases: Record<string, number[]> = {
    selfLoop: [...header, 0xc0, 12, 0, 1, 0, 1],
    forward: [...header, 0xc0, 14, 1, 0x61, 0, 0, 1, 0, 1],
    pastEnd: [...header, 0xc0, 0xff, 0, 1, 0, 1],
    labelPastEnd: [...header, 40, 0x61, 0x62],
    twoStepLoop: [...header, 1, 0x61, 0xc0, 17, 1, 0x62, 0xc0, 12, 0, 1, 0, 1],
    reservedLabelType: [...header, 0x40, 0, 0, 1, 0, 1],
    countTooBig: [0, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    rdlengthTooBig: [0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 1, 2],
    badA: [0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3],
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const t0 = Date.now();
    const p = dissect(new Uint8Array(bytes), DNS);
    assert.ok(p.malformed || p.truncated, `${name} should be malformed`);
    p.toJSON(); p.show();
    assert.ok(Date.now() - t0 < 100, `${name} took too long`);
  }
  // A long chain of backward pointers ends (each points to the previous one).
  const chain = [...header, 0];
  for (let i = 0; i < 200; i++) chain.push(0xc0, 12 + (i === 0 ? 0 : 1 + 2 * (i - 1)));
  chain.push(0, 1, 0, 1);
  dissect(new Uint8Array(chain), DNS).toJSON();
  for (const bytes of frames("dns")) for (let n = 0; n <= bytes.length; n++) dissect(bytes.subarray(0, n), Ethernet).toJSON();
  assert.throws(() => DNS({ questions: [{ name: "a..b" }] }));
  assert.throws(() => DNS({ questions: [{ name: "x".repeat(64) + ".com" }] }));
  void UDP; void fromHex;
});

test("decoded names and data are kept between reads and dropped when a field changes", () => {
  const wire = packet(DNS({ id: 1, answers: [{ name: "a.example", type: "A", data: "192.0.2.1" }] })).bytes();
  const dns = dissect(wire, DNS).layer(DNS)!;
  const rr = dns.answers[0]!;
  assert.equal(rr.name, "a.example");
  assert.equal(rr.name, "a.example");
  assert.equal(rr.data, "192.0.2.1");
  // The data's meaning depends on the type: a changed type decodes the same 4 bytes anew (they are
  // not a name, so as a CNAME they come back as raw bytes, not as the cached address).
  rr.type = 5;
  assert.ok((rr.data as unknown) instanceof Uint8Array);
  rr.type = 1;
  assert.equal(rr.data, "192.0.2.1");
  rr.name = "b.example";
  assert.equal(rr.name, "b.example");
});
