/**
 * Scapy as an oracle: random value sets (seeded) for Ethernet/IPv4/UDP, Ethernet/IPv6/UDP and
 * the ESCP seed protocol over UDP are built by wirecraft and, in one Scapy process, by Scapy; the
 * bytes must be identical, and Scapy's dissection of our bytes must give the values we read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
  bind, defineProtocol, dissect, Ethernet, field, IPv4, IPv6, packet, parseHex, Raw, seededRandom, toHex, UDP,
} from "../src/index.js";

const PYTHON = "/usr/bin/python3";
const N = 300;
const SEED = 0x5eed1234;

const ESCP = defineProtocol("ESCP", {
  sync: field.bits(5, { default: 0b10101 }),
  ver: field.bits(4, { default: 0b0011 }),
  flags: field.bits(2),
  cmd: field.bits(5, { default: 0b00010 }),
  msg: field.bytes(62),
});
bind(UDP, ESCP, { dstPort: 1337 });

const rand = seededRandom(SEED);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(0, 255));
const mac = (): string => toHex(bytes(6)).replace(/(..)(?!$)/g, "$1:");
const ipv4 = (): string => Array.from({ length: 4 }, () => int(0, 255)).join(".");
/** Ports well away from those Scapy binds protocols to. */
const port = (): number => int(20001, 60000);

function ipv6(): string {
  if (rand() < 0.1) return `::ffff:${ipv4()}`;
  const words = Array.from({ length: 8 }, () => (rand() < 0.45 ? 0 : rand() < 0.3 ? int(1, 15) : int(0, 0xffff)));
  // Avoid the deprecated IPv4-compatible form (::a.b.c.d), which glibc prints in dotted form.
  if (words.slice(0, 6).every((w) => w === 0) && words[6] !== 0) words[5] = 1;
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) words[4] = 1;
  return words.map((w) => w.toString(16)).join(":");
}

type Case =
  | { kind: "ip4"; eth: { dst: string; src: string }; ip: Record<string, unknown>; udp: { srcPort: number; dstPort: number }; payload: string }
  | { kind: "ip6"; eth: { dst: string; src: string }; ip: Record<string, unknown>; udp: { srcPort: number; dstPort: number }; payload: string }
  | { kind: "escp"; eth: { dst: string; src: string }; ip: Record<string, unknown>; udp: { srcPort: number }; escp: Record<string, unknown> };

function makeCase(i: number): Case {
  const eth = { dst: mac(), src: mac() };
  const kind = (["ip4", "ip6", "escp"] as const)[i % 3]!;
  if (kind === "ip6") {
    return {
      kind, eth,
      ip: { src: ipv6(), dst: ipv6(), trafficClass: int(0, 255), flowLabel: int(0, 0xfffff), hopLimit: int(0, 255) },
      udp: { srcPort: port(), dstPort: port() },
      payload: toHex(bytes(int(0, 40))),
    };
  }
  const ip = {
    src: ipv4(), dst: ipv4(), id: int(0, 0xffff), ttl: int(0, 255), tos: int(0, 255), flags: int(0, 7),
    fragmentOffset: rand() < 0.1 ? int(1, 0x1fff) : 0,
    options: rand() < 0.25 ? (rand() < 0.5 ? "94040000" : "01010100") : "",
  };
  if (kind === "ip4") return { kind, eth, ip, udp: { srcPort: port(), dstPort: port() }, payload: toHex(bytes(int(0, 40))) };
  ip.fragmentOffset = 0;
  return {
    kind, eth, ip, udp: { srcPort: port() },
    escp: { sync: int(0, 31), ver: int(0, 15), flags: int(0, 3), cmd: int(0, 31), msg: toHex(bytes(int(0, 62))) },
  };
}

