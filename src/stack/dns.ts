/**
 * A DNS stub resolver (RFC 1035 §7, RFC 1123 §6.1.3) over the stack's UDP: A queries with the
 * recursion-desired bit to the configured servers (`config.dns.servers`) or, when none are
 * configured, to those a DHCP lease gave (`stack.setDnsServers()`). Each try waits
 * `config.dns.timeout` ms on the stack's clock; `config.dns.attempts` rounds over every server.
 * A reply counts only when it comes from the server queried, from port 53, to our port, with our
 * id and our question; others are ignored (counted as `dns.ignored`). CNAME chains are followed
 * inside a reply and by new queries, at most `config.dns.cnameDepth` links. Messages are built and
 * read with the project's DNS protocol.
 *
 *   const addresses = await stack.resolve4("example.test");   // ["10.0.0.9"]
 *
 * Errors carry Node's `dns` codes: `ENOTFOUND` (NXDOMAIN), `ENODATA` (no A record), `ETIMEOUT`,
 * `ESERVFAIL`, `EREFUSED`, `ECONNREFUSED` (every server unreachable), `EBADRESP`, `ELOOP`-like
 * `EBADNAME` for a CNAME chain too long or a bad name, `ENOSERVERS` when there is nobody to ask.
 */
import { dissect, packet } from "../packet/packet.js";
import { DNS, DnsClass, DnsPort, DnsRcode, DnsType } from "../protocols/dns.js";
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

/** The outcome of one query to one server. */
type Outcome =
  | { readonly kind: "answer"; readonly message: DNS }
  | { readonly kind: "fail"; readonly code: string; readonly final: boolean };

const sameName = (a: string, b: string): boolean => a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();

/** The stub resolver of one stack. */
export class DnsResolver {
  private learned: string[] = [];
  private nextId: number;

  constructor(private readonly stack: Stack, random: () => number = Math.random) {
    this.nextId = Math.floor(random() * 0x10000) & 0xffff;
    this.random = random;
  }

  private readonly random: () => number;

  /** Set the servers learned from DHCP (used when the configuration names none). */
  setServers(servers: readonly string[]): void {
    this.learned = servers.filter((s) => ipv4ToNumber(s) !== undefined);
  }

  /** Return the servers that will be asked, in order. */
  servers(): string[] {
    const configured = this.stack.config.dns.servers;
    return [...(configured.length > 0 ? configured : this.learned)];
  }

  /** Resolve `name` to its IPv4 addresses (A records), following CNAMEs. */
  async resolve4(name: string): Promise<string[]> {
    if (ipv4ToNumber(name) !== undefined) return [name];
    if (name.length === 0 || name.length > 253 || name.split(".").some((l) => l.length > 63)) throw new DnsError("EBADNAME", name);
    const servers = this.servers();
    if (servers.length === 0) throw new DnsError("ENOSERVERS", name, `no DNS server to ask for ${name}`);
    let target = name;
    for (let depth = 0; depth <= this.stack.config.dns.cnameDepth; ) {
      const m = await this.query(target, servers, name);
      // Follow the chain inside this answer first.
      for (;;) {
        const a = m.answers.filter((r) => r.type === DnsType.A && sameName(r.name, target)).map((r) => r.data as string);
        if (a.length > 0) return a;
        const c = m.answers.find((r) => r.type === DnsType.CNAME && sameName(r.name, target));
        if (c === undefined) break;
        target = c.data as string;
        if (++depth > this.stack.config.dns.cnameDepth) throw new DnsError("EBADNAME", name, `CNAME chain of ${name} longer than ${this.stack.config.dns.cnameDepth}`);
      }
      if (sameName(target, m.questions[0]!.name)) throw new DnsError("ENODATA", name);
      // The chain leaves this answer: ask for the target.
    }
    throw new DnsError("EBADNAME", name, `CNAME chain of ${name} longer than ${this.stack.config.dns.cnameDepth}`);
  }

  /** Ask each server in turn, `attempts` rounds; resolve with the first usable answer. */
  private async query(name: string, servers: readonly string[], original: string): Promise<DNS> {
    let last = "ETIMEOUT";
    for (let round = 0; round < this.stack.config.dns.attempts; round++) {
      for (const server of servers) {
        const o = await this.ask(name, server);
        if (o.kind === "answer") return o.message;
        if (o.final) throw new DnsError(o.code, original);
        last = o.code;
      }
    }
    throw new DnsError(last, original);
  }

  /** One query to one server, on a socket of its own (a fresh port), with a time-out. */
  private ask(name: string, server: string): Promise<Outcome> {
    const id = this.nextId;
    this.nextId = (this.nextId + 1 + Math.floor(this.random() * 0x7fff)) & 0xffff;
    const stack = this.stack;
    stack.counters.count("dns.queries");
    return new Promise<Outcome>((resolve) => {
      const socket: UdpSocket = stack.createSocket("udp4");
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
        const d = rinfo.address === server && rinfo.port === DnsPort.DNS ? dissect(msg, DNS).layer(DNS) : undefined;
        const q = d?.questions[0];
        if (d === undefined || d.qr !== 1 || d.id !== id || q === undefined || !sameName(q.name, name) || q.type !== DnsType.A || q.class !== DnsClass.IN) {
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
      const query = packet(DNS({ id, rd: 1, questions: [{ name, type: DnsType.A, class: DnsClass.IN }] })).bytes();
      socket.send(query, DnsPort.DNS, server);
    });
  }
}
