/**
 * A DNS stub resolver (RFC 1035 §7, RFC 1123 §6.1.3, RFC 3596 for AAAA) over the stack's UDP: A and
 * AAAA queries with the recursion-desired bit to the configured servers (`config.dns.servers`) or,
 * when none are configured, to those learned (a DHCP lease, router advertisements:
 * `stack.setDnsServers()`). Servers may be IPv4 or IPv6 addresses (`fe80::1%tap0` with a scope for
 * link-local ones); each is asked over its own family. Each try waits `config.dns.timeout` ms on the
 * stack's clock; `config.dns.attempts` rounds over every server. A reply counts only when it comes
 * from the server queried, from port 53, to our port, with our id and our question; others are
 * ignored (counted as `dns.ignored`). CNAME chains are followed inside a reply and by new queries,
 * at most `config.dns.cnameDepth` links. Messages are built and read with the project's DNS protocol.
 *
 *   const v4 = await stack.resolve4("example.test");          // ["10.0.0.9"]
 *   const v6 = await stack.resolve6("example.test");          // ["fd00::9"]
 *   const { address, family } = await stack.lookup("example.test");  // order: config.dns.order
 *
 * Errors carry Node's `dns` codes: `ENOTFOUND` (NXDOMAIN), `ENODATA` (no record of the type),
 * `ETIMEOUT`, `ESERVFAIL`, `EREFUSED`, `ECONNREFUSED` (every server unreachable), `EBADRESP`,
 * `EBADNAME` for a CNAME chain too long or a bad name, `ENOSERVERS` when there is nobody to ask.
 */
import { dissect, packet } from "../packet/packet.js";
import { DNS, DnsClass, DnsPort, DnsRcode, DnsType } from "../protocols/dns.js";
import { formatIPv6, parseIPv6 } from "../schema/address.js";
import type { Stack } from "./stack.js";
import type { RemoteInfo, UdpSocket } from "./udp.js";
import { ipv4ToNumber } from "./address.js";

/** An error of the resolver, with a Node `dns`-style code. */
export class DnsError extends Error {
  constructor(readonly code: string, readonly hostname: string, message?: string) {
    super(message ?? `query ${code} ${hostname}`);
    this.name = "DnsError";
  }
}

/** The record types the resolver asks for. */
export type DnsRecordType = "A" | "AAAA";

/** An address found by `lookup`, as Node's `dns.lookup` gives it. */
export interface LookupAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Options of `lookup`, as Node's `dns.lookup`. */
export interface LookupOptions {
  /** 4: A only, 6: AAAA only, 0 (default): both. */
  readonly family?: 0 | 4 | 6;
  /** Resolve with every address (an array) instead of the first. */
  readonly all?: boolean;
  /** Which family comes first when both are asked (default `config.dns.order`). */
  readonly order?: "ipv4first" | "ipv6first";
}

/** The outcome of one query to one server. */
type Outcome =
  | { readonly kind: "answer"; readonly message: DNS }
  | { readonly kind: "fail"; readonly code: string; readonly final: boolean };

const sameName = (a: string, b: string): boolean => a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();

/** Return an IPv6 address's canonical text (RFC 5952), keeping a `%scope`; undefined when not IPv6. */
export function canonicalIPv6(text: string): string | undefined {
  const b = new Uint8Array(16);
  if (!text.includes(":") || !parseIPv6(text, b, 0)) return undefined;
  const pct = text.indexOf("%");
  if (pct >= 0 && pct === text.length - 1) return undefined;
  return formatIPv6(b, 0) + (pct >= 0 ? text.slice(pct) : "");
}

/** Return 4 or 6 for an address literal (IPv6 with an optional `%scope`), 0 for anything else. */
export function addressFamily(text: string): 0 | 4 | 6 {
  if (ipv4ToNumber(text) !== undefined) return 4;
  return canonicalIPv6(text) !== undefined ? 6 : 0;
}

/** Whether two address texts name the same address (IPv6 compared by value; scopes ignored). */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const x = canonicalIPv6(a)?.replace(/%.*$/, "");
  return x !== undefined && x === canonicalIPv6(b)?.replace(/%.*$/, "");
}

