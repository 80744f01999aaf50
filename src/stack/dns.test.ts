/**
 * The DNS stub resolver on the memory link, against a tiny DNS server written here on the other
 * stack (port 53): A records, CNAME chains inside one answer and across queries, NXDOMAIN, no
 * data, time-outs and retries on the virtual clock, replies with the wrong id or from the wrong
 * address ignored, a second server after an unreachable first, servers from DHCP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dissect, packet } from "../packet/packet.js";
import { DNS, DnsRcode, DnsType, type DNSRecord } from "../protocols/dns.js";
import { stackPair } from "./testing.js";
import { settle } from "./testing.js";
import type { Stack } from "./stack.js";
import type { DnsError } from "./dns.js";

type Zone = Record<string, { a?: string[]; aaaa?: string[]; cname?: string }>;

interface Server {
  readonly queries: { id: number; name: string; type: number; from: string }[];
  /** Drop the next n queries. */
  drop: number;
  /** Before the real answer, send one with the wrong id. */
  spoof: boolean;
}

/** A tiny authoritative server: answers A and AAAA from `zone`, adds CNAMEs (and their targets when `inline`). */
function serve(stack: Stack, zone: Zone, inline = true, type: "udp4" | "udp6" = "udp4"): Server {
  const state: Server = { queries: [], drop: 0, spoof: false };
  const s = stack.createSocket(type);
  s.on("message", (msg, rinfo) => {
    const q = dissect(msg, DNS).layer(DNS)!;
    const question = q.questions[0]!;
    state.queries.push({ id: q.id, name: question.name, type: question.type, from: rinfo.address });
    if (state.drop > 0) { state.drop--; return; }
    const answers: Partial<DNSRecord>[] = [];
    let name = question.name.toLowerCase();
    let rcode: number = zone[name] === undefined ? DnsRcode.nameError : DnsRcode.ok;
    for (let i = 0; i < 20 && zone[name] !== undefined; i++) {
      const z = zone[name]!;
      if (z.cname !== undefined) {
        answers.push({ name, type: DnsType.CNAME, ttl: 60, data: z.cname });
        if (!inline) break;
        name = z.cname;
        continue;
      }
      if (question.type === DnsType.AAAA) for (const a of z.aaaa ?? []) answers.push({ name, type: DnsType.AAAA, ttl: 60, data: a });
      else for (const a of z.a ?? []) answers.push({ name, type: DnsType.A, ttl: 60, data: a });
      break;
    }
    if (!inline && answers.length > 0) rcode = DnsRcode.ok;
    const reply = (id: number): Uint8Array => packet(DNS({ id, qr: 1, aa: 1, ra: 1, rcode, questions: [question], answers: answers as DNSRecord[] })).bytes();
    if (state.spoof) { state.spoof = false; s.send(reply(q.id ^ 0x5555), rinfo.port, rinfo.address); }
    s.send(reply(q.id), rinfo.port, rinfo.address);
  });
  s.bind(53);
  return state;
}

const ZONE: Zone = {
  "host.wc.test": { a: ["10.0.0.9"] },
  "dual.wc.test": { a: ["10.0.0.12"], aaaa: ["fd00:232::12", "fd00:232:0:0::13"] },
  "six.wc.test": { aaaa: ["fd00:232::14"] },
  "www6.wc.test": { cname: "six.wc.test" },
  "multi.wc.test": { a: ["10.0.0.10", "10.0.0.11"] },
  "www.wc.test": { cname: "web.wc.test" },
  "web.wc.test": { cname: "host.wc.test" },
  "loop1.wc.test": { cname: "loop2.wc.test" },
  "loop2.wc.test": { cname: "loop1.wc.test" },
  "empty.wc.test": {},
};

async function fails(p: Promise<unknown>, clock: Parameters<typeof settle>[0]): Promise<DnsError> {
  try {
    await settle(clock, p);
  } catch (e) {
    return e as DnsError;
  }
  assert.fail("resolved, expected an error");
}

test("A records, case-insensitive names, address literals; NXDOMAIN is ENOTFOUND, no A is ENODATA", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.2"] } } });
  const server = serve(b, ZONE);
  assert.deepEqual(await settle(clock, a.resolve4("host.wc.test")), ["10.0.0.9"]);
  assert.deepEqual(await settle(clock, a.resolve("MULTI.wc.test")), ["10.0.0.10", "10.0.0.11"]);
  assert.deepEqual(await settle(clock, a.resolve4("192.0.2.7")), ["192.0.2.7"]);
  assert.equal(server.queries.length, 2);
  const nx = await fails(a.resolve4("nope.wc.test"), clock);
  assert.equal(nx.code, "ENOTFOUND");
  assert.equal(nx.hostname, "nope.wc.test");
  assert.equal(server.queries.length, 3, "NXDOMAIN is final: no retry");
  assert.equal((await fails(a.resolve4("empty.wc.test"), clock)).code, "ENODATA");
  assert.equal((await fails(a.resolve4("x".repeat(64) + ".test"), clock)).code, "EBADNAME");
  assert.equal(a.stats().counters["dns.ignored"] ?? 0, 0);
});