/** IPv4 options from hex: raw bytes, or items when IPv4 declares its options as a list. */
function ipv4Options(hex: string): unknown {
  const raw = parseHex(hex)!;
  if (!IPv4.fields.some((f) => f.name === "options" && f.kind.startsWith("list"))) return raw;
  const items: unknown[] = [];
  for (let i = 0; i < raw.length;) {
    const type = raw[i]!;
    if (type <= 1) { items.push({ type }); i++; continue; }
    const len = raw[i + 1]!;
    items.push(type === 148 ? { type, value: (raw[i + 2]! << 8) | raw[i + 3]! } : { type, data: raw.subarray(i + 2, i + len) });
    i += len;
  }
  return items;
}

function build(c: Case): Uint8Array {
  if (c.kind === "ip6") {
    return packet(Ethernet(c.eth), IPv6(c.ip as never), UDP(c.udp), parseHex(c.payload)!).bytes();
  }
  const ip = IPv4({ ...(c.ip as object), options: ipv4Options(c.ip.options as string) } as never);
  if (c.kind === "ip4") return packet(Ethernet(c.eth), ip, UDP(c.udp), parseHex(c.payload)!).bytes();
  return packet(Ethernet(c.eth), ip, UDP(c.udp), ESCP({ ...c.escp, msg: parseHex(c.escp.msg as string)! } as never)).bytes();
}

/** What we read back, in the shape the Python side reports. */
function readBack(b: Uint8Array): Record<string, unknown> {
  const p = dissect(b, Ethernet);
  assert.equal(p.error, undefined, p.error?.message);
  const out: Record<string, unknown> = {};
  out.eth = p.layer(Ethernet)!.toJSON();
  const v4 = p.layer(IPv4);
  if (v4) {
    // options compared as the bytes between the fixed header and the IHL, however IPv4 declares them
    const { padding: _padding, ...fields } = v4.toJSON();
    const start = v4.span()!.start;
    out.ip = { ...fields, options: toHex(b.subarray(start + 20, start + v4.ihl * 4)) };
  }
  const v6 = p.layer(IPv6);
  if (v6) out.ip = v6.toJSON();
  const u = p.layer(UDP);
  if (u) out.udp = u.toJSON();
  const e = p.layer(ESCP);
  if (e) out.escp = e.toJSON();
  const raw = p.layer(Raw);
  if (!e && (u || v4?.fragmentOffset)) out.payload = raw ? toHex(raw.data) : "";
  return out;
}