/** The stub resolver of one stack. */
export class DnsResolver {
  private readonly learned = new Map<string, string[]>();
  private nextId: number;

  constructor(private readonly stack: Stack, random: () => number = Math.random) {
    this.nextId = Math.floor(random() * 0x10000) & 0xffff;
    this.random = random;
  }

  private readonly random: () => number;

  /**
   * Set the servers learned from `source` (`"dhcp"`, `"ra"`…; used when the configuration names
   * none): IPv4 and IPv6 addresses; anything else is left out. An empty list forgets the source.
   */
  setServers(servers: readonly string[], source = "dhcp"): void {
    const ok = servers.filter((s) => addressFamily(s) !== 0);
    if (ok.length === 0) this.learned.delete(source);
    else this.learned.set(source, ok);
  }

  /** Return the servers that will be asked, in order (configured, or learned by source in the order learned). */
  servers(): string[] {
    const configured = this.stack.config.dns.servers;
    if (configured.length > 0) return [...configured];
    const all: string[] = [];
    for (const list of this.learned.values()) for (const s of list) if (!all.some((x) => sameAddress(x, s))) all.push(s);
    return all;
  }

  /** Resolve `name` to its IPv4 addresses (A records), following CNAMEs. */
  resolve4(name: string): Promise<string[]> {
    return this.resolve(name, "A");
  }

  /** Resolve `name` to its IPv6 addresses (AAAA records), following CNAMEs. */
  resolve6(name: string): Promise<string[]> {
    return this.resolve(name, "AAAA");
  }

  /** Resolve `name` to the addresses of records of `rrtype` (`"A"` or `"AAAA"`), following CNAMEs. */
  async resolve(name: string, rrtype: DnsRecordType = "A"): Promise<string[]> {
    if (rrtype !== "A" && rrtype !== "AAAA") throw new DnsError("ENOTIMP", name, `record type ${String(rrtype)} is not supported (A, AAAA)`);
    const type = rrtype === "A" ? DnsType.A : DnsType.AAAA;
    const literal = addressFamily(name);
    if (literal === 4 && type === DnsType.A) return [name];
    if (literal === 6 && type === DnsType.AAAA) return [canonicalIPv6(name)!];
    if (literal !== 0) throw new DnsError("ENODATA", name, `${name} is an IPv${literal} address: no ${rrtype} record`);
    if (name.length === 0 || name.length > 253 || name.split(".").some((l) => l.length > 63)) throw new DnsError("EBADNAME", name);
    const servers = this.servers();
    if (servers.length === 0) throw new DnsError("ENOSERVERS", name, `no DNS server to ask for ${name}`);
    const depthLimit = this.stack.config.dns.cnameDepth;
    let target = name;
    for (let depth = 0; depth <= depthLimit; ) {
      const m = await this.query(target, type, servers, name);
      // Follow the chain inside this answer first.
      for (;;) {
        const found = m.answers.filter((r) => r.type === type && sameName(r.name, target)).map((r) => r.data as string);
        if (found.length > 0) return found;
        const c = m.answers.find((r) => r.type === DnsType.CNAME && sameName(r.name, target));
        if (c === undefined) break;
        target = c.data as string;
        if (++depth > depthLimit) throw new DnsError("EBADNAME", name, `CNAME chain of ${name} longer than ${depthLimit}`);
      }
      if (sameName(target, m.questions[0]!.name)) throw new DnsError("ENODATA", name);
      // The chain leaves this answer: ask for the target.
    }
    throw new DnsError("EBADNAME", name, `CNAME chain of ${name} longer than ${depthLimit}`);
  }