test("CNAME chains: inside one answer, across queries, and a loop stopped at cnameDepth", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.2"], cnameDepth: 4 } } });
  const inline = serve(b, ZONE);
  assert.deepEqual(await settle(clock, a.resolve4("www.wc.test")), ["10.0.0.9"]);
  assert.equal(inline.queries.length, 1);
  const e = await fails(a.resolve4("loop1.wc.test"), clock);
  assert.equal(e.code, "EBADNAME");
  assert.match(e.message, /longer than 4/);

  const other = stackPair({}, { config: { dns: { servers: ["10.0.0.2"], cnameDepth: 4 } } });
  const stepwise = serve(other.b, ZONE, false);
  assert.deepEqual(await settle(other.clock, other.a.resolve4("www.wc.test")), ["10.0.0.9"]);
  assert.deepEqual(stepwise.queries.map((q) => q.name), ["www.wc.test", "web.wc.test", "host.wc.test"]);
  assert.equal((await fails(other.a.resolve4("loop1.wc.test"), other.clock)).code, "EBADNAME");
  assert.equal(stepwise.queries.length, 3 + 5, "the loop is asked about 5 times (depth 4), not forever");
});

test("time-out and retry on the clock; a reply with the wrong id is ignored; ids differ", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.2"], timeout: 1500, attempts: 3 } } });
  const server = serve(b, ZONE);
  server.drop = 2;
  const t0 = clock.now();
  let at = -1;
  const p = a.resolve4("host.wc.test").then((r) => { at = clock.now(); return r; });
  assert.deepEqual(await settle(clock, p, 60_000, 1), ["10.0.0.9"]);
  assert.equal(server.queries.length, 3);
  assert.ok(at - t0 >= 3000 && at - t0 < 3100, `answered at ${at - t0} ms (two 1500 ms time-outs first)`);
  assert.equal(new Set(server.queries.map((q) => q.id)).size, 3, "each try has its own id");
  assert.equal(a.stats().counters["dns.timeouts"], 2);

  server.spoof = true;
  assert.deepEqual(await settle(clock, a.resolve4("host.wc.test")), ["10.0.0.9"]);
  assert.equal(a.stats().counters["dns.ignored"], 1);

  server.drop = 3;
  const e = await fails(a.resolve4("host.wc.test"), clock);
  assert.equal(e.code, "ETIMEOUT");
  assert.equal(server.queries.length, 3 + 1 + 3);
});

test("an unreachable first server (port unreachable) moves to the second; no servers is ENOSERVERS", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.3", "10.0.0.1", "10.0.0.2"], timeout: 500 } } });
  serve(b, ZONE);
  // 10.0.0.3 does not answer ARP (EHOSTUNREACH after the retries, or a time-out); 10.0.0.1 is
  // ourselves with nothing on port 53 (port unreachable at once); then 10.0.0.2 answers.
  assert.deepEqual(await settle(clock, a.resolve4("host.wc.test")), ["10.0.0.9"]);
  assert.equal(a.stats().counters["dns.timeouts"], 1, "10.0.0.3 timed out");
  assert.equal(a.stats().counters["dns.queries"], 3);
  assert.equal(a.stats().counters["icmp.errorReceived"], 1, "10.0.0.1 refused");
  const refused = stackPair({}, { config: { dns: { servers: ["10.0.0.1"], attempts: 1 } } });
  assert.equal((await fails(refused.a.resolve4("host.wc.test"), refused.clock)).code, "ECONNREFUSED");
  const lone = stackPair();
  assert.equal((await fails(lone.a.resolve4("host.wc.test"), lone.clock)).code, "ENOSERVERS");
});

test("servers from DHCP are used when the configuration names none", async () => {
  const { clock, a, b } = stackPair();
  serve(b, ZONE);
  a.setDnsServers(["10.0.0.2"]);
  assert.deepEqual(a.dnsServers(), ["10.0.0.2"]);
  assert.deepEqual(await settle(clock, a.resolve4("host.wc.test")), ["10.0.0.9"]);
});

