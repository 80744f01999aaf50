/**
 * Small services for testing a stack, like PyTCP's examples and inetd's internal services, over UDP
 * and (when the stack has TCP) TCP: echo (RFC 862, port 7), discard (RFC 863, port 9), daytime
 * (RFC 867, port 13), chargen (RFC 864, port 19), and `http` (port 80, TCP only: a page and
 * `/bytes/N`, see http-service.ts).
 *
 * UDP: echo sends each datagram back, discard counts and drops, daytime answers any datagram with
 * the date as text, chargen answers any datagram with 512 characters of its pattern. TCP: see
 * tcp-services.ts. Every service answers over IPv4 and IPv6 (a `udp4` and an `ipv6Only` `udp6`
 * socket per UDP service; TCP servers listen on both families).
 *
 *   const services = startServices(stack, ["echo", "daytime", "http"], (line) => console.log(line));
 *   services.close();
 */
import type { Stack } from "./stack.js";
import type { RemoteInfo, UdpSocket } from "./udp.js";
import { startHttpService, tcpServing, type HttpService, type ServiceServer } from "./http-service.js";
import { chargenCycle, startTcpService, type TcpServiceCounters } from "./tcp-services.js";

/** The services, by name, with their well-known ports. */
export const ServicePort = { echo: 7, discard: 9, daytime: 13, chargen: 19, http: 80 } as const;
export type ServiceName = keyof typeof ServicePort;

/** The transports each service runs on (TCP ones only when the stack has TCP). */
export const ServiceTransports: Readonly<Record<ServiceName, readonly ("udp" | "tcp")[]>> = {
  echo: ["udp", "tcp"], discard: ["udp", "tcp"], daytime: ["udp", "tcp"], chargen: ["udp", "tcp"], http: ["tcp"],
};

/** Return whether `name` is a service `startServices()` knows. */
export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(ServicePort, name);
}

/** Running services: UDP datagrams handled and TCP connections taken per service, and `close()`. */
export interface Services {
  /** UDP datagrams handled per service. */
  readonly handled: Readonly<Record<ServiceName, number>>;
  /** TCP connections and bytes per service (http: requests count as connections' bytes out). */
  readonly tcp: Readonly<Record<ServiceName, Readonly<TcpServiceCounters>>>;
  /** What runs: `"echo/udp"`, `"echo/tcp"`, `"http/tcp"`… */
  readonly running: readonly string[];
  close(): void;
}

/** Options of `startServices()`. */
export interface ServicesOptions {
  /** Run the TCP variants (default: whenever the stack has TCP). */
  readonly tcp?: boolean;
  /** Run the UDP variants (default true). */
  readonly udp?: boolean;
}

/** The daytime text (RFC 867 leaves the syntax free): the UTC date, CR LF. */
export function daytime(date: Date): string {
  return `${date.toUTCString()}\r\n`;
}

/** The UDP chargen answer: 512 characters of the pattern (RFC 864 allows 0 to 512). */
function chargenDatagram(): Buffer {
  return chargenCycle().subarray(0, 512);
}

/**
 * Start the named services on `stack`: one UDP socket per UDP service, one TCP server per TCP
 * service (when the stack has TCP), the HTTP server for `http`. `log` (if given) gets one line per
 * datagram, connection and request and per error. `now` gives the daytime's date.
 */
export function startServices(
  stack: Stack, names: readonly ServiceName[], log?: (line: string) => void, now: () => Date = () => new Date(), options: ServicesOptions = {},
): Services {
  const handled: Record<ServiceName, number> = { echo: 0, discard: 0, daytime: 0, chargen: 0, http: 0 };
  const zero = (): TcpServiceCounters => ({ connections: 0, bytesIn: 0, bytesOut: 0 });
  const tcpCounters: Record<ServiceName, TcpServiceCounters> = { echo: zero(), discard: zero(), daytime: zero(), chargen: zero(), http: zero() };
  const sockets: UdpSocket[] = [];
  const servers: ServiceServer[] = [];
  const running: string[] = [];
  let http: HttpService | undefined;
  const withTcp = (options.tcp ?? true) && tcpServing(stack) !== undefined;
  const withUdp = options.udp ?? true;
  const from = (r: RemoteInfo): string => `${r.address}:${r.port}`;
  for (const name of new Set(names)) {
    // UDP services answer over both families: a udp4 socket and an ipv6Only udp6 one on the port.
    for (const type of withUdp && ServiceTransports[name].includes("udp") ? ["udp4", "udp6"] as const : []) {
      const s = stack.createSocket(type === "udp4" ? "udp4" : { type, ipv6Only: true });
      s.on("error", (e) => log?.(`${name}: ${e.message}`));
      s.on("message", (msg, rinfo) => {
        handled[name]++;
        switch (name) {
          case "echo":
            log?.(`echo: ${msg.length} bytes from ${from(rinfo)}, sent back`);
            s.send(msg, rinfo.port, rinfo.address);
            break;
          case "discard":
            log?.(`discard: ${msg.length} bytes from ${from(rinfo)}`);
            break;
          case "daytime":
            log?.(`daytime: asked by ${from(rinfo)}`);
            s.send(daytime(now()), rinfo.port, rinfo.address);
            break;
          case "chargen":
            log?.(`chargen: asked by ${from(rinfo)}`);
            s.send(chargenDatagram(), rinfo.port, rinfo.address);
            break;
          case "http":
            break;
        }
      });
      s.bind(ServicePort[name]);
      sockets.push(s);
      if (type === "udp4") running.push(`${name}/udp`);
    }
    if (withTcp && ServiceTransports[name].includes("tcp")) {
      if (name === "http") {
        http = startHttpService(stack, { port: ServicePort.http, log });
        const c = tcpCounters.http;
        const counted = http.counters;
        Object.defineProperties(c, {
          connections: { get: () => counted.connections, enumerable: true },
          bytesOut: { get: () => counted.bytes, enumerable: true },
        });
      } else {
        servers.push(startTcpService(stack, name, ServicePort[name], tcpCounters[name], log, now));
      }
      running.push(`${name}/tcp`);
    }
  }
  return {
    handled,
    tcp: tcpCounters,
    running,
    close: () => {
      for (const s of sockets) s.close();
      for (const s of servers) s.close();
      http?.close();
    },
  };
}
