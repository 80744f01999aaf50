/**
 * `wirecraft stack --tap NAME …`: run the userspace stack on a TAP device with the system clock,
 * dual-stack by default (IPv4 static or DHCP; IPv6 link-local and SLAAC, static addresses too),
 * and test services, logging what it does until Ctrl-C.
 */
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseCommand, usage, intOption } from "./args.js";
import { parseCidr, requireIPv4 } from "../stack/address.js";
import { parseCidr6 } from "../stack/address6.js";
import { parseMac } from "../schema/address.js";
import { SystemClock } from "../stack/clock.js";
import { fromLiveLink } from "../stack/link.js";
import { Stack } from "../stack/stack.js";
import { isServiceName, ServicePort, startServices, type ServiceName } from "../stack/services.js";
import { dropChannel, type DropMessage } from "../stack/stats.js";

export const STACK_HELP = `Usage: wirecraft stack --tap NAME [options]

Run wirecraft's userspace TCP/IP stack (Ethernet, ARP, IPv4, ICMP, IPv6, ICMPv6, neighbour
discovery, SLAAC, MLD, UDP, TCP) on a TAP device: the kernel's side of the TAP is a network
interface of this host, the stack is the host at the other end of that virtual wire. The TAP is
created when missing (that needs root or CAP_NET_ADMIN; a device created here disappears when the
command stops). Dual-stack by default: IPv6 gets a link-local address and global ones from router
advertisements (SLAAC), each checked by duplicate address detection first and logged when ready;
every service answers over IPv4 and IPv6. Logs what it does on stdout; Ctrl-C (SIGINT) or SIGTERM
stops it cleanly and prints its counters.

Options:
      --tap NAME          the TAP device (required)
      --mac MAC           the stack's MAC (default: a random locally administered one)
      --ipv4 ADDR/LEN     a static IPv4 address with its prefix length (repeatable)
      --ipv6 ADDR/LEN     a static IPv6 address with its prefix length (repeatable), used
                          once duplicate address detection passes; SLAAC stays on
      --no-ipv6           IPv4 only: no IPv6 at all (no link-local address, no SLAAC)
      --gateway ADDR      the default gateway (IPv4)
      --dhcp              get an address, mask, gateway and DNS servers by DHCP (RFC 2131);
                          renews at T1/T2, releases the lease when stopped
      --services LIST     services, comma separated, from echo (port 7), discard (9),
                          daytime (13), chargen (19), each over UDP and TCP, and http (TCP
                          port 80: a page at / and N bytes at /bytes/N); "none" for none
                          (default: echo,discard,daytime)
      --host ADDR/LEN     also give the kernel's side of the TAP this address, IPv4 or IPv6
                          (repeatable), and bring it up (runs \`ip\`; without it, configure
                          the TAP yourself)
      --probe             probe each address before using it (RFC 5227 conflict detection)
      --mtu N             the IP MTU (default 1500)
      --offload MODE      "tcp" (default): a virtio-net header on the TAP with checksum and
                          TCP segmentation offload, so TCP moves 64 KiB segments; "none": plain
                          1514-byte frames
      --duration S        stop after S seconds (default: run until stopped)
  -v, --verbose           also log every packet the stack drops, with the reason
  -h, --help              this help

Examples:
  sudo wirecraft stack --tap wc0 --ipv4 10.77.0.2/24 --host 10.77.0.1/24
  ping 10.77.0.2                                    # from the host: the stack answers
  echo hello | socat - UDP:10.77.0.2:7              # UDP echo
  socat - UDP:10.77.0.2:13 <<< ''                   # daytime
  sudo wirecraft stack --tap wc0 --ipv6 fd00:77::2/64 --host fd00:77::1/64
  ping -6 fd00:77::2                                # IPv6 (also the logged fe80:: address%wc0)
  echo hello | socat - UDP6:[fd00:77::2]:7          # UDP echo over IPv6
  sudo wirecraft stack --tap wc0 --ipv4 10.77.0.2/24 --host 10.77.0.1/24 --services echo,chargen,http
  curl http://10.77.0.2/                            # the page, over the stack's TCP
  curl -o /dev/null http://10.77.0.2/bytes/100000000  # 100 MB
  socat - TCP:10.77.0.2:19 | head -3                # chargen
`;

const OPTIONS = {
  tap: { type: "string" },
  mac: { type: "string" },
  ipv4: { type: "string", multiple: true },
  ipv6: { type: "string", multiple: true },
  "no-ipv6": { type: "boolean" },
  gateway: { type: "string" },
  dhcp: { type: "boolean" },
  services: { type: "string" },
  host: { type: "string", multiple: true },
  probe: { type: "boolean" },
  mtu: { type: "string" },
  offload: { type: "string" },
  duration: { type: "string" },
  verbose: { type: "boolean", short: "v" },
} as const;