test("AAAA: resolve6 and resolve(name, \"AAAA\"), through CNAMEs, ENODATA without one; literals by family", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.2"] } } });
  const server = serve(b, ZONE);
  assert.deepEqual(await settle(clock, a.resolve6("dual.wc.test")), ["fd00:232::12", "fd00:232::13"]);
  assert.deepEqual(server.queries.map((q) => q.type), [DnsType.AAAA]);
  assert.deepEqual(await settle(clock, a.resolve("six.wc.test", "AAAA")), ["fd00:232::14"]);
  assert.deepEqual(await settle(clock, a.resolve6("www6.wc.test")), ["fd00:232::14"], "CNAME to an AAAA");
  assert.deepEqual(await settle(clock, a.resolve("dual.wc.test", "A")), ["10.0.0.12"]);
  assert.equal((await fails(a.resolve6("host.wc.test"), clock)).code, "ENODATA", "A only");
  assert.equal((await fails(a.resolve4("six.wc.test"), clock)).code, "ENODATA", "AAAA only");
  assert.equal((await fails(a.resolve6("nope.wc.test"), clock)).code, "ENOTFOUND");
  const before = server.queries.length;
  assert.deepEqual(await settle(clock, a.resolve6("FD00:232:0::0:1")), ["fd00:232::1"], "a literal, canonical");
  assert.equal((await fails(a.resolve6("10.0.0.1"), clock)).code, "ENODATA");
  assert.equal((await fails(a.resolve4("fd00::1"), clock)).code, "ENODATA");
  assert.equal((await fails(a.resolve("x.wc.test", "MX" as "A"), clock)).code, "ENOTIMP");
  assert.equal(server.queries.length, before, "literals and bad types ask nobody");
});

test("lookup: both families asked at once, IPv6 first by default, ipv4first by option or config; literals; ENOTFOUND", async () => {
  const { clock, a, b } = stackPair({}, { config: { dns: { servers: ["10.0.0.2"] } } });
  const server = serve(b, ZONE);
  assert.deepEqual(await settle(clock, a.lookup("dual.wc.test")), { address: "fd00:232::12", family: 6 });
  assert.equal(server.queries.length, 2);
  assert.deepEqual(new Set(server.queries.map((q) => q.type)), new Set([DnsType.A, DnsType.AAAA]));
  assert.deepEqual(await settle(clock, a.lookup("dual.wc.test", { all: true })), [
    { address: "fd00:232::12", family: 6 }, { address: "fd00:232::13", family: 6 }, { address: "10.0.0.12", family: 4 },
  ]);
  assert.deepEqual(await settle(clock, a.lookup("dual.wc.test", { order: "ipv4first" })), { address: "10.0.0.12", family: 4 });
  assert.deepEqual(await settle(clock, a.lookup("dual.wc.test", { family: 4, all: true })), [{ address: "10.0.0.12", family: 4 }]);
  assert.deepEqual(await settle(clock, a.lookup("host.wc.test")), { address: "10.0.0.9", family: 4 }, "A only: IPv4 although IPv6 is preferred");
  assert.deepEqual(await settle(clock, a.lookup("www6.wc.test")), { address: "fd00:232::14", family: 6 });
  assert.deepEqual(await settle(clock, a.lookup("fe80::1%a")), { address: "fe80::1%a", family: 6 });
  assert.deepEqual(await settle(clock, a.lookup("10.1.2.3")), { address: "10.1.2.3", family: 4 });
  assert.equal((await fails(a.lookup("10.1.2.3", { family: 6 }), clock)).code, "ENOTFOUND");
  assert.equal((await fails(a.lookup("nope.wc.test"), clock)).code, "ENOTFOUND");
  assert.equal((await fails(a.lookup("empty.wc.test"), clock)).code, "ENOTFOUND", "no A and no AAAA");
  assert.equal((await fails(a.lookup("six.wc.test", { family: 4 }), clock)).code, "ENODATA");

  const v4first = stackPair({}, { config: { dns: { servers: ["10.0.0.2"], order: "ipv4first" } } });
  serve(v4first.b, ZONE);
  assert.deepEqual(await settle(v4first.clock, v4first.a.lookup("dual.wc.test")), { address: "10.0.0.12", family: 4 });
});

test("servers learned from several sources are merged in order without duplicates; bad ones left out", () => {
  const { a } = stackPair();
  a.setDnsServers(["10.0.0.53", "not-an-address", "fd00:232::53"]);
  a.setDnsServers(["FD00:232:0::53", "fe80::1%a"], "ra");
  assert.deepEqual(a.dnsServers(), ["10.0.0.53", "fd00:232::53", "fe80::1%a"]);
  a.setDnsServers([]);
  assert.deepEqual(a.dnsServers(), ["FD00:232:0::53", "fe80::1%a"]);
  const configured = stackPair({}, { config: { dns: { servers: ["10.9.9.9"] } } });
  configured.a.setDnsServers(["10.0.0.53"], "ra");
  assert.deepEqual(configured.a.dnsServers(), ["10.9.9.9"], "configured servers come alone");
});