const SCRIPT = String.raw`
import sys, json
try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import Ether, IP, IPv6, UDP, Raw, Packet, BitField, StrFixedLenField, IPOption, bind_layers, conf
except Exception as e:
    print(json.dumps({"skip": "cannot import scapy: %r" % (e,)}))
    sys.exit(0)

class ESCP(Packet):
    name = "ESCP"
    fields_desc = [BitField("sync", 0b10101, 5), BitField("ver", 0b0011, 4), BitField("flags", 0, 2),
                   BitField("cmd", 0b00010, 5), StrFixedLenField("msg", b"\x00" * 62, 62)]
bind_layers(UDP, ESCP, dport=1337)

def build(c):
    e = Ether(dst=c["eth"]["dst"], src=c["eth"]["src"])
    if c["kind"] == "ip6":
        ip = c["ip"]
        p = e / IPv6(src=ip["src"], dst=ip["dst"], tc=ip["trafficClass"], fl=ip["flowLabel"], hlim=ip["hopLimit"])
        return p / UDP(sport=c["udp"]["srcPort"], dport=c["udp"]["dstPort"]) / Raw(bytes.fromhex(c["payload"]))
    ip = c["ip"]
    opts = [IPOption(bytes.fromhex(ip["options"]))] if ip["options"] else []
    p = e / IP(src=ip["src"], dst=ip["dst"], id=ip["id"], ttl=ip["ttl"], tos=ip["tos"], flags=ip["flags"],
               frag=ip["fragmentOffset"], options=opts)
    if c["kind"] == "ip4":
        return p / UDP(sport=c["udp"]["srcPort"], dport=c["udp"]["dstPort"]) / Raw(bytes.fromhex(c["payload"]))
    s = c["escp"]
    msg = bytes.fromhex(s["msg"]).ljust(62, b"\x00")
    return p / UDP(sport=c["udp"]["srcPort"]) / ESCP(sync=s["sync"], ver=s["ver"], flags=s["flags"], cmd=s["cmd"], msg=msg)

def read(b):
    p = Ether(b)
    out = {"eth": {"dst": p.dst, "src": p.src, "type": p.type}}
    if IP in p:
        ip = p[IP]
        raw = bytes(b)[14:]
        out["ip"] = {"version": ip.version, "ihl": ip.ihl, "tos": ip.tos, "totalLength": ip.len, "id": ip.id,
                     "flags": int(ip.flags), "fragmentOffset": ip.frag, "ttl": ip.ttl, "protocol": ip.proto,
                     "checksum": ip.chksum, "src": ip.src, "dst": ip.dst, "options": raw[20:ip.ihl * 4].hex()}
        if ip.frag:
            out["payload"] = raw[ip.ihl * 4:ip.len].hex()
    if IPv6 in p:
        ip = p[IPv6]
        out["ip"] = {"version": ip.version, "trafficClass": ip.tc, "flowLabel": ip.fl, "payloadLength": ip.plen,
                     "nextHeader": ip.nh, "hopLimit": ip.hlim, "src": ip.src, "dst": ip.dst}
    if UDP in p:
        u = p[UDP]
        out["udp"] = {"srcPort": u.sport, "dstPort": u.dport, "length": u.len, "checksum": u.chksum}
        if ESCP in p:
            s = p[ESCP]
            out["escp"] = {"sync": s.sync, "ver": s.ver, "flags": s.flags, "cmd": s.cmd, "msg": bytes(s.msg).hex()}
        else:
            out["payload"] = bytes(u.payload).hex()
    return out

req = json.load(sys.stdin)
res = []
for c, ours in zip(req["cases"], req["ours"]):
    try:
        res.append({"bytes": bytes(build(c)).hex(), "read": read(bytes.fromhex(ours))})
    except Exception as e:
        res.append({"error": repr(e)})
print(json.dumps({"results": res}))
`;

test("Scapy builds the same bytes and reads the same values", (t) => {
  if (!existsSync(PYTHON)) {
    t.skip(`SKIPPED: ${PYTHON} not found; install python3-scapy to run the Scapy oracle`);
    return;
  }
  const cases = Array.from({ length: N }, (_, i) => makeCase(i));
  const ours = cases.map(build);
  const r = spawnSync(PYTHON, ["-c", SCRIPT], {
    input: JSON.stringify({ cases, ours: ours.map((b) => toHex(b)) }),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error !== undefined || r.status !== 0) {
    assert.fail(`scapy process failed: ${String(r.error ?? "")} status ${r.status}\n${r.stderr}`);
  }
  const answer = JSON.parse(r.stdout) as { skip?: string; results?: { bytes?: string; read?: Record<string, unknown>; error?: string }[] };
  if (answer.skip !== undefined) {
    console.warn(`scapy-oracle: ${answer.skip}`);
    t.skip(`SKIPPED: ${answer.skip}`);
    return;
  }
  const results = answer.results!;
  assert.equal(results.length, N);
  const kinds = { ip4: 0, ip6: 0, escp: 0 };
  for (let i = 0; i < N; i++) {
    const c = cases[i]!;
    const res = results[i]!;
    const ctx = `case ${i} (${c.kind}): ${JSON.stringify(c)}`;
    assert.equal(res.error, undefined, `${ctx}: ${res.error}`);
    assert.equal(toHex(ours[i]!), res.bytes, `bytes differ for ${ctx}`);
    assert.deepEqual(readBack(ours[i]!), res.read, `dissected values differ for ${ctx}`);
    kinds[c.kind]++;
  }
  assert.deepEqual(kinds, { ip4: 100, ip6: 100, escp: 100 });
});