function log(line: string): void {
  const t = new Date().toISOString().slice(11, 23);
  process.stdout.write(`${t} ${line}\n`);
}

function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02; // locally administered, unicast
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Check the options; return a message for the first bad one. */
function check(v: { mac?: string | undefined; ipv4?: string[] | undefined; ipv6?: string[] | undefined; "no-ipv6"?: boolean | undefined; gateway?: string | undefined; host?: string[] | undefined }): string | undefined {
  try {
    if (v.mac !== undefined && !parseMac(v.mac, new Uint8Array(6), 0)) return `--mac: not a MAC address: ${v.mac}`;
    for (const a of v.ipv4 ?? []) parseCidr(a);
    for (const a of v.ipv6 ?? []) parseCidr6(a);
    if (v["no-ipv6"] === true && (v.ipv6 ?? []).length > 0) return "--ipv6 and --no-ipv6 exclude each other";
    if (v.gateway !== undefined) requireIPv4(v.gateway, "--gateway");
    for (const h of v.host ?? []) {
      if (h.includes(":")) {
        if (v["no-ipv6"] === true) return `--host ${h}: an IPv6 address with --no-ipv6`;
        parseCidr6(h);
      } else parseCidr(h);
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

/** Say where an IPv6 address came from and for how long it lasts. */
function describe6(stack: Stack, cidr: string): string {
  const a = stack.addresses6().find((x) => x.cidr === cidr);
  if (a === undefined) return "IPv6";
  const life = (ms: number): string => (ms === Infinity ? "forever" : `${Math.round(ms / 1000)} s`);
  return a.origin === "slaac" ? `SLAAC, preferred ${life(a.preferredFor)}, valid ${life(a.validFor)}` : a.origin;
}

/** Run the stack command. */
export async function runStack(args: string[]): Promise<number> {
  const parsed = parseCommand("stack", args, OPTIONS, STACK_HELP);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  if (parsed.positionals.length > 0) return usage("stack", `unexpected argument: ${parsed.positionals[0]}`, STACK_HELP);
  if (v.tap === undefined || v.tap === "") return usage("stack", "--tap NAME is required", STACK_HELP);
  const bad = check(v);
  if (bad !== undefined) return usage("stack", bad, STACK_HELP);
  const serviceList = (v.services ?? "echo,discard,daytime").split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "none");
  const unknown = serviceList.find((s) => !isServiceName(s));
  if (unknown !== undefined) return usage("stack", `unknown service "${unknown}" (echo, discard, daytime, chargen, http)`, STACK_HELP);
  const offload = v.offload ?? "tcp";
  if (offload !== "tcp" && offload !== "none") return usage("stack", `--offload: "tcp" or "none", not ${v.offload}`, STACK_HELP);
  const mtu = intOption(v.mtu) ?? 1500;
  if (!(mtu >= 576 && mtu <= 65535)) return usage("stack", `--mtu: 576..65535, not ${v.mtu}`, STACK_HELP);
  const duration = v.duration === undefined ? undefined : Number(v.duration);
  if (duration !== undefined && !(duration > 0)) return usage("stack", `--duration: a positive number of seconds, not ${v.duration}`, STACK_HELP);
  const ipv6 = v["no-ipv6"] !== true;
  if (v.ipv4 === undefined && !v.dhcp) log(`note: no --ipv4 and no --dhcp: the stack has no IPv4 address${ipv6 ? "" : " (and --no-ipv6: ARP and IP stay silent)"}`);

  const { Tap } = await import("../live/tap.js");
  const existed = existsSync(`/sys/class/net/${v.tap}`);
  let tap;
  try {
    tap = Tap.open(v.tap, offload === "tcp" ? { vnetHeader: true, offloads: "tcp" } : {});
  } catch (e) {
    process.stderr.write(`wirecraft stack: ${(e as Error).message}\n`);
    return 1;
  }
  log(`${existed ? "attached to" : "created"} TAP ${tap.name}${existed ? "" : " (removed when the stack stops)"}`);
  if (v.host !== undefined) {
    try {
      // IPv6 host addresses skip the kernel's DAD (nodad): the stack is the only other host.
      for (const h of v.host) execFileSync("ip", [...(h.includes(":") ? ["-6"] : []), "addr", "replace", h, "dev", tap.name, ...(h.includes(":") ? ["nodad"] : [])], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
      execFileSync("ip", ["link", "set", tap.name, "mtu", String(mtu), "up"], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
      log(`host side: ${v.host.join(", ")} on ${tap.name}, up`);
    } catch (e) {
      tap.close();
      process.stderr.write(`wirecraft stack: configuring ${tap.name} with ip: ${(e as Error).message}\n`);
      return 1;
    }
  }

  const link = fromLiveLink(tap, { mtu, onError: (e) => log(`link error: ${e.message}`) });
  const mac = v.mac ?? randomMac();
  // Dual-stack by default (the library's default is IPv4 only): link-local, router solicitation, SLAAC.
  const stack = new Stack({ link, clock: new SystemClock(), mac, name: tap.name, ipv6, config: { arp: { probe: v.probe ?? false } } });
  stack.on("addressReady", (a) => log(`address ${a} in use${a.includes(":") ? ` (${describe6(stack, a)})` : ""}`));
  stack.on("addressConflict", (c) => log(`address conflict: ${c.address} is claimed by ${c.mac} (${c.state}): ${c.action}`));
  const onDrop = (m: unknown): void => {
    const d = m as DropMessage;
    if (d.stack === stack.name) log(`dropped: ${d.reason}${d.detail === undefined ? "" : ` (${d.detail})`}`);
  };
  if (v.verbose) dropChannel.subscribe(onDrop);
  log(`stack on ${tap.name}: MAC ${mac}, MTU ${mtu}${link.gsoMax === undefined ? "" : `, TCP segments up to ${link.gsoMax} bytes (segmentation offload)`}`);
  for (const a of v.ipv4 ?? []) stack.addAddress(a);
  if (v.probe) for (const a of stack.tentativeAddresses()) log(`probing ${a} (RFC 5227)`);
  if (ipv6) {
    for (const a of v.ipv6 ?? []) stack.addAddress(a);
    for (const a of stack.addresses6()) log(`IPv6: checking ${a.cidr} (${a.origin}) by duplicate address detection`);
    log("IPv6: router solicitation and SLAAC on (--no-ipv6 turns IPv6 off)");
  } else {
    log("IPv6 off (--no-ipv6)");
  }
  if (v.gateway !== undefined) { stack.setGateway(v.gateway); log(`default gateway ${v.gateway}`); }
  let dhcp: import("../stack/dhcp.js").DhcpClient | undefined;
  if (v.dhcp) {
    const { DhcpClient } = await import("../stack/dhcp.js");
    dhcp = new DhcpClient(stack);
    dhcp.on("bound", (l) => log(`DHCP: lease ${l.address}/${l.prefixLength} from ${l.server} for ${l.leaseTime} s, router ${l.router ?? "none"}, DNS ${l.dnsServers.join(", ") || "none"}`));
    dhcp.on("renewed", (l) => log(`DHCP: lease ${l.address} renewed for ${l.leaseTime} s`));
    dhcp.on("expired", (l) => log(`DHCP: lease ${l.address} expired`));
    dhcp.on("nak", (server) => log(`DHCP: refused by ${server}`));
    dhcp.on("declined", (a) => log(`DHCP: ${a} is in use on the link: declined`));
    dhcp.on("state", (st) => { if (st === "selecting") log("DHCP: discovering"); });
    dhcp.start();
  }
  const services = startServices(stack, serviceList as ServiceName[], log);
  for (const r of services.running) {
    const [name, transport] = r.split("/") as [ServiceName, string];
    log(`service ${name} on ${transport.toUpperCase()} port ${ServicePort[name]}`);
  }
  log("ready (Ctrl-C stops)");

  const reason = await new Promise<string>((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (why: string): void => {
      clearInterval(keepAlive);
      if (timer !== undefined) clearTimeout(timer);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(why);
    };
    const onInt = (): void => stop("SIGINT");
    const onTerm = (): void => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    const timer = duration === undefined ? undefined : setTimeout(() => stop(`--duration ${duration} s`), duration * 1000);
  });
  log(`stopping (${reason})`);
  if (dhcp?.lease !== undefined) { log(`DHCP: releasing ${dhcp.lease.address}`); dhcp.release(); await new Promise((r) => setTimeout(r, 200)); }
  dhcp?.stop();
  services.close();
  stack.close();
  link.close();
  tap.close();
  if (v.verbose) dropChannel.unsubscribe(onDrop);
  const s = stack.stats();
  const counters = Object.entries(s.counters).map(([k, n]) => `${k}=${n}`).join(" ");
  log(`counters: ${counters || "none"}`);
  log(`dropped: ${s.dropped}${s.dropped > 0 ? ` (${Object.entries(s.drops).map(([k, n]) => `${k}=${n}`).join(" ")})` : ""}`);
  log("stopped");
  return 0;
}