  /**
   * Find the addresses of `name` as Node's `dns.lookup` does, from DNS only (no hosts file): with
   * family 0 both A and AAAA are asked at once and the families ordered by `order`; a literal is
   * returned as it is. Fails with the code of the family asked (ENOTFOUND first) when none has one.
   */
  async lookup(name: string, options: LookupOptions = {}): Promise<LookupAddress[]> {
    const family = options.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) throw new TypeError(`family must be 0, 4 or 6: ${String(family)}`);
    const literal = addressFamily(name);
    if (literal !== 0) {
      if (family !== 0 && family !== literal) throw new DnsError("ENOTFOUND", name, `${name} is not an IPv${family} address`);
      return [{ address: literal === 6 ? canonicalIPv6(name)! : name, family: literal }];
    }
    const ask = async (f: 4 | 6): Promise<LookupAddress[]> => (await this.resolve(name, f === 4 ? "A" : "AAAA")).map((address) => ({ address, family: f }));
    if (family !== 0) return ask(family);
    const [v4, v6] = await Promise.allSettled([ask(4), ask(6)]);
    const order = options.order ?? this.stack.config.dns.order;
    const got = order === "ipv4first" ? [v4, v6] : [v6, v4];
    const out = got.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
    if (out.length > 0) return out;
    const errors = [v4, v6].map((r) => (r as PromiseRejectedResult).reason as unknown);
    const dnsErrors = errors.filter((e): e is DnsError => e instanceof DnsError);
    const preferred = dnsErrors.find((e) => e.code === "ENOTFOUND") ?? dnsErrors.find((e) => e.code !== "ENODATA") ?? dnsErrors[0];
    if (preferred === undefined) throw errors[0];
    if (preferred.code === "ENODATA") throw new DnsError("ENOTFOUND", name, `no A or AAAA record for ${name}`);
    throw preferred;
  }

  /** Ask each server in turn, `attempts` rounds; resolve with the first usable answer. */
  private async query(name: string, type: number, servers: readonly string[], original: string): Promise<DNS> {
    let last = "ETIMEOUT";
    for (let round = 0; round < this.stack.config.dns.attempts; round++) {
      for (const server of servers) {
        const o = await this.ask(name, type, server);
        if (o.kind === "answer") return o.message;
        if (o.final) throw new DnsError(o.code, original);
        last = o.code;
      }
    }
    throw new DnsError(last, original);
  }

  /** One query to one server, on a socket of its own (a fresh port, the server's family), with a time-out. */
  private ask(name: string, type: number, server: string): Promise<Outcome> {
    const id = this.nextId;
    this.nextId = (this.nextId + 1 + Math.floor(this.random() * 0x7fff)) & 0xffff;
    const stack = this.stack;
    stack.counters.count("dns.queries");
    return new Promise<Outcome>((resolve) => {
      const socket: UdpSocket = stack.createSocket(addressFamily(server) === 6 ? { type: "udp6", ipv6Only: true } : "udp4");
      let done = false;
      const finish = (o: Outcome): void => {
        if (done) return;
        done = true;
        timer.cancel();
        socket.close();
        resolve(o);
      };
      const timer = stack.clock.schedule(stack.config.dns.timeout, () => {
        stack.counters.count("dns.timeouts");
        finish({ kind: "fail", code: "ETIMEOUT", final: false });
      });
      socket.on("error", (e: Error & { code?: string }) => {
        finish({ kind: "fail", code: e.code === "ECONNREFUSED" ? "ECONNREFUSED" : "ETIMEOUT", final: false });
      });
      socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
        const d = sameAddress(rinfo.address, server) && rinfo.port === DnsPort.DNS ? dissect(msg, DNS).layer(DNS) : undefined;
        const q = d?.questions[0];
        if (d === undefined || d.qr !== 1 || d.id !== id || q === undefined || !sameName(q.name, name) || q.type !== type || q.class !== DnsClass.IN) {
          stack.counters.count("dns.ignored");
          return;
        }
        if (d.tc === 1) { finish({ kind: "fail", code: "EBADRESP", final: false }); return; } // no TCP yet
        switch (d.rcode) {
          case DnsRcode.ok: finish({ kind: "answer", message: d }); return;
          case DnsRcode.nameError: finish({ kind: "fail", code: "ENOTFOUND", final: true }); return;
          case DnsRcode.serverFailure: finish({ kind: "fail", code: "ESERVFAIL", final: false }); return;
          case DnsRcode.refused: finish({ kind: "fail", code: "EREFUSED", final: false }); return;
          default: finish({ kind: "fail", code: "EBADRESP", final: false });
        }
      });
      socket.bind(0);
      const query = packet(DNS({ id, rd: 1, questions: [{ name, type, class: DnsClass.IN }] })).bytes();
      socket.send(query, DnsPort.DNS, server);
    });
  }
}
